import Foundation

/// What presenting a refresh token came to.
public enum RefreshRotation: Sendable, Equatable {
    /// The token was current: it is now rotated, and the new one stored in its family.
    case rotated(userID: UUID, familyID: UUID, signIn: SignIn)
    /// The token was already rotated: reuse, so the whole family is revoked (RFC 9700).
    case reused(familyID: UUID)
    /// Unknown, expired or revoked.
    case invalid
}

/// Refresh tokens, stored only as hashes, rotated on every use. Provided by
/// the store's provider (the store owns the users they belong to).
public protocol RefreshTokenRepository: Sendable {
    /// File the first token of a login; `signIn` stays with its family.
    func issue(tokenHash: String, familyID: UUID, userID: UUID, expiresAt: Date, signIn: SignIn) async throws
    /// Atomically rotate `presentedHash` into `newHash` (same family, same sign-in).
    func rotate(presentedHash: String, newHash: String, expiresAt: Date) async throws -> RefreshRotation
    /// Revoke every token of a user (delete events, password changes).
    func revokeAll(userID: UUID) async throws
}
