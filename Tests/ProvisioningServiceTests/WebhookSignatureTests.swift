import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@Suite("Inbound user webhook: signatures and tokens")
struct WebhookSignatureTests {
    static let body = Webhook.body(id: "evt_sig", recordID: "recSig000000000001", fields: Webhook.fields(email: "sig@example.com"))

    /// A 401 says nothing about why.
    static func expectRefused(_ reply: Webhook.Reply, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == .unauthorized, sourceLocation: sourceLocation)
        #expect(reply.text == #"{"error":"invalid_signature"}"#, sourceLocation: sourceLocation)
    }

    @Test("missing, wrong, expired and malformed signatures are 401 with one body; nothing is written")
    func refused() async throws {
        try await ServiceHarness.run { harness, client in
            let body = Self.body
            var plain = HTTPFields()
            plain[.contentType] = "application/json"
            Self.expectRefused(try await Webhook.send(client, body: body, headers: plain))

            Self.expectRefused(try await Webhook.sendSigned(client, id: "evt_sig", body: body, secret: WebhookSigning.newSecret()))
            Self.expectRefused(try await Webhook.sendSigned(client, id: "evt_sig", body: body, timestamp: WebhookSigning.now - 301))
            Self.expectRefused(try await Webhook.sendSigned(client, id: "evt_sig", body: body, timestamp: WebhookSigning.now + 400))

            // Signed for another body, or another id.
            var other = WebhookSigning.headers(id: "evt_sig", body: Array("{}".utf8))
            Self.expectRefused(try await Webhook.send(client, body: body, headers: other))
            other = WebhookSigning.headers(id: "evt_other", body: body)
            other[HTTPField.Name("webhook-id")!] = "evt_sig"
            Self.expectRefused(try await Webhook.send(client, body: body, headers: other))

            // Headers present but incomplete or garbled.
            var partial = WebhookSigning.headers(id: "evt_sig", body: body)
            partial[HTTPField.Name("webhook-timestamp")!] = nil
            Self.expectRefused(try await Webhook.send(client, body: body, headers: partial))
            var garbled = WebhookSigning.headers(id: "evt_sig", body: body)
            garbled[HTTPField.Name("webhook-signature")!] = "v1,not-base64!!! v2,abc"
            Self.expectRefused(try await Webhook.send(client, body: body, headers: garbled))
            var badTime = WebhookSigning.headers(id: "evt_sig", body: body)
            badTime[HTTPField.Name("webhook-timestamp")!] = "yesterday"
            Self.expectRefused(try await Webhook.send(client, body: body, headers: badTime))

            // A refused body is never parsed: even garbage is 401, not 400.
            Self.expectRefused(try await Webhook.send(client, body: Array("not json".utf8), headers: plain))

            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recSig000000000001") == nil)
            #expect(try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM webhook_events") == 0)
            #expect(harness.counter("webhook_user_events_failed") == 10)
            #expect(harness.counter("webhook_user_events_processed") == 0)

            let good = try await Webhook.sendSigned(client, id: "evt_sig", body: body)
            #expect(good.status == .ok, "\(good.text)")
        }
    }

    @Test("several signatures in the header: one matching entry is enough")
    func severalSignatures() async throws {
        try await ServiceHarness.run { _, client in
            let body = Self.body
            var headers = WebhookSigning.headers(id: "evt_sig", body: body)
            let valid = headers[HTTPField.Name("webhook-signature")!]!
            let stranger = WebhookSigning.signature(secret: WebhookSigning.newSecret(), id: "evt_sig", timestamp: WebhookSigning.now, body: body)
            headers[HTTPField.Name("webhook-signature")!] = "\(stranger) \(valid)"
            let reply = try await Webhook.send(client, body: body, headers: headers)
            #expect(reply.status == .ok, "\(reply.text)")
        }
    }

    @Test("secret rotation: a rotated-in secret is accepted, a rotated-out one refused")
    func rotation() async throws {
        let old = WebhookSigning.newSecret()
        let new = WebhookSigning.newSecret()
        let retired = WebhookSigning.newSecret()
        var options = ServiceHarness.Options()
        options.extraYAML = """
            webhook:
              schemes:
                - kind: hmac-sha256
                  secrets: ["\(new)", "\(old)"]
                  tolerance_s: 60
            """
        try await ServiceHarness.run(options) { _, client in
            let first = Webhook.body(id: "evt_new", recordID: "recRot000000000001", fields: Webhook.fields(email: "rot1@example.com"))
            let second = Webhook.body(id: "evt_old", recordID: "recRot000000000002", fields: Webhook.fields(email: "rot2@example.com"))
            let third = Webhook.body(id: "evt_gone", recordID: "recRot000000000003", fields: Webhook.fields(email: "rot3@example.com"))
            #expect(try await Webhook.sendSigned(client, id: "evt_new", body: first, secret: new).status == .ok)
            #expect(try await Webhook.sendSigned(client, id: "evt_old", body: second, secret: old).status == .ok)
            Self.expectRefused(try await Webhook.sendSigned(client, id: "evt_gone", body: third, secret: retired))
            // The harness default secret is not configured here.
            Self.expectRefused(try await Webhook.sendSigned(client, id: "evt_gone", body: third))
            // tolerance_s from config: 61 s off is refused.
            Self.expectRefused(try await Webhook.sendSigned(client, id: "evt_gone", body: third, secret: new, timestamp: WebhookSigning.now - 61))
            // No shared-token scheme configured: the token header alone is refused.
            Self.expectRefused(try await Webhook.send(client, body: third, headers: WebhookSigning.tokenHeaders()))
        }
    }

    @Test("no scheme configured: every delivery is refused")
    func noSchemes() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = "webhook:\n  max_body_bytes: 65536\n"
        try await ServiceHarness.run(options) { _, client in
            Self.expectRefused(try await Webhook.sendSigned(client, id: "evt_sig", body: Self.body))
            Self.expectRefused(try await Webhook.send(client, body: Self.body, headers: WebhookSigning.tokenHeaders()))
        }
    }

    @Test("shared token: the right token is accepted with the body id or an Idempotency-Key; a wrong one is refused")
    func sharedToken() async throws {
        try await ServiceHarness.run { harness, client in
            let body = Webhook.body(id: "evt_tok_body", recordID: "recTok000000000001", fields: Webhook.fields(email: "tok@example.com"))
            let byBody = try await Webhook.send(client, body: body, headers: WebhookSigning.tokenHeaders())
            #expect(byBody.status == .ok, "\(byBody.text)")
            #expect(byBody.json["event_id"] as? String == "evt_tok_body")
            #expect(byBody.outcome == "inserted")

            let update = Webhook.body(
                id: "evt_tok_body_2", type: "user.updated", recordID: "recTok000000000001",
                fields: Webhook.fields(email: "tok@example.com", name: "Token"), occurredAt: FixtureTime.iso("11:00"))
            let byKey = try await Webhook.send(client, body: update, headers: WebhookSigning.tokenHeaders(idempotencyKey: "idem-123"))
            #expect(byKey.status == .ok, "\(byKey.text)")
            #expect(byKey.json["event_id"] as? String == "idem-123")
            #expect(byKey.outcome == "updated")
            let replay = try await Webhook.send(client, body: update, headers: WebhookSigning.tokenHeaders(idempotencyKey: "idem-123"))
            #expect(replay.json["status"] as? String == "replayed")
            let events = try await Webhook.count(
                harness.databaseURL, "SELECT count(*)::int FROM webhook_events WHERE event_id IN ('shared-token:evt_tok_body', 'shared-token:idem-123')")
            #expect(events == 2)

            // An empty Idempotency-Key counts as none: the body id is used.
            let empty = Webhook.body(id: "evt_tok_empty_key", type: "user.deleted", recordID: "recTok000000000009")
            let byEmptyKey = try await Webhook.send(client, body: empty, headers: WebhookSigning.tokenHeaders(idempotencyKey: ""))
            #expect(byEmptyKey.json["event_id"] as? String == "evt_tok_empty_key", "\(byEmptyKey.text)")

            let other = Webhook.body(id: "evt_tok_bad", recordID: "recTok000000000002", fields: Webhook.fields(email: "tok2@example.com"))
            Self.expectRefused(try await Webhook.send(client, body: other, headers: WebhookSigning.tokenHeaders(token: "wrong-token-0123456789")))
            Self.expectRefused(try await Webhook.send(client, body: other, headers: WebhookSigning.tokenHeaders(token: "")))
            Self.expectRefused(try await Webhook.send(client, body: other, headers: WebhookSigning.tokenHeaders(token: ServiceHarness.webhookToken + "x")))
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recTok000000000002") == nil)
        }
    }

    @Test("the first scheme whose headers are present decides: a bad signature is not rescued by a good token")
    func firstPresentSchemeDecides() async throws {
        try await ServiceHarness.run { _, client in
            var headers = WebhookSigning.headers(id: "evt_sig", body: Self.body, secret: WebhookSigning.newSecret())
            headers[HTTPField.Name("X-Webhook-Token")!] = ServiceHarness.webhookToken
            Self.expectRefused(try await Webhook.send(client, body: Self.body, headers: headers))
        }
    }
}
