import Crypto
import Foundation
import JWTKit
import Logging
import Provisioning

/// Signs and verifies EdDSA (Ed25519) access tokens and publishes the JWKS.
public struct TokenIssuer: Sendable {
    public enum KeyError: Error, CustomStringConvertible {
        case invalidSigningKey
        public var description: String { "auth.signing_key must be a base64 Ed25519 private key (32 bytes)" }
    }

    /// Why a presented access token was refused (for the log only).
    enum Rejection: Error {
        case malformed, wrongAlgorithm, wrongKeyID, invalidSignatureOrExpired, wrongIssuer, wrongAudience, badSubject
    }

    let keys: JWTKeyCollection
    let kid: String
    let publicKey: Data
    let config: AuthConfig
    let verified = VerifiedTokens()

    /// `config.signingKey` empty: a key is generated (dev only, logged as a warning).
    public init(config: AuthConfig, logger: Logger) async throws {
        let privateKey: Curve25519.Signing.PrivateKey
        if config.signingKey.isEmpty {
            privateKey = Curve25519.Signing.PrivateKey()
            logger.warning("auth.ephemeral_signing_key", metadata: [
                "event": "auth.ephemeral_signing_key",
                "detail": "auth.signing_key is empty: tokens are signed with a key generated at start and die with the process",
            ])
        } else {
            guard let raw = Data(base64Encoded: config.signingKey),
                  let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else { throw KeyError.invalidSigningKey }
            privateKey = key
        }
        self.publicKey = privateKey.publicKey.rawRepresentation
        self.kid = Hex.encode(SHA256.hash(data: publicKey).prefix(8))
        self.config = config
        self.keys = JWTKeyCollection()
        await keys.add(eddsa: EdDSA.PrivateKey(backing: privateKey), kid: JWKIdentifier(string: kid))
    }

    /// A signed access token for `user`; `firstSource`: whose record id is `airtable_record_id`.
    /// `signIn`: the login behind it (`amr`, `auth_time`).
    func accessToken(for user: StoredUser, firstSource: String, signIn: SignIn, now: Date = Date()) async throws -> String {
        // NumericDate in whole seconds: some JWT libraries refuse fractions.
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(
            iss: IssuerClaim(value: config.issuer), aud: AudienceClaim(value: [config.audience]),
            sub: SubjectClaim(value: user.id.uuidString.lowercased()), iat: IssuedAtClaim(value: now),
            exp: ExpirationClaim(value: now.addingTimeInterval(TimeInterval(config.accessTokenTTLSeconds))),
            jti: IDClaim(value: UUID().uuidString.lowercased()), airtableRecordID: user.recordID(in: firstSource),
            links: user.links.isEmpty ? nil : user.linkIDs, amr: [signIn.method.rawValue],
            authTime: Int(signIn.at.timeIntervalSince1970.rounded(.down)))
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid))
    }

    /// Verify a presented token: our `kid` and `EdDSA` in the header (jwt-kit
    /// would fall back to its default key on an unknown kid), signature,
    /// expiry, issuer and audience.
    func verify(_ token: String) async throws(Rejection) -> AccessTokenClaims {
        if let claims = verified.claims(of: token) { return claims }
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, let headerData = Base64URL.decode(String(segments[0])),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any] else { throw .malformed }
        guard header["alg"] as? String == "EdDSA" else { throw .wrongAlgorithm }
        guard header["kid"] as? String == kid else { throw .wrongKeyID }
        let claims: AccessTokenClaims
        do { claims = try await keys.verify(token, as: AccessTokenClaims.self) } catch { throw .invalidSignatureOrExpired }
        guard claims.iss.value == config.issuer else { throw .wrongIssuer }
        guard claims.aud.value.contains(config.audience) else { throw .wrongAudience }
        guard UUID(uuidString: claims.sub.value) != nil else { throw .badSubject }
        verified.remember(claims, of: token)
        return claims
    }

    /// `GET /.well-known/jwks.json`.
    var jwks: [String: [[String: String]]] {
        ["keys": [["kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": kid, "x": Base64URL.encode(publicKey)]]]
    }
}

enum Base64URL {
    static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
