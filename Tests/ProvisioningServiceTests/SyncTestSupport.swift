import AirtableSim
import Foundation
import Logging
import PostgresNIO
import Provisioning
import ProvisioningPostgres
import ProvisioningService
import ProvisioningTestKit
import Synchronization
import Testing

/// Fixtures of the background-sync tests: seeded records, a log tap, the
/// engine over the harness's pipeline, and counts read from Postgres.
enum SyncFixtures {
    /// Records are seeded with last-modified times well in the past, ten
    /// minutes apart, so that the overlap (60 s) brings back one record only.
    static let epoch = Date(timeIntervalSince1970: 1_767_225_600)

    static func modifiedAt(_ index: Int) -> Date { epoch.addingTimeInterval(Double(index) * 600) }

    static func email(_ index: Int) -> String { "sync.user\(index)@example.com" }

    /// Insert `count` records into the simulator; returns their ids in order.
    @discardableResult
    static func seed(_ harness: ServiceHarness, count: Int, from first: Int = 0) -> [String] {
        (first..<(first + count)).map { index in
            harness.sim.insert(
                base: ServiceHarness.base, table: "Users",
                fields: ["Email": .string(email(index)), "Name": .string("User \(index)"), "Role": .string("member")],
                createdTime: modifiedAt(index), lastModifiedTime: modifiedAt(index))
        }
    }

    /// The engine over the harness's pipeline (the real AirtableClient, over HTTP).
    static func engine(_ harness: ServiceHarness, pipeline: BuiltPipeline? = nil, tap: EventTap? = nil, configure: (inout SyncOptions) -> Void = { _ in }) throws -> SyncEngine {
        var options = SyncOptions()
        options.maxRetryWait = .milliseconds(100)
        configure(&options)
        let logger = tap.map { tap in Logger(label: "sync-test", factory: { _ in tap }) } ?? Logger(label: "sync-test", factory: { _ in SwiftLogNoOpLogHandler() })
        return try SyncEngine(pipeline: pipeline ?? harness.pipeline, options: options, logger: logger)
    }

    static func client(_ harness: ServiceHarness) throws -> PostgresClient {
        try #require(harness.pipeline.providerStore as? PostgresIdentityStore).client
    }

    static func count(_ harness: ServiceHarness, _ query: PostgresQuery) async throws -> Int {
        try await TestDatabase.count(try client(harness), query)
    }

    static func listRequests(_ harness: ServiceHarness) -> Int { harness.sim.counters()[.list] }

    /// A second pipeline (a second instance, or this one restarted) over the
    /// harness's database and simulator, running for the duration of `body`.
    static func withSecondInstance(
        _ harness: ServiceHarness, options: ServiceHarness.Options = ServiceHarness.Options(), logHandler: LogHandler = SwiftLogNoOpLogHandler(),
        _ body: (BuiltPipeline) async throws -> Void
    ) async throws {
        let yaml = ServiceHarness.configYAML(databaseURL: harness.databaseURL, simURL: harness.simURL, options: options)
        let config = try ConfigLoader(registry: BuiltinKinds.registry(), environment: [:]).load(yaml: yaml, file: "second.yaml")
        let pipeline = try await config.build(registry: BuiltinKinds.registry(), logger: Logger(label: "second", factory: { _ in logHandler }))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for run in pipeline.runners { group.addTask { try await run() } }
            defer { group.cancelAll() }
            try await body(pipeline)
        }
    }
}

/// A log handler that keeps each line's `event` and metadata, and calls
/// `onEvent` as lines are logged (a test reacts to `sync.page`, say).
final class EventTap: LogHandler, Sendable {
    struct Line: Sendable {
        var event: String
        var metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])
    private let onEvent: @Sendable (Line) -> Void

    init(onEvent: @escaping @Sendable (Line) -> Void = { _ in }) {
        self.onEvent = onEvent
    }

    func events(_ name: String) -> [Line] { lines.withLock { $0.filter { $0.event == name } } }
    func all() -> [Line] { lines.withLock { $0 } }

    func log(event: LogEvent) {
        var flat: [String: String] = [:]
        for (key, value) in event.metadata ?? [:] { flat[key] = "\(value)" }
        let line = Line(event: flat["event"] ?? "\(event.message)", metadata: flat)
        lines.withLock { $0.append(line) }
        onEvent(line)
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { .debug }
        set {}
    }
}

/// Poll until `condition` holds, for up to 30 seconds (room for a loaded machine).
func eventually(_ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("condition not met within 30 s")
}
