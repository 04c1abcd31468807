import Foundation
import PostgresNIO
import Provisioning
import ProvisioningPostgres
import ProvisioningTestKit
import Testing

/// Version 3 moves the single-source record ids (`users.airtable_record_id`,
/// its snapshot and time) into `user_links`, on a database made by the
/// previous version: its schema is frozen here as that version created it.
@Suite("Migration from the single-source schema (version 2)")
struct MigrationFromV2Tests {
    static let versionTwo = [
        """
        CREATE TABLE users (
            id uuid PRIMARY KEY, email text NOT NULL, email_canonical text NOT NULL, display_name text, role text,
            password_hash text, attributes jsonb NOT NULL DEFAULT '{}'::jsonb, airtable_record_id text,
            source_snapshot jsonb NOT NULL DEFAULT '{}'::jsonb, source_modified_at timestamptz, store_updated_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz,
            CONSTRAINT users_email_canonical_key UNIQUE (email_canonical),
            CONSTRAINT users_airtable_record_id_key UNIQUE (airtable_record_id))
        """,
        """
        CREATE TABLE webhook_events (
            event_id text PRIMARY KEY, body_sha256 text NOT NULL, outcome text NOT NULL, user_id uuid,
            received_at timestamptz NOT NULL DEFAULT now())
        """,
        "CREATE INDEX webhook_events_received_at_idx ON webhook_events (received_at)",
        """
        CREATE TABLE refresh_tokens (
            token_hash text PRIMARY KEY, family_id uuid NOT NULL, user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            expires_at timestamptz NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), rotated_at timestamptz, revoked_at timestamptz)
        """,
        "CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id)",
        "CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id)",
        """
        CREATE TABLE sync_state (
            source text PRIMARY KEY, cursor_at timestamptz, reconciled_at timestamptz, updated_at timestamptz NOT NULL DEFAULT now())
        """,
        "CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        "INSERT INTO schema_migrations (version) VALUES (1), (2)",
    ]

