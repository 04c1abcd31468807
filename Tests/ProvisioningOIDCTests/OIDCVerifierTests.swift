import Foundation
import ProvisioningOIDC
import ProvisioningTestKit
import Testing

/// `OIDCVerifier` over real HTTP against a local OpenID provider.
@Suite("id_token verification (kind oidc)")
struct OIDCVerifierTests {
    static let clientID = "test-client"

    static func verifier(_ provider: TestOpenIDProvider, requireVerified: Bool = true) -> OIDCVerifier {
        OIDCVerifier(settings: OIDCSettings(issuer: provider.issuer, clientID: clientID, requireEmailVerified: requireVerified))
    }

    static func rejection(_ body: () async throws(OIDCRejection) -> OIDCIdentity) async -> OIDCRejection? {
        do {
            _ = try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test("RS256 and ES256 tokens verify; the identity carries issuer, subject and email")
    func accepted() async throws {
        let rsa = try await TestOpenIDProvider.SigningKey.rsa(), ec = try await TestOpenIDProvider.SigningKey.ec()
        try await TestOpenIDProvider.withRunning(keys: [rsa, ec]) { provider in
            let verifier = Self.verifier(provider)
            for key in [rsa, ec] {
                let token = try await TestOpenIDProvider.sign(provider.claims(email: "ada@example.com", audience: Self.clientID, subject: "s-\(key.kid)"), with: key)
                let identity = try await verifier.verify(idToken: token, nonce: nil)
                #expect(identity == OIDCIdentity(issuer: provider.issuer, subject: "s-\(key.kid)", email: "ada@example.com", emailVerified: true))
            }
            // One discovery + JWKS fetch served both keys.
            #expect(provider.jwksFetches == 1)
        }
    }

    @Test("refused: wrong aud, wrong iss, expired, future iat, email_verified false, nonce mismatch")
    func refusedClaims() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa()
        try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
            let verifier = Self.verifier(provider)
            let now = Int(Date().timeIntervalSince1970)
            let good = provider.claims(email: "ada@example.com", audience: Self.clientID, nonce: "n-1")
            func with(_ name: String, _ value: any Sendable) -> [String: any Sendable] {
                var claims = good
                claims[name] = value
                return claims
            }
            let cases: [([String: any Sendable], OIDCRejection)] = [
                (with("aud", "another-client"), .wrongAudience),
                (with("aud", ["a", "b"]), .wrongAudience),
                (with("iss", "https://evil.example"), .wrongIssuer),
                (with("exp", now - 3600), .expired),
                (with("iat", now + 3600), .issuedInFuture),
                (with("email_verified", false), .emailNotVerified),
                (with("email_verified", "false"), .emailNotVerified),
                (with("nonce", "n-2"), .nonceMismatch),
            ]
            for (claims, expected) in cases {
                let token = try await TestOpenIDProvider.sign(claims, with: key)
                #expect(await Self.rejection { () async throws(OIDCRejection) in try await verifier.verify(idToken: token, nonce: "n-1") } == expected)
            }
            // aud as an array containing the client, and email_verified as the string "true", are fine.
            let listed = try await TestOpenIDProvider.sign(with("aud", ["x", Self.clientID]).merging(["email_verified": "true"]) { $1 }, with: key)
            #expect(try await verifier.verify(idToken: listed, nonce: "n-1").email == "ada@example.com")
            // Without require_email_verified an unverified email is accepted.
            let unverified = try await TestOpenIDProvider.sign(with("email_verified", false), with: key)
            #expect(try await Self.verifier(provider, requireVerified: false).verify(idToken: unverified, nonce: nil).emailVerified == false)
        }
    }

