import Foundation

/// A store that reports each finished write (`RecentUsers.invalidate`). The
/// report comes after the write returns, so a read that raced the write is
/// voided too. A failed write is reported as well: it may have committed.
public struct WriteObservingStore: IdentityStore {
    public let base: any IdentityStore
    let didWrite: @Sendable () -> Void

    public init(_ base: any IdentityStore, didWrite: @escaping @Sendable () -> Void) {
        self.base = base
        self.didWrite = didWrite
    }

    public func user(canonicalEmail: String) async throws -> StoredUser? { try await base.user(canonicalEmail: canonicalEmail) }
    public func user(id: UUID) async throws -> StoredUser? { try await base.user(id: id) }
    public func user(source: String, recordID: String) async throws -> StoredUser? { try await base.user(source: source, recordID: recordID) }
    public func migrate() async throws { try await base.migrate() }
    public func isReachable() async -> Bool { await base.isReachable() }

    public func upsert(_ record: SourceRecord) async throws -> UpsertResult {
        defer { didWrite() }
        return try await base.upsert(record)
    }

    public func delete(source: String, recordID: String, occurredAt: Date?) async throws -> DeleteResult {
        defer { didWrite() }
        return try await base.delete(source: source, recordID: recordID, occurredAt: occurredAt)
    }

    public func updateFromApp(id: UUID, values: [String: String?]) async throws -> StoredUser? {
        defer { didWrite() }
        return try await base.updateFromApp(id: id, values: values)
    }

    public func replacePasswordHash(id: UUID, verified: String, fresh: String) async throws -> Bool {
        defer { didWrite() }
        return try await base.replacePasswordHash(id: id, verified: verified, fresh: fresh)
    }
}

/// The webhook ledger's writes, reported the same way.
public struct WriteObservingLedger: WebhookLedger {
    public let base: any WebhookLedger
    let didWrite: @Sendable () -> Void

    public init(_ base: any WebhookLedger, didWrite: @escaping @Sendable () -> Void) {
        self.base = base
        self.didWrite = didWrite
    }

    public func apply(_ delivery: WebhookDelivery, effect: WebhookEffect) async throws -> LedgerResult {
        defer { didWrite() }
        return try await base.apply(delivery, effect: effect)
    }

    public func prune(receivedBefore cutoff: Date) async throws -> Int { try await base.prune(receivedBefore: cutoff) }
}
