import Foundation

/// The `oidc` credential kind's settings (CONTRACT.md §7).
public struct OIDCSettings: Sendable, Equatable {
    /// Discovery is at `{issuer}/.well-known/openid-configuration`; tokens' `iss` must equal it.
    public var issuer: String
    /// The id_token's `aud` must contain it.
    public var clientID: String
    public var requireEmailVerified: Bool
    /// Each discovery and JWKS request.
    public var timeoutMilliseconds: Int

    public init(issuer: String, clientID: String, requireEmailVerified: Bool = true, timeoutMilliseconds: Int = 2000) {
        self.issuer = issuer
        self.clientID = clientID
        self.requireEmailVerified = requireEmailVerified
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    var discoveryURL: String {
        (issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer) + "/.well-known/openid-configuration"
    }
}

/// Who a verified id_token says the user is.
public struct OIDCIdentity: Sendable, Equatable {
    public var issuer: String
    public var subject: String
    public var email: String
    public var emailVerified: Bool

    public init(issuer: String, subject: String, email: String, emailVerified: Bool) {
        self.issuer = issuer
        self.subject = subject
        self.email = email
        self.emailVerified = emailVerified
    }
}

/// Why an id_token was refused (for the log: never the token itself).
public enum OIDCRejection: Error, Equatable, CustomStringConvertible {
    case malformed
    case algorithmNotAllowed(String)
    case unknownKey
    case badSignature
    case wrongIssuer
    case wrongAudience
    case expired
    case issuedInFuture
    case nonceMismatch
    case emailNotVerified
    case missingClaim(String)
    /// The issuer's discovery document or JWKS could not be read (503).
    case providerUnavailable(String)

    public var description: String {
        switch self {
        case .malformed: "not a JWS compact token"
        case .algorithmNotAllowed(let alg): "algorithm '\(alg)' is not allowed (RS256 and ES256 only)"
        case .unknownKey: "no key of the issuer's JWKS has the token's kid and algorithm"
        case .badSignature: "the signature does not verify"
        case .wrongIssuer: "iss is not the configured issuer"
        case .wrongAudience: "aud does not contain the client_id"
        case .expired: "exp has passed"
        case .issuedInFuture: "iat is in the future"
        case .nonceMismatch: "nonce does not match"
        case .emailNotVerified: "email_verified is not true"
        case .missingClaim(let name): "claim '\(name)' is missing"
        case .providerUnavailable(let why): "identity provider unavailable: \(why)"
        }
    }
}
