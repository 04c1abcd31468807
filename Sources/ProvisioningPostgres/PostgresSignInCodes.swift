import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Sign-in codes in `sign_in_codes` and external identities in
/// `user_identities`. Every rule of `SignInCodeStore` is one statement or
/// one transaction; times are the server's `now()`.
public struct PostgresSignInCodes: SignInCodeStore, ExternalIdentityStore {
    let client: PostgresClient
    let logger: Logger
    let gate: StoreGate
    let schema: PostgresSchema

    public init(client: PostgresClient, logger: Logger, gate: StoreGate = StoreGate(deadlineSeconds: 5), schema: PostgresSchema = .default) {
        self.client = client
        self.logger = logger
        self.gate = gate
        self.schema = schema
    }

    public func issue(_ code: NewSignInCode, maxPerWindow: Int, windowSeconds: Int) async throws -> Bool {
        let codes = schema.signInCodes
        let keepSeconds = max(windowSeconds, code.ttlSeconds)
        return try await guarded {
            try await client.withTransaction(logger: logger) { connection in
                // One email's codes are filed one at a time (the budget count and
                // newest-wins need it); other emails are not held up.
                _ = try await connection.query(
                    "SELECT pg_advisory_xact_lock(hashtextextended('provisiond.sign_in_code:' || \(code.email), 0))", logger: logger)
                // Prune, count, void older codes and file the new one in one
                // statement, whose snapshot is taken after the lock.
                let filed = try await connection.query("""
                    WITH pruned AS (
                        DELETE FROM \(unescaped: codes)
                        WHERE email_canonical = \(code.email) AND created_at < now() - make_interval(secs => \(keepSeconds))
                    ), recent AS (
                        SELECT count(*) AS n FROM \(unescaped: codes)
                        WHERE email_canonical = \(code.email) AND created_at > now() - make_interval(secs => \(windowSeconds))
                    ), voided AS (
                        UPDATE \(unescaped: codes) SET spent_at = now()
                        WHERE email_canonical = \(code.email) AND spent_at IS NULL AND (SELECT n FROM recent) < \(maxPerWindow)
                    ), inserted AS (
                        INSERT INTO \(unescaped: codes) (email_canonical, user_id, code_hash, token_hash, max_attempts, expires_at)
                        SELECT \(code.email), \(code.userID), \(code.codeHash), \(code.tokenHash), \(code.maxAttempts),
                               now() + make_interval(secs => \(code.ttlSeconds))
                        WHERE (SELECT n FROM recent) < \(maxPerWindow)
                        RETURNING id
                    )
                    SELECT count(*)::int FROM inserted
                    """, logger: logger)
                for try await count in filed.decode(Int.self) { return count == 1 }
                return false
            }
        }
    }

    public func redeem(email: String, codeHash: String) async throws -> UUID? {
        let codes = schema.signInCodes
        return try await guarded {
            // The live code is locked; exactly one of the two updates applies to it.
            let rows = try await client.query("""
                WITH live AS (
                    SELECT id FROM \(unescaped: codes)
                    WHERE email_canonical = \(email) AND spent_at IS NULL AND expires_at > now()
                    ORDER BY id DESC LIMIT 1 FOR UPDATE
                ), hit AS (
                    UPDATE \(unescaped: codes) c SET spent_at = now() FROM live
                    WHERE c.id = live.id AND c.code_hash = \(codeHash) RETURNING c.user_id
                ), miss AS (
                    UPDATE \(unescaped: codes) c SET attempts = c.attempts + 1,
                        spent_at = CASE WHEN c.attempts + 1 >= c.max_attempts THEN now() END
                    FROM live WHERE c.id = live.id AND c.code_hash <> \(codeHash) RETURNING c.id
                )
                SELECT user_id FROM hit
                """, logger: logger)
            for try await userID in rows.decode(UUID.self) { return userID }
            return nil
        }
    }

    public func redeem(tokenHash: String) async throws -> UUID? {
        try await guarded {
            let rows = try await client.query("""
                UPDATE \(unescaped: schema.signInCodes) SET spent_at = now()
                WHERE token_hash = \(tokenHash) AND spent_at IS NULL AND expires_at > now()
                RETURNING user_id
                """, logger: logger)
            for try await userID in rows.decode(UUID.self) { return userID }
            return nil
        }
    }

    public func userID(issuer: String, subject: String) async throws -> UUID? {
        try await guarded {
            let rows = try await client.query("""
                SELECT user_id FROM \(unescaped: schema.userIdentities) WHERE issuer = \(issuer) AND subject = \(subject)
                """, logger: logger)
            for try await userID in rows.decode(UUID.self) { return userID }
            return nil
        }
    }

    public func remember(issuer: String, subject: String, userID: UUID) async throws {
        try await guarded {
            _ = try await client.query("""
                INSERT INTO \(unescaped: schema.userIdentities) (issuer, subject, user_id) VALUES (\(issuer), \(subject), \(userID))
                ON CONFLICT (issuer, subject) DO UPDATE SET user_id = EXCLUDED.user_id, last_seen_at = now()
                """, logger: logger)
        }
    }

    private func guarded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await gate.run(body)
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }
}
