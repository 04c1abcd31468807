import ArgumentParser
import Foundation
import Provisioning
import ProvisioningService

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate the config: prints ok, or every problem as file:line:column.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        _ = try loadConfig(options.config)
        print("ok")
    }
}

/// Load and validate; problems go to standard error and the exit code is 2.
func loadConfig(_ file: String) throws -> PipelineConfig {
    do {
        return try ConfigLoader(registry: BuiltinKinds.registry()).load(file: file)
    } catch {
        for problem in error.problems { printError(problem.description) }
        throw ExitCode(2)
    }
}

func printError(_ line: String) {
    var standardError = StandardError()
    print(line, to: &standardError)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
