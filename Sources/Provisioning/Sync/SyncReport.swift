import Foundation
import Logging

/// What one incremental run did.
public struct IncrementalReport: Sendable, Equatable {
    public var source: String
    /// No cursor was stored: every record was listed.
    public var fullPass: Bool
    public var pages = 0
    /// Records listed and mapped (invalid ones excluded).
    public var records = 0
    /// Records the source could not map.
    public var invalid = 0
    /// Records the store refused (no email, an email owned by another record).
    public var rejected = 0
    /// Users deleted because the source listed their record as deleted.
    public var deleted = 0
    public var outcomes: [UpsertOutcome: Int] = [:]
    /// Listings restarted after an expired offset.
    public var restarts = 0
    public var seconds: Double = 0
    /// The cursor stored at the end.
    public var cursor: Date?

    public init(source: String, fullPass: Bool) {
        self.source = source
        self.fullPass = fullPass
    }

    public func count(_ outcome: UpsertOutcome) -> Int { outcomes[outcome] ?? 0 }

    public var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }

    var metadata: Logger.Metadata {
        [
            "source": .string(source), "full_pass": .stringConvertible(fullPass), "pages": .stringConvertible(pages),
            "records": .stringConvertible(records), "records_per_s": .string(String(format: "%.1f", recordsPerSecond)),
            "inserted": .stringConvertible(count(.inserted)), "updated": .stringConvertible(count(.updated)),
            "linked": .stringConvertible(count(.linked)), "unchanged": .stringConvertible(count(.unchanged)),
            "stale_ignored": .stringConvertible(count(.staleIgnored)), "invalid": .stringConvertible(invalid),
            "rejected": .stringConvertible(rejected), "deleted": .stringConvertible(deleted), "restarts": .stringConvertible(restarts),
            "duration_ms": .stringConvertible(Int(seconds * 1000)),
            "cursor": .string(cursor.map { $0.formatted(.iso8601) } ?? ""),
        ]
    }

    /// One line for `provisiond sync --once`.
    public var summary: String {
        "incremental \(source): pages=\(pages) records=\(records) inserted=\(count(.inserted)) updated=\(count(.updated)) "
            + "linked=\(count(.linked)) unchanged=\(count(.unchanged)) stale_ignored=\(count(.staleIgnored)) "
            + "invalid=\(invalid) rejected=\(rejected) deleted=\(deleted) records_per_s=\(String(format: "%.1f", recordsPerSecond))"
    }
}

/// What one reconciliation did.
public struct ReconcileReport: Sendable, Equatable {
    public var sources: [String]
    public var pages = 0
    /// Records listed, invalid ones included (they exist).
    public var records = 0
    /// Store users linked to a record when the pass began.
    public var linked = 0
    /// Linked users whose record was not listed.
    public var missing = 0
    /// Deleted under the soft-delete policy (soft or hard).
    public var deleted = 0
    public var restarts = 0
    public var seconds: Double = 0

    public init(sources: [String]) {
        self.sources = sources
    }

    var metadata: Logger.Metadata {
        [
            "source": .string(sources.joined(separator: ",")), "pages": .stringConvertible(pages),
            "records": .stringConvertible(records), "linked": .stringConvertible(linked),
            "missing": .stringConvertible(missing), "deleted": .stringConvertible(deleted),
            "restarts": .stringConvertible(restarts), "duration_ms": .stringConvertible(Int(seconds * 1000)),
        ]
    }

    public var summary: String {
        "reconciliation \(sources.joined(separator: ",")): pages=\(pages) records=\(records) linked=\(linked) missing=\(missing) deleted=\(deleted)"
    }
}

/// One cycle under the lease: incremental runs, then a reconciliation if due.
public struct SyncCycleReport: Sendable {
    public var incremental: [IncrementalReport] = []
    public var reconciliation: ReconcileReport?
    /// Each run that failed, as `kind source: reason`.
    public var failures: [String] = []

    public init() {}

    public var failed: Bool { !failures.isEmpty }
}
