import ArgumentParser
import Logging
import Provisioning
import ProvisioningService

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the store's schema migrations and exit.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try loadConfig(options.config)
        Bootstrap.observability()
        let logger = Logger(label: "provisiond")
        let pipeline = try await config.build(registry: BuiltinKinds.registry(), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for run in pipeline.runners { group.addTask { try await run() } }
            try await pipeline.store.migrate()
            group.cancelAll()
        }
        print("migrated")
    }
}
