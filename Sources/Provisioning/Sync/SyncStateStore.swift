import Foundation

/// What the sync remembers of one source between runs and restarts.
public struct SyncCheckpoint: Sendable, Equatable {
    /// The high-water mark of the records' `modifiedAt` already applied; the
    /// next incremental run lists records modified after it (less an overlap).
    /// Nil: never synced, the next run is a full pass.
    public var cursor: Date?
    /// When the last reconciliation that completed began.
    public var reconciledAt: Date?

    public init(cursor: Date? = nil, reconciledAt: Date? = nil) {
        self.cursor = cursor
        self.reconciledAt = reconciledAt
    }
}

/// A stored user linked to a source record: a candidate for reconciliation.
public struct LinkedUser: Sendable, Equatable {
    public var id: UUID
    public var recordID: String
    public init(id: UUID, recordID: String) {
        self.id = id
        self.recordID = recordID
    }
}

/// Sync cursors, the sync lease and the list of linked users. Provided by
/// the store's provider (like the refresh tokens and the webhook ledger),
/// so that the cursor lives where the users do.
public protocol SyncStateStore: Sendable {
    func checkpoint(source: String) async throws -> SyncCheckpoint
    func saveCursor(_ cursor: Date, source: String) async throws
    func markReconciled(at time: Date, source: String) async throws
    /// Users that are not deleted and are linked to a record of `source`.
    /// Users with no link to it are never listed, so its reconciliation
    /// never touches them.
    func linkedUsers(source: String) async throws -> [LinkedUser]
    /// Run `body` while holding the lease `name`; nil, without running it,
    /// when another instance holds the lease. The lease is released when
    /// `body` returns or throws, and when the process dies.
    func withLease<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T?
    /// Keep a pass's report (`provisiond sync --report`).
    func recordRun(_ run: SyncRun) async throws
    /// The last `count` passes, newest first.
    func recentRuns(last count: Int) async throws -> [SyncRun]
}

extension SyncStateStore {
    /// A store written before run reports keeps none.
    public func recordRun(_ run: SyncRun) async throws {}
    public func recentRuns(last count: Int) async throws -> [SyncRun] { [] }
}
