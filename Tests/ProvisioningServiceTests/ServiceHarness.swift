import AirtableSim
import Foundation
import ServiceLifecycle
import Testing
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import Prometheus
import Provisioning
import ProvisioningService
import ProvisioningTestKit

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The service over real PostgreSQL (a fresh database) and airtable-sim
/// (in-process, real HTTP), with its own metrics registry.
struct ServiceHarness: Sendable {
    static let token = "test-token-0123456789"
    static let base = SimConfiguration.defaultBase
    static let webhookSecret = "whsec_dGVzdC13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"
    static let webhookToken = "test-shared-token-0123456789"

    let sim: AirtableSimulator
    let simURL: String
    let databaseURL: String
    let pipeline: BuiltPipeline
    let metrics: PrometheusCollectorRegistry
    /// `http://127.0.0.1:PORT` of the running service.
    let baseURL: String
    /// `http://127.0.0.1:PORT` of the management listener, when started (`Options.management`).
    let managementURL: String?

    /// What a test may change of the default setup.
    struct Options: Sendable {
        /// YAML sections appended to the config (precedence, soft_delete, webhook, auth…).
        var extraYAML = ""
        /// The airtable provider's `timeout_ms`: room for a loaded 2-core machine (tests never wait for it to fire).
        var timeoutMilliseconds = 5_000
        var requestsPerSecond = 50
        /// The postgres provider's `timeout_ms`. The product's 5 s default once ran out on
        /// a loaded CI machine mid-test (a sync page write); no harness test is about it.
        var storeTimeoutMilliseconds = 30_000
        var negativeCacheSeconds = 30
        var simLatencyMs = 0
        var logHandler: (@Sendable (String) -> LogHandler)?
        /// Start the management listener too (on a free port).
        var management = false
        var idleTimeoutSeconds: Int64 = 60
        /// More `providers:` entries (YAML list items, indented by two spaces).
        var extraProviders = ""
        /// `resolution.order`; nil: the providers in declared order.
        var resolutionOrder: [String]?
        /// More keys of the airtable provider (indented by four spaces).
        var airtableYAML = ""
        /// The public port; 0: any free one.
        var port = 0
        /// Runs on the started simulator before the service starts.
        var simSetup: (@Sendable (AirtableSimulator) -> Void)?
    }

    static func configYAML(databaseURL: String, simURL: String, options: Options) -> String {
        let hasAuth = options.extraYAML.contains("auth:")
        let hasWebhook = options.extraYAML.contains("webhook:")
        let hasSync = options.extraYAML.contains("sync:")
        return """
            version: 1
            providers:
              - name: app_db
                kind: postgres
                url: \(databaseURL)
                pool_size: 20
                timeout_ms: \(options.storeTimeoutMilliseconds)
              - name: airtable
                kind: airtable
                api_url: \(simURL)
                token: \(token)
                base: \(base)
                table: Users
                timeout_ms: \(options.timeoutMilliseconds)
                requests_per_second: \(options.requestsPerSecond)
                fields:
                  email: Email
                  display_name: Name
                  role: Role
                  password_hash: Password Hash
                  modified_at: Last Modified
            \(options.airtableYAML)
            \(options.extraProviders)
            resolution:
              negative_cache_s: \(options.negativeCacheSeconds)
            \(options.resolutionOrder.map { "  order: [\($0.joined(separator: ", "))]" } ?? "")
            \(hasAuth ? "" : "auth:\n  bcrypt_cost: 10\n  min_failure_ms: 0\n")
            \(hasWebhook ? "" : """
            webhook:
              schemes:
                - kind: hmac-sha256
                  secrets: ["\(webhookSecret)"]
                - kind: shared-token
                  header: X-Webhook-Token
                  tokens: ["\(webhookToken)"]
            """)
            \(hasSync ? "" : "sync:\n  interval_s: 0\n  reconcile_interval_s: 0\n")
            \(options.extraYAML)
            """
    }

    /// Run `body` against a started service; everything stops afterwards.
    static func run(
        _ options: Options = Options(),
        _ body: @Sendable (ServiceHarness, HarnessClient) async throws -> Void
    ) async throws {
        let running = try await AirtableSimulator.start(configuration: SimConfiguration(token: token, latencyMs: options.simLatencyMs))
        options.simSetup?(running.sim)
        do {
            try await runService(options, sim: running.sim, simURL: running.baseURL, body)
            await running.stop()
        } catch {
            await running.stop()
            throw error
        }
    }

    private static func runService(
        _ options: Options, sim: AirtableSimulator, simURL: String,
        _ body: @Sendable (ServiceHarness, HarnessClient) async throws -> Void
    ) async throws {
        let databaseURL = try await TestDatabase.create()
        let yaml = configYAML(databaseURL: databaseURL, simURL: simURL, options: options)
        let config = try ConfigLoader(registry: BuiltinKinds.registry(), environment: [:]).load(yaml: yaml, file: "test.yaml")
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let logger = options.logHandler.map { make in Logger(label: "test", factory: { make($0) }) } ?? Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
        let pipeline = try await config.build(registry: BuiltinKinds.registry(), logger: logger, metrics: factory)
        let (listening, listener) = AsyncStream<(ServiceOptions.Listener, Int)>.makeStream()
        var serviceOptions = ServiceOptions(
            host: "127.0.0.1", port: options.port, metricsText: { registry.emitToString() }, metrics: factory,
            managementPort: options.management ? 0 : nil,
            onListening: { name, port in listener.yield((name, port)) })
        serviceOptions.idleTimeoutSeconds = options.idleTimeoutSeconds
        let app = try await buildApplication(pipeline: pipeline, options: serviceOptions, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                defer { listener.finish() }
                try await group.run()
            }
            var ports: [ServiceOptions.Listener: Int] = [:]
            for await (name, port) in listening {
                ports[name] = port
                if ports[.public] != nil, !options.management || ports[.management] != nil { break }
            }
            guard let port = ports[.public] else {
                try await tasks.waitForAll()
                throw HarnessError("the service stopped before it was listening")
            }
            let baseURL = "http://127.0.0.1:\(port)"
            let harness = ServiceHarness(
                sim: sim, simURL: simURL, databaseURL: databaseURL, pipeline: pipeline, metrics: registry,
                baseURL: baseURL, managementURL: ports[.management].map { "http://127.0.0.1:\($0)" })
            do {
                try await body(harness, HarnessClient(baseURL: baseURL))
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    /// The value of a counter in `/metrics` text (0 when absent).
    func counter(_ name: String) -> Double {
        let text = metrics.emitToString()
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            return Double(line.split(separator: " ").last ?? "0") ?? 0
        }
        return 0
    }
}

import PostgresNIO
import ProvisioningPostgres

extension ServiceHarness {
    /// Remove a user row behind the service's back (a user missing from the store).
    func deleteRow(id: UUID) async throws {
        let store = try #require(pipeline.providerStore as? PostgresIdentityStore)
        _ = try await store.client.query("DELETE FROM users WHERE id = \(id)", logger: TestDatabase.logger)
    }
}
