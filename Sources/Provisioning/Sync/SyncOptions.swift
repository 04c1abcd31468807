import Foundation
import Logging

/// How the sync engine pages, retries and guards deletes.
public struct SyncOptions: Sendable {
    /// Subtracted from the cursor when listing (clock skew, equal times).
    public var overlap: Duration = .seconds(60)
    /// Attempts per page when the source is unavailable (1: no retry).
    public var maxPageAttempts = 3
    /// The longest wait between two attempts, whatever the source asks.
    public var maxRetryWait: Duration = .seconds(30)
    /// Listings restarted after an expired offset before the run fails.
    public var maxRestarts = 3
    /// Reconciliation refuses to delete more than this share of the linked
    /// users in one pass (a wrong table or base would empty the store)…
    public var maxDeleteFraction = 0.5
    /// …once there are at least this many linked users.
    public var deleteGuardMinimum = 10
    /// The level of `sync.page` lines (`sync --once` shows them at info).
    public var pageLogLevel: Logger.Level = .debug
    /// The lease every run of this engine takes.
    public var leaseName = "provisiond.sync"

    public init() {}
}

/// Why a sync run failed.
public enum SyncError: Error, Equatable, CustomStringConvertible {
    /// The store's provider keeps no sync state: its kind cannot sync.
    case noSyncState(store: String)
    /// The source stayed unavailable through every attempt.
    case sourceUnavailable(retryAfterSeconds: Int)
    /// The listing's offset expired more often than `maxRestarts`.
    case tooManyRestarts
    /// Reconciliation would delete more users than the guard allows.
    case deleteGuard(missing: Int, linked: Int)
    /// Another instance held the sync lease for longer than a caller would wait.
    case leaseBusy

    public var description: String {
        switch self {
        case .noSyncState(let store): "provider '\(store)' keeps no sync state"
        case .sourceUnavailable(let seconds): "the source is unavailable (retry after \(seconds) s)"
        case .tooManyRestarts: "the listing's offset kept expiring"
        case .leaseBusy: "another instance held the sync lease too long"
        case .deleteGuard(let missing, let linked):
            "refused to delete \(missing) of \(linked) linked users in one pass: check the source's base and table"
        }
    }
}
