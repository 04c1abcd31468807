import Foundation

/// One sync or reconciliation pass as it is kept for `provisiond sync
/// --report`: when it ran, how it ended, counts by outcome, and the users it
/// deleted or refused to delete (CONTRACT.md §6's sync, issue 19).
public struct SyncRun: Sendable, Equatable {
    /// How many reports a store keeps (the latest).
    public static let kept = 10_000

    /// `incremental` or `reconciliation`.
    public var kind: String
    /// The sources it covered, comma-separated.
    public var sources: String
    public var startedAt: Date
    public var finishedAt: Date
    /// `completed`, `failed` or `refused` (the delete guard).
    public var outcome: String
    /// Counts by outcome (`inserted`, `updated`, `deleted`, `missing`, …).
    public var counts: [String: Int]
    /// Ids of the users it deleted, and of those it refused to delete.
    public var deletedUserIDs: [String]
    public var refusedUserIDs: [String]
    public var error: String?

    public init(
        kind: String, sources: String, startedAt: Date, finishedAt: Date, outcome: String, counts: [String: Int] = [:],
        deletedUserIDs: [String] = [], refusedUserIDs: [String] = [], error: String? = nil
    ) {
        self.kind = kind
        self.sources = sources
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.counts = counts
        self.deletedUserIDs = deletedUserIDs
        self.refusedUserIDs = refusedUserIDs
        self.error = error
    }

    /// One line for people.
    public var summary: String {
        var line = "\(startedAt.formatted(.iso8601)) \(kind) \(sources): \(outcome) in "
            + String(format: "%.1f s", finishedAt.timeIntervalSince(startedAt))
        if !counts.isEmpty { line += "; " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") }
        if !deletedUserIDs.isEmpty { line += "; deleted " + deletedUserIDs.joined(separator: ",") }
        if !refusedUserIDs.isEmpty { line += "; refused to delete " + refusedUserIDs.joined(separator: ",") }
        if let error { line += "; error: \(error)" }
        return line
    }
}
