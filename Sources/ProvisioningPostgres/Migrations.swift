import Logging
import PostgresNIO

/// Versioned schema changes, applied in order under an advisory lock so two
/// instances starting at once do not race.
public enum Migrations {
    /// Arbitrary but fixed: the advisory lock key of provisiond migrations.
    static let lockKey: Int64 = 0x70_72_6F_76_69_73_69_6F

    /// `legacySource`: the provider name that record ids of version 2 (the
    /// `airtable_record_id` column) belonged to: the first source of
    /// `resolution.order`. Version 3 moves them into `user_links` under it.
    static func steps(_ schema: PostgresSchema, legacySource: String) -> [(version: Int, sql: [String])] { [
        (1, [
            """
            CREATE TABLE \(schema.users) (
                id uuid PRIMARY KEY,
                email text NOT NULL,
                email_canonical text NOT NULL,
                display_name text,
                role text,
                password_hash text,
                attributes jsonb NOT NULL DEFAULT '{}'::jsonb,
                airtable_record_id text,
                source_snapshot jsonb NOT NULL DEFAULT '{}'::jsonb,
                source_modified_at timestamptz,
                store_updated_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                deleted_at timestamptz,
                CONSTRAINT users_email_canonical_key UNIQUE (email_canonical),
                CONSTRAINT users_airtable_record_id_key UNIQUE (airtable_record_id)
            )
            """,
            """
            CREATE TABLE \(schema.webhookEvents) (
                event_id text PRIMARY KEY,
                body_sha256 text NOT NULL,
                outcome text NOT NULL,
                user_id uuid,
                received_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX webhook_events_received_at_idx ON \(schema.webhookEvents) (received_at)",
            """
            CREATE TABLE \(schema.refreshTokens) (
                token_hash text PRIMARY KEY,
                family_id uuid NOT NULL,
                user_id uuid NOT NULL REFERENCES \(schema.users) (id) ON DELETE CASCADE,
                expires_at timestamptz NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                rotated_at timestamptz,
                revoked_at timestamptz
            )
            """,
            "CREATE INDEX refresh_tokens_family_idx ON \(schema.refreshTokens) (family_id)",
            "CREATE INDEX refresh_tokens_user_idx ON \(schema.refreshTokens) (user_id)",
        ]),
        (2, [
            """
            CREATE TABLE \(schema.syncState) (
                source text PRIMARY KEY,
                cursor_at timestamptz,
                reconciled_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]),
        (3, [
            """
            CREATE TABLE \(schema.userLinks) (
                source text NOT NULL,
                record_id text NOT NULL,
                user_id uuid NOT NULL REFERENCES \(schema.users) (id) ON DELETE CASCADE,
                snapshot jsonb NOT NULL DEFAULT '{}'::jsonb,
                modified_at timestamptz,
                PRIMARY KEY (source, record_id),
                CONSTRAINT user_links_user_source_key UNIQUE (user_id, source)
            )
            """,
            """
            INSERT INTO \(schema.userLinks) (source, record_id, user_id, snapshot, modified_at)
            SELECT '\(legacySource.replacingOccurrences(of: "'", with: "''"))', airtable_record_id, id, source_snapshot, source_modified_at
            FROM \(schema.users) WHERE airtable_record_id IS NOT NULL
            """,
            "ALTER TABLE \(schema.users) DROP COLUMN airtable_record_id, DROP COLUMN source_snapshot, DROP COLUMN source_modified_at",
        ]),
        (4, [
            // The sign-in a refresh-token family came from (`amr`, `auth_time`);
            // tokens issued before credential kinds were password logins.
            "ALTER TABLE \(schema.refreshTokens) ADD COLUMN amr text NOT NULL DEFAULT 'pwd', ADD COLUMN auth_time timestamptz",
            "UPDATE \(schema.refreshTokens) SET auth_time = created_at",
            "ALTER TABLE \(schema.refreshTokens) ALTER COLUMN auth_time SET NOT NULL, ALTER COLUMN auth_time SET DEFAULT now()",
            """
            CREATE TABLE \(schema.signInCodes) (
                id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                email_canonical text NOT NULL,
                user_id uuid NOT NULL REFERENCES \(schema.users) (id) ON DELETE CASCADE,
                code_hash text NOT NULL,
                token_hash text UNIQUE,
                attempts integer NOT NULL DEFAULT 0,
                max_attempts integer NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                expires_at timestamptz NOT NULL,
                spent_at timestamptz
            )
            """,
            "CREATE INDEX sign_in_codes_email_idx ON \(schema.signInCodes) (email_canonical, id)",
            """
            CREATE TABLE \(schema.signInCodeBudget) (
                email_canonical text PRIMARY KEY,
                window_started_at timestamptz NOT NULL,
                issued integer NOT NULL
            )
            """,
            """
            CREATE TABLE \(schema.userIdentities) (
                issuer text NOT NULL,
                subject text NOT NULL,
                user_id uuid NOT NULL REFERENCES \(schema.users) (id) ON DELETE CASCADE,
                created_at timestamptz NOT NULL DEFAULT now(),
                last_seen_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (issuer, subject)
            )
            """,
            "CREATE INDEX user_identities_user_idx ON \(schema.userIdentities) (user_id)",
        ]),
        (5, [
            // One request window per remote service (an Airtable base), shared
            // by every instance: slot i is free from `free_at[i]`; `holder[i]`
            // names the request in it (CONTRACT §8).
            """
            CREATE TABLE \(schema.sourceBudgets) (
                key text PRIMARY KEY,
                free_at timestamptz[] NOT NULL,
                holder bigint[] NOT NULL,
                paused_until timestamptz NOT NULL DEFAULT 'epoch'
            )
            """,
        ]),
        (6, [
            // A source's push subscription (an Airtable webhook): its id, MAC
            // secret and payload cursor, shared by every instance (CONTRACT §9).
            """
            CREATE TABLE \(schema.sourceSubscriptions) (
                source text PRIMARY KEY,
                subscription_id text NOT NULL,
                secret text NOT NULL,
                cursor bigint NOT NULL DEFAULT 1,
                expires_at timestamptz,
                last_notified_at timestamptz,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]),
        (7, [
            // Accepted notifications, counted: a payload reader that sees the
            // count grow while it read reads again (no clocks compared).
            "ALTER TABLE \(schema.sourceSubscriptions) ADD COLUMN notifications bigint NOT NULL DEFAULT 0",
        ]),
        (8, [
            // Each sync and reconciliation pass, for `provisiond sync --report`.
            """
            CREATE TABLE \(schema.syncRuns) (
                id bigserial PRIMARY KEY,
                kind text NOT NULL,
                sources text NOT NULL,
                started_at timestamptz NOT NULL,
                finished_at timestamptz NOT NULL,
                outcome text NOT NULL,
                counts jsonb NOT NULL DEFAULT '{}',
                deleted_user_ids text[] NOT NULL DEFAULT '{}',
                refused_user_ids text[] NOT NULL DEFAULT '{}',
                error text
            )
            """,
        ]),
    ] }

    /// The provider name version 3 files old record ids under when none is given.
    public static let defaultLegacySource = "airtable"


    /// Apply every step not applied yet; returns the versions applied now.
    @discardableResult
    public static func apply(
        client: PostgresClient, schema: PostgresSchema = .default, legacySource: String = defaultLegacySource, logger: Logger
    ) async throws -> [Int] {
        try await client.withConnection { connection in
            try await apply(connection: connection, schema: schema, legacySource: legacySource, logger: logger)
        }
    }

    /// The same on a session of its own, opened and closed here: `serve`
    /// migrates before its pool runs.
    @discardableResult
    public static func apply(
        session configuration: PostgresConnection.Configuration, schema: PostgresSchema = .default,
        legacySource: String = defaultLegacySource, logger: Logger
    ) async throws -> [Int] {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
        do {
            let applied = try await apply(connection: connection, schema: schema, legacySource: legacySource, logger: logger)
            try await connection.close()
            return applied
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @discardableResult
    public static func apply(
        connection: PostgresConnection, schema: PostgresSchema = .default, legacySource: String = defaultLegacySource, logger: Logger
    ) async throws -> [Int] {
        _ = try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
        do {
            let applied = try await apply(on: connection, schema: schema, legacySource: legacySource, logger: logger)
            _ = try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
            throw error
        }
    }

    private static func apply(on connection: PostgresConnection, schema: PostgresSchema, legacySource: String, logger: Logger) async throws -> [Int] {
        // Created only when missing: CREATE SCHEMA needs a privilege an
        // existing deployment's role may lack (and `public` always exists).
        let exists = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema.name)", logger: logger).collect()
        if exists.isEmpty {
            _ = try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema.quoted)"), logger: logger)
        }
        _ = try await connection.query(PostgresQuery(unsafeSQL: """
            CREATE TABLE IF NOT EXISTS \(schema.schemaMigrations) (
                version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
            """), logger: logger)
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM \(unescaped: schema.schemaMigrations)", logger: logger).decode(Int.self) {
            done.insert(version)
        }
        var appliedNow: [Int] = []
        for step in steps(schema, legacySource: legacySource) where !done.contains(step.version) {
            _ = try await connection.query("BEGIN", logger: logger)
            do {
                for statement in step.sql {
                    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                _ = try await connection.query("INSERT INTO \(unescaped: schema.schemaMigrations) (version) VALUES (\(step.version))", logger: logger)
                _ = try await connection.query("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
            logger.info("migration.applied", metadata: ["event": "migration.applied", "version": "\(step.version)"])
            appliedNow.append(step.version)
        }
        return appliedNow
    }
}
