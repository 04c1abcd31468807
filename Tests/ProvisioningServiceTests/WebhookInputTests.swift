import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Testing

@Suite("Inbound user webhook: bad input and an unreachable store")
struct WebhookInputTests {
    @Test("a body over max_body_bytes is 413, by Content-Length or while reading a chunked body")
    func oversize() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = """
            webhook:
              max_body_bytes: 1024
              schemes:
                - kind: hmac-sha256
                  secrets: ["\(ServiceHarness.webhookSecret)"]
            """
        try await ServiceHarness.run(options) { harness, client in
            // Exactly at the limit is fine.
            var fields = Webhook.fields(email: "size@example.com")
            let base = Webhook.body(id: "evt_size", recordID: "recSize00000000001", fields: fields).count
            fields["Padding"] = String(repeating: "x", count: 1024 - base - #","Padding":"""#.count)
            let exact = Webhook.body(id: "evt_size", recordID: "recSize00000000001", fields: fields)
            #expect(exact.count == 1024)
            let accepted = try await Webhook.sendSigned(client, id: "evt_size", body: exact)
            #expect(accepted.status == .ok, "\(accepted.text)")

            fields["Padding"] = String(repeating: "x", count: 2000)
            let big = Webhook.body(id: "evt_big", recordID: "recSize00000000002", fields: fields)
            let refused = try await Webhook.sendSigned(client, id: "evt_big", body: big)
            #expect(refused.status == .contentTooLarge)
            #expect(refused.text == #"{"error":"payload_too_large"}"#)

            // No Content-Length: refused once the limit is passed.
            let signed = WebhookSigning.headers(id: "evt_big", body: big)
            var request = HTTPClientRequest(url: harness.baseURL + Webhook.path)
            request.method = .POST
            request.headers = HTTPHeaders(signed.map { ($0.name.rawName, $0.value) })
            let chunks = stride(from: 0, to: big.count, by: 256).map { ByteBuffer(bytes: big[$0..<min($0 + 256, big.count)]) }
            request.body = .stream(chunks.async, length: .unknown)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 413)
            #expect(String(buffer: try await response.body.collect(upTo: 4096)) == #"{"error":"payload_too_large"}"#)

            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recSize00000000002") == nil)
            #expect(harness.counter("webhook_user_events_failed") == 2)
        }
    }

    @Test("malformed JSON, missing keys, wrong types and unknown types are 400 invalid_payload")
    func invalidPayloads() async throws {
        try await ServiceHarness.run { harness, client in
            let cases: [(String, String)] = [
                ("not json", "malformed"),
                ("", "empty"),
                ("[1,2,3]", "array"),
                ("\"text\"", "fragment"),
                (#"{"type":"user.created","record":{"id":"rec1","fields":{"Email":"a@example.com"}}}"#, "missing id"),
                (#"{"id":"e","record":{"id":"rec1","fields":{"Email":"a@example.com"}}}"#, "missing type"),
                (#"{"id":"e","type":"user.renamed","record":{"id":"rec1"}}"#, "unknown type"),
                (#"{"id":"e","type":"user.created"}"#, "missing record"),
                (#"{"id":"e","type":"user.created","record":"rec1"}"#, "record not an object"),
                (#"{"id":"e","type":"user.created","record":{"fields":{"Email":"a@example.com"}}}"#, "missing record.id"),
                (#"{"id":"e","type":"user.created","record":{"id":""}}"#, "empty record.id"),
                (#"{"id":7,"type":"user.created","record":{"id":"rec1"}}"#, "numeric id"),
                (#"{"id":"e","type":"user.created","record":{"id":"rec1","fields":["Email"]}}"#, "fields not an object"),
                (#"{"id":"e","type":"user.created","occurred_at":"yesterday","record":{"id":"rec1","fields":{"Email":"a@example.com"}}}"#, "bad time"),
                (#"{"id":"e","type":"user.created","record":{"id":"rec1","fields":{"Email":"a@example.com","Role":3}}}"#, "mapped field not text"),
                (String(repeating: "[", count: 20_000), "deep nesting"),
                ("{\"id\":\"e\",\"type\":\"user.created\",\"record\":{\"id\":\"rec1\",\"fields\":{\"Email\":\"\u{FFFF}\"}}", "truncated"),
            ]
            for (index, (text, label)) in cases.enumerated() {
                let reply = try await Webhook.sendSigned(client, id: "evt_bad_\(index)", body: Array(text.utf8))
                #expect(reply.status == .badRequest, "\(label): \(reply.status) \(reply.text)")
                #expect(reply.json["error"] as? String == "invalid_payload", "\(label)")
                #expect((reply.json["detail"] as? String)?.isEmpty == false, "\(label)")
            }
            // Invalid UTF-8.
            let bytes: [UInt8] = Array(#"{"id":"e","type":"user.created","record":{"id":"rec1","fields":{"Email":""#.utf8) + [0xFF, 0xFE] + Array(#""}}}"#.utf8)
            let reply = try await Webhook.sendSigned(client, id: "evt_bad_utf8", body: bytes)
            #expect(reply.status == .badRequest || reply.status == .unprocessableContent, "\(reply.text)")

            #expect(try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM webhook_events") == 0)
            #expect(try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM users") == 0)
            #expect(harness.counter("webhook_user_events_failed") == Double(cases.count + 1))
            // The service still answers.
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }

    @Test("422: a create without an email, an invalid email, an email owned by another record; nothing is written")
    func unprocessable() async throws {
        try await ServiceHarness.run { harness, client in
            let noEmail = try await Webhook.event(client, id: "evt_ne", recordID: "recNoMail000000001", fields: ["Name": "Nobody"])
            #expect(noEmail.status == .unprocessableContent)
            #expect(noEmail.json["error"] as? String == "unprocessable")
            #expect((noEmail.json["detail"] as? String)?.isEmpty == false)

            let blankEmail = try await Webhook.event(client, id: "evt_be", recordID: "recNoMail000000001", fields: ["Email": "", "Name": "Blank"])
            #expect(blankEmail.status == .unprocessableContent)

            let invalid = try await Webhook.event(client, id: "evt_ie", recordID: "recBadMail00000001", fields: Webhook.fields(email: "not-an-email"))
            #expect(invalid.status == .unprocessableContent, "\(invalid.text)")
            #expect(invalid.json["error"] as? String == "unprocessable")

            let unknownUpdate = try await Webhook.event(
                client, id: "evt_uu", type: "user.updated", recordID: "recUnknown00000001", fields: ["Name": "Ghost"])
            #expect(unknownUpdate.status == .unprocessableContent, "\(unknownUpdate.text)")

            let owner = try await Webhook.event(client, id: "evt_owner", recordID: "recOwner0000000001", fields: Webhook.fields(email: "owned@example.com", name: "Owner"))
            #expect(owner.status == .ok)
            let thief = try await Webhook.event(
                client, id: "evt_thief", recordID: "recThief0000000001", fields: Webhook.fields(email: "OWNED@example.com", name: "Thief"))
            #expect(thief.status == .unprocessableContent, "\(thief.text)")
            #expect(thief.json["error"] as? String == "unprocessable")

            // An email change onto another record's email, too.
            _ = try await Webhook.event(client, id: "evt_second", recordID: "recSecond000000001", fields: Webhook.fields(email: "second@example.com"))
            let change = try await Webhook.event(
                client, id: "evt_change", type: "user.updated", recordID: "recSecond000000001",
                fields: Webhook.fields(email: "owned@example.com"), occurredAt: FixtureTime.iso("11:00"))
            #expect(change.status == .unprocessableContent, "\(change.text)")

            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recThief0000000001") == nil)
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recNoMail000000001") == nil)
            let ownerUser = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recOwner0000000001"))
            #expect(ownerUser.displayName == "Owner")
            let second = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recSecond000000001"))
            #expect(second.emailCanonical == "second@example.com")
            #expect(try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM users") == 2)
            #expect(try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM webhook_events") == 2)
            #expect(harness.counter("webhook_user_events_failed") == 6)
            #expect(harness.counter("webhook_user_events_processed") == 2)

            // Not recorded: the same event, fixed at the source and sent again, applies.
            let retried = try await Webhook.event(
                client, id: "evt_thief", recordID: "recThief0000000001", fields: Webhook.fields(email: "thief@example.com", name: "Thief"))
            #expect(retried.status == .ok, "\(retried.text)")
        }
    }

    @Test("an unreachable store is 503 with Retry-After, and no event row; the retry is processed")
    func storeUnavailable() async throws {
        try await ServiceHarness.run { harness, client in
            try await Webhook.execute(harness.databaseURL, "ALTER TABLE users RENAME TO users_away")
            let body = Webhook.body(id: "evt_down", recordID: "recDown00000000001", fields: Webhook.fields(email: "down@example.com"))
            let down = try await Webhook.sendSigned(client, id: "evt_down", body: body)
            #expect(down.status == .serviceUnavailable, "\(down.text)")
            #expect(down.json["error"] as? String == "temporarily_unavailable")
            #expect(down.headers[.retryAfter] != nil)
            #expect(try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM webhook_events") == 0)
            #expect(harness.counter("webhook_user_events_failed") == 1)

            try await Webhook.execute(harness.databaseURL, "ALTER TABLE users_away RENAME TO users")
            let retried = try await Webhook.sendSigned(client, id: "evt_down", body: body)
            #expect(retried.status == .ok, "\(retried.text)")
            #expect(retried.json["status"] as? String == "processed")
            #expect(retried.outcome == "inserted")
        }
    }
}
