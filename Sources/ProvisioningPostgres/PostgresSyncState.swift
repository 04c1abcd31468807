import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Sync cursors in `sync_state` (migration 2) and the sync lease.
///
/// The lease is a session-level `pg_try_advisory_lock`, held on one
/// connection for the whole run: PostgreSQL releases it by itself when that
/// session ends, so a killed instance never leaves a lease to expire, and
/// there is no clock or heartbeat to tune. The connection comes from
/// `leaseClient`, a pool of its own, so that a run holding it never starves
/// the store's pool (a `pool_size: 1` store would otherwise deadlock).
/// Should the session drop mid-run, another instance may start while this
/// one finishes: harmless, since every write is an idempotent upsert.
public struct PostgresSyncState: SyncStateStore {
    let client: PostgresClient
    let leaseClient: PostgresClient
    let logger: Logger
    let schema: PostgresSchema

    /// `leaseClient` defaults to `client` (tests; a pool of two or more).
    public init(client: PostgresClient, leaseClient: PostgresClient? = nil, logger: Logger, schema: PostgresSchema = .default) {
        self.schema = schema
        self.client = client
        self.leaseClient = leaseClient ?? client
        self.logger = logger
    }

    public func checkpoint(source: String) async throws -> SyncCheckpoint {
        try await mapped {
            let rows = try await client.query(
                "SELECT cursor_at, reconciled_at FROM \(unescaped: schema.syncState) WHERE source = \(source)", logger: logger)
            var checkpoint = SyncCheckpoint()
            for try await (cursor, reconciled) in rows.decode((Date?, Date?).self) {
                checkpoint = SyncCheckpoint(cursor: cursor, reconciledAt: reconciled)
            }
            return checkpoint
        }
    }

    public func saveCursor(_ cursor: Date, source: String) async throws {
        try await mapped {
            _ = try await client.query("""
                INSERT INTO \(unescaped: schema.syncState) (source, cursor_at) VALUES (\(source), \(cursor))
                ON CONFLICT (source) DO UPDATE SET cursor_at = EXCLUDED.cursor_at, updated_at = now()
                """, logger: logger)
        }
    }

    public func markReconciled(at time: Date, source: String) async throws {
        try await mapped {
            _ = try await client.query("""
                INSERT INTO \(unescaped: schema.syncState) (source, reconciled_at) VALUES (\(source), \(time))
                ON CONFLICT (source) DO UPDATE SET reconciled_at = EXCLUDED.reconciled_at, updated_at = now()
                """, logger: logger)
        }
    }

    public func linkedUsers(source: String) async throws -> [LinkedUser] {
        try await mapped {
            let rows = try await client.query("""
                SELECT u.id, k.record_id FROM \(unescaped: schema.users) u JOIN \(unescaped: schema.userLinks) k ON k.user_id = u.id
                WHERE k.source = \(source) AND u.deleted_at IS NULL
                """, logger: logger)
            var users: [LinkedUser] = []
            for try await (id, recordID) in rows.decode((UUID, String).self) { users.append(LinkedUser(id: id, recordID: recordID)) }
            return users
        }
    }

    func mapped<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }
}
