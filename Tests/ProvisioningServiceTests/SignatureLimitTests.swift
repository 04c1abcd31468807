import Foundation
import Provisioning
import ProvisioningSignatures
import Testing

/// CONTRACT.md §10: what a delivery may cost before any secret is known.
@Suite("Webhook signature limits")
struct SignatureLimitTests {
    static let body = Array(#"{"id":"evt_1"}"#.utf8)

    static func headers(entries: [String], timestamp: Int = WebhookSigning.now) -> HeaderLookup {
        HeaderLookup(["webhook-id": "evt_1", "webhook-timestamp": String(timestamp), "webhook-signature": entries.joined(separator: " ")])
    }

    @Test("only the first 8 entries are read: a valid signature after 2,000 bogus ones is refused, after 7 it is accepted")
    func atMostEightEntries() throws {
        let verifier = try HMACSignatureVerifier(secrets: [ServiceHarness.webhookSecret], toleranceSeconds: 300)
        let timestamp = WebhookSigning.now
        let valid = WebhookSigning.signature(secret: ServiceHarness.webhookSecret, id: "evt_1", timestamp: timestamp, body: Self.body)
        let bogus = "v1," + Data(repeating: 7, count: 32).base64EncodedString()
        let late = verifier.verify(headers: Self.headers(entries: Array(repeating: bogus, count: 2_000) + [valid], timestamp: timestamp), body: Self.body, now: Date())
        #expect(late != .valid(eventID: "evt_1"))
        let eighth = verifier.verify(headers: Self.headers(entries: Array(repeating: bogus, count: 7) + [valid], timestamp: timestamp), body: Self.body, now: Date())
        #expect(eighth == .valid(eventID: "evt_1"))
        let ninth = verifier.verify(headers: Self.headers(entries: Array(repeating: bogus, count: 8) + [valid], timestamp: timestamp), body: Self.body, now: Date())
        #expect(ninth != .valid(eventID: "evt_1"))
    }

    @Test("a whsec_ secret shorter than 24 bytes is refused; 24 bytes are enough")
    func secretLength() {
        let short = "whsec_" + Data(repeating: 1, count: 23).base64EncodedString()
        let enough = "whsec_" + Data(repeating: 1, count: 24).base64EncodedString()
        #expect(throws: HMACSignatureScheme.InvalidSecret.self) { try HMACSignatureVerifier(secrets: [short], toleranceSeconds: 300) }
        #expect(throws: Never.self) { try HMACSignatureVerifier(secrets: [enough], toleranceSeconds: 300) }
    }
}

@Suite("Webhook times from the future")
struct FutureModifiedTests {
    @Test("a record.modified_at more than tolerance_s ahead is 422 and writes nothing; within it, applied")
    func futureModifiedAt() async throws {
        try await ServiceHarness.run { harness, client in
            let ahead = try await Webhook.event(
                client, id: "evt_future_1", recordID: "recFuture00000001",
                fields: Webhook.fields(email: "future@example.com"), modifiedAt: FixtureTime.fromNow(3_600))
            #expect(ahead.status == .unprocessableContent, "\(ahead.text)")
            #expect(ahead.json["error"] as? String == "unprocessable")
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recFuture00000001") == nil)
            let near = try await Webhook.event(
                client, id: "evt_future_2", recordID: "recFuture00000001",
                fields: Webhook.fields(email: "future@example.com"), modifiedAt: FixtureTime.fromNow(60))
            #expect(near.status == .ok, "\(near.text)")
        }
    }
}
