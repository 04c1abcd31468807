import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Kind `postgres`: the system of record. Raw SQL over a `PostgresClient`
/// pool; every write is one conflict-safe statement (or a transaction).
public struct PostgresIdentityStore: IdentityStore {
    public let client: PostgresClient
    /// Where the tables are (`schema:`).
    public let schema: PostgresSchema
    let statements: UpsertStatements
    /// `UserRow.columns` in this schema.
    let userColumns: String
    let merge: MergeSQL
    let softDelete: SoftDeletePolicy
    let logger: Logger
    /// Every call passes it: the deadline and the known-down circuit.
    public let gate: StoreGate
    let emailLookups: EmailLookupBatcher
    /// Where `migrate()` opens a session of its own; nil: a pooled connection.
    let migrationSession: PostgresConnection.Configuration?
    /// Where `migrate()` files record ids of the single-source schema (version 2).
    let legacySource: String

    public init(
        client: PostgresClient, precedence: PrecedencePolicy, softDelete: SoftDeletePolicy, attributes: [String], logger: Logger,
        deadlineSeconds: Double = 5, gate: StoreGate? = nil, migrationSession: PostgresConnection.Configuration? = nil,
        schema: PostgresSchema = .default, legacySource: String = Migrations.defaultLegacySource
    ) {
        self.legacySource = legacySource
        self.schema = schema
        self.migrationSession = migrationSession
        let gate = gate ?? StoreGate(deadlineSeconds: deadlineSeconds)
        self.gate = gate
        self.client = client
        self.merge = MergeSQL(policy: precedence, softDelete: softDelete, attributes: attributes)
        self.statements = UpsertStatements(merge: merge, schema: schema)
        let userColumns = UserRow.columns(schema)
        self.userColumns = userColumns
        self.softDelete = softDelete
        self.logger = logger
        // Each batch query has the deadline of its own: a query that never
        // ends (its connection died with the server) frees its batcher slot.
        self.emailLookups = EmailLookupBatcher { [client, logger, gate, schema, userColumns] emails in
            try await gate.run { try await client.withConnection { connection in
                let rows = try await connection.query(
                    "SELECT \(unescaped: userColumns) FROM \(unescaped: schema.users) u WHERE u.email_canonical = ANY(\(emails))", logger: logger)
                var users: [StoredUser] = []
                for try await row in rows { users.append(try UserRow.decode(row)) }
                return users
            } }
        }
    }

    /// Batched with concurrent lookups (`EmailLookupBatcher`).
    public func user(canonicalEmail: String) async throws -> StoredUser? {
        do {
            // The deadline here bounds the wait for a batcher slot as well.
            let lookups = emailLookups
            return try await StoreDeadline.run(seconds: gate.deadlineSeconds) { try await lookups.user(canonicalEmail: canonicalEmail) }
        } catch {
            throw Self.storeError(error)
        }
    }

    public func user(id: UUID) async throws -> StoredUser? {
        try await fetchOne("SELECT \(unescaped: userColumns) FROM \(unescaped: schema.users) u WHERE u.id = \(id)")
    }

    public func user(source: String, recordID: String) async throws -> StoredUser? {
        try await withConnection { connection in try await user(source: source, recordID: recordID, on: connection) }
    }

    func user(source: String, recordID: String, on connection: PostgresConnection) async throws -> StoredUser? {
        try await fetchOne("""
            SELECT \(unescaped: userColumns) FROM \(unescaped: schema.users) u
            JOIN \(unescaped: schema.userLinks) k ON k.user_id = u.id WHERE k.source = \(source) AND k.record_id = \(recordID)
            """, on: connection)
    }

    func user(canonicalEmail: String, on connection: PostgresConnection) async throws -> StoredUser? {
        try await fetchOne("SELECT \(unescaped: userColumns) FROM \(unescaped: schema.users) u WHERE u.email_canonical = \(canonicalEmail)", on: connection)
    }

