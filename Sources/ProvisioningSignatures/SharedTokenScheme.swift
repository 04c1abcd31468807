import Crypto
import Foundation
import Provisioning

/// Kind `shared-token`: a configured header carries one of the configured
/// tokens, compared in constant time. The event id comes from the body's
/// `id` or an `Idempotency-Key` header.
public struct SharedTokenVerifier: SignatureVerifier {
    public let kind = "shared-token"
    let header: String
    let tokenDigests: [SHA256Digest]
    /// The attributes this scheme's deliveries may write; nil: every
    /// attribute but `unwritableByDefault`.
    let writes: Set<String>?

    /// A static token is easier to capture than a signing key, so by default
    /// it cannot set a password or raise a role.
    public static let unwritableByDefault: Set<String> = [Attribute.passwordHash, Attribute.role]

    public init(header: String, tokens: [String], writes: Set<String>? = nil) {
        self.header = header
        self.tokenDigests = tokens.map { SHA256.hash(data: Array($0.utf8)) }
        self.writes = writes
    }

    public func mayWrite(_ attribute: String) -> Bool {
        writes?.contains(attribute) ?? !Self.unwritableByDefault.contains(attribute)
    }

    public func isPresent(in headers: HeaderLookup) -> Bool {
        headers[header] != nil
    }

    public func verify(headers: HeaderLookup, body: [UInt8], now: Date) -> SignatureCheck {
        guard let presented = headers[header], !presented.isEmpty else { return .invalid(reason: "missing \(header)") }
        // Comparing digests keeps the comparison length-independent too.
        let digest = SHA256.hash(data: Array(presented.utf8))
        var matched = false
        for expected in tokenDigests where ConstantTime.equals(Array(digest), Array(expected)) { matched = true }
        return matched ? .valid(eventID: headers["Idempotency-Key"]) : .invalid(reason: "token matches no configured token")
    }
}

public struct SharedTokenScheme: SignatureSchemeFactory {
    public struct Settings: Sendable {
        public var header: String
        public var tokens: [String]
        public var writes: Set<String>?
    }

    public init() {}

    public let kind = "shared-token"
    public let sampleConfig = """
        - kind: shared-token                 # a static token in a header
          header: X-Webhook-Token
          tokens: ["change-me-long-random-token"]   # several, for rotation
          # writes: [email, display_name]    # attributes it may write (default: all but password_hash and role)
        """

    public func decode(_ section: ConfigSection) -> Settings? {
        let header = section.string("header", default: "X-Webhook-Token")
        let tokens = section.stringListWithNodes("tokens") ?? []
        if section.itemCount("tokens") == 0 { section.problem("shared-token needs at least one token in 'tokens'") }
        for token in tokens where token.value.count < 16 {
            section.problem(at: token.node, path: token.path, "a token must be at least 16 characters")
        }
        let writes = section.stringList("writes").map(Set.init)
        return Settings(header: header, tokens: tokens.map(\.value), writes: writes)
    }

    public func make(_ settings: Settings) throws -> any SignatureVerifier {
        SharedTokenVerifier(header: settings.header, tokens: settings.tokens, writes: settings.writes)
    }
}
