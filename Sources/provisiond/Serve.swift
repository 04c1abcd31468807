import ArgumentParser
import Hummingbird
import Logging
import Provisioning
import ProvisioningService

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service (migrates the store first).")

    @OptionGroup var options: ConfigOption
    @Option(help: "Address to listen on.") var host: String = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port: Int = 8080
    @Option(help: "Port of the management listener (/metrics, /healthz, /readyz) on the same host; 0 turns it off.")
    var managementPort: Int = 9000

    func run() async throws {
        let config = try loadConfig(options.config)
        Bootstrap.observability()
        let logger = Logger(label: "provisiond")
        let pipeline = try await config.build(registry: BuiltinKinds.registry(), logger: logger)
        let registry = Bootstrap.registry
        let app = try await buildApplication(
            pipeline: pipeline,
            options: ServiceOptions(
                host: host, port: port, metricsText: { registry.emitToString() },
                managementPort: managementPort == 0 ? nil : managementPort,
                onListening: { listener, port in
                    logger.info("server.listening", metadata: [
                        "event": "server.listening", "listener": .string(listener.rawValue), "port": .stringConvertible(port),
                    ])
                }),
            logger: logger)
        try await app.runService()
    }
}
