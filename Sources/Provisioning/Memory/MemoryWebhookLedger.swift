import Foundation

/// The webhook ledger of the `memory` store: one effect per event id, even
/// for concurrent deliveries (they await the first one's task).
public actor MemoryWebhookLedger: WebhookLedger {
    private struct Entry {
        var bodySHA256: String
        var receivedAt: Date
        var work: Task<WebhookOutcome, any Error>
    }

    private let store: MemoryStore
    private var entries: [String: Entry] = [:]

    public init(store: MemoryStore) {
        self.store = store
    }

    public func apply(_ delivery: WebhookDelivery, effect: WebhookEffect) async throws -> LedgerResult {
        if let entry = entries[delivery.eventID] {
            guard entry.bodySHA256 == delivery.bodySHA256 else { return .conflict }
            return .replayed(try await entry.work.value)
        }
        let store = self.store
        let work = Task { try await Self.perform(effect, on: store) }
        entries[delivery.eventID] = Entry(bodySHA256: delivery.bodySHA256, receivedAt: Date(), work: work)
        do {
            return .processed(try await work.value)
        } catch {
            // Nothing is recorded unless the effect happened.
            entries[delivery.eventID] = nil
            throw error
        }
    }

    public func prune(receivedBefore cutoff: Date) -> Int {
        let old = entries.filter { $0.value.receivedAt < cutoff }.map(\.key)
        for id in old { entries[id] = nil }
        return old.count
    }

    static func perform(_ effect: WebhookEffect, on store: MemoryStore) async throws -> WebhookOutcome {
        switch effect {
        case .upsert(let record):
            let result = try await store.upsert(record)
            return WebhookOutcome(outcome: result.outcome.rawValue, userID: result.user.id)
        case .delete(let source, let recordID, let occurredAt):
            let result = await store.delete(source: source, recordID: recordID, occurredAt: occurredAt)
            return WebhookOutcome(outcome: result.outcome.rawValue, userID: result.userID)
        }
    }
}
