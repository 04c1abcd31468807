import Foundation
import Provisioning

/// Kind `postgres`'s webhook ledger: the store's own event-recording writes
/// (`PostgresIdentityStore.apply(_:recording:)`), so that the event row and
/// the user write have one owner and commit together.
public struct PostgresWebhookLedger: WebhookLedger {
    let store: PostgresIdentityStore

    public init(store: PostgresIdentityStore) {
        self.store = store
    }

    public func apply(_ delivery: WebhookDelivery, effect: WebhookEffect) async throws -> LedgerResult {
        try await store.apply(effect, recording: delivery)
    }

    public func prune(receivedBefore cutoff: Date) async throws -> Int {
        try await store.pruneEvents(receivedBefore: cutoff)
    }
}
