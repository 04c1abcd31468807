import ArgumentParser
import Foundation
import Provisioning
import ProvisioningService

struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Why a user looks the way it does, and what an import and a login would do now (read-only).",
        discussion: """
            Shows the stored user (password hashes as present/absent), its links, each source's current record \
            (one lookup per source at background priority; --offline skips them), what the next import from each \
            source would write per attribute and why, and what a login by the email would do. With --config naming \
            another file than providers.yaml (or with --current), the next import is also shown under the current \
            config's rules: a dry run of a config change. Negative cache and circuits are this process's: ask \
            GET /admin/users/explain on the management port for the running service's.
            """)

    @OptionGroup var options: ConfigOption
    @Option(help: "The user's email.") var email: String?
    @Option(name: .customLong("user-id"), help: "The stored user's id.") var userID: String?
    @Option(name: .customLong("record-id"), help: "A source's record id.") var recordID: String?
    @Option(help: "The config in use, to compare with --config (default: providers.yaml when --config names another file).")
    var current: String?
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Ask no source.") var offline = false

    func validate() throws {
        guard [email, userID, recordID].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --email, --user-id, --record-id")
        }
        if let userID, UUID(uuidString: userID) == nil { throw ValidationError("--user-id is not a UUID") }
    }

    func run() async throws {
        let config = try loadConfig(options.config)
        let given = Explainer.Rules(name: options.config, precedence: config.precedence, softDelete: config.softDelete)
        var rules = [given]
        if let current {
            let currentConfig = try loadConfig(current)
            rules.insert(.init(name: current, precedence: currentConfig.precedence, softDelete: currentConfig.softDelete), at: 0)
        } else if options.config != ConfigOption.defaultFile, FileManager.default.fileExists(atPath: ConfigOption.defaultFile) {
            // The usual current config, when it loads here (its variables set); else say why there is no comparison.
            do {
                let currentConfig = try ConfigLoader(registry: BuiltinKinds.registry()).load(file: ConfigOption.defaultFile)
                rules.insert(.init(name: ConfigOption.defaultFile, precedence: currentConfig.precedence, softDelete: currentConfig.softDelete), at: 0)
            } catch {
                printError("explain: not compared with \(ConfigOption.defaultFile), which does not load here (give --current FILE)")
            }
        }
        let query: Explainer.Query = email.map { .email($0) } ?? userID.flatMap(UUID.init(uuidString:)).map { .userID($0) } ?? .recordID(recordID ?? "")
        // The current config (first) decides the login; --config's rules are shown beside it.
        let explanation = try await withPipeline(config) { pipeline in
            try await Explainer(pipeline: pipeline, rules: rules).explain(query, offline: offline)
        }
        if json {
            print(String(decoding: try explanation.json(), as: UTF8.self))
        } else {
            print(explanation.text)
        }
    }
}
