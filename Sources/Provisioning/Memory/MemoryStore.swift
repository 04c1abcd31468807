import Foundation

/// An in-memory store with the same semantics as the Postgres store (the
/// conformance suite runs against both). For unit tests and demos.
public actor MemoryStore: IdentityStore {
    private var users: [UUID: StoredUser] = [:]
    private var tokens = MemoryTokenTable()
    private let merge: AttributeMerge
    private let softDelete: SoftDeletePolicy
    private let now: @Sendable () -> Date

    public init(precedence: PrecedencePolicy = PrecedencePolicy(), softDelete: SoftDeletePolicy = SoftDeletePolicy(), now: @escaping @Sendable () -> Date = Date.init) {
        self.merge = AttributeMerge(policy: precedence)
        self.softDelete = softDelete
        self.now = now
    }

    public func user(canonicalEmail: String) -> StoredUser? {
        users.values.first { $0.emailCanonical == canonicalEmail }
    }

    public func user(id: UUID) -> StoredUser? { users[id] }

    public func user(recordID: String) -> StoredUser? {
        users.values.first { $0.recordID == recordID }
    }

    /// Every user, for tests.
    public func allUsers() -> [StoredUser] { Array(users.values) }

    public func upsert(_ record: SourceRecord) throws -> UpsertResult {
        if let recordID = record.recordID, let existing = user(recordID: recordID) {
            return try apply(record, to: existing, linking: false)
        }
        guard let email = record.email else { throw StoreError.missingEmail }
        let canonical = try EmailAddress.storeKey(email)
        if let existing = user(canonicalEmail: canonical) {
            if let owner = existing.recordID, let recordID = record.recordID, owner != recordID {
                throw StoreError.emailOwnedByAnotherRecord
            }
            return try apply(record, to: existing, linking: existing.recordID == nil && record.recordID != nil)
        }
        let time = now()
        let user = StoredUser(
            id: UUID(), values: record.values, emailCanonical: canonical, recordID: record.recordID,
            sourceSnapshot: record.values, sourceModifiedAt: record.modifiedAt, storeUpdatedAt: nil,
            createdAt: time, updatedAt: time, deletedAt: nil)
        users[user.id] = user
        return UpsertResult(outcome: .inserted, user: user)
    }

    private func apply(_ record: SourceRecord, to existing: StoredUser, linking: Bool) throws -> UpsertResult {
        if AttributeMerge.isStale(record, against: existing) {
            return UpsertResult(outcome: .staleIgnored, user: existing)
        }
        var user = existing
        user.values = merge.merge(record, into: existing)
        if user.values[Attribute.email] != existing.values[Attribute.email], let email = user.values[Attribute.email] {
            let canonical = try EmailAddress.storeKey(email)
            if let other = self.user(canonicalEmail: canonical), other.id != user.id { throw StoreError.emailOwnedByAnotherRecord }
            user.emailCanonical = canonical
        }
        if linking { user.recordID = record.recordID }
        if user.deletedAt != nil && softDelete.restoreOnUpdate { user.deletedAt = nil }
        let changed = user.values != existing.values || user.recordID != existing.recordID || user.deletedAt != existing.deletedAt
        user.sourceSnapshot = record.values
        user.sourceModifiedAt = record.modifiedAt
        if changed { user.updatedAt = now() }
        users[user.id] = user
        let outcome: UpsertOutcome = linking ? .linked : (changed ? .updated : .unchanged)
        return UpsertResult(outcome: outcome, user: user)
    }

    public func delete(recordID: String, occurredAt: Date?) -> DeleteResult {
        guard var user = user(recordID: recordID) else { return DeleteResult(outcome: .notFound, userID: nil) }
        if let occurredAt, let known = user.sourceModifiedAt, occurredAt < known {
            return DeleteResult(outcome: .staleIgnored, userID: user.id)
        }
        switch softDelete.onDeleteEvent {
        case .ignore:
            return DeleteResult(outcome: .unchanged, userID: user.id)
        case .hard:
            users[user.id] = nil
            tokens.removeAll(userID: user.id)
        case .soft:
            if user.deletedAt == nil {
                let time = now()
                user.deletedAt = time
                user.updatedAt = time
            }
            // A later delivery made before the delete is then stale (no restore).
            if let occurredAt { user.sourceModifiedAt = max(user.sourceModifiedAt ?? occurredAt, occurredAt) }
            users[user.id] = user
            tokens.revokeAll(userID: user.id)
        }
        return DeleteResult(outcome: .deleted, userID: user.id)
    }

    // MARK: Refresh tokens (`MemoryRefreshTokens`)

    func issueToken(hash: String, familyID: UUID, userID: UUID, expiresAt: Date) {
        tokens.issue(hash: hash, familyID: familyID, userID: userID, expiresAt: expiresAt)
    }

    func rotateToken(presentedHash: String, newHash: String, expiresAt: Date) -> RefreshRotation {
        tokens.rotate(presentedHash: presentedHash, newHash: newHash, expiresAt: expiresAt, now: now())
    }

    func revokeTokens(userID: UUID) {
        tokens.revokeAll(userID: userID)
    }

    public func updateFromApp(id: UUID, values: [String: String?]) throws -> StoredUser? {
        guard var user = users[id] else { return nil }
        for (attribute, value) in values { user.values[attribute] = value }
        if let email = user.values[Attribute.email], email != users[id]?.values[Attribute.email] {
            let canonical = try EmailAddress.storeKey(email)
            if let other = self.user(canonicalEmail: canonical), other.id != id { throw StoreError.emailTaken }
            user.emailCanonical = canonical
        }
        let time = now()
        user.storeUpdatedAt = time
        user.updatedAt = time
        users[id] = user
        return user
    }

    public func replacePasswordHash(id: UUID, verified: String, fresh: String) -> Bool {
        guard var user = users[id], user.values[Attribute.passwordHash] == verified else { return false }
        user.values[Attribute.passwordHash] = fresh
        user.updatedAt = now()
        users[id] = user
        return true
    }
}
