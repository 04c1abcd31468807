import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import PostgresNIO
import Provisioning
import Testing

@Suite("Inbound user webhook: effects, replays, concurrency")
struct WebhookTests {
    @Test("signed create, update and delete are applied to the store")
    func createUpdateDelete() async throws {
        try await ServiceHarness.run { harness, client in
            let created = try await Webhook.event(
                client, id: "evt_create", recordID: "recAda00000000001",
                fields: Webhook.fields(email: "Ada@Example.com", name: "Ada", role: "admin"))
            #expect(created.status == .ok, "\(created.text)")
            #expect(created.json["status"] as? String == "processed")
            #expect(created.json["event_id"] as? String == "evt_create")
            #expect(created.outcome == "inserted")
            let user = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recAda00000000001"))
            #expect(created.userID == user.id)
            #expect(user.emailCanonical == "ada@example.com")
            #expect(user.displayName == "Ada")
            #expect(user.role == "admin")

            let updated = try await Webhook.event(
                client, id: "evt_update", type: "user.updated", recordID: "recAda00000000001",
                fields: Webhook.fields(email: "ada@example.com", name: "Ada Lovelace", role: "member"),
                occurredAt: FixtureTime.iso("11:00"))
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(updated.outcome == "updated")
            #expect(updated.userID == user.id)
            let afterUpdate = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recAda00000000001"))
            #expect(afterUpdate.displayName == "Ada Lovelace")
            #expect(afterUpdate.role == "member")

            let deleted = try await Webhook.event(
                client, id: "evt_delete", type: "user.deleted", recordID: "recAda00000000001", fields: nil,
                occurredAt: FixtureTime.iso("12:00"))
            #expect(deleted.status == .ok, "\(deleted.text)")
            #expect(deleted.outcome == "deleted")
            #expect(deleted.userID == user.id)
            let afterDelete = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recAda00000000001"))
            #expect(afterDelete.deletedAt != nil)

            #expect(harness.counter("webhook_user_events_processed") == 3)
            #expect(harness.counter("webhook_user_events_replayed") == 0)
            #expect(harness.counter("webhook_user_events_failed") == 0)
            let rows = try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM webhook_events")
            #expect(rows == 3)
        }
    }

    @Test("an update without an email changes a known record; record.modified_at beats occurred_at")
    func updateWithoutEmail() async throws {
        try await ServiceHarness.run { harness, client in
            _ = try await Webhook.event(
                client, id: "evt_1", recordID: "recBob00000000001", fields: Webhook.fields(email: "bob@example.com", name: "Bob"))
            let updated = try await Webhook.event(
                client, id: "evt_2", type: "user.updated", recordID: "recBob00000000001", fields: ["Name": "Robert"],
                occurredAt: FixtureTime.iso("09:00"), modifiedAt: FixtureTime.iso("13:00"))
            #expect(updated.status == .ok, "\(updated.text)")
            #expect(updated.outcome == "updated")
            let user = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recBob00000000001"))
            #expect(user.displayName == "Robert")
            #expect(user.emailCanonical == "bob@example.com")
            #expect(user.links["airtable"]?.modifiedAt == FixtureTime.date("13:00"))
        }
    }

    @Test("a replay has no second effect; another body under the same id is a conflict")
    func replayAndConflict() async throws {
        try await ServiceHarness.run { harness, client in
            let body = Webhook.body(
                id: "evt_replay", recordID: "recRe000000000001", fields: Webhook.fields(email: "re@example.com", name: "Re"))
            let first = try await Webhook.sendSigned(client, id: "evt_replay", body: body)
            #expect(first.status == .ok)
            #expect(first.outcome == "inserted")
            let before = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recRe000000000001"))

            // Signed anew (another timestamp), same body: a replay.
            let second = try await Webhook.sendSigned(client, id: "evt_replay", body: body, timestamp: WebhookSigning.now - 5)
            #expect(second.status == .ok, "\(second.text)")
            #expect(second.json["status"] as? String == "replayed")
            #expect(second.json["event_id"] as? String == "evt_replay")
            #expect(second.outcome == "inserted")
            #expect(second.userID == before.id)
            let after = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recRe000000000001"))
            #expect(after == before)
            #expect(after.updatedAt == before.updatedAt)
            #expect(harness.counter("webhook_user_events_processed") == 1)
            #expect(harness.counter("webhook_user_events_replayed") == 1)

            // Newer, so its effect would apply if it were not undone.
            let changed = Webhook.body(
                id: "evt_replay", recordID: "recRe000000000001", fields: Webhook.fields(email: "re@example.com", name: "Changed"),
                occurredAt: FixtureTime.iso("11:00"))
            let conflict = try await Webhook.sendSigned(client, id: "evt_replay", body: changed)
            #expect(conflict.status == .conflict)
            #expect(conflict.json["error"] as? String == "event_id_conflict")
            let unchanged = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recRe000000000001"))
            #expect(unchanged.displayName == "Re")
            #expect(harness.counter("webhook_user_events_failed") == 1)
            let rows = try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM webhook_events")
            #expect(rows == 1)
        }
    }

