import Foundation

/// The `oidc` credential kind's settings (CONTRACT.md §7).
public struct OIDCSettings: Sendable, Equatable {
    /// Discovery is at `{issuer}/.well-known/openid-configuration`; the
    /// discovery document's `issuer` and every token's `iss` must equal it exactly.
    public var issuer: String
    /// The id_token's `aud` must contain it.
    public var clientID: String
    /// Refuse tokens whose `email_verified` is not true.
    public var requireEmailVerified: Bool
    /// Each discovery and JWKS request.
    public var timeoutMilliseconds: Int

    public init(issuer: String, clientID: String, requireEmailVerified: Bool = true, timeoutMilliseconds: Int = 2000) {
        self.issuer = issuer
        self.clientID = clientID
        self.requireEmailVerified = requireEmailVerified
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// `{issuer}/.well-known/openid-configuration`, one slash whether or not the issuer ends with one.
    public var discoveryURL: String {
        var base = Substring(issuer)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + "/.well-known/openid-configuration"
    }
}

/// Who a verified id_token says the user is.
public struct OIDCIdentity: Sendable, Equatable {
    /// The configured issuer (equal to the token's `iss`).
    public var issuer: String
    /// The token's `sub`: stable at the issuer, unlike the email.
    public var subject: String
    public var email: String
    public var emailVerified: Bool
    /// The token's `auth_time`, when it has one.
    public var authTime: Date?

    public init(issuer: String, subject: String, email: String, emailVerified: Bool, authTime: Date? = nil) {
        self.issuer = issuer
        self.subject = subject
        self.email = email
        self.emailVerified = emailVerified
        self.authTime = authTime
    }
}

/// Why an id_token was refused, for the log: never the token nor a claim's
/// value. `providerUnavailable` is the issuer's fault (answer 503); every
/// other case is the token's (answer 401).
public enum OIDCRejection: Error, Equatable, CustomStringConvertible {
    /// Not three base64url parts, or a header or payload that is not a JSON object.
    case malformed
    /// The header's `alg` is not RS256 or ES256 (`none`, HS*, anything else): refused before any key lookup.
    case algorithmNotAllowed(String)
    /// No key of the issuer's JWKS has the token's `kid` and algorithm (after a refetch, at most once a minute).
    case unknownKey
    case badSignature
    case wrongIssuer
    case wrongAudience
    case expired
    case issuedInFuture
    /// A nonce was expected and the token's differs or is missing.
    case nonceMismatch
    case emailNotVerified
    case noEmail
    /// A required claim (`sub`, `exp`, `iat`) is missing or not of its type.
    case missingClaim(String)
    /// The issuer's discovery document or JWKS could not be read (answer 503).
    case providerUnavailable(String)

    public var description: String {
        switch self {
        case .malformed: "not a JWS compact token with JSON header and payload"
        case .algorithmNotAllowed(let alg): "algorithm '\(alg)' is not allowed (RS256 and ES256 only)"
        case .unknownKey: "no key of the issuer's JWKS has the token's kid and algorithm"
        case .badSignature: "the signature does not verify"
        case .wrongIssuer: "iss is not the configured issuer"
        case .wrongAudience: "aud does not contain the client_id"
        case .expired: "exp has passed"
        case .issuedInFuture: "iat is in the future"
        case .nonceMismatch: "nonce does not match"
        case .emailNotVerified: "email_verified is not true"
        case .noEmail: "email is missing or empty"
        case .missingClaim(let name): "claim '\(name)' is missing"
        case .providerUnavailable(let why): "identity provider unavailable: \(why)"
        }
    }
}
