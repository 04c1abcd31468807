import Foundation
import ProvisioningOIDC
import ProvisioningTestKit
import Synchronization
import Testing

/// A clock the tests move instead of sleeping.
final class ManualClock: Sendable {
    private let current = Mutex(Date())
    var now: @Sendable () -> Date { { self.current.withLock { $0 } } }
    func advance(seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// `OIDCVerifier` over real HTTP against a local OpenID provider.
@Suite("id_token verification (kind oidc)", .timeLimit(.minutes(2)))
struct OIDCVerifierTests {
    static let clientID = "test-client"

    static func verifier(
        _ provider: TestOpenIDProvider, clock: ManualClock = ManualClock(), requireVerified: Bool = true, timeoutMilliseconds: Int = 2000
    ) -> OIDCVerifier {
        OIDCVerifier(
            settings: OIDCSettings(
                issuer: provider.issuer, clientID: clientID, requireEmailVerified: requireVerified, timeoutMilliseconds: timeoutMilliseconds),
            now: clock.now)
    }

    /// Why `token` is refused (nil: accepted). The reason's description never holds the token.
    static func rejection(_ verifier: OIDCVerifier, _ token: String, nonce: String? = nil) async -> OIDCRejection? {
        do {
            _ = try await verifier.verify(idToken: token, nonce: nonce)
            return nil
        } catch {
            for part in token.split(separator: ".") where part.count > 8 {
                #expect(!error.description.contains(part))
            }
            return error
        }
    }

    static func isUnavailable(_ rejection: OIDCRejection?) -> Bool {
        if case .providerUnavailable = rejection { return true }
        return false
    }

    @Test("RS256 and ES256 tokens verify; the identity carries issuer, subject, email and auth_time; one fetch serves both")
    func accepted() async throws {
        let rsa = try await TestOpenIDProvider.SigningKey.rsa(), ec = try await TestOpenIDProvider.SigningKey.ec()
        try await TestOpenIDProvider.withRunning(keys: [rsa, ec]) { provider in
            let clock = ManualClock()
            let verifier = Self.verifier(provider, clock: clock)
            for key in [rsa, ec] {
                let claims = provider.claims(email: "ada@example.com", audience: Self.clientID, subject: "s-\(key.kid)", issuedAt: clock.now())
                let token = try await TestOpenIDProvider.sign(claims, with: key)
                let identity = try await verifier.verify(idToken: token, nonce: nil)
                let authTime = Date(timeIntervalSince1970: TimeInterval(claims["auth_time"] as! Int))
                #expect(identity == OIDCIdentity(
                    issuer: provider.issuer, subject: "s-\(key.kid)", email: "ada@example.com", emailVerified: true, authTime: authTime))
            }
            #expect(provider.discoveryFetches == 1)
            #expect(provider.jwksFetches == 1)
        }
    }

    @Test("a cached kid needs no network: tokens still verify after the provider has stopped")
    func cachedKeyNeedsNoNetwork() async throws {
        let key = try await TestOpenIDProvider.SigningKey.ec()
        let provider = TestOpenIDProvider(keys: [key])
        try await provider.start()
        let verifier = Self.verifier(provider)
        let first = try await TestOpenIDProvider.sign(provider.claims(email: "ada@example.com", audience: Self.clientID), with: key)
        let second = try await TestOpenIDProvider.sign(provider.claims(email: "bob@example.com", audience: Self.clientID), with: key)
        #expect(try await verifier.verify(idToken: first, nonce: nil).email == "ada@example.com")
        await provider.stop()
        #expect(try await verifier.verify(idToken: second, nonce: nil).email == "bob@example.com")
        #expect(provider.jwksFetches == 1)
    }