    public func upsert(_ record: SourceRecord) async throws -> UpsertResult {
        let write: PreparedUpsert
        do { write = try PreparedUpsert(record) } catch { throw Self.storeError(error) }
        return try await withConnection { connection in
            try await upsert(write, on: connection, uniqueViolations: .retry)
        }
    }

    /// The upsert on a given connection, maybe inside the caller's
    /// transaction (an embedding app committing its own rows with it).
    public func upsert(
        _ record: SourceRecord, on connection: PostgresConnection, uniqueViolations: UniqueViolationHandling
    ) async throws -> UpsertResult {
        let write: PreparedUpsert
        do { write = try PreparedUpsert(record) } catch { throw Self.storeError(error) }
        return try await upsert(write, on: connection, uniqueViolations: uniqueViolations)
    }

    /// The same with the record already prepared (the webhook's transaction
    /// after its one-statement attempt).
    func upsert(
        _ write: PreparedUpsert, on connection: PostgresConnection, uniqueViolations: UniqueViolationHandling
    ) async throws -> UpsertResult {
        let writer = UpsertWriter(store: self, connection: connection, uniqueViolations: uniqueViolations)
        do {
            return try await writer.upsert(write)
        } catch let error as UniqueViolationAbortedTransaction {
            throw error
        } catch {
            throw Self.storeError(error)
        }
    }

    public func delete(source: String, recordID: String, occurredAt: Date?) async throws -> DeleteResult {
        try await withConnection { connection in
            try await delete(source: source, recordID: recordID, occurredAt: occurredAt, on: connection)
        }
    }

