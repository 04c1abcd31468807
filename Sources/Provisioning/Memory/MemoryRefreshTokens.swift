import Foundation

/// Refresh tokens in memory, for the `memory` store.
public actor MemoryRefreshTokens: RefreshTokenRepository {
    private struct Token {
        var familyID: UUID
        var userID: UUID
        var expiresAt: Date
        var rotated = false
        var revoked = false
    }

    private var tokens: [String: Token] = [:]

    public init() {}

    public func issue(tokenHash: String, familyID: UUID, userID: UUID, expiresAt: Date) {
        tokens[tokenHash] = Token(familyID: familyID, userID: userID, expiresAt: expiresAt)
    }

    public func rotate(presentedHash: String, newHash: String, expiresAt: Date) -> RefreshRotation {
        guard var token = tokens[presentedHash] else { return .invalid }
        if token.rotated {
            for (hash, other) in tokens where other.familyID == token.familyID { tokens[hash]?.revoked = true }
            return .reused(familyID: token.familyID)
        }
        guard !token.revoked, token.expiresAt > Date() else { return .invalid }
        token.rotated = true
        tokens[presentedHash] = token
        tokens[newHash] = Token(familyID: token.familyID, userID: token.userID, expiresAt: expiresAt)
        return .rotated(userID: token.userID, familyID: token.familyID)
    }

    public func revokeAll(userID: UUID) {
        for (hash, token) in tokens where token.userID == userID { tokens[hash]?.revoked = true }
    }
}
