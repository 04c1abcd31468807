import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Sign-in codes in `sign_in_codes` (budget in `sign_in_code_budget`) and
/// external identities in `user_identities`. Every rule of `SignInCodeStore`
/// is one conflict-safe statement, none holds a lock across statements;
/// times are the server's `now()`.
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
        return try await gate.guarded {
            // The budget: one row per email, counted in a fixed window by one
            // conflict-safe statement (its row lock is held for that statement only).
            let counted = try await client.query("""
                INSERT INTO \(unescaped: schema.signInCodeBudget) AS b (email_canonical, window_started_at, issued)
                VALUES (\(code.email), now(), 1)
                ON CONFLICT (email_canonical) DO UPDATE SET
                    window_started_at = CASE WHEN b.window_started_at <= now() - make_interval(secs => \(windowSeconds))
                                             THEN now() ELSE b.window_started_at END,
                    issued = CASE WHEN b.window_started_at <= now() - make_interval(secs => \(windowSeconds))
                                  THEN 1 ELSE b.issued + 1 END
                RETURNING issued
                """, logger: logger)
            var issued = Int.max
            for try await count in counted.decode(Int.self) { issued = count }
            guard issued <= maxPerWindow else { return false }
            // File the code; older ones of the email are void (newest wins: a
            // code counts only while no newer one exists, see redeem), and
            // rows past both the window and the TTL are pruned.
            _ = try await client.query("""
                WITH inserted AS (
                    INSERT INTO \(unescaped: codes) (email_canonical, user_id, code_hash, token_hash, max_attempts, expires_at)
                    VALUES (\(code.email), \(code.userID), \(code.codeHash), \(code.tokenHash), \(code.maxAttempts),
                            now() + make_interval(secs => \(code.ttlSeconds)))
                    RETURNING id
                ), voided AS (
                    UPDATE \(unescaped: codes) SET spent_at = now()
                    WHERE email_canonical = \(code.email) AND spent_at IS NULL AND id < (SELECT id FROM inserted)
                ), pruned AS (
                    DELETE FROM \(unescaped: codes)
                    WHERE email_canonical = \(code.email) AND created_at < now() - make_interval(secs => \(keepSeconds))
                )
                SELECT id FROM inserted
                """, logger: logger)
            return true
        }
    }

    public func redeem(email: String, codeHash: String) async throws -> UUID? {
        let codes = schema.signInCodes
        return try await gate.guarded {
            // Only the email's newest code counts, and only while live; it is
            // locked, and exactly one of the two updates applies to it.
            let rows = try await client.query("""
                WITH newest AS (
                    SELECT id FROM \(unescaped: codes) WHERE email_canonical = \(email) ORDER BY id DESC LIMIT 1 FOR UPDATE
                ), live AS (
                    SELECT c.id FROM \(unescaped: codes) c JOIN newest ON c.id = newest.id
                    WHERE c.spent_at IS NULL AND c.expires_at > now()
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
        try await gate.guarded {
            let rows = try await client.query("""
                UPDATE \(unescaped: schema.signInCodes) c SET spent_at = now()
                WHERE c.token_hash = \(tokenHash) AND c.spent_at IS NULL AND c.expires_at > now()
                  AND NOT EXISTS (SELECT 1 FROM \(unescaped: schema.signInCodes) n
                                  WHERE n.email_canonical = c.email_canonical AND n.id > c.id)
                RETURNING c.user_id
                """, logger: logger)
            for try await userID in rows.decode(UUID.self) { return userID }
            return nil
        }
    }

    public func userID(issuer: String, subject: String) async throws -> UUID? {
        try await gate.guarded {
            let rows = try await client.query("""
                SELECT user_id FROM \(unescaped: schema.userIdentities) WHERE issuer = \(issuer) AND subject = \(subject)
                """, logger: logger)
            for try await userID in rows.decode(UUID.self) { return userID }
            return nil
        }
    }

    public func remember(issuer: String, subject: String, userID: UUID) async throws {
        try await gate.guarded {
            _ = try await client.query("""
                INSERT INTO \(unescaped: schema.userIdentities) (issuer, subject, user_id) VALUES (\(issuer), \(subject), \(userID))
                ON CONFLICT (issuer, subject) DO UPDATE SET user_id = EXCLUDED.user_id, last_seen_at = now()
                """, logger: logger)
        }
    }
}
