import Foundation
import HummingbirdTesting
import NIOCore
import Provisioning
import ProvisioningSignatures
import Testing

/// Inputs found by schemathesis (scripts/contract-check.sh): each once
/// crashed the process or earned a 503 the sender would retry forever.
@Suite("Hostile inputs")
struct HostileInputTests {
    @Test("an extreme webhook-timestamp is an invalid signature, not a crash", arguments: [Int.min, Int.max, -1, 0])
    func extremeTimestamp(_ timestamp: Int) throws {
        let verifier = try HMACSignatureVerifier(secrets: [ServiceHarness.webhookSecret], toleranceSeconds: 300)
        let headers = HeaderLookup(["webhook-id": "x", "webhook-timestamp": String(timestamp), "webhook-signature": "v1,AAAA"])
        guard case .invalid = verifier.verify(headers: headers, body: [], now: Date()) else {
            Issue.record("timestamp \(timestamp) was accepted")
            return
        }
    }

    @Test("a NUL character the store cannot hold: webhook 422, PATCH me 400, never 503")
    func nulCharacters() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = AuthFixtures.authYAML
        try await ServiceHarness.run(options) { harness, client in
            let reply = try await Webhook.event(
                client, id: "evt_nul_1", recordID: "recNul0000000001", fields: Webhook.fields(email: "nul@example.com", name: "a\u{0}b"))
            #expect(reply.status == .unprocessableContent)
            #expect(reply.json["error"] as? String == "unprocessable")
            let deleted = try await Webhook.event(client, id: "evt_nul_2", type: "user.deleted", recordID: "rec\u{0}x")
            #expect(deleted.status.code < 500)

            AuthFixtures.airtableUser(harness, email: "patch@example.com")
            let login = try AuthFixtures.object(try await AuthFixtures.login(client, "patch@example.com"))
            let token = try #require(login["access_token"] as? String)
            let patched = try await client.execute(
                uri: "/api/auth/me", method: .patch, headers: [.authorization: "Bearer \(token)"],
                body: AuthFixtures.json(["display_name": "a\u{0}b"]))
            #expect(patched.status == .badRequest)

            let poisoned = harness.sim.insert(
                base: ServiceHarness.base, table: "Users",
                fields: ["Email": "poison@example.com", "Name": "x\u{0}y", "Password Hash": .string(AuthFixtures.passwordHash)])
            _ = poisoned
            let refused = try await AuthFixtures.login(client, "poison@example.com")
            #expect(refused.status == .unauthorized)
        }
    }
}
