import Foundation

/// A store that reports each finished write with what it changed: this
/// process voids its `me` cache (`RecentUsers.invalidate`), and the change
/// goes to the other instances (`ChangeFeed`). The report comes after the
/// write returns, so a read that raced the write is voided too. A failed
/// write is reported as well: it may have committed.
public struct WriteObservingStore: IdentityStore {
    public let base: any IdentityStore
    let didWrite: @Sendable (UserChange) async -> Void

    public init(_ base: any IdentityStore, didWrite: @escaping @Sendable (UserChange) async -> Void) {
        self.base = base
        self.didWrite = didWrite
    }

    public func user(canonicalEmail: String) async throws -> StoredUser? { try await base.user(canonicalEmail: canonicalEmail) }
    public func user(id: UUID) async throws -> StoredUser? { try await base.user(id: id) }
    public func user(source: String, recordID: String) async throws -> StoredUser? { try await base.user(source: source, recordID: recordID) }
    public func migrate() async throws { try await base.migrate() }
    public func isReachable() async -> Bool { await base.isReachable() }

    public func upsert(_ record: SourceRecord) async throws -> UpsertResult {
        try await reporting(WebhookEffect.upsert(record).change, didWrite, { try await base.upsert(record) }) { result, change in
            change.userID = result.user.id
            return result.outcome.changedTheStore
        }
    }

    public func delete(source: String, recordID: String, occurredAt: Date?) async throws -> DeleteResult {
        try await reporting(UserChange(links: [source: recordID]), didWrite, {
            try await base.delete(source: source, recordID: recordID, occurredAt: occurredAt)
        }) { result, change in
            change.userID = result.userID
            return true
        }
    }

    public func updateFromApp(id: UUID, values: [String: String?]) async throws -> StoredUser? {
        try await reporting(UserChange(userID: id), didWrite, { try await base.updateFromApp(id: id, values: values) }) { user, change in
            change.canonicalEmail = user?.emailCanonical
            return true
        }
    }

    public func replacePasswordHash(id: UUID, verified: String, fresh: String) async throws -> Bool {
        try await reporting(UserChange(userID: id), didWrite, { try await base.replacePasswordHash(id: id, verified: verified, fresh: fresh) })
    }
}

/// Run `write`, then report `change`, completed from the result by
/// `complete` (false: the write changed nothing, nothing to report); also
/// when the write failed: it may have committed.
private func reporting<T>(
    _ change: UserChange, _ didWrite: @Sendable (UserChange) async -> Void, _ write: () async throws -> T,
    _ complete: (T, inout UserChange) -> Bool = { _, _ in true }
) async throws -> T {
    var change = change
    do {
        let result = try await write()
        if complete(result, &change) { await didWrite(change) }
        return result
    } catch {
        await didWrite(change)
        throw error
    }
}

/// The webhook ledger's writes, reported the same way (the effect names the user).
public struct WriteObservingLedger: WebhookLedger {
    public let base: any WebhookLedger
    let didWrite: @Sendable (UserChange) async -> Void

    public init(_ base: any WebhookLedger, didWrite: @escaping @Sendable (UserChange) async -> Void) {
        self.base = base
        self.didWrite = didWrite
    }

    public func apply(_ delivery: WebhookDelivery, effect: WebhookEffect) async throws -> LedgerResult {
        try await reporting(effect.change, didWrite, { try await base.apply(delivery, effect: effect) }) { result, change in
            // A replay or a conflict wrote nothing; nor did an unchanged or stale upsert.
            guard case .processed(let outcome) = result else { return false }
            change.userID = outcome.userID
            return UpsertOutcome(rawValue: outcome.outcome)?.changedTheStore ?? true
        }
    }

    public func prune(receivedBefore cutoff: Date) async throws -> Int { try await base.prune(receivedBefore: cutoff) }
}

/// Refresh-token revocations, reported the same way (CONTRACT §8: other
/// instances drop the user's verified tokens).
public struct WriteObservingRefreshTokens: RefreshTokenRepository {
    public let base: any RefreshTokenRepository
    let didWrite: @Sendable (UserChange) async -> Void

    public init(_ base: any RefreshTokenRepository, didWrite: @escaping @Sendable (UserChange) async -> Void) {
        self.base = base
        self.didWrite = didWrite
    }

    public func issue(tokenHash: String, familyID: UUID, userID: UUID, expiresAt: Date, signIn: SignIn) async throws {
        try await base.issue(tokenHash: tokenHash, familyID: familyID, userID: userID, expiresAt: expiresAt, signIn: signIn)
    }

    public func rotate(presentedHash: String, newHash: String, expiresAt: Date) async throws -> RefreshRotation {
        try await base.rotate(presentedHash: presentedHash, newHash: newHash, expiresAt: expiresAt)
    }

    public func revokeAll(userID: UUID) async throws {
        try await reporting(UserChange(userID: userID), didWrite, { try await base.revokeAll(userID: userID) })
    }
}

extension UpsertOutcome {
    /// Whether the upsert wrote anything another instance may have cached otherwise.
    var changedTheStore: Bool { self != .unchanged && self != .staleIgnored }
}

extension WebhookEffect {
    /// What the effect may change, before its user is known.
    var change: UserChange {
        switch self {
        case .upsert(let record):
            var change = UserChange(canonicalEmail: record.email.flatMap(EmailAddress.canonical))
            if let recordID = record.recordID, !record.source.isEmpty { change.links[record.source] = recordID }
            return change
        case .delete(let source, let recordID, _):
            return UserChange(links: [source: recordID])
        }
    }
}
