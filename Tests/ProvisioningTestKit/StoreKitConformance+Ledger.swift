import Foundation
import Provisioning
import Testing

/// The webhook ledger: one effect per event id.
extension StoreKitConformance {
    static let ledgerCases: [Case] = [
        Case(name: "a first delivery is processed; the same id and body replays without a second effect; another body conflicts") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let delivery = WebhookDelivery(eventID: "\(f.token)-e1", bodySHA256: "aa")
            let first = try await kit.webhookLedger.apply(delivery, effect: .upsert(f.record("ada", ["display_name": "Ada"])))
            guard case .processed(let outcome) = first else { Issue.record("expected processed, got \(first)"); return }
            #expect(outcome.outcome == "inserted")
            // The replay's effect would change the name: it must not run.
            let replay = try await kit.webhookLedger.apply(delivery, effect: .upsert(f.record("ada", at: 60, ["display_name": "Changed"])))
            #expect(replay == .replayed(outcome))
            #expect(try await kit.store.user(source: "airtable", recordID: f.recordID("ada"))?.displayName == "Ada")
            let conflict = try await kit.webhookLedger.apply(
                WebhookDelivery(eventID: "\(f.token)-e1", bodySHA256: "bb"), effect: .upsert(f.record("ada", at: 60)))
            #expect(conflict == .conflict)
        },
        Case(name: "a refused effect records nothing: the id can be delivered again and applies") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            _ = try await kit.store.upsert(f.record("ada"))
            let taken = f.record("bob", email: f.email("ada"))
            let delivery = WebhookDelivery(eventID: "\(f.token)-e2", bodySHA256: "cc")
            await expectStoreError(.emailOwnedByAnotherRecord) { _ = try await kit.webhookLedger.apply(delivery, effect: .upsert(taken)) }
            #expect(try await kit.store.user(source: "airtable", recordID: f.recordID("bob")) == nil)
            let retried = try await kit.webhookLedger.apply(delivery, effect: .upsert(f.record("bob")))
            #expect((retried == .processed(WebhookOutcome(outcome: "inserted", userID: try await kit.store.user(source: "airtable", recordID: f.recordID("bob"))?.id))))
        },
        Case(name: "prune removes the entries received before the cutoff, and only those") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            for index in 0..<3 {
                _ = try await kit.webhookLedger.apply(
                    WebhookDelivery(eventID: "\(f.token)-p\(index)", bodySHA256: "dd"), effect: .delete(source: "airtable", recordID: f.recordID("nobody\(index)")))
            }
            #expect(try await kit.webhookLedger.prune(receivedBefore: later(-3_600)) == 0)
            #expect(try await kit.webhookLedger.prune(receivedBefore: later(3_600)) == 3)
            // Pruned ids are forgotten: a redelivery is processed again.
            let again = try await kit.webhookLedger.apply(
                WebhookDelivery(eventID: "\(f.token)-p0", bodySHA256: "ee"), effect: .delete(source: "airtable", recordID: f.recordID("nobody0")))
            #expect(again == .processed(WebhookOutcome(outcome: "not_found", userID: nil)))
        },
    ]
}
