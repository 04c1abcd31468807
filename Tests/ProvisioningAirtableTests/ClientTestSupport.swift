import AsyncHTTPClient
import Foundation
import Logging
import Provisioning
import Synchronization
import Testing

@testable import AirtableSim
@testable import ProvisioningAirtable

/// A simulator (rate limit off) plus helpers to build `AirtableClient`s against it.
struct ClientHarness {
    static let token = "pat-client-test-token"
    static let base = SimConfiguration.defaultBase
    static let table = "Users"

    /// The mapping most tests use.
    static let fields: [String: String] = [
        Attribute.email: "Email", Attribute.displayName: "Name", Attribute.role: "Role",
        Attribute.modifiedAt: "Last Modified",
    ]

    let running: AirtableSimulator.Running
    let logs: LogCapture
    /// The clients' own HTTP client, shut down before the simulator stops.
    let http: HTTPClient
    var sim: AirtableSimulator { running.sim }
    var url: String { running.baseURL }

    static func with<T>(_ body: (ClientHarness) async throws -> T) async throws -> T {
        let running = try await AirtableSimulator.start(configuration: SimConfiguration(token: token, rateLimitPerSecond: 0))
        let harness = ClientHarness(running: running, logs: LogCapture(), http: HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup))
        do {
            let result = try await body(harness)
            await harness.stop()
            return result
        } catch {
            await harness.stop()
            throw error
        }
    }

    /// Stops the clients' connections (a request given up at its timeout may leave one
    /// still being opened) before the simulator, so that no connection reaches a server
    /// that is shutting down. One request on a fresh connection, accepted after any
    /// connection still waiting in the listen queue, marks the queue empty.
    private func stop() async {
        try? await http.shutdown()
        let drain = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        _ = try? await drain.execute(HTTPClientRequest(url: url + "/_sim/counters"), timeout: .seconds(5))
        try? await drain.shutdown()
        await running.stop()
    }

    func settings(
        token: String = ClientHarness.token, base: String = ClientHarness.base, apiURL: String? = nil,
        timeoutMs: Int = 5_000, requestsPerSecond: Int = 1_000, fields: [String: String] = ClientHarness.fields,
        failureThreshold: Int = 5, openSeconds: Int = 5
    ) -> AirtableSettings {
        AirtableSettings(
            apiURL: apiURL ?? url, token: token, base: base, table: Self.table, timeoutMilliseconds: timeoutMs,
            requestsPerSecond: requestsPerSecond, fields: fields, failureThreshold: failureThreshold, openSeconds: openSeconds)
    }

    func client(_ settings: AirtableSettings? = nil, budget: SourceBudget? = nil) -> AirtableClient {
        AirtableClient(settings: settings ?? self.settings(), budget: budget, http: http, logger: logs.logger())
    }

    /// Inserts a user record straight into the simulator (no request counted).
    @discardableResult
    func insert(_ fields: [String: SimValue], id: String? = nil, created: Date? = nil, modified: Date? = nil) -> String {
        sim.insert(base: Self.base, table: Self.table, fields: fields, id: id, createdTime: created, lastModifiedTime: modified)
    }
}

/// Log records captured from a logger handed to the client.
final class LogCapture: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let storage = Mutex<[Entry]>([])

    var entries: [Entry] { storage.withLock { $0 } }

    func append(_ entry: Entry) { storage.withLock { $0.append(entry) } }

    func logger() -> Logger {
        Logger(label: "client-test") { _ in CapturingLogHandler(capture: self) }
    }

    func entries(_ message: String, level: Logger.Level? = nil) -> [Entry] {
        entries.filter { $0.message == message && (level == nil || $0.level == level) }
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        capture.append(.init(level: event.level, message: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}

extension SourceLookup {
    var record: SourceRecord? {
        if case .found(let record) = self { return record }
        return nil
    }

    var isNotFound: Bool { self == .notFound }

    var retryAfter: Int? {
        if case .unavailable(let seconds) = self { return seconds }
        return nil
    }
}

/// A fixed instant with whole milliseconds (the simulator keeps milliseconds).
func isoDate(_ iso: String) -> Date {
    try! Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(iso)
}
