import Foundation
import Logging
import PostgresNIO
import Provisioning
import ProvisioningPostgres
@testable import ProvisioningService
import ProvisioningTestKit
import Testing

@Suite("Inbound user webhook: pruning the idempotency ledger")
struct WebhookPruneTests {
    @Test("prune removes event rows received before the cutoff, on Postgres")
    func pruneOnPostgres() async throws {
        let client = try await TestDatabase.makeClient()
        let store = PostgresIdentityStore(
            client: client, precedence: PrecedencePolicy(), softDelete: SoftDeletePolicy(), attributes: Attribute.core, logger: TestDatabase.logger)
        let ledger = PostgresWebhookLedger(store: store)
        let record = SourceRecord(source: "airtable", recordID: "recPrune000000001", values: ["email": "prune@example.com"], modifiedAt: Date())
        let first = try await ledger.apply(WebhookDelivery(eventID: "evt_old", bodySHA256: "aa"), effect: .upsert(record))
        guard case .processed = first else { Issue.record("expected processed, got \(first)"); return }
        _ = try await ledger.apply(WebhookDelivery(eventID: "evt_new", bodySHA256: "bb"), effect: .delete(source: "airtable", recordID: "recNone00000000001"))
        _ = try await client.query(
            "UPDATE webhook_events SET received_at = now() - interval '73 hours' WHERE event_id = 'evt_old'", logger: TestDatabase.logger)

        let removed = try await ledger.prune(receivedBefore: Date().addingTimeInterval(-72 * 3600))
        #expect(removed == 1)
        #expect(try await TestDatabase.count(client, "SELECT count(*)::int FROM webhook_events WHERE event_id = 'evt_old'") == 0)
        #expect(try await TestDatabase.count(client, "SELECT count(*)::int FROM webhook_events WHERE event_id = 'evt_new'") == 1)
        #expect(try await ledger.prune(receivedBefore: Date().addingTimeInterval(-72 * 3600)) == 0)

        // Once pruned, the id is new again: a second delivery applies (the user is unchanged).
        let again = try await ledger.apply(WebhookDelivery(eventID: "evt_old", bodySHA256: "aa"), effect: .upsert(record))
        #expect(again == .processed(WebhookOutcome(outcome: "unchanged", userID: try await store.user(source: "airtable", recordID: "recPrune000000001")?.id)))
    }

    @Test("the prune service's pass uses idempotency_retention_hours")
    func pruneServicePass() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = """
            webhook:
              idempotency_retention_hours: 2
              schemes:
                - kind: hmac-sha256
                  secrets: ["\(ServiceHarness.webhookSecret)"]
            """
        try await ServiceHarness.run(options) { harness, client in
            for id in ["evt_1", "evt_2", "evt_3"] {
                let reply = try await Webhook.event(client, id: id, type: "user.deleted", recordID: "recX\(id)")
                #expect(reply.status == .ok)
            }
            try await Webhook.execute(
                harness.databaseURL, "UPDATE webhook_events SET received_at = now() - interval '3 hours' WHERE event_id IN ('hmac-sha256:evt_1', 'hmac-sha256:evt_2')")
            try await Webhook.execute(
                harness.databaseURL, "UPDATE webhook_events SET received_at = now() - interval '1 hour' WHERE event_id = 'hmac-sha256:evt_3'")
            let service = WebhookPruneService(pipeline: harness.pipeline, logger: Logger(label: "test"))
            #expect(await service.pruneOnce() == 2)
            #expect(try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM webhook_events") == 1)
        }
    }

    @Test("the prune service stops on cancellation")
    func pruneServiceStops() async throws {
        try await ServiceHarness.run { harness, _ in
            let service = WebhookPruneService(
                pipeline: harness.pipeline, logger: Logger(label: "test"), interval: .milliseconds(10), initialDelay: .milliseconds(1))
            let task = Task { try await service.run() }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            try await task.value
        }
    }
}
