import Foundation
import PostgresNIO
import Provisioning
import ProvisioningPostgres
import ProvisioningTestKit
import Testing

/// `schema:` of kind `postgres`: provisiond's tables in a schema of their
/// own, beside an app that already has a `users` table in `public`.
@Suite("Postgres store in a schema of its own")
struct PostgresSchemaTests {
    static let schema = PostgresSchema("provisiond")!

    /// An app's own `users` table, of another shape, with one row.
    static func appTable(_ connection: PostgresConnection) async throws {
        _ = try await connection.query("CREATE TABLE public.users (id serial PRIMARY KEY, login text NOT NULL)", logger: TestDatabase.logger)
        _ = try await connection.query("INSERT INTO public.users (login) VALUES ('app-user')", logger: TestDatabase.logger)
    }

    @Test("every store kit case passes in schema provisiond beside an app's public.users", arguments: StoreKitConformance.caseNames)
    func kitConformance(_ name: String) async throws {
        try await StoreKitConformance.run(name) { precedence, softDelete in
            try await TestDatabase.makeKit(precedence: precedence, softDelete: softDelete, schema: Self.schema, beforeMigrating: Self.appTable)
        }
    }

    @Test("the identity store cases pass in schema provisiond", arguments: StoreConformance.caseNames)
    func identityConformance(_ name: String) async throws {
        try await StoreConformance.run(name) { precedence, softDelete in
            try await TestDatabase.makeKit(precedence: precedence, softDelete: softDelete, schema: Self.schema, beforeMigrating: Self.appTable).store
        }
    }

    @Test("the tables are created in the schema; the app's users table keeps its shape and rows")
    func appTableUntouched() async throws {
        let kit = try await TestDatabase.makeKit(
            precedence: PrecedencePolicy(), softDelete: SoftDeletePolicy(), schema: Self.schema, beforeMigrating: Self.appTable)
        let store = try #require(kit.store as? PostgresIdentityStore)
        _ = try await store.upsert(SourceRecord(source: "airtable", recordID: "recSchema0000001", values: ["email": "s@example.com"], modifiedAt: Date()))
        #expect(try await store.user(canonicalEmail: "s@example.com") != nil)
        let client = store.client
        #expect(try await TestDatabase.count(client, "SELECT count(*)::int FROM provisiond.users") == 1)
        #expect(try await TestDatabase.count(client, "SELECT count(*)::int FROM public.users WHERE login = 'app-user'") == 1)
        #expect(try await TestDatabase.count(client, "SELECT count(*)::int FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users'") == 2)
        let tables = try await TestDatabase.count(client, """
            SELECT count(*)::int FROM information_schema.tables WHERE table_schema = 'provisiond'
              AND table_name IN ('users', 'refresh_tokens', 'webhook_events', 'sync_state', 'schema_migrations')
            """)
        #expect(tables == 5)
        #expect(try await TestDatabase.count(client, "SELECT count(*)::int FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'refresh_tokens'") == 0)
    }

    @Test("a sync lease held in one schema leaves the same lease free in another schema of the database")
    func leasePerSchema() async throws {
        let client = try await TestDatabase.makeClient()
        let inPublic = PostgresSyncState(client: client, logger: TestDatabase.logger)
        let samePublic = PostgresSyncState(client: client, logger: TestDatabase.logger)
        let inOther = PostgresSyncState(client: client, logger: TestDatabase.logger, schema: Self.schema)
        let inner = try await inPublic.withLease("sync") { () async throws -> [Bool] in
            [try await inOther.withLease("sync") { true } ?? false, try await samePublic.withLease("sync") { true } ?? false]
        }
        #expect(inner == [true, false])
    }

    @Test("schema names are plain lower-case identifiers", arguments: ["provisiond", "public", "_x1", "a_b_c"])
    func validNames(_ name: String) {
        #expect(PostgresSchema(name)?.name == name)
    }

    @Test("anything else is refused", arguments: ["", "1abc", "Provisiond", "a-b", "a b", "x\"; DROP TABLE users; --", String(repeating: "a", count: 64)])
    func invalidNames(_ name: String) {
        #expect(PostgresSchema(name) == nil)
    }
}
