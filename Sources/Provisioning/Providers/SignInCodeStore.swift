import Foundation

/// A code (and optional link token) to file for one email, hashed by the caller.
public struct NewSignInCode: Sendable, Equatable {
    /// The canonical email the code was mailed to.
    public var email: String
    public var userID: UUID
    public var codeHash: String
    /// The hash of the magic link's token, when the mail carries one.
    public var tokenHash: String?
    public var ttlSeconds: Int
    /// Wrong codes before this one is void.
    public var maxAttempts: Int

    public init(email: String, userID: UUID, codeHash: String, tokenHash: String?, ttlSeconds: Int, maxAttempts: Int) {
        self.email = email
        self.userID = userID
        self.codeHash = codeHash
        self.tokenHash = tokenHash
        self.ttlSeconds = ttlSeconds
        self.maxAttempts = maxAttempts
    }
}

/// Emailed sign-in codes (CONTRACT.md §7), stored only as hashes. A store
/// capability: provided by the store's provider, checked by the conformance
/// suite in `ProvisioningTestKit`.
///
/// Rules every implementation keeps, each in one atomic step:
/// - only the email's newest code counts (newest wins): a newer code voids
///   every older one, its link token included;
/// - at most `maxPerWindow` codes are filed per email in a fixed window of
///   `windowSeconds` that starts with the first code after the last window;
/// - a code or token works once, and not after its TTL;
/// - a wrong code counts against the live code, which is void after `maxAttempts`.
public protocol SignInCodeStore: Sendable {
    /// File `code` unless `maxPerWindow` codes were filed for its email in
    /// the current window; false: over budget, nothing filed.
    func issue(_ code: NewSignInCode, maxPerWindow: Int, windowSeconds: Int) async throws -> Bool
    /// Spend the email's live code when its hash is `codeHash`: its user.
    /// Otherwise nil, and a live code's wrong attempts grow.
    func redeem(email: String, codeHash: String) async throws -> UUID?
    /// Spend the live code whose link token hashes to `tokenHash`: its user.
    func redeem(tokenHash: String) async throws -> UUID?
}

/// Identities at an external identity provider (OIDC `iss` + `sub`) that
/// signed a user in, so a later email change there still finds the user.
public protocol ExternalIdentityStore: Sendable {
    func userID(issuer: String, subject: String) async throws -> UUID?
    /// Remember (or move) `issuer`/`subject` to `userID`.
    func remember(issuer: String, subject: String, userID: UUID) async throws
}
