import Foundation
import Synchronization

/// An in-memory read-through source for tests and demos. It can be switched
/// to answer `unavailable`, and counts the lookups it answered.
public final class MemorySource: IdentitySource {
    private struct State {
        var records: [String: SourceRecord] = [:]
        var unavailableRetryAfter: Int?
        var lookups = 0
    }
    private let state = Mutex(State())

    public init(records: [SourceRecord] = []) {
        for record in records { put(record) }
    }

    /// Add or replace a record (a record without an id gets one).
    public func put(_ record: SourceRecord) {
        var record = record
        if record.recordID == nil { record.recordID = "rec" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(14) }
        state.withLock { $0.records[record.recordID ?? ""] = record }
    }

    public func remove(recordID: String) {
        state.withLock { _ = $0.records.removeValue(forKey: recordID) }
    }

    /// Answer `unavailable(retryAfter)` to every lookup, or nil to answer normally.
    public func setUnavailable(retryAfterSeconds: Int?) {
        state.withLock { $0.unavailableRetryAfter = retryAfterSeconds }
    }

    /// How many lookups reached this source.
    public var lookupCount: Int { state.withLock { $0.lookups } }

    public func lookup(canonicalEmail: String) async -> SourceLookup {
        answer { records in
            records.values
                .filter { $0.email.flatMap(EmailAddress.canonical) == canonicalEmail }
                .min { ($0.createdAt ?? .distantPast, $0.recordID ?? "") < ($1.createdAt ?? .distantPast, $1.recordID ?? "") }
        }
    }

    public func lookup(recordID: String) async -> SourceLookup {
        answer { $0[recordID] }
    }

    /// Records modified after `after` in ascending modified time (then record
    /// id), and the `unavailable` answer when one is set (listing).
    func listing(modifiedAfter after: Date?) -> (records: [SourceRecord], unavailableRetryAfter: Int?) {
        state.withLock { state in
            let records = state.records.values
                .filter { record in after.map { record.modifiedAt > $0 } ?? true }
                .sorted { ($0.modifiedAt, $0.recordID ?? "") < ($1.modifiedAt, $1.recordID ?? "") }
            return (records, state.unavailableRetryAfter)
        }
    }

    private func answer(_ find: ([String: SourceRecord]) -> SourceRecord?) -> SourceLookup {
        state.withLock { state in
            state.lookups += 1
            if let retryAfter = state.unavailableRetryAfter { return .unavailable(retryAfterSeconds: retryAfter) }
            return find(state.records).map(SourceLookup.found) ?? .notFound
        }
    }
}
