import Foundation
import HTTPTypes
import ProvisioningTestKit
import Testing

/// Kind `oidc` over HTTP on real PostgreSQL and airtable-sim, with a local
/// OpenID provider (CONTRACT.md §7).
@Suite("Sign-in with an id_token (kind oidc)")
struct OIDCSignInTests {
    static let clientID = "provisiond-test-app"

    static func options(issuer: String) -> ServiceHarness.Options {
        var options = AuthFixtures.options(auth: ["min_failure_ms: 0"])
        options.extraYAML += """

            credentials:
              - kind: password
              - kind: oidc
                issuer: \(issuer)
                client_id: \(clientID)
            """
        return options
    }

    static func signIn(_ client: HarnessClient, _ token: String, nonce: String? = nil) async throws -> HarnessResponse {
        var body: [String: Any] = ["id_token": token]
        if let nonce { body["nonce"] = nonce }
        return try await client.execute(uri: "/api/auth/oidc", method: .post, headers: [.contentType: "application/json"], body: AuthFixtures.json(body))
    }

    @Test("an Airtable-only user signs in with an id_token on the first try (read-through), amr ext; nobody unknown is created")
    func readThrough() async throws {
        let key = try await TestOpenIDProvider.SigningKey.ec()
        try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
            try await ServiceHarness.run(Self.options(issuer: provider.issuer)) { harness, client in
                AuthFixtures.airtableUser(harness, email: "sso@example.com", hash: "")
                let token = try await TestOpenIDProvider.sign(provider.claims(email: "SSO@example.com", audience: Self.clientID, nonce: "n1"), with: key)
                let response = try await Self.signIn(client, token, nonce: "n1")
                #expect(response.status == .ok)
                #expect(try EmailCodeTests.claims(response)["amr"] as? [String] == ["ext"])
                #expect(try await AuthFixtures.rowCount(harness, email: "sso@example.com") == 1)

                let stranger = try await TestOpenIDProvider.sign(provider.claims(email: "stranger@example.com", audience: Self.clientID), with: key)
                let refused = try await Self.signIn(client, stranger)
                #expect(refused.status == .unauthorized)
                #expect(String(buffer: refused.body) == #"{"error":"invalid_credentials"}"#)
                #expect(try await AuthFixtures.rowCount(harness, email: "stranger@example.com") == 0)

                let wrongNonce = try await Self.signIn(client, token, nonce: "n2")
                #expect(wrongNonce.status == .unauthorized)
                let otherAudience = try await TestOpenIDProvider.sign(provider.claims(email: "sso@example.com", audience: "someone-else"), with: key)
                #expect(try await Self.signIn(client, otherAudience).status == .unauthorized)
            }
        }
    }

    @Test("a later email change at the identity provider still finds the user by issuer and subject")
    func emailChange() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa()
        try await TestOpenIDProvider.withRunning(keys: [key]) { provider in
            try await ServiceHarness.run(Self.options(issuer: provider.issuer)) { harness, client in
                let stored = try await AuthFixtures.storeUser(harness, email: "before@example.com")
                let first = try await TestOpenIDProvider.sign(
                    provider.claims(email: "before@example.com", audience: Self.clientID, subject: "subject-42"), with: key)
                #expect(try await Self.signIn(client, first).status == .ok)
                let renamed = try await TestOpenIDProvider.sign(
                    provider.claims(email: "after@example.com", audience: Self.clientID, subject: "subject-42"), with: key)
                let response = try await Self.signIn(client, renamed)
                #expect(response.status == .ok)
                let user = try #require(try AuthFixtures.object(response)["user"] as? [String: Any])
                #expect(user["id"] as? String == stored.id.uuidString.lowercased())
            }
        }
    }

    @Test("the identity provider unreachable: 503 with Retry-After")
    func providerDown() async throws {
        let key = try await TestOpenIDProvider.SigningKey.rsa()
        let provider = TestOpenIDProvider(keys: [key])
        try await provider.start()
        let issuer = provider.issuer
        let token = try await TestOpenIDProvider.sign(provider.claims(email: "x@example.com", audience: Self.clientID), with: key)
        await provider.stop()
        try await ServiceHarness.run(Self.options(issuer: issuer)) { _, client in
            // Twice: the second, moments after the failed fetch, is still a 503, not a 401.
            for _ in 0..<2 {
                let response = try await Self.signIn(client, token)
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.retryAfter] != nil)
            }
        }
    }
}
