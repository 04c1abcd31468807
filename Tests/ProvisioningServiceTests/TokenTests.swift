import Crypto
import Foundation
import HummingbirdTesting
import Logging
import NIOCore
import Provisioning
import Testing
@testable import ProvisioningService

@Suite("Access tokens, JWKS, refresh rotation and me")
struct TokenTests {
    static var options: ServiceHarness.Options { AuthFixtures.options }

    static func loggedIn(_ harness: ServiceHarness, _ client: HarnessClient, email: String = "ada@example.com") async throws -> [String: Any] {
        AuthFixtures.airtableUser(harness, email: email)
        let response = try await AuthFixtures.login(client, email)
        #expect(response.status == .ok)
        return try AuthFixtures.object(response)
    }

    struct Undecodable: Error {}

    static func segment(_ text: String) throws -> [String: Any] {
        guard let data = Base64URL.decode(text), let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Undecodable()
        }
        return object
    }

    static func me(_ client: HarnessClient, token: String) async throws -> HarnessResponse {
        try await client.execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(token)"])
    }

    static func refresh(_ client: HarnessClient, _ token: String) async throws -> HarnessResponse {
        try await client.execute(uri: "/api/auth/refresh", method: .post, body: AuthFixtures.json(["refresh_token": token]))
    }

    @Test("the access token carries iss, aud, sub, iat, exp, jti, kid and the record id, and verifies against the JWKS key")
    func accessTokenClaims() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let login = try await Self.loggedIn(harness, client)
            let token = try #require(login["access_token"] as? String)
            let parts = token.split(separator: ".").map(String.init)
            let header = try Self.segment(parts[0])
            let claims = try Self.segment(parts[1])
            #expect(header["alg"] as? String == "EdDSA")
            let user = try #require(login["user"] as? [String: Any])
            #expect(claims["sub"] as? String == user["id"] as? String)
            #expect(claims["iss"] as? String == "provisiond")
            #expect((claims["aud"] as? String == "app") || ((claims["aud"] as? [String])?.contains("app") ?? false))
            #expect(claims["jti"] as? String != nil && claims["iat"] != nil && claims["exp"] != nil)
            #expect(claims["airtable_record_id"] as? String == user["airtable_record_id"] as? String)
            #expect(claims["links"] as? [String: String] == user["links"] as? [String: String])
            #expect((user["links"] as? [String: String])?.isEmpty == false)

            let jwks = try AuthFixtures.object(try await client.execute(uri: "/.well-known/jwks.json", method: .get))
            let key = try #require((jwks["keys"] as? [[String: Any]])?.first)
            #expect(key["kid"] as? String == header["kid"] as? String)
            #expect(key["kty"] as? String == "OKP" && key["crv"] as? String == "Ed25519" && key["alg"] as? String == "EdDSA")
            let x = try #require(key["x"] as? String)
            let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: Base64URL.decode(x) ?? Data())
            let signature = Base64URL.decode(parts[2]) ?? Data()
            #expect(publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8)))
        }
    }

    @Test("me answers the user for a valid token, and PATCH me records an app-side write")
    func meAndPatch() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let login = try await Self.loggedIn(harness, client)
            let token = try #require(login["access_token"] as? String)
            let me = try await Self.me(client, token: token)
            #expect(me.status == .ok)
            #expect((try AuthFixtures.object(me)["user"] as? [String: Any])?["email"] as? String == "ada@example.com")
            let patched = try await client.execute(
                uri: "/api/auth/me", method: .patch, headers: [.authorization: "Bearer \(token)"],
                body: AuthFixtures.json(["display_name": "Countess"]))
            #expect(patched.status == .ok)
            let stored = try #require(try await harness.pipeline.store.user(canonicalEmail: "ada@example.com"))
            #expect(stored.displayName == "Countess")
            #expect(stored.storeUpdatedAt != nil)
        }
    }

    @Test("tokens with alg none, an HMAC algorithm, a wrong kid, a wrong audience, or expired are refused")
    func forgedTokensRefused() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let login = try await Self.loggedIn(harness, client)
            let valid = try #require(login["access_token"] as? String)
            let parts = valid.split(separator: ".").map(String.init)
            let header = try Self.segment(parts[0])
            let kid = try #require(header["kid"] as? String)
            func encode(_ object: [String: Any]) -> String {
                Base64URL.encode((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
            }
            let none = "\(encode(["alg": "none", "typ": "JWT", "kid": kid])).\(parts[1])."
            let hmacHeader = encode(["alg": "HS256", "typ": "JWT", "kid": kid])
            let hmacSignature = HMAC<SHA256>.authenticationCode(for: Data("\(hmacHeader).\(parts[1])".utf8), using: SymmetricKey(data: Data(kid.utf8)))
            let hmac = "\(hmacHeader).\(parts[1]).\(Base64URL.encode(Data(hmacSignature)))"
            let wrongKid = "\(encode(["alg": "EdDSA", "typ": "JWT", "kid": "not-our-key"])).\(parts[1]).\(parts[2])"

            var otherAudience = AuthConfig.defaults
            otherAudience.signingKey = AuthFixtures.signingKey
            otherAudience.audience = "another-app"
            let foreign = try await TokenIssuer(config: otherAudience, logger: Logger(label: "test"))
            let user = try #require(try await harness.pipeline.store.user(canonicalEmail: "ada@example.com"))
            let wrongAudience = try await foreign.accessToken(for: user, firstSource: "airtable", signIn: SignIn(method: .password, at: Date()))
            var sameAudience = AuthConfig.defaults
            sameAudience.signingKey = AuthFixtures.signingKey
            let issuer = try await TokenIssuer(config: sameAudience, logger: Logger(label: "test"))
            let expired = try await issuer.accessToken(for: user, firstSource: "airtable", signIn: SignIn(method: .password, at: Date()), now: Date().addingTimeInterval(-3600))
            let fresh = try await issuer.accessToken(for: user, firstSource: "airtable", signIn: SignIn(method: .password, at: Date()))
            #expect(try await Self.me(client, token: fresh).status == .ok)

            for token in [none, hmac, wrongKid, wrongAudience, expired, "garbage", ""] {
                let response = try await Self.me(client, token: token)
                #expect(response.status == .unauthorized, "token \(token.prefix(20)) was accepted")
                #expect(try AuthFixtures.object(response)["error"] as? String == "invalid_token")
            }
        }
    }

    @Test("refresh rotates the token; presenting a rotated one revokes the whole family")
    func refreshRotationAndReuse() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let login = try await Self.loggedIn(harness, client)
            let first = try #require(login["refresh_token"] as? String)
            let rotated = try await Self.refresh(client, first)
            #expect(rotated.status == .ok)
            let second = try #require(try AuthFixtures.object(rotated)["refresh_token"] as? String)
            #expect(second != first)
            let reuse = try await Self.refresh(client, first)
            #expect(reuse.status == .unauthorized)
            #expect(try AuthFixtures.object(reuse)["error"] as? String == "invalid_grant")
            // The family is revoked: the current token no longer works either.
            let afterReuse = try await Self.refresh(client, second)
            #expect(afterReuse.status == .unauthorized)
            #expect(try await Self.refresh(client, "unknown-token").status == .unauthorized)
        }
    }

    @Test("me re-provisions a user missing from the store by the token's record id")
    func meResolvesByRecordID() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let login = try await Self.loggedIn(harness, client)
            let token = try #require(login["access_token"] as? String)
            let user = try #require(try await harness.pipeline.store.user(canonicalEmail: "ada@example.com"))
            try await harness.deleteRow(id: user.id)
            let me = try await Self.me(client, token: token)
            #expect(me.status == .ok)
            let recordID = try #require(user.recordID(in: "airtable"))
            let again = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: recordID))
            #expect(again.emailCanonical == "ada@example.com")
        }
    }

    @Test("a soft-deleted user's token and refresh token stop working")
    func softDeletedUserRefused() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let login = try await Self.loggedIn(harness, client)
            let token = try #require(login["access_token"] as? String)
            let refresh = try #require(login["refresh_token"] as? String)
            let user = try #require(try await harness.pipeline.store.user(canonicalEmail: "ada@example.com"))
            let recordID = try #require(user.recordID(in: "airtable"))
            _ = try await harness.pipeline.store.delete(source: "airtable", recordID: recordID)
            #expect(try await Self.me(client, token: token).status == .unauthorized)
            #expect(try await Self.refresh(client, refresh).status == .unauthorized)
        }
    }

    @Test("a token resolves by its links; one of an earlier version (airtable_record_id only) by the first source's id")
    func claimLinks() throws {
        func claims(_ recordID: String?, _ links: [String: String]?) -> AccessTokenClaims {
            AccessTokenClaims(
                iss: .init(value: "i"), aud: .init(value: ["a"]), sub: .init(value: "s"), iat: .init(value: Date()),
                exp: .init(value: Date()), jti: .init(value: "j"), airtableRecordID: recordID, links: links)
        }
        #expect(claims("recA", ["airtable": "recA", "directory": "u-1"]).resolvableLinks(firstSource: "airtable") == ["airtable": "recA", "directory": "u-1"])
        #expect(claims("recA", nil).resolvableLinks(firstSource: "airtable") == ["airtable": "recA"])
        #expect(claims(nil, nil).resolvableLinks(firstSource: "airtable").isEmpty)
    }
}
