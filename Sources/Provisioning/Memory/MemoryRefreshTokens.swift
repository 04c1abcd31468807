import Foundation

/// Refresh tokens of the `memory` store. They live in the store's actor,
/// so that a delete revokes them in the same step (the store contract).
public struct MemoryRefreshTokens: RefreshTokenRepository {
    let store: MemoryStore

    public init(store: MemoryStore) {
        self.store = store
    }

    public func issue(tokenHash: String, familyID: UUID, userID: UUID, expiresAt: Date, signIn: SignIn) async throws {
        await store.issueToken(hash: tokenHash, familyID: familyID, userID: userID, expiresAt: expiresAt, signIn: signIn)
    }

    public func rotate(presentedHash: String, newHash: String, expiresAt: Date) async throws -> RefreshRotation {
        await store.rotateToken(presentedHash: presentedHash, newHash: newHash, expiresAt: expiresAt)
    }

    public func revokeAll(userID: UUID) async throws {
        await store.revokeTokens(userID: userID)
    }
}

/// The token table of the memory store.
struct MemoryTokenTable {
    private struct Token {
        var familyID: UUID
        var userID: UUID
        var expiresAt: Date
        var signIn: SignIn
        var rotated = false
        var revoked = false
    }

    private var tokens: [String: Token] = [:]

    mutating func issue(hash: String, familyID: UUID, userID: UUID, expiresAt: Date, signIn: SignIn) {
        tokens[hash] = Token(familyID: familyID, userID: userID, expiresAt: expiresAt, signIn: signIn)
    }

    mutating func rotate(presentedHash: String, newHash: String, expiresAt: Date, now: Date) -> RefreshRotation {
        guard var token = tokens[presentedHash] else { return .invalid }
        if token.rotated {
            for (hash, other) in tokens where other.familyID == token.familyID { tokens[hash]?.revoked = true }
            return .reused(familyID: token.familyID)
        }
        guard !token.revoked, token.expiresAt > now else { return .invalid }
        token.rotated = true
        tokens[presentedHash] = token
        tokens[newHash] = Token(familyID: token.familyID, userID: token.userID, expiresAt: expiresAt, signIn: token.signIn)
        return .rotated(userID: token.userID, familyID: token.familyID, signIn: token.signIn)
    }

    mutating func revokeAll(userID: UUID) {
        for (hash, token) in tokens where token.userID == userID { tokens[hash]?.revoked = true }
    }

    /// A hard delete takes the user's tokens with it (as a cascade would).
    mutating func removeAll(userID: UUID) {
        tokens = tokens.filter { $0.value.userID != userID }
    }
}