    @Test("the webhook-id is the event id, even when the body's id differs")
    func webhookIDWins() async throws {
        try await ServiceHarness.run { harness, client in
            let body = Webhook.body(id: "evt_in_body", recordID: "recId000000000001", fields: Webhook.fields(email: "id@example.com"))
            let reply = try await Webhook.sendSigned(client, id: "msg_header_id", body: body)
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["event_id"] as? String == "msg_header_id")
            let rows = try await Webhook.count(
                harness.databaseURL, "SELECT count(*)::int FROM webhook_events WHERE event_id = 'hmac-sha256:msg_header_id'")
            #expect(rows == 1)
        }
    }

    @Test("a created event whose email a store user has links that user (the retry behind savepoints)")
    func createLinksStoreUser() async throws {
        try await ServiceHarness.run { harness, client in
            let stored = try await AuthFixtures.storeUser(harness, email: "link@example.com")
            let created = try await Webhook.event(
                client, id: "evt_link", recordID: "recLink00000000001", fields: Webhook.fields(email: "Link@Example.com", name: "Linked"))
            #expect(created.status == .ok, "\(created.text)")
            #expect(created.outcome == "linked")
            #expect(created.userID == stored.id)
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recLink00000000001")?.id == stored.id)
            #expect(try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM users") == 1)
            let recorded = try await Webhook.count(
                harness.databaseURL, "SELECT count(*)::int FROM webhook_events WHERE event_id = 'hmac-sha256:evt_link' AND outcome = 'linked'")
            #expect(recorded == 1)
        }
    }

    @Test("another body under a recorded id is a conflict even when the store would refuse its effect")
    func conflictBeforeRefusal() async throws {
        try await ServiceHarness.run { harness, client in
            let other = try await Webhook.event(
                client, id: "evt_other", recordID: "recOther000000001", fields: Webhook.fields(email: "other@example.com"))
            #expect(other.outcome == "inserted")
            let first = try await Webhook.event(
                client, id: "evt_same", recordID: "recSame0000000001", fields: Webhook.fields(email: "same@example.com"))
            #expect(first.outcome == "inserted")
            // Same id, another body: its effect (another record taking other@) alone would be 422.
            let refused = Webhook.body(id: "evt_same", recordID: "recThird000000001", fields: Webhook.fields(email: "other@example.com"))
            let reply = try await Webhook.sendSigned(client, id: "evt_same", body: refused)
            #expect(reply.status == .conflict, "\(reply.text)")
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recThird000000001") == nil)
            let fresh = Webhook.body(id: "evt_fresh", recordID: "recThird000000001", fields: Webhook.fields(email: "other@example.com"))
            #expect(try await Webhook.sendSigned(client, id: "evt_fresh", body: fresh).status == .unprocessableContent)
        }
    }

    @Test("100 concurrent deliveries of one event: one effect, every delivery 200")
    func concurrentDeliveries() async throws {
        try await ServiceHarness.run { harness, _ in
            let body = Webhook.body(
                id: "evt_burst", recordID: "recBurst000000001", fields: Webhook.fields(email: "burst@example.com", name: "Burst"))
            let signed = WebhookSigning.headers(id: "evt_burst", body: body)
            let headers = HTTPHeaders(signed.map { ($0.name.rawName, $0.value) })
            let statuses = try await withThrowingTaskGroup(of: (UInt, String).self) { group in
                for _ in 0..<100 {
                    group.addTask {
                        var request = HTTPClientRequest(url: harness.baseURL + Webhook.path)
                        request.method = .POST
                        request.headers = headers
                        request.body = .bytes(ByteBuffer(bytes: body))
                        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                        let text = String(buffer: try await response.body.collect(upTo: 1 << 16))
                        return (response.status.code, text)
                    }
                }
                var all: [(UInt, String)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(statuses.count == 100)
            #expect(statuses.allSatisfy { $0.0 == 200 }, "\(statuses.filter { $0.0 != 200 }.prefix(3))")
            #expect(statuses.filter { $0.1.contains("\"processed\"") }.count == 1)
            #expect(harness.counter("webhook_user_events_processed") == 1)
            #expect(harness.counter("webhook_user_events_replayed") == 99)
            #expect(harness.counter("webhook_user_events_failed") == 0)
            let events = try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM webhook_events")
            #expect(events == 1)
            let users = try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM users")
            #expect(users == 1)
        }
    }

    @Test("an out-of-order older update is stale_ignored")
    func outOfOrderUpdate() async throws {
        try await ServiceHarness.run { harness, client in
            _ = try await Webhook.event(
                client, id: "evt_a", recordID: "recOld000000000001",
                fields: Webhook.fields(email: "old@example.com", name: "Newest"), occurredAt: FixtureTime.iso("12:00"))
            let older = try await Webhook.event(
                client, id: "evt_b", type: "user.updated", recordID: "recOld000000000001",
                fields: Webhook.fields(email: "old@example.com", name: "Older"), occurredAt: FixtureTime.iso("10:00"))
            #expect(older.status == .ok, "\(older.text)")
            #expect(older.outcome == "stale_ignored")
            let user = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recOld000000000001"))
            #expect(user.displayName == "Newest")
            #expect(harness.counter("webhook_user_events_processed") == 2)
        }
    }

    @Test("soft delete sets deleted_at and revokes refresh tokens; a later update restores (restore_on_update)")
    func softDeleteAndRestore() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = """
            soft_delete:
              on_delete_event: soft
              restore_on_update: true
            """
        try await ServiceHarness.run(options) { harness, client in
            let created = try await Webhook.event(
                client, id: "evt_c", recordID: "recSoft00000000001", fields: Webhook.fields(email: "soft@example.com", name: "Soft"))
            let userID = try #require(created.userID)
            try await harness.pipeline.refreshTokens.issue(
                tokenHash: "hash-soft-1", familyID: UUID(), userID: userID, expiresAt: Date().addingTimeInterval(3600), signIn: SignIn(method: .password, at: Date()))

            let deleted = try await Webhook.event(
                client, id: "evt_d", type: "user.deleted", recordID: "recSoft00000000001", occurredAt: FixtureTime.iso("11:00"))
            #expect(deleted.outcome == "deleted")
            let gone = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recSoft00000000001"))
            #expect(gone.deletedAt != nil)
            let rotation = try await harness.pipeline.refreshTokens.rotate(
                presentedHash: "hash-soft-1", newHash: "hash-soft-2", expiresAt: Date().addingTimeInterval(3600))
            #expect(rotation == .invalid)

            // Deleting again: still `deleted` (idempotent), no error.
            let again = try await Webhook.event(
                client, id: "evt_d2", type: "user.deleted", recordID: "recSoft00000000001", occurredAt: FixtureTime.iso("11:30"))
            #expect(again.status == .ok)
            #expect(again.outcome == "deleted")

            let restored = try await Webhook.event(
                client, id: "evt_u", type: "user.updated", recordID: "recSoft00000000001",
                fields: Webhook.fields(email: "soft@example.com", name: "Back"), occurredAt: FixtureTime.iso("12:00"))
            #expect(restored.status == .ok, "\(restored.text)")
            let back = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: "recSoft00000000001"))
            #expect(back.deletedAt == nil)
            #expect(back.displayName == "Back")
        }
    }

    @Test("hard delete removes the row")
    func hardDelete() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = "soft_delete:\n  on_delete_event: hard\n"
        try await ServiceHarness.run(options) { harness, client in
            _ = try await Webhook.event(client, id: "evt_h1", recordID: "recHard00000000001", fields: Webhook.fields(email: "hard@example.com"))
            let deleted = try await Webhook.event(client, id: "evt_h2", type: "user.deleted", recordID: "recHard00000000001")
            #expect(deleted.outcome == "deleted")
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recHard00000000001") == nil)
        }
    }

    @Test("deleting an unknown record is not_found, with a null user_id")
    func deleteUnknown() async throws {
        try await ServiceHarness.run { harness, client in
            let reply = try await Webhook.event(client, id: "evt_nf", type: "user.deleted", recordID: "recNobody000000001")
            #expect(reply.status == .ok, "\(reply.text)")
            #expect(reply.json["status"] as? String == "processed")
            #expect(reply.outcome == "not_found")
            #expect(reply.json.keys.contains("user_id"))
            #expect(reply.json["user_id"] is NSNull)
            #expect(harness.counter("webhook_user_events_processed") == 1)
        }
    }

    @Test("log lines: accepted, replayed and rejected events with their fields; no secret, no full email")
    func logEvents() async throws {
        let capture = LogCapture()
        var options = ServiceHarness.Options()
        options.logHandler = capture.handler
        try await ServiceHarness.run(options) { _, client in
            let body = Webhook.body(id: "evt_log", recordID: "recLog000000000001", fields: Webhook.fields(email: "Logged.User@Example.com"))
            _ = try await Webhook.sendSigned(client, id: "evt_log", body: body)
            _ = try await Webhook.sendSigned(client, id: "evt_log", body: body)
            _ = try await Webhook.sendSigned(client, id: "evt_bad", body: body, secret: WebhookSigning.newSecret())
        }
        let accepted = try #require(capture.events("webhook.accepted").first)
        #expect(accepted["event_id"] as? String == "evt_log")
        #expect(accepted["type"] as? String == "user.created")
        #expect(accepted["outcome"] as? String == "inserted")
        #expect((accepted["user_id"] as? String)?.isEmpty == false)
        #expect(accepted["email"] as? String == "l***@example.com")
        #expect(capture.events("webhook.replayed").count == 1)
        let rejected = try #require(capture.events("webhook.rejected").first)
        #expect(rejected["status"] as? String == "401")
        #expect((rejected["reason"] as? String)?.isEmpty == false)
        for line in capture.lines {
            #expect(!line.lowercased().contains("logged.user@example.com"))
            #expect(!line.contains(ServiceHarness.webhookSecret))
            #expect(!line.contains("v1,"))
        }
    }
}
