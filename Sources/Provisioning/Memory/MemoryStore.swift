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

    public func user(source: String, recordID: String) -> StoredUser? {
        users.values.first { $0.links[source]?.recordID == recordID }
    }

    /// Every user, for tests.
    public func allUsers() -> [StoredUser] { Array(users.values) }

    public func upsert(_ record: SourceRecord) throws -> UpsertResult {
        if record.recordID != nil && record.source.isEmpty { throw StoreError.invalidData("a record id without its source's name") }
        if let recordID = record.recordID, let existing = user(source: record.source, recordID: recordID) {
            return try apply(record, to: existing, linking: false)
        }
        guard let email = record.email else { throw StoreError.missingEmail }
        let canonical = try EmailAddress.storeKey(email)
        if let existing = user(canonicalEmail: canonical) {
            if let owner = existing.recordID(in: record.source), let recordID = record.recordID, owner != recordID {
                throw StoreError.emailOwnedByAnotherRecord
            }
            return try apply(record, to: existing, linking: record.recordID != nil)
        }
        let time = now()
        let user = StoredUser(
            id: UUID(), values: record.values, emailCanonical: canonical, links: Self.link(of: record).map { [record.source: $0] } ?? [:],
            storeUpdatedAt: nil, createdAt: time, updatedAt: time, deletedAt: nil)
        users[user.id] = user
        return UpsertResult(outcome: .inserted, user: user)
    }

    /// The link a record with an id leaves: what was imported, and when.
    private static func link(of record: SourceRecord) -> SourceLink? {
        record.recordID.map { SourceLink(recordID: $0, snapshot: record.values, modifiedAt: record.modifiedAt) }
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
        if user.deletedAt != nil && softDelete.restoreOnUpdate { user.deletedAt = nil }
        let changed = user.values != existing.values || linking || user.deletedAt != existing.deletedAt
        // A record without an id leaves no link (and so no snapshot).
        if let link = Self.link(of: record) { user.links[record.source] = link }
        if changed { user.updatedAt = now() }
        users[user.id] = user
        let outcome: UpsertOutcome = linking ? .linked : (changed ? .updated : .unchanged)
        return UpsertResult(outcome: outcome, user: user)
    }

    public func delete(source: String, recordID: String, occurredAt: Date?) -> DeleteResult {
        guard var user = user(source: source, recordID: recordID) else { return DeleteResult(outcome: .notFound, userID: nil) }
        if let occurredAt, let known = user.links[source]?.modifiedAt, occurredAt < known {
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
            if let occurredAt, var link = user.links[source] {
                link.modifiedAt = max(link.modifiedAt ?? occurredAt, occurredAt)
                user.links[source] = link
            }
            users[user.id] = user
            tokens.revokeAll(userID: user.id)
        }
        return DeleteResult(outcome: .deleted, userID: user.id)
    }

    // MARK: Refresh tokens (`MemoryRefreshTokens`)

    func issueToken(hash: String, familyID: UUID, userID: UUID, expiresAt: Date, signIn: SignIn) {
        tokens.issue(hash: hash, familyID: familyID, userID: userID, expiresAt: expiresAt, signIn: signIn)
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
