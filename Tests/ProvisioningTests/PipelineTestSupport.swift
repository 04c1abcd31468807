import Foundation
import Logging
import Provisioning
import Synchronization

/// A latch: `wait()` suspends until `open()`; once open, it stays open.
final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.isOpen { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.isOpen = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A source whose lookups wait for a gate, so that concurrent callers are
/// guaranteed to overlap; it counts the lookups that reached it.
struct GatedSource: IdentitySource {
    let inner: MemorySource
    let gate: Gate

    func lookup(canonicalEmail: String) async -> SourceLookup {
        await gate.wait()
        return await inner.lookup(canonicalEmail: canonicalEmail)
    }

    func lookup(recordID: String) async -> SourceLookup {
        await gate.wait()
        return await inner.lookup(recordID: recordID)
    }
}

/// A source that answers from a fixed table and counts nothing: any
/// `IdentitySource` can stand in a pipeline.
struct TableSource: IdentitySource {
    let records: [String: SourceRecord]

    func lookup(canonicalEmail: String) async -> SourceLookup {
        records[canonicalEmail].map(SourceLookup.found) ?? .notFound
    }

    func lookup(recordID: String) async -> SourceLookup {
        records.values.first { $0.recordID == recordID }.map(SourceLookup.found) ?? .notFound
    }
}

/// Collects the `event` of every log line; calls `onEvent` with each event
/// and how many times it has been seen.
struct EventLog: LogHandler {
    final class Box: Sendable {
        let events = Mutex<[String]>([])
        let onEvent: @Sendable (String, Int) -> Void
        init(onEvent: @escaping @Sendable (String, Int) -> Void) { self.onEvent = onEvent }
        func count(_ event: String) -> Int { events.withLock { $0.filter { $0 == event }.count } }
    }

    let box: Box
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        guard case .string(let name)? = event.metadata?["event"] else { return }
        let seen = box.events.withLock { events in
            events.append(name)
            return events.filter { $0 == name }.count
        }
        box.onEvent(name, seen)
    }

    static func logger(onEvent: @escaping @Sendable (String, Int) -> Void = { _, _ in }) -> (Logger, Box) {
        let box = Box(onEvent: onEvent)
        return (Logger(label: "test", factory: { _ in EventLog(box: box) }), box)
    }
}

enum Records {
    static let modified = Date(timeIntervalSince1970: 1_700_000_000)

    static func user(_ name: String, recordID: String? = nil, role: String? = nil) -> SourceRecord {
        var values = [Attribute.email: "\(name.capitalized)@Example.com", Attribute.displayName: name.capitalized]
        values[Attribute.role] = role
        return SourceRecord(source: "airtable", recordID: recordID ?? "rec\(name.capitalized)", values: values, modifiedAt: modified)
    }
}

extension ResolutionPipeline {
    /// A pipeline over one store and the given sources, logging nowhere.
    init(store: MemoryStore, _ sources: [(String, any IdentitySource)], negativeCacheSeconds: Int = 30, logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.init(
            store: store, sources: sources.map { NamedSource(name: $0.0, source: $0.1) },
            negativeCacheSeconds: negativeCacheSeconds, logger: logger)
    }
}

extension Resolution {
    var user: StoredUser? {
        if case .found(let user, _) = self { return user }
        return nil
    }

    var provisioned: Bool? {
        if case .found(_, let provisioned) = self { return provisioned }
        return nil
    }
}