    @Test("refused: alg none, HS256 keyed with the public key, another key under a published kid, garbage")
    func refusedSignatures() async throws {
        let rsa = try await TestOpenIDProvider.SigningKey.rsa(kid: "k1"), ec = try await TestOpenIDProvider.SigningKey.ec(kid: "k2")
        let impostor = try await TestOpenIDProvider.SigningKey.rsa(kid: "k1")
        let impostorEC = try await TestOpenIDProvider.SigningKey.ec(kid: "k2")
        try await TestOpenIDProvider.withRunning(keys: [rsa, ec]) { provider in
            let verifier = Self.verifier(provider)
            let claims = provider.claims(email: "ada@example.com", audience: Self.clientID)
            let none = try TestOpenIDProvider.unsigned(claims, kid: "k1")
            #expect(await Self.rejection { () async throws(OIDCRejection) in try await verifier.verify(idToken: none, nonce: nil) } == .algorithmNotAllowed("none"))
            for key in [rsa, ec] {
                let hmac = try TestOpenIDProvider.hmac(claims, secret: key.publicKeyBytes, kid: key.kid)
                #expect(await Self.rejection { () async throws(OIDCRejection) in try await verifier.verify(idToken: hmac, nonce: nil) } == .algorithmNotAllowed("HS256"))
            }
            for forged in [impostor, impostorEC] {
                let token = try await TestOpenIDProvider.sign(claims, with: forged)
                #expect(await Self.rejection { () async throws(OIDCRejection) in try await verifier.verify(idToken: token, nonce: nil) } == .badSignature)
            }
            // An ES256 header on the RSA key's kid: the key's algorithm decides.
            let crossed = try await TestOpenIDProvider.sign(claims, with: ec, kid: "k1")
            #expect(await Self.rejection { () async throws(OIDCRejection) in try await verifier.verify(idToken: crossed, nonce: nil) } == .unknownKey)
            #expect(await Self.rejection { () async throws(OIDCRejection) in try await verifier.verify(idToken: "not.a.token", nonce: nil) } == .malformed)
        }
    }

    @Test("unknown kids refetch the JWKS at most once per interval; a rotated key is accepted once it has passed")
    func rotation() async throws {
        let old = try await TestOpenIDProvider.SigningKey.rsa(), new = try await TestOpenIDProvider.SigningKey.ec()
        let stranger = try await TestOpenIDProvider.SigningKey.rsa()
        try await TestOpenIDProvider.withRunning(keys: [old]) { provider in
            // 5 s stands in for the product's minute; everything inside one interval is signed beforehand.
            let interval = Duration.seconds(5)
            let verifier = OIDCVerifier(settings: OIDCSettings(issuer: provider.issuer, clientID: Self.clientID), refetchInterval: interval)
            let claims = provider.claims(email: "ada@example.com", audience: Self.clientID)
            let oldToken = try await TestOpenIDProvider.sign(claims, with: old), newToken = try await TestOpenIDProvider.sign(claims, with: new)
            var flood: [String] = []
            for index in 0..<20 { flood.append(try await TestOpenIDProvider.sign(claims, with: stranger, kid: "unknown-\(index)")) }
            let flooded = flood

            _ = try await verifier.verify(idToken: oldToken, nonce: nil)
            let fetched = ContinuousClock.now
            #expect(provider.jwksFetches == 1)
            provider.publish([new])
            // Inside the interval: a flood of unknown kids (the new one among them) fetches nothing.
            try await withThrowingTaskGroup(of: OIDCRejection?.self) { group in
                for token in flooded + [newToken] {
                    group.addTask { await Self.rejection { () async throws(OIDCRejection) in try await verifier.verify(idToken: token, nonce: nil) } }
                }
                for try await rejection in group { #expect(rejection == .unknownKey) }
            }
            if ContinuousClock.now - fetched < interval { #expect(provider.jwksFetches == 1) }
            // Once the interval has passed, the rotated key is fetched and accepted.
            try await Task.sleep(until: fetched + interval + .milliseconds(100), clock: .continuous)
            #expect(try await verifier.verify(idToken: newToken, nonce: nil).email == "ada@example.com")
            #expect(provider.jwksFetches == 2)
        }
    }

    @Test("an unreachable provider is providerUnavailable, not a refusal")
    func unreachable() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa()
        let provider = TestOpenIDProvider(keys: [key])
        try await provider.start()
        let issuer = provider.issuer
        let token = try await TestOpenIDProvider.sign(provider.claims(email: "ada@example.com", audience: Self.clientID), with: key)
        await provider.stop()
        let verifier = OIDCVerifier(settings: OIDCSettings(issuer: issuer, clientID: Self.clientID, timeoutMilliseconds: 2000))
        let rejection = await Self.rejection { () async throws(OIDCRejection) in try await verifier.verify(idToken: token, nonce: nil) }
        guard case .providerUnavailable = rejection else {
            Issue.record("expected providerUnavailable, got \(String(describing: rejection))")
            return
        }
    }
}
