import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// An in-memory server that speaks Airtable's Web API (see AIRTABLE.md), with fault injection,
/// latency, a per-base rate limit, counters and a request log.
///
/// ```swift
/// let running = try await AirtableSimulator.start(configuration: .init(token: "pat-test"))
/// defer { running.task.cancel() }
/// let id = running.sim.insert(base: SimConfiguration.defaultBase, table: "Users", fields: ["Email": "ada@example.com"])
/// // talk to "\(running.baseURL)/v0/\(SimConfiguration.defaultBase)/Users"
/// ```
public final class AirtableSimulator: Sendable {
    public let configuration: SimConfiguration
    let logger: Logger
    let data: Mutex<SimData>
    let control: Mutex<SimControl>

    public init(configuration: SimConfiguration, logger: Logger = Logger(label: "airtable-sim")) {
        self.configuration = configuration
        self.logger = logger
        self.data = Mutex(SimData(configuration: configuration))
        self.control = Mutex(SimControl(configuration: configuration))
    }

    // MARK: serving

    /// Starts serving; calls `onListening` with the bound port once ready; returns when the task is cancelled
    /// (or throws when the address cannot be bound). With `handlingShutdownSignals`, SIGINT and SIGTERM also
    /// stop it gracefully (for the executable; leave it off in-process).
    public func run(handlingShutdownSignals: Bool = false, onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let app = Application(
            responder: SimResponder(sim: self),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        // The pinger runs as long as the server does.
        let pinger = Task { await runPinger() }
        defer { pinger.cancel() }
        if handlingShutdownSignals {
            try await app.runService()
        } else {
            try await app.run()
        }
    }

    /// A simulator started in-process by ``start(configuration:seedFile:logger:)``.
    public struct Running: Sendable {
        public let sim: AirtableSimulator
        /// `http://HOST:PORT`, without a trailing slash.
        public let baseURL: String
        public let port: Int
        /// The serving task: cancel it to stop the server.
        public let task: Task<Void, any Error>

        /// Cancels the serving task and waits for the server to stop.
        public func stop() async {
            task.cancel()
            _ = await task.result
        }
    }

    /// Starts a simulator on `configuration.host` (port 0 picks a free one), optionally seeded, and returns once
    /// it accepts connections. Stop it by cancelling `task` (or `await running.stop()`).
    /// The default logger discards everything (cancellation makes the server log errors); pass one to see them.
    public static func start(configuration: SimConfiguration, seedFile: String? = nil,
                             logger: Logger = Logger(label: "airtable-sim", factory: { _ in SwiftLogNoOpLogHandler() })) async throws -> Running {
        let sim = AirtableSimulator(configuration: configuration, logger: logger)
        if let seedFile { try sim.seed(fromFile: seedFile) }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let task = Task<Void, any Error> {
            defer { continuation.finish() }
            try await sim.run { port in continuation.yield(port) }
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await task.value
            throw SimStartError()
        }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return Running(sim: sim, baseURL: "http://\(host):\(port)", port: port, task: task)
    }

    // MARK: data

    /// Adds the tables and records of a seed file (`.json`, else YAML). Throws ``SimSeedError``.
    public func seed(fromFile path: String) throws {
        let seed = try SimSeed.load(path: path)
        try data.withLock { (d: inout SimData) throws(SimSeedError) in try d.apply(seed, file: path, now: SimTime.now()) }
    }

    /// Declares (or re-declares) a table.
    public func addTable(base: String, spec: SimTableSpec) {
        data.withLock { $0.addTable(base: base, spec: spec) }
    }

    /// Inserts a record directly (no validation, no counters); creates the base and an any-field table when missing.
    /// Empty values are dropped; a value for the table's last-modified field is ignored.
    @discardableResult
    public func insert(base: String, table: String, fields: [String: SimValue], id: String? = nil,
                       createdTime: Date? = nil, lastModifiedTime: Date? = nil) -> String {
        data.withLock { d in
            if (try? d.tableIndex(base: base, table: table)) == nil { d.addTable(base: base, spec: SimTableSpec(name: table)) }
            let now = SimTime.now()
            let record = try? d.withTable(base: base, table: table) { (t: inout SimTable) throws(SimAPIError) -> SimRecord in
                var clean = fields
                if let lm = t.spec.lastModifiedField { clean[lm] = nil }
                return t.create(fields: clean, id: id, createdTime: createdTime, lastModified: lastModifiedTime ?? createdTime, now: now)
            }
            return record?.id ?? ""
        }
    }

    /// Changes a record out of band (as someone editing in Airtable would): merges `fields` and bumps its
    /// last-modified time. Returns false when the record does not exist.
    @discardableResult
    public func update(base: String, table: String, id: String, fields: [String: SimValue], lastModifiedTime: Date? = nil) -> Bool {
        data.withLock { d in
            let record = try? d.withTable(base: base, table: table) { (t: inout SimTable) throws(SimAPIError) -> SimRecord? in
                var clean = fields
                if let lm = t.spec.lastModifiedField { clean[lm] = nil }
                return t.update(id: id, fields: clean, replace: false, now: lastModifiedTime.map(SimTime.truncated) ?? SimTime.now())
            }
            return record != nil
        }
    }

    /// Deletes a record out of band. Returns false when it does not exist.
    @discardableResult
    public func delete(base: String, table: String, id: String) -> Bool {
        data.withLock { d in
            (try? d.withTable(base: base, table: table) { (t: inout SimTable) throws(SimAPIError) -> Bool in t.delete(id: id) }) ?? false
        }
    }

    /// The records of a table in creation order; empty when the table is unknown.
    public func records(base: String, table: String) -> [SimRecordSnapshot] {
        data.withLock { d in
            guard let t = try? d.table(base: base, table: table) else { return [] }
            return t.recordsInOrder.map { t.snapshot($0) }
        }
    }

    public func record(base: String, table: String, id: String) -> SimRecordSnapshot? {
        data.withLock { d in
            guard let t = try? d.table(base: base, table: table), let r = t.record(id) else { return nil }
            return t.snapshot(r)
        }
    }

    // MARK: control (the same operations as the /_sim/ routes)

    public func counters() -> SimCounters { control.withLock { $0.counters } }
    public func resetCounters() { control.withLock { $0.counters = SimCounters() } }
    /// The last 1000 API requests, oldest first.
    public func requestLog() -> [SimRequestLogEntry] { control.withLock { $0.log } }

    public func setLatency(fixedMs: Int, jitterMs: Int = 0) {
        control.withLock { $0.latency = SimLatency(fixedMs: fixedMs, jitterMs: jitterMs) }
    }
    public func latency() -> SimLatency { control.withLock { $0.latency } }

    /// Injects `fault` into the next API requests (replacing any fault set before).
    public func setFault(_ fault: SimFault) { control.withLock { $0.faults.fault = fault } }
    public func setFault(_ mode: SimFaultMode, count: Int? = nil, fraction: Double? = nil, hangMs: Int = 60_000) {
        setFault(SimFault(mode: mode, count: count, fraction: fraction, hangMs: hangMs))
    }
    /// The fault still pending, if any.
    public func currentFault() -> SimFault? { control.withLock { $0.faults.fault } }
    public func clearFaults() { control.withLock { $0.faults.fault = nil } }

    /// Requests per second per base; 0 turns the limit off.
    public func setRateLimit(perSecond: Int, penaltySeconds: Int? = nil) {
        control.withLock {
            $0.limiter.perSecond = max(0, perSecond)
            if let penaltySeconds { $0.limiter.penalty = .seconds(max(0, penaltySeconds)) }
            $0.limiter.reset()
        }
    }

    /// Controls a webhook as Airtable might act on it: expire it (it is gone),
    /// switch it off or on, or move its clock on. nil: no such webhook.
    public func controlWebhook(id: String, expire: Bool = false, enabled: Bool? = nil, advanceSeconds: Int? = nil) -> SimValue? {
        data.withLock { d in
            guard d.webhooks[id] != nil else { return nil }
            if let enabled { d.webhooks[id]?.isHookEnabled = enabled }
            if let advanceSeconds { d.webhooks[id]?.clockOffset += TimeInterval(advanceSeconds) }
            if expire, let webhook = d.webhooks[id] { d.webhooks[id]?.expirationTime = webhook.now(Date()) }
            let now = Date()
            d.dropExpiredWebhooks(now: now)
            return d.webhooks[id]?.json ?? ["id": .string(id), "expired": true]
        }
    }

    /// Forgets every list iterator: the next `offset` gets `422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE`.
    public func expireIterators() { data.withLock { $0.iterators = [:] } }

    /// Clears faults, latency, counters, the request log and the rate-limit windows; with `data`, also every record.
    public func reset(data clearData: Bool = false) {
        control.withLock {
            $0.faults.fault = nil
            $0.latency = SimLatency()
            $0.counters = SimCounters()
            $0.log = []
            $0.limiter.reset()
        }
        if clearData { data.withLock { $0.clearRecords() } }
    }
}

/// The server stopped before it was listening.
public struct SimStartError: Error, CustomStringConvertible {
    public var description: String { "airtable-sim stopped before it was listening" }
}

/// Request context that keeps the connection's channel (for the `reset` fault).
struct SimRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }
}

struct SimResponder: HTTPResponder {
    let sim: AirtableSimulator

    func respond(to request: Request, context: SimRequestContext) async throws -> Response {
        let path = request.uri.path
        if path == "/_sim" || path.hasPrefix("/_sim/") {
            return await sim.respondAdmin(to: request)
        }
        return try await sim.respondAPI(to: request, channel: context.channel)
    }
}