    @Test("claims: wrong aud or iss, expired, future iat, nonce, email_verified, email, sub; the leeway and lenient forms accepted")
    func claims() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa()
        try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
            let clock = ManualClock()
            let verifier = Self.verifier(provider, clock: clock)
            let now = Int(clock.now().timeIntervalSince1970)
            let good = provider.claims(email: "ada@example.com", audience: Self.clientID, nonce: "n-1", issuedAt: clock.now())
            func with(_ name: String, _ value: (any Sendable)?) -> [String: any Sendable] {
                var claims = good
                claims[name] = value
                return claims
            }
            let refused: [(String, [String: any Sendable], OIDCRejection)] = [
                ("aud another client", with("aud", "another-client"), .wrongAudience),
                ("aud array without the client", with("aud", ["a", "b"]), .wrongAudience),
                ("aud missing", with("aud", nil), .wrongAudience),
                ("iss another issuer", with("iss", "https://evil.example"), .wrongIssuer),
                ("iss with a trailing slash", with("iss", provider.issuer + "/"), .wrongIssuer),
                ("iss missing", with("iss", nil), .wrongIssuer),
                ("exp an hour ago", with("exp", now - 3600), .expired),
                ("exp 61 s ago", with("exp", now - 61), .expired),
                ("exp missing", with("exp", nil), .missingClaim("exp")),
                ("iat an hour ahead", with("iat", now + 3600), .issuedInFuture),
                ("iat 61 s ahead", with("iat", now + 61), .issuedInFuture),
                ("iat missing", with("iat", nil), .missingClaim("iat")),
                ("nonce another", with("nonce", "n-2"), .nonceMismatch),
                ("nonce missing", with("nonce", nil), .nonceMismatch),
                ("email_verified false", with("email_verified", false), .emailNotVerified),
                ("email_verified \"false\"", with("email_verified", "false"), .emailNotVerified),
                ("email_verified missing", with("email_verified", nil), .emailNotVerified),
                ("email missing", with("email", nil), .noEmail),
                ("email empty", with("email", ""), .noEmail),
                ("sub missing", with("sub", nil), .missingClaim("sub")),
            ]
            for (name, claims, expected) in refused {
                let token = try await TestOpenIDProvider.sign(claims, with: key)
                let rejection = await Self.rejection(verifier, token, nonce: "n-1")
                #expect(rejection == expected, "\(name)")
            }
            let accepted: [(String, [String: any Sendable])] = [
                ("aud an array holding the client", with("aud", ["x", Self.clientID])),
                ("email_verified \"true\"", with("email_verified", "true")),
                ("exp 30 s ago (leeway)", with("exp", now - 30)),
                ("iat 30 s ahead (leeway)", with("iat", now + 30)),
            ]
            for (name, claims) in accepted {
                let token = try await TestOpenIDProvider.sign(claims, with: key)
                #expect(await Self.rejection(verifier, token, nonce: "n-1") == nil, "\(name)")
            }
            // No nonce expected: the token's is not looked at.
            let otherNonce = try await TestOpenIDProvider.sign(with("nonce", "whatever"), with: key)
            #expect(await Self.rejection(verifier, otherNonce, nonce: nil) == nil)
            // The same token is refused once the clock has passed exp + leeway.
            let good1 = try await TestOpenIDProvider.sign(good, with: key)
            #expect(await Self.rejection(verifier, good1, nonce: "n-1") == nil)
            clock.advance(seconds: 300 + 61)
            #expect(await Self.rejection(verifier, good1, nonce: "n-1") == .expired)
            // Without require_email_verified an unverified email is accepted.
            let unverified = try await TestOpenIDProvider.sign(with("email_verified", false), with: key)
            let lenient = Self.verifier(provider, requireVerified: false)
            #expect(try await lenient.verify(idToken: unverified, nonce: nil).emailVerified == false)
        }
    }

    @Test("algorithms: none, HS256/384/512 keyed with the public key (PEM and DER), RS512, PS256 are refused before any key lookup")
    func algorithms() async throws {
        let rsa = try await TestOpenIDProvider.SigningKey.rsa(kid: "k1"), ec = try await TestOpenIDProvider.SigningKey.ec(kid: "k2")
        try await TestOpenIDProvider.withRunning(keys: [rsa, ec]) { provider in
            let verifier = Self.verifier(provider)
            let claims = provider.claims(email: "ada@example.com", audience: Self.clientID)
            var cases: [(String, OIDCRejection)] = [
                (try TestOpenIDProvider.unsigned(claims, kid: "k1"), .algorithmNotAllowed("none")),
                (try await TestOpenIDProvider.sign(claims, with: rsa, header: ["alg": "RS512"]), .algorithmNotAllowed("RS512")),
                (try await TestOpenIDProvider.sign(claims, with: rsa, header: ["alg": "PS256"]), .algorithmNotAllowed("PS256")),
                (try await TestOpenIDProvider.sign(claims, with: rsa, header: ["alg": "rs256"]), .algorithmNotAllowed("rs256")),
                (try await TestOpenIDProvider.sign(claims, with: rsa, removing: ["alg"]), .algorithmNotAllowed("(missing)")),
            ]
            for key in [rsa, ec] {
                for secret in [key.publicKeyPEM, key.publicKeyDER] {
                    for alg in ["HS256", "HS384", "HS512"] {
                        cases.append((try TestOpenIDProvider.hmac(claims, secret: secret, kid: key.kid, algorithm: alg), .algorithmNotAllowed(alg)))
                    }
                }
            }
            for (token, expected) in cases {
                #expect(await Self.rejection(verifier, token) == expected)
            }
            // Refused before any key lookup: the provider was never asked.
            #expect(provider.discoveryFetches == 0)
            #expect(provider.jwksFetches == 0)
            // The same verifier accepts a good token (so the refusals above were about the algorithm).
            let good = try await TestOpenIDProvider.sign(claims, with: rsa)
            #expect(await Self.rejection(verifier, good) == nil)
        }
    }

    @Test("keys: another key under a published kid, a key of the other type under a kid, a JWK declaring another alg, a tampered payload")
    func keys() async throws {
        let rsa = try await TestOpenIDProvider.SigningKey.rsa(kid: "k1"), ec = try await TestOpenIDProvider.SigningKey.ec(kid: "k2")
        let declaringPS256 = try await TestOpenIDProvider.SigningKey.rsa(kid: "k3").declaring(algorithm: "PS256")
        let undeclared = try await TestOpenIDProvider.SigningKey.ec(kid: "k4").declaring(algorithm: nil)
        let impostorRSA = try await TestOpenIDProvider.SigningKey.rsa(kid: "k1")
        let impostorEC = try await TestOpenIDProvider.SigningKey.ec(kid: "k2")
        try await TestOpenIDProvider.withRunning(keys: [rsa, ec, declaringPS256, undeclared]) { provider in
            let verifier = Self.verifier(provider)
            let claims = provider.claims(email: "ada@example.com", audience: Self.clientID)
            for key in [rsa, ec, undeclared] {
                let signed = try await TestOpenIDProvider.sign(claims, with: key)
                #expect(await Self.rejection(verifier, signed) == nil)
            }
            for forged in [impostorRSA, impostorEC] {
                let forgedToken = try await TestOpenIDProvider.sign(claims, with: forged)
                #expect(await Self.rejection(verifier, forgedToken) == .badSignature)
            }
            // ES256 signed by the EC key but naming the RSA key's kid, and the reverse.
            let ecUnderRSAKid = try await TestOpenIDProvider.sign(claims, with: ec, kid: "k1")
            #expect(await Self.rejection(verifier, ecUnderRSAKid) == .unknownKey)
            let rsaUnderECKid = try await TestOpenIDProvider.sign(claims, with: rsa, kid: "k2")
            #expect(await Self.rejection(verifier, rsaUnderECKid) == .unknownKey)
            // A JWK that declares PS256 is not an RS256 key.
            let underPS256JWK = try await TestOpenIDProvider.sign(claims, with: declaringPS256)
            #expect(await Self.rejection(verifier, underPS256JWK) == .unknownKey)
            // No kid at all.
            let withoutKid = try await TestOpenIDProvider.sign(claims, with: rsa, removing: ["kid"])
            #expect(await Self.rejection(verifier, withoutKid) == .unknownKey)
            // A good signature over other claims.
            let good = try await TestOpenIDProvider.sign(claims, with: rsa).split(separator: ".")
            let other = try await TestOpenIDProvider.sign(provider.claims(email: "eve@example.com", audience: Self.clientID), with: rsa)
                .split(separator: ".")
            #expect(await Self.rejection(verifier, [good[0], other[1], good[2]].joined(separator: ".")) == .badSignature)
            for garbage in ["", "not-a-token", "a.b", "not.a.token", "e30.e30.e30.e30"] {
                #expect(await Self.rejection(verifier, garbage) == .malformed, "\(garbage)")
            }
            // Everything above came from the one JWKS fetch.
            #expect(provider.jwksFetches == 1)
        }
    }

    @Test("rotation: a new kid is fetched once the minute since the last fetch has passed, then accepted; the old kid is gone")
    func rotation() async throws {
        let old = try await TestOpenIDProvider.SigningKey.rsa(), new = try await TestOpenIDProvider.SigningKey.ec()
        try await TestOpenIDProvider.withRunning(keys: [old]) { provider in
            let clock = ManualClock()
            let verifier = Self.verifier(provider, clock: clock)
            let claims = provider.claims(email: "ada@example.com", audience: Self.clientID, issuedAt: clock.now())
            let oldToken = try await TestOpenIDProvider.sign(claims, with: old)
            let newToken = try await TestOpenIDProvider.sign(claims, with: new)

            #expect(await Self.rejection(verifier, oldToken) == nil)
            #expect(provider.jwksFetches == 1)
            provider.publish([new])
            // 30 s after the last fetch: no refetch yet.
            clock.advance(seconds: 30)
            #expect(await Self.rejection(verifier, newToken) == .unknownKey)
            #expect(provider.jwksFetches == 1)
            // 61 s after it: one refetch, and the new key is in.
            clock.advance(seconds: 31)
            #expect(await Self.rejection(verifier, newToken) == nil)
            #expect(provider.jwksFetches == 2)
            #expect(await Self.rejection(verifier, newToken) == nil)
            #expect(await Self.rejection(verifier, oldToken) == .unknownKey)
            #expect(provider.jwksFetches == 2)
        }
    }

    @Test("a flood of 20 unknown kids within a minute costs at most one JWKS request")
    func flood() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa(), stranger = try await TestOpenIDProvider.SigningKey.rsa()
        try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
            let clock = ManualClock()
            let verifier = Self.verifier(provider, clock: clock)
            let claims = provider.claims(email: "ada@example.com", audience: Self.clientID, issuedAt: clock.now())
            var tokens: [String] = []
            for index in 0..<20 { tokens.append(try await TestOpenIDProvider.sign(claims, with: stranger, kid: "unknown-\(index)")) }
            let flood = tokens

            func concurrently() async -> [OIDCRejection?] {
                await withTaskGroup(of: OIDCRejection?.self) { group in
                    for token in flood { group.addTask { await Self.rejection(verifier, token) } }
                    return await group.reduce(into: []) { $0.append($1) }
                }
            }
            let good = try await TestOpenIDProvider.sign(claims, with: key)
            #expect(await Self.rejection(verifier, good) == nil)
            #expect(provider.jwksFetches == 1)

            // Within the minute of the first fetch: no request at all.
            #expect(await concurrently() == Array(repeating: .unknownKey, count: 20))
            #expect(provider.jwksFetches == 1)
            // A minute later: one request for all twenty...
            clock.advance(seconds: 61)
            #expect(await concurrently() == Array(repeating: .unknownKey, count: 20))
            #expect(provider.jwksFetches == 2)
            // ...and none for twenty more, one after another, in the same minute.
            clock.advance(seconds: 59)
            for token in flood { #expect(await Self.rejection(verifier, token) == .unknownKey) }
            #expect(provider.jwksFetches == 2)
            #expect(provider.discoveryFetches == 2)
        }
    }

    @Test("concurrent verifications needing the JWKS share one request, and all succeed")
    func coalesced() async throws {
        let key = try await TestOpenIDProvider.SigningKey.ec()
        try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
            let verifier = Self.verifier(provider)
            let token = try await TestOpenIDProvider.sign(provider.claims(email: "ada@example.com", audience: Self.clientID), with: key)
            provider.holdJWKS()
            let emails = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { try await verifier.verify(idToken: token, nonce: nil).email } }
                await provider.untilJWKSRequestHeld()
                provider.releaseJWKS()
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(emails == Array(repeating: "ada@example.com", count: 20))
            #expect(provider.jwksFetches == 1)
            #expect(provider.discoveryFetches == 1)
        }
    }

    @Test("an issuer configured with a trailing slash finds its discovery document")
    func trailingSlash() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa()
        try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
            let issuer = provider.issuer + "/"
            provider.update { $0.discoveryIssuer = issuer }
            let verifier = OIDCVerifier(settings: OIDCSettings(issuer: issuer, clientID: Self.clientID))
            var claims = provider.claims(email: "ada@example.com", audience: Self.clientID)
            claims["iss"] = issuer
            let token = try await TestOpenIDProvider.sign(claims, with: key)
            #expect(await Self.rejection(verifier, token) == nil)
            #expect(provider.discoveryFetches == 1)
        }
    }

    @Test("provider stopped or a wrong port: providerUnavailable, not a refusal")
    func unreachable() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa()
        let provider = TestOpenIDProvider(keys: [key])
        try await provider.start()
        let token = try await TestOpenIDProvider.sign(provider.claims(email: "ada@example.com", audience: Self.clientID), with: key)
        await provider.stop()
        let stopped = Self.verifier(provider)
        #expect(Self.isUnavailable(await Self.rejection(stopped, token)))
        // Moments later: still unavailable (not unknownKey), without waiting for another connection attempt.
        #expect(Self.isUnavailable(await Self.rejection(stopped, token)))

        let wrongPort = OIDCVerifier(settings: OIDCSettings(issuer: "http://127.0.0.1:1", clientID: Self.clientID))
        #expect(Self.isUnavailable(await Self.rejection(wrongPort, token)))
    }

    @Test("discovery naming another issuer, a JWKS error, an oversized JWKS or a slow JWKS: providerUnavailable; 5 s after a failure it is retried")
    func providerFaults() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa()
        try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
            let token = try await TestOpenIDProvider.sign(provider.claims(email: "ada@example.com", audience: Self.clientID), with: key)

            provider.update { $0.discoveryIssuer = "https://evil.example" }
            #expect(Self.isUnavailable(await Self.rejection(Self.verifier(provider), token)))
            #expect(provider.jwksFetches == 0)
            provider.update { $0.discoveryIssuer = nil }

            provider.update { $0.jwksPaddingBytes = 2 << 20 }
            #expect(Self.isUnavailable(await Self.rejection(Self.verifier(provider), token)))
            provider.update { $0.jwksPaddingBytes = 0 }

            provider.holdJWKS()
            let held = provider.jwksFetches
            // Long enough for discovery and the JWKS request to reach the provider on a loaded machine.
            let slow = Self.verifier(provider, timeoutMilliseconds: 3000)
            #expect(Self.isUnavailable(await Self.rejection(slow, token)))
            #expect(provider.jwksFetches == held + 1)
            provider.releaseJWKS()

            let clock = ManualClock()
            let verifier = Self.verifier(provider, clock: clock)
            provider.update { $0.jwksStatus = 500 }
            let before = provider.jwksFetches
            #expect(Self.isUnavailable(await Self.rejection(verifier, token)))
            #expect(provider.jwksFetches == before + 1)
            provider.update { $0.jwksStatus = 200 }
            // Within 5 s of the failure: still unavailable, no request.
            clock.advance(seconds: 4)
            #expect(Self.isUnavailable(await Self.rejection(verifier, token)))
            #expect(provider.jwksFetches == before + 1)
            // After 5 s: retried (not held off for a minute), and the provider is back.
            clock.advance(seconds: 2)
            #expect(await Self.rejection(verifier, token) == nil)
            #expect(provider.jwksFetches == before + 2)
        }
    }

    @Test("rejection descriptions name the reason, never a token")
    func descriptions() {
        let all: [OIDCRejection] = [
            .malformed, .algorithmNotAllowed("HS256"), .unknownKey, .badSignature, .wrongIssuer, .wrongAudience, .expired,
            .issuedInFuture, .nonceMismatch, .emailNotVerified, .noEmail, .missingClaim("sub"), .providerUnavailable("down"),
        ]
        #expect(Set(all.map(\.description)).count == all.count)
        #expect(OIDCSettings(issuer: "https://id.example/", clientID: "c").discoveryURL == "https://id.example/.well-known/openid-configuration")
        #expect(OIDCSettings(issuer: "https://id.example", clientID: "c").discoveryURL == "https://id.example/.well-known/openid-configuration")
    }
}
