import AirtableSim
import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Logging
import NIOCore
import Provisioning
import ProvisioningProcessKit
import ProvisioningService
import ProvisioningTestKit
import Testing

/// CONTRACT §9 over HTTP: airtable-sim's real webhook pings reach the
/// service's notify route; payloads are read from the simulator and written
/// to real PostgreSQL. Sync is off and nobody logs in, so a row can only
/// arrive through the webhook.
@Suite("Airtable webhooks")
struct AirtableWebhookTests {
    @Test("a record created in Airtable is in PostgreSQL without a login; /readyz shows the webhook")
    func created() async throws {
        try await WebhookHarness.run { harness, client, tap in
            let id = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("pushed.one@example.com", "Pushed One"))
            let user = try await WebhookHarness.stored(harness, id) { $0 != nil }
            #expect(user?.email == "pushed.one@example.com" && user?.values["display_name"] == "Pushed One")
            #expect(harness.sim.counters()[.list] == 0 && harness.sim.counters()[.get] == 0, "no sync, no lookup")
            // Counted and logged once the page's writes are done.
            try await eventually { tap.events("airtable_webhook.applied").contains { $0.metadata["inserted"] == "1" } }
            #expect(WebhookHarness.metric(harness, "airtable_webhook_records_total", "outcome", "inserted") == 1)
            #expect(WebhookHarness.metric(harness, "airtable_webhook_notifications_total", "result", "accepted") >= 1)
            #expect(tap.events("airtable_webhook.created").count == 1)

            let subscription = try #require(try await WebhookHarness.subscription(harness))
            let readiness = try await client.execute(uri: "/readyz", method: .get)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(buffer: readiness.body)) as? [String: Any])
            let webhook = try #require((body["webhooks"] as? [String: Any])?["airtable"] as? [String: Any])
            #expect(webhook["id"] as? String == subscription.subscriptionID)
            #expect(webhook["state"] as? String == "active")
            #expect((webhook["cursor"] as? Int ?? 0) >= 2 && webhook["expiration"] is String && webhook["last_notification"] is String)
            let logged = tap.all().map { "\($0.metadata)" }.joined()
            #expect(!logged.contains(subscription.secret), "the MAC secret is never logged")
        }
    }

    @Test("a name change and a deletion in Airtable reach PostgreSQL")
    func changedAndDeleted() async throws {
        try await WebhookHarness.run { harness, _, _ in
            let id = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("pushed.two@example.com", "Before"))
            _ = try await WebhookHarness.stored(harness, id) { $0 != nil }
            harness.sim.update(base: ServiceHarness.base, table: "Users", id: id, fields: ["Name": "After"])
            let renamed = try await WebhookHarness.stored(harness, id) { $0?.values["display_name"] == "After" }
            #expect(renamed?.values["role"] == "member" && renamed?.deletedAt == nil, "cells that did not change are kept")
            harness.sim.delete(base: ServiceHarness.base, table: "Users", id: id)
            let deleted = try await WebhookHarness.stored(harness, id) { $0?.deletedAt != nil }
            #expect(deleted?.email == "pushed.two@example.com")
            try await eventually { WebhookHarness.metric(harness, "airtable_webhook_records_total", "outcome", "deleted") == 1 }
            #expect(WebhookHarness.metric(harness, "airtable_webhook_records_total", "outcome", "updated") == 1)
            #expect(harness.sim.counters()[.list] == 0 && harness.sim.counters()[.get] == 0, "no sync, no lookup")
        }
    }

    @Test("a change whose payload holds no email is completed by one record GET")
    func completedByRecordGet() async throws {
        try await WebhookHarness.run { harness, _, tap in
            let id = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("pushed.three@example.com", "Three"))
            _ = try await WebhookHarness.stored(harness, id) { $0 != nil }
            #expect(!harness.sim.requestLog().contains { $0.path.hasSuffix("/Users/\(id)") }, "a create carries every cell")
            harness.sim.update(base: ServiceHarness.base, table: "Users", id: id, fields: ["Email": .null])
            try await eventually { harness.sim.requestLog().contains { $0.method == "GET" && $0.path.hasSuffix("/Users/\(id)") } }
            try await eventually { tap.events("airtable_webhook.applied").count == 2 }
            // The record says no email now: the user keeps the one it has (the store's rule for a cleared email).
            #expect(try await WebhookHarness.stored(harness, id) { _ in true }?.email == "pushed.three@example.com")
        }
    }

    @Test("a wrong MAC is 401 with the user webhook's body and starts no read; an unknown source is 404")
    func wrongMAC() async throws {
        try await WebhookHarness.run { harness, client, tap in
            let before = try #require(try await WebhookHarness.subscription(harness))
            let accepted = WebhookHarness.metric(harness, "airtable_webhook_notifications_total", "result", "accepted")
            let ping = WebhookHarness.ping(webhookID: before.subscriptionID)
            let forged = try await WebhookHarness.notify(client, ping, mac: "hmac-sha256=" + String(repeating: "0", count: 64))
            #expect(forged.status == .unauthorized)
            let unsigned = try await client.execute(
                uri: "/api/sync/users/inbound", method: .post, headers: [HTTPField.Name("webhook-signature")!: "v1,AAAA"], body: ByteBuffer(bytes: ping))
            #expect(unsigned.status == .unauthorized)
            #expect(String(buffer: forged.body) == String(buffer: unsigned.body), "the same body as the user webhook")
            let wrongKey = try await WebhookHarness.notify(client, ping, mac: WebhookHarness.mac(ping, secret: Data("other".utf8).base64EncodedString()))
            #expect(wrongKey.status == .unauthorized)
            #expect(WebhookHarness.metric(harness, "airtable_webhook_notifications_total", "result", "rejected") == 2)
            #expect(WebhookHarness.metric(harness, "airtable_webhook_notifications_total", "result", "accepted") == accepted)
            #expect(try await WebhookHarness.subscription(harness)?.notifications == before.notifications, "no read was asked for")
            #expect(tap.events("airtable_webhook.rejected").count == 2)

            let unknown = try await client.execute(uri: "/api/sync/sources/nobody/notify", method: .post, body: ByteBuffer(bytes: ping))
            #expect(unknown.status == .notFound)
        }
    }

    @Test("five copies of one ping apply the change once")
    func fiveCopies() async throws {
        try await WebhookHarness.run { harness, client, _ in
            let subscription = try #require(try await WebhookHarness.subscription(harness))
            let first = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("copies.one@example.com", "One"))
            let ping = WebhookHarness.ping(webhookID: subscription.subscriptionID)
            let mac = WebhookHarness.mac(ping, secret: subscription.secret)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<5 { group.addTask { try await WebhookHarness.notify(client, ping, mac: mac).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: .noContent, count: 5))
            _ = try await WebhookHarness.stored(harness, first) { $0 != nil }
            // A second record afterwards: any read that re-applied the first would have done so before this one.
            let second = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("copies.two@example.com", "Two"))
            _ = try await WebhookHarness.stored(harness, second) { $0 != nil }
            try await eventually { WebhookHarness.metric(harness, "airtable_webhook_records_total", "outcome", "inserted") == 2 }
            #expect(WebhookHarness.metric(harness, "airtable_webhook_records_total", "outcome", "unchanged") == 0)
            #expect(try await WebhookHarness.subscription(harness)?.notifications ?? 0 >= 5)
        }
    }

    enum Death: String, CaseIterable, Sendable {
        case expired, disabled, deleted
    }

    @Test("an expired, disabled or deleted webhook is made anew and a reconciliation covers the gap", arguments: Death.allCases)
    func recreated(_ death: Death) async throws {
        try await WebhookHarness.run(checkSeconds: 1) { harness, _, tap in
            let kept = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("gap.kept@example.com", "Kept"))
            _ = try await WebhookHarness.stored(harness, kept) { $0 != nil }
            let old = try #require(try await WebhookHarness.subscription(harness))

            // The webhook dies; changes made meanwhile are never in any payload of it.
            switch death {
            case .expired: #expect(harness.sim.controlWebhook(id: old.subscriptionID, expire: true) != nil)
            case .disabled: #expect(harness.sim.controlWebhook(id: old.subscriptionID, enabled: false) != nil)
            case .deleted: try await WebhookHarness.deleteAtSimulator(harness, old.subscriptionID)
            }
            let missed = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("gap.new@example.com", "New"))
            harness.sim.delete(base: ServiceHarness.base, table: "Users", id: kept)

            try await eventually { try await WebhookHarness.subscription(harness)?.subscriptionID != old.subscriptionID }
            _ = try await WebhookHarness.stored(harness, missed) { $0 != nil }
            _ = try await WebhookHarness.stored(harness, kept) { $0?.deletedAt != nil }
            let recreated = try #require(tap.events("airtable_webhook.recreated").first)
            #expect(recreated.metadata["previous_id"] == old.subscriptionID)
            #expect(recreated.metadata["reason"] == (death == .disabled ? "disabled" : "gone"))
            try await eventually { !tap.events("sync.reconciled").isEmpty }
            #expect(tap.events("sync.reconciled").first?.metadata["deleted"] == "1")
            #expect(try await WebhookHarness.listed(harness) == [try #require(try await WebhookHarness.subscription(harness)).subscriptionID])
        }
    }

    @Test("the feed refreshes the webhook at airtable-sim: a later expiration, stored by the next check")
    func refreshAtTheSimulator() async throws {
        try await WebhookHarness.run { harness, _, _ in
            let made = try #require(try await WebhookHarness.subscription(harness))
            let before = try #require(made.expiresAt)
            // An hour later by the webhook's clock, a refresh gives it 7 days from then.
            #expect(harness.sim.controlWebhook(id: made.subscriptionID, advanceSeconds: 3600) != nil)
            let until = try #require(try await harness.pipeline.pushFeeds[0].feed.refresh(made.subscriptionID))
            #expect(until.timeIntervalSince(before) > 3500)
        }
    }

    @Test("a restart adopts the webhook it made; one left by a crash before saving is deleted")
    func restartAdopts() async throws {
        try await WebhookHarness.run { harness, _, _ in
            let made = try #require(try await WebhookHarness.subscription(harness))
            // A webhook to the same URL whose secret was never saved (a crash right after creation).
            let orphan = try await WebhookHarness.createOrphan(harness)
            #expect(try await WebhookHarness.listed(harness).count == 2)

            let tap = EventTap()
            try await WebhookHarness.withInstance(harness, notificationURL: WebhookHarness.notificationURL(harness), tap: tap) { pipeline in
                let sync = try #require(pipeline.pushSyncs(logger: Logger(label: "restarted", factory: { _ in tap })).first)
                // The running instance may still hold the lease for its first read: then this check waits its turn.
                try await eventually { await sync.check() && !tap.events("airtable_webhook.adopted").isEmpty }
            }
            #expect(tap.events("airtable_webhook.adopted").first?.metadata["subscription_id"] == made.subscriptionID)
            #expect(tap.events("airtable_webhook.created").isEmpty)
            #expect(tap.events("airtable_webhook.orphan_deleted").first?.metadata["subscription_id"] == orphan)
            #expect(try await WebhookHarness.listed(harness) == [made.subscriptionID])
            #expect(try await WebhookHarness.subscription(harness)?.subscriptionID == made.subscriptionID)
        }
    }

    @Test("a crash between a page's effects and its cursor save loses nothing and applies nothing twice")
    func crashBeforeCursorSave() async throws {
        // The service takes no pings here: only the instances below read, one after the other.
        try await ServiceHarness.run(try WebhookHarness.options(webhook: false)) { harness, _ in
            let subscriptions = try #require(harness.pipeline.sourceSubscriptions)
            let deadURL = "http://127.0.0.1:\(try LocalProcess.freePort())/api/sync/sources/airtable/notify"
            try await WebhookHarness.withInstance(harness, notificationURL: deadURL, tap: EventTap()) { pipeline in
                let sync = try #require(pipeline.pushSyncs(logger: Logger(label: "first", factory: { _ in SwiftLogNoOpLogHandler() })).first)
                #expect(await sync.check())
                let gone = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("crash.gone@example.com", "Gone"))
                #expect(await sync.read() == .done)
                #expect(try await harness.pipeline.store.user(source: "airtable", recordID: gone) != nil)
                let cursor = try #require(try await subscriptions.subscription(source: "airtable")).cursor

                let created = harness.sim.insert(
                    base: ServiceHarness.base, table: "Users", fields: WebhookHarness.fields("crash.new@example.com", "New"))
                harness.sim.delete(base: ServiceHarness.base, table: "Users", id: gone)
                let crashing = WebhookHarness.pushSync(pipeline, subscriptions: CrashingSubscriptions(base: subscriptions), tap: EventTap())
                #expect(await crashing.read() == .failed, "the cursor save failed after the effects")
                #expect(try await subscriptions.subscription(source: "airtable")?.cursor == cursor)
                let applied = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: created))
                let deletedAt = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: gone)?.deletedAt)

                // The next reader (the restarted process) reads the same page again.
                let tap = EventTap()
                #expect(await WebhookHarness.pushSync(pipeline, subscriptions: subscriptions, tap: tap).read() == .done)
                #expect(try await subscriptions.subscription(source: "airtable")?.cursor ?? 0 > cursor)
                let reapplied = tap.events("airtable_webhook.applied")
                #expect(reapplied.count == 1 && reapplied.first?.metadata["unchanged"] == "1" && reapplied.first?.metadata["inserted"] == nil)
                #expect(try await harness.pipeline.store.user(source: "airtable", recordID: created) == applied)
                #expect(try await harness.pipeline.store.user(source: "airtable", recordID: gone)?.deletedAt == deletedAt)
                #expect(try await SyncFixtures.count(harness, "SELECT count(*)::int FROM users WHERE email LIKE 'crash.%'") == 2)
            }
        }
    }
}

/// A subscription store whose cursor save fails, as if the process died
/// right after a page's effects committed.
struct CrashingSubscriptions: SourceSubscriptionStore {
    let base: any SourceSubscriptionStore
    struct Crash: Error {}
    func subscription(source: String) async throws -> SourceSubscription? { try await base.subscription(source: source) }
    func save(_ subscription: SourceSubscription) async throws { try await base.save(subscription) }
    func advanceCursor(source: String, subscriptionID: String, to cursor: Int) async throws -> Bool { throw Crash() }
    func extend(source: String, subscriptionID: String, until expiresAt: Date) async throws {
        try await base.extend(source: source, subscriptionID: subscriptionID, until: expiresAt)
    }
    func markNotified(source: String, at time: Date) async throws { try await base.markNotified(source: source, at: time) }
    func remove(source: String) async throws { try await base.remove(source: source) }
}
