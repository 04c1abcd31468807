import Foundation
import HTTPTypes
import Provisioning
import Testing

/// CONTRACT.md §10: event ids per scheme, what a shared token may write,
/// and stale deletes.
@Suite("Webhook scope: ids per scheme, shared-token writes, stale deletes")
struct WebhookScopeTests {
    @Test("an id used by one scheme does not claim it for another: both deliveries are processed, each replays on its own")
    func idsPerScheme() async throws {
        try await ServiceHarness.run { harness, client in
            let tokenBody = Webhook.body(id: "evt_shared_id", recordID: "recScheme0000001", fields: Webhook.fields(email: "token.side@example.com"))
            let byToken = try await Webhook.send(client, body: tokenBody, headers: WebhookSigning.tokenHeaders(idempotencyKey: "evt_shared_id"))
            #expect(byToken.status == .ok && byToken.outcome == "inserted")
            let hmacBody = Webhook.body(id: "evt_shared_id", recordID: "recScheme0000002", fields: Webhook.fields(email: "hmac.side@example.com"))
            let byHMAC = try await Webhook.sendSigned(client, id: "evt_shared_id", body: hmacBody)
            #expect(byHMAC.status == .ok, "not 409: the other scheme's id is not this one's")
            #expect(byHMAC.json["status"] as? String == "processed" && byHMAC.json["event_id"] as? String == "evt_shared_id")
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recScheme0000002") != nil)
            let replay = try await Webhook.send(client, body: tokenBody, headers: WebhookSigning.tokenHeaders(idempotencyKey: "evt_shared_id"))
            #expect(replay.json["status"] as? String == "replayed")
        }
    }

    @Test("a shared token cannot set password_hash or role by default; other attributes are written")
    func sharedTokenDefaultWrites() async throws {
        try await ServiceHarness.run { harness, client in
            var fields = Webhook.fields(email: "limited@example.com", name: "Limited", role: "admin")
            fields["Password Hash"] = AuthFixtures.passwordHash
            let body = Webhook.body(id: "evt_limited", recordID: "recLimited000001", fields: fields)
            let reply = try await Webhook.send(client, body: body, headers: WebhookSigning.tokenHeaders())
            #expect(reply.status == .ok && reply.outcome == "inserted")
            let user = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recLimited000001"))
            #expect(user.values["display_name"] == "Limited")
            #expect(user.values["role"] == nil && user.passwordHash == nil)
            // The same fields signed with the HMAC secret are all written.
            let signed = Webhook.body(id: "evt_full", type: "user.updated", recordID: "recLimited000001", fields: fields, occurredAt: FixtureTime.iso("10:20"))
            #expect(try await Webhook.sendSigned(client, id: "evt_full", body: signed).outcome == "updated")
            let updated = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recLimited000001"))
            #expect(updated.values["role"] == "admin" && updated.passwordHash == AuthFixtures.passwordHash)
        }
    }

    @Test("a shared token's writes: list replaces the default")
    func sharedTokenWritesList() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = """
            webhook:
              schemes:
                - kind: shared-token
                  header: X-Webhook-Token
                  tokens: ["\(ServiceHarness.webhookToken)"]
                  writes: [email, role]
            """
        try await ServiceHarness.run(options) { harness, client in
            let body = Webhook.body(id: "evt_listed", recordID: "recListed0000001", fields: Webhook.fields(email: "listed@example.com", name: "Listed", role: "editor"))
            #expect(try await Webhook.send(client, body: body, headers: WebhookSigning.tokenHeaders()).outcome == "inserted")
            let user = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recListed0000001"))
            #expect(user.values["role"] == "editor")
            #expect(user.values["display_name"] == nil)
        }
    }

    @Test("a user.deleted older than the stored record is stale_ignored and deletes nothing; a newer one deletes")
    func staleDelete() async throws {
        try await ServiceHarness.run { harness, client in
            let created = try await Webhook.event(
                client, id: "evt_c", recordID: "recStaleDel00001", fields: Webhook.fields(email: "stale.delete@example.com"),
                occurredAt: FixtureTime.iso("10:30"))
            #expect(created.outcome == "inserted")
            let stale = try await Webhook.event(client, id: "evt_d_old", type: "user.deleted", recordID: "recStaleDel00001", occurredAt: FixtureTime.iso("10:00"))
            #expect(stale.status == .ok && stale.outcome == "stale_ignored")
            #expect(stale.userID == created.userID)
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recStaleDel00001")?.deletedAt == nil)
            let fresh = try await Webhook.event(client, id: "evt_d_new", type: "user.deleted", recordID: "recStaleDel00001", occurredAt: FixtureTime.iso("10:45"))
            #expect(fresh.outcome == "deleted")
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recStaleDel00001")?.deletedAt != nil)
        }
    }
}
