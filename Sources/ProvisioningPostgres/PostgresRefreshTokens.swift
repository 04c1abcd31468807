import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Refresh tokens in `refresh_tokens`, hashes only; rotation and reuse
/// detection in one transaction.
public struct PostgresRefreshTokens: RefreshTokenRepository {
    let client: PostgresClient
    let logger: Logger
    let gate: StoreGate
    let schema: PostgresSchema

    public init(client: PostgresClient, logger: Logger, gate: StoreGate = StoreGate(deadlineSeconds: 5), schema: PostgresSchema = .default) {
        self.schema = schema
        self.client = client
        self.logger = logger
        self.gate = gate
    }

    public func issue(tokenHash: String, familyID: UUID, userID: UUID, expiresAt: Date, signIn: SignIn) async throws {
        try await gate.guarded {
            _ = try await client.query("""
                INSERT INTO \(unescaped: schema.refreshTokens) (token_hash, family_id, user_id, expires_at, amr, auth_time)
                VALUES (\(tokenHash), \(familyID), \(userID), \(expiresAt), \(signIn.method.rawValue), \(signIn.at))
                """, logger: logger)
        }
    }

    public func rotate(presentedHash: String, newHash: String, expiresAt: Date) async throws -> RefreshRotation {
        try await gate.guarded {
            try await client.withTransaction(logger: logger) { connection in
                let current = try await connection.query("""
                    UPDATE \(unescaped: schema.refreshTokens) SET rotated_at = now()
                    WHERE token_hash = \(presentedHash) AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
                    RETURNING family_id, user_id, amr, auth_time
                    """, logger: logger)
                for try await (familyID, userID, amr, authTime) in current.decode((UUID, UUID, String, Date).self) {
                    _ = try await connection.query("""
                        INSERT INTO \(unescaped: schema.refreshTokens) (token_hash, family_id, user_id, expires_at, amr, auth_time)
                        VALUES (\(newHash), \(familyID), \(userID), \(expiresAt), \(amr), \(authTime))
                        """, logger: logger)
                    return .rotated(userID: userID, familyID: familyID, signIn: SignIn(method: SignIn.Method(rawValue: amr) ?? .password, at: authTime))
                }
                let rotated = try await connection.query("""
                    SELECT family_id FROM \(unescaped: schema.refreshTokens) WHERE token_hash = \(presentedHash) AND rotated_at IS NOT NULL
                    """, logger: logger)
                for try await familyID in rotated.decode(UUID.self) {
                    _ = try await connection.query("""
                        UPDATE \(unescaped: schema.refreshTokens) SET revoked_at = now() WHERE family_id = \(familyID) AND revoked_at IS NULL
                        """, logger: logger)
                    return .reused(familyID: familyID)
                }
                return .invalid
            }
        }
    }

    public func revokeAll(userID: UUID) async throws {
        try await gate.guarded {
            _ = try await client.query(
                "UPDATE \(unescaped: schema.refreshTokens) SET revoked_at = now() WHERE user_id = \(userID) AND revoked_at IS NULL", logger: logger)
        }
    }
}