    /// Apply the delete policy on a given connection (inside the caller's
    /// transaction when there is one); soft deletes revoke the user's
    /// refresh tokens in the same statement (hard deletes cascade). A delete
    /// older than the link's source time changes nothing: `staleIgnored`.
    func delete(source: String, recordID: String, occurredAt: Date?, on connection: PostgresConnection) async throws -> DeleteResult {
        let target = """
            WITH target AS (
                SELECT user_id AS id, COALESCE(modified_at > $2::timestamptz, false) AS stale
                FROM \(schema.userLinks) WHERE source = $3::text AND record_id = $1::text FOR UPDATE)
            """
        let effect: String
        switch softDelete.onDeleteEvent {
        case .ignore:
            effect = ""
        case .hard:
            effect = ", deleted AS (DELETE FROM \(schema.users) WHERE id IN (SELECT id FROM target WHERE NOT stale))"
        case .soft:
            effect = """
                , deleted AS (
                    UPDATE \(schema.users) SET deleted_at = COALESCE(deleted_at, now()),
                        updated_at = CASE WHEN deleted_at IS NULL THEN now() ELSE updated_at END
                    WHERE id IN (SELECT id FROM target WHERE NOT stale) RETURNING id),
                moved AS (
                    -- a later delivery made before the delete is then stale (no restore)
                    UPDATE \(schema.userLinks) SET modified_at = GREATEST(modified_at, $2::timestamptz)
                    WHERE source = $3::text AND record_id = $1::text AND user_id IN (SELECT id FROM deleted)),
                revoked AS (
                    UPDATE \(schema.refreshTokens) SET revoked_at = now()
                    WHERE user_id IN (SELECT id FROM deleted) AND revoked_at IS NULL)
                """
        }
        var bindings = PostgresBindings()
        bindings.append(recordID)
        bindings.append(occurredAt)
        bindings.append(source)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: target + effect + " SELECT id, stale FROM target", binds: bindings), logger: logger)
        var found: (id: UUID, stale: Bool)?
        for try await (id, stale) in rows.decode((UUID, Bool).self) { found = (id, stale) }
        guard let found else { return DeleteResult(outcome: .notFound, userID: nil) }
        if found.stale { return DeleteResult(outcome: .staleIgnored, userID: found.id) }
        return DeleteResult(outcome: softDelete.onDeleteEvent == .ignore ? .unchanged : .deleted, userID: found.id)
    }

    public func updateFromApp(id: UUID, values: [String: String?]) async throws -> StoredUser? {
        var bindings = PostgresBindings()
        var sets = ["store_updated_at = now()", "updated_at = now()"]
        var extras: [String: String?] = [:]
        for (attribute, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let column = MergeSQL.columns[attribute] else {
                guard merge.extraAttributes.contains(attribute) else { throw StoreError.invalidEmail("unknown attribute '\(attribute)'") }
                extras[attribute] = value
                continue
            }
            if attribute == Attribute.email {
                guard let email = value else { throw StoreError.missingEmail }
                let canonical = try EmailAddress.storeKey(email)
                bindings.append(canonical)
                sets.append("email_canonical = $\(bindings.count)")
            }
            bindings.append(value)
            sets.append("\(column) = $\(bindings.count)")
        }
        if !extras.isEmpty {
            bindings.append(UserRow.jsonText(extras.compactMapValues { $0 }))
            let removed = extras.keys.map { "'\($0)'" }.joined(separator: ", ")
            sets.append("attributes = (attributes - ARRAY[\(removed)]::text[]) || $\(bindings.count)::jsonb")
        }
        bindings.append(id)
        let sql = "UPDATE \(schema.users) AS u SET \(sets.joined(separator: ", ")) WHERE u.id = $\(bindings.count) RETURNING \(userColumns)"
        do {
            let store = self, query = PostgresQuery(unsafeSQL: sql, binds: bindings)
            return try await gate.run { try await store.client.withConnection { connection in
                try await store.fetchOne(query, on: connection)
            } }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw StoreError.emailTaken
        } catch {
            throw Self.storeError(error)
        }
    }

    public func replacePasswordHash(id: UUID, verified: String, fresh: String) async throws -> Bool {
        let query: PostgresQuery = "UPDATE \(unescaped: schema.users) SET password_hash = \(fresh), updated_at = now() WHERE id = \(id) AND password_hash = \(verified) RETURNING id"
        do {
            let store = self
            return try await gate.run { try await store.client.withConnection { connection in
                try await connection.query(query, logger: store.logger).collect().count == 1
            } }
        } catch {
            throw Self.storeError(error)
        }
    }

    // MARK: - Helpers

    func fetchOne(_ query: PostgresQuery) async throws -> StoredUser? {
        try await withConnection { connection in
            try await fetchOne(query, on: connection)
        }
    }

    func fetchOne(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> StoredUser? {
        let rows = try await connection.query(query, logger: logger)
        var user: StoredUser?
        for try await row in rows { user = try UserRow.decode(row) }
        return user
    }

    /// Lease a connection; any driver failure, or no answer within the
    /// deadline, becomes `StoreError.unavailable`.
    func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            let client = self.client
            return try await gate.run { try await client.withConnection(body) }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Any error of a store call as a `StoreError` (one already is passes through).
    static func storeError(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError, let inner = error.beginError ?? error.closureError ?? error.commitError {
            return storeError(inner)
        }
        if StoreGate.isConnectionFailure(error) {
            let why = switch error {
            case let error as StoreDeadline.Expired: error.description
            case let error as StoreGate.KnownDown: error.description
            case let error as PSQLError: "PSQLError \(error.code)"
            default: String(describing: type(of: error))
            }
            return .unavailable(StoreGate.unreachablePrefix + why)
        }
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] {
            // Class 22 is "data exception": the input, not the store, is at fault.
            if state.hasPrefix("22") { return .invalidData(error.serverInfo?[.message] ?? "sqlstate \(state)") }
            return .unavailable("sqlstate \(state): \(error.serverInfo?[.message] ?? "")")
        }
        return .unavailable(String(describing: type(of: error)))
    }
}

extension PostgresIdentityStore {
    public func migrate() async throws {
        if let migrationSession {
            try await Migrations.apply(session: migrationSession, schema: schema, legacySource: legacySource, logger: logger)
        } else {
            try await Migrations.apply(client: client, schema: schema, legacySource: legacySource, logger: logger)
        }
    }

    public func isReachable() async -> Bool {
        (try? await withConnection { connection in
            try await connection.query("SELECT 1", logger: logger).collect().count == 1
        }) ?? false
    }
}
