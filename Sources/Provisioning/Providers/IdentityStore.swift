import Foundation

/// The outcome of writing a source record into the store. Raw values are the
/// contract's `outcome` strings.
public enum UpsertOutcome: String, Sendable, Equatable, Codable {
    case inserted
    case updated
    case linked
    case unchanged
    case staleIgnored = "stale_ignored"
}

public struct UpsertResult: Sendable, Equatable {
    public var outcome: UpsertOutcome
    public var user: StoredUser
    public init(outcome: UpsertOutcome, user: StoredUser) {
        self.outcome = outcome
        self.user = user
    }
}

/// The outcome of a delete event, under the configured soft-delete policy.
public enum DeleteOutcome: String, Sendable, Equatable, Codable {
    /// Soft- or hard-deleted, or already soft-deleted.
    case deleted
    /// No user has that record id.
    case notFound = "not_found"
    /// Policy `ignore`: recorded only.
    case unchanged
    /// The delete is older than the stored record's source time: ignored.
    case staleIgnored = "stale_ignored"
}

public struct DeleteResult: Sendable, Equatable {
    public var outcome: DeleteOutcome
    public var userID: UUID?
    public init(outcome: DeleteOutcome, userID: UUID?) {
        self.outcome = outcome
        self.userID = userID
    }
}

/// Errors a store reports; each maps to one contract status.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The store could not be reached or failed: retry later (503).
    case unavailable(String)
    /// The record's email belongs to a user linked to another record of the same source (422).
    case emailOwnedByAnotherRecord
    /// An app-side write gives a user an email another user has (409).
    case emailTaken
    /// A record to insert carries no email (422).
    case missingEmail
    /// The record's email is not an address (422).
    case invalidEmail(String)
    /// A value the store cannot hold (a NUL character, say): never retried (422).
    case invalidData(String)

    public var description: String {
        switch self {
        case .unavailable(let why): "store unavailable: \(why)"
        case .emailOwnedByAnotherRecord: "the email is already owned by another record"
        case .emailTaken: "the email belongs to another user"
        case .missingEmail: "the record has no email"
        case .invalidEmail(let why): why
        case .invalidData(let why): "a value cannot be stored: \(why)"
        }
    }
}

/// The system of record: the first entry of `resolution.order`. One write
/// path for read-through, webhooks and sync: `upsert`.
public protocol IdentityStore: Sendable {
    func user(canonicalEmail: String) async throws -> StoredUser?
    func user(id: UUID) async throws -> StoredUser?
    /// The user linked to record `recordID` of the source named `source`.
    func user(source: String, recordID: String) async throws -> StoredUser?
    /// Match by the link (`record.source`, `record.recordID`), then by
    /// canonical email (linking: a user has at most one link per source);
    /// merge by the precedence policy against that source's last import;
    /// ignore a record older than it. A record id without a source name is
    /// `invalidData`.
    func upsert(_ record: SourceRecord) async throws -> UpsertResult
    /// Apply the soft-delete policy to the user linked to `recordID` of
    /// `source`. `occurredAt`: when the source deleted the record; a delete
    /// older than that link's source time is `staleIgnored` (nil: never
    /// stale); a soft delete moves the link's time forward to it.
    /// The store owns revocation: a soft or hard delete revokes (or removes)
    /// the user's refresh tokens in the same transaction as the delete, so no
    /// caller revokes them again and no crash between the two can leave a
    /// deleted user able to refresh.
    func delete(source: String, recordID: String, occurredAt: Date?) async throws -> DeleteResult
    /// An app-side write (not an import): sets the given values (nil clears)
    /// and marks the store's update time for the `newest` rule.
    func updateFromApp(id: UUID, values: [String: String?]) async throws -> StoredUser?
    /// A login's rehash: sets the password hash to `fresh` only while it is
    /// still `verified` (the hash the login just checked), so a password
    /// changed meanwhile is never overwritten. Not an app-side edit: the
    /// store's update time stays. Returns whether it was replaced.
    func replacePasswordHash(id: UUID, verified: String, fresh: String) async throws -> Bool
    /// Bring the store's schema up to date (`provisiond migrate`, and `serve` at start).
    func migrate() async throws
    /// Whether the store answers now (`/readyz`).
    func isReachable() async -> Bool
}

extension IdentityStore {
    public func migrate() async throws {}
    public func isReachable() async -> Bool { true }
}

extension IdentityStore {
    /// A delete with no time of its own (reconciliation): never stale.
    public func delete(source: String, recordID: String) async throws -> DeleteResult {
        try await delete(source: source, recordID: recordID, occurredAt: nil)
    }
}
