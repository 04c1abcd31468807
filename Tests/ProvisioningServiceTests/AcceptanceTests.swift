import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import NIOCore
import Provisioning
import Testing

/// One test per acceptance criterion of the feature, each through HTTP
/// against real PostgreSQL and airtable-sim.
@Suite("Acceptance")
struct AcceptanceTests {
    static var options: ServiceHarness.Options { AuthFixtures.options }

    @Test("an Airtable-first user logs in without waiting for sync")
    func airtableFirstUserLogsInAtOnce() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let recordID = AuthFixtures.airtableUser(harness, email: "first@example.com", name: "First")
            #expect(try await harness.pipeline.store.user(canonicalEmail: "first@example.com") == nil)
            let login = try await AuthFixtures.login(client, "first@example.com")
            #expect(login.status == .ok)
            let user = try await harness.pipeline.store.user(canonicalEmail: "first@example.com")
            #expect(user?.recordID(in: "airtable") == recordID)
            #expect(user?.displayName == "First")
        }
    }

    @Test("concurrent first logins make no duplicate rows")
    func concurrentFirstLoginsMakeOneRow() async throws {
        var options = Self.options
        options.simLatencyMs = 100
        try await ServiceHarness.run(options) { harness, _ in
            AuthFixtures.airtableUser(harness, email: "crowd@example.com")
            harness.sim.resetCounters()
            let codes = try await AuthFixtures.concurrentLogins(
                baseURL: harness.baseURL, emails: (0..<30).map { $0.isMultiple(of: 2) ? "crowd@example.com" : " CROWD@Example.com " })
            #expect(codes.allSatisfy { $0 == 200 })
            let rows = try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM users WHERE email_canonical = 'crowd@example.com'")
            #expect(rows == 1)
            #expect(harness.sim.counters().total == 1)
        }
    }

    @Test("a valid signed event upserts the user")
    func signedEventUpserts() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let reply = try await Webhook.event(
                client, id: "evt_accept_1", recordID: "recAccept0000001",
                fields: Webhook.fields(email: "hooked@example.com", name: "Hooked", role: "editor"))
            #expect(reply.status == .ok)
            #expect(reply.json["status"] as? String == "processed")
            #expect(reply.outcome == "inserted")
            let user = try await harness.pipeline.store.user(source: "airtable", recordID: "recAccept0000001")
            #expect(user?.emailCanonical == "hooked@example.com")
            #expect(user?.role == "editor")
        }
    }

    @Test("a replayed event has no second effect")
    func replayHasNoSecondEffect() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let body = Webhook.body(id: "evt_accept_2", recordID: "recAccept0000002", fields: Webhook.fields(email: "once@example.com", name: "Once"))
            let first = try await Webhook.sendSigned(client, id: "evt_accept_2", body: body)
            let before = try await harness.pipeline.store.user(source: "airtable", recordID: "recAccept0000002")
            _ = try await harness.pipeline.store.updateFromApp(id: try #require(before?.id), values: ["display_name": "Changed in app"])
            let changed = try await harness.pipeline.store.user(source: "airtable", recordID: "recAccept0000002")
            let replay = try await Webhook.sendSigned(client, id: "evt_accept_2", body: body)
            #expect(first.status == .ok && replay.status == .ok)
            #expect(replay.json["status"] as? String == "replayed")
            #expect(replay.outcome == first.outcome)
            let after = try await harness.pipeline.store.user(source: "airtable", recordID: "recAccept0000002")
            #expect(after == changed, "the replay wrote to the user")
            #expect(harness.counter("webhook_user_events_replayed") == 1)
            #expect(harness.counter("webhook_user_events_processed") == 1)
        }
    }

    @Test("Postgres-only auth is unchanged: a store user logs in with no Airtable request, even with Airtable down")
    func postgresOnlyAuthUnchanged() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            try await AuthFixtures.storeUser(harness, email: "local-only@example.com")
            harness.sim.resetCounters()
            #expect(try await AuthFixtures.login(client, "local-only@example.com").status == .ok)
            harness.sim.setFault(.hang, count: nil, fraction: 1.0)
            #expect(try await AuthFixtures.login(client, "local-only@example.com").status == .ok)
            #expect(try await AuthFixtures.login(client, "local-only@example.com", "wrong").status == .unauthorized)
            #expect(harness.sim.counters().total == 0)
        }
    }

    @Test("read-through provisioning and webhook idempotency meet: a webhook after a login updates the same row")
    func readThroughThenWebhook() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let recordID = AuthFixtures.airtableUser(harness, email: "both@example.com", name: "Before")
            #expect(try await AuthFixtures.login(client, "both@example.com").status == .ok)
            let provisioned = try #require(try await harness.pipeline.store.user(canonicalEmail: "both@example.com"))
            let later = ISO8601DateFormatter().string(from: Date().addingTimeInterval(60))
            let update = try await Webhook.event(
                client, id: "evt_accept_3", type: "user.updated", recordID: recordID,
                fields: Webhook.fields(email: "both@example.com", name: "After"),
                occurredAt: later)
            #expect(update.status == .ok)
            #expect(update.outcome == "updated")
            #expect(update.userID == provisioned.id)
            let again = try await Webhook.event(
                client, id: "evt_accept_3", type: "user.updated", recordID: recordID,
                fields: Webhook.fields(email: "both@example.com", name: "After"),
                occurredAt: later)
            #expect(again.json["status"] as? String == "replayed")
            let user = try await harness.pipeline.store.user(canonicalEmail: "both@example.com")
            #expect(user?.displayName == "After")
            #expect(user?.id == provisioned.id)
        }
    }
}