    static let ada = UUID(), local = UUID()
    /// Whole seconds, a day ago.
    static let imported = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 86_400).rounded(.down))

    /// A database as version 2 left it: a linked user with a snapshot, a
    /// store-only user, a refresh token and a webhook event.
    static func versionTwoDatabase() async throws -> String {
        let url = try await TestDatabase.create()
        let session = try await PostgresConnection.connect(
            configuration: try PostgresProviderFactory.sessionConfiguration(url: url), id: 1, logger: TestDatabase.logger)
        for statement in versionTwo { _ = try await session.query(PostgresQuery(unsafeSQL: statement), logger: TestDatabase.logger) }
        _ = try await session.query("""
            INSERT INTO users (id, email, email_canonical, display_name, role, airtable_record_id, source_snapshot, source_modified_at)
            VALUES (\(ada), 'Ada@Example.com', 'ada@example.com', 'Ada', 'admin', 'recAda0000000001',
                    '{"email": "Ada@Example.com", "display_name": "Ada", "role": "admin"}'::jsonb, \(imported))
            """, logger: TestDatabase.logger)
        _ = try await session.query("""
            INSERT INTO users (id, email, email_canonical, display_name) VALUES (\(local), 'local@example.com', 'local@example.com', 'Local')
            """, logger: TestDatabase.logger)
        _ = try await session.query("""
            INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ('h1', \(UUID()), \(ada), now() + interval '1 day')
            """, logger: TestDatabase.logger)
        _ = try await session.query("INSERT INTO webhook_events (event_id, body_sha256, outcome, user_id) VALUES ('evt_1', 'x', 'inserted', \(ada))",
                                    logger: TestDatabase.logger)
        try await session.close()
        return url
    }

    static func store(url: String, precedence: PrecedencePolicy = PrecedencePolicy()) throws -> PostgresIdentityStore {
        let client = PostgresClient(configuration: try PostgresProviderFactory.configuration(url: url, poolSize: 2), backgroundLogger: TestDatabase.logger)
        Task { await client.run() }
        return PostgresIdentityStore(
            client: client, precedence: precedence, softDelete: SoftDeletePolicy(), attributes: Attribute.core, logger: TestDatabase.logger)
    }

    @Test("record ids, snapshots and times move into links under the first source's name; nothing else changes")
    func movesLinks() async throws {
        let url = try await Self.versionTwoDatabase()
        let applied = try await Migrations.apply(
            session: try PostgresProviderFactory.sessionConfiguration(url: url), legacySource: "people", logger: TestDatabase.logger)
        #expect(applied == [3, 4, 5, 6, 7, 8])
        let store = try Self.store(url: url)
        let ada = try #require(try await store.user(source: "people", recordID: "recAda0000000001"))
        #expect(ada.id == Self.ada)
        #expect(ada.displayName == "Ada" && ada.role == "admin")
        #expect(ada.links.keys.sorted() == ["people"])
        #expect(ada.links["people"]?.modifiedAt == Self.imported)
        #expect(ada.links["people"]?.snapshot["display_name"] == "Ada")
        let local = try #require(try await store.user(id: Self.local))
        #expect(local.links.isEmpty)
        #expect(try await TestDatabase.count(store.client, "SELECT count(*)::int FROM refresh_tokens WHERE user_id = \(Self.ada)") == 1)
        #expect(try await TestDatabase.count(store.client, "SELECT count(*)::int FROM webhook_events") == 1)
        #expect(try await TestDatabase.count(store.client, """
            SELECT count(*)::int FROM information_schema.columns
            WHERE table_name = 'users' AND column_name IN ('airtable_record_id', 'source_snapshot', 'source_modified_at')
            """) == 0)
        // A second run applies nothing.
        #expect(try await Migrations.apply(client: store.client, legacySource: "people", logger: TestDatabase.logger).isEmpty)
    }

    @Test("version 4: a refresh token of an earlier version keeps working, as a password sign-in at its creation time")
    func refreshTokensGainTheirSignIn() async throws {
        let url = try await Self.versionTwoDatabase()
        try await Migrations.apply(session: try PostgresProviderFactory.sessionConfiguration(url: url), logger: TestDatabase.logger)
        let store = try Self.store(url: url)
        var created = Date.distantPast
        for try await time in try await store.client.query("SELECT created_at FROM refresh_tokens WHERE token_hash = 'h1'", logger: TestDatabase.logger)
            .decode(Date.self) { created = time }
        let tokens = PostgresRefreshTokens(client: store.client, logger: TestDatabase.logger)
        let rotation = try await tokens.rotate(presentedHash: "h1", newHash: "h2", expiresAt: Date().addingTimeInterval(600))
        guard case .rotated(let userID, _, let signIn) = rotation else {
            Issue.record("the old token did not rotate: \(rotation)")
            return
        }
        #expect(userID == Self.ada)
        #expect(signIn == SignIn(method: .password, at: created))
        #expect(try await TestDatabase.count(store.client, "SELECT count(*)::int FROM sign_in_codes") == 0)
        #expect(try await TestDatabase.count(store.client, "SELECT count(*)::int FROM user_identities") == 0)
    }

    @Test("after the move the stale guard and the three-way merge use the migrated time and snapshot")
    func guardsKeepWorking() async throws {
        let url = try await Self.versionTwoDatabase()
        try await Migrations.apply(session: try PostgresProviderFactory.sessionConfiguration(url: url), logger: TestDatabase.logger)
        let store = try Self.store(url: url)
        let values = [Attribute.email: "Ada@Example.com", Attribute.displayName: "Ada", Attribute.role: "admin"]
        var older = values
        older[Attribute.displayName] = "Older"
        let stale = try await store.upsert(SourceRecord(
            source: Migrations.defaultLegacySource, recordID: "recAda0000000001", values: older, modifiedAt: Self.imported.addingTimeInterval(-60)))
        #expect(stale.outcome == .staleIgnored)
        // The app renamed her; the source's record, unchanged since its import, does not undo it.
        _ = try await store.updateFromApp(id: Self.ada, values: [Attribute.displayName: "Countess"])
        let same = try await store.upsert(SourceRecord(
            source: Migrations.defaultLegacySource, recordID: "recAda0000000001", values: values, modifiedAt: Self.imported.addingTimeInterval(60)))
        #expect(same.outcome == .unchanged)
        #expect(same.user.displayName == "Countess")
        #expect(same.user.id == Self.ada)
    }
}
