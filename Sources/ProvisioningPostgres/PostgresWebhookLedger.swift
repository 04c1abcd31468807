import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Webhook idempotency in `webhook_events`: the event row and the user write
/// commit in one transaction. A concurrent delivery of the same id waits on
/// the first one's uncommitted row, then reads its outcome: one effect.
public struct PostgresWebhookLedger: WebhookLedger {
    let store: PostgresIdentityStore
    let logger: Logger

    public init(store: PostgresIdentityStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Bounded by the store's deadline like every other store call: an
    /// unreachable store is `unavailable` (503, the sender retries) instead
    /// of a hang. A transaction that still commits after the deadline is
    /// found by the retry as a replay.
    public func apply(_ delivery: WebhookDelivery, effect: WebhookEffect) async throws -> LedgerResult {
        let ledger = self
        return try await StoreDeadline.run(seconds: store.deadlineSeconds) { try await ledger.applyNow(delivery, effect: effect) }
    }

    private func applyNow(_ delivery: WebhookDelivery, effect: WebhookEffect) async throws -> LedgerResult {
        do {
            return try await store.client.withTransaction(logger: logger) { connection in
                let claimed = try await connection.query("""
                    INSERT INTO webhook_events (event_id, body_sha256, outcome) VALUES (\(delivery.eventID), \(delivery.bodySHA256), 'pending')
                    ON CONFLICT (event_id) DO NOTHING RETURNING event_id
                    """, logger: logger).collect()
                guard !claimed.isEmpty else { return try await earlier(delivery, on: connection) }
                let outcome = try await perform(effect, on: connection)
                _ = try await connection.query("""
                    UPDATE webhook_events SET outcome = \(outcome.outcome), user_id = \(outcome.userID) WHERE event_id = \(delivery.eventID)
                    """, logger: logger)
                return .processed(outcome)
            }
        } catch let error as PostgresTransactionError {
            if let storeError = error.closureError as? StoreError { throw storeError }
            throw PostgresIdentityStore.storeError(error.closureError ?? error.commitError ?? error.beginError ?? error)
        } catch let error as StoreError {
            throw error
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }

    private func earlier(_ delivery: WebhookDelivery, on connection: PostgresConnection) async throws -> LedgerResult {
        let rows = try await connection.query(
            "SELECT body_sha256, outcome, user_id FROM webhook_events WHERE event_id = \(delivery.eventID)", logger: logger)
        for try await (hash, outcome, userID) in rows.decode((String, String, UUID?).self) {
            guard hash == delivery.bodySHA256 else { return .conflict }
            return .replayed(WebhookOutcome(outcome: outcome, userID: userID))
        }
        // The first delivery rolled back between our insert and this read: nothing recorded.
        throw StoreError.unavailable("event row vanished; retry")
    }

    private func perform(_ effect: WebhookEffect, on connection: PostgresConnection) async throws -> WebhookOutcome {
        switch effect {
        case .upsert(let record):
            let result = try await store.upsert(record, on: connection, inTransaction: true)
            return WebhookOutcome(outcome: result.outcome.rawValue, userID: result.user.id)
        case .delete(let recordID):
            let result = try await store.delete(recordID: recordID, on: connection)
            return WebhookOutcome(outcome: result.outcome.rawValue, userID: result.userID)
        }
    }

    public func prune(receivedBefore cutoff: Date) async throws -> Int {
        let ledger = self
        return try await StoreDeadline.run(seconds: store.deadlineSeconds) { try await ledger.pruneNow(receivedBefore: cutoff) }
    }

    private func pruneNow(receivedBefore cutoff: Date) async throws -> Int {
        do {
            let rows = try await store.client.query(
                "WITH gone AS (DELETE FROM webhook_events WHERE received_at < \(cutoff) RETURNING 1) SELECT count(*)::int FROM gone",
                logger: logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return count
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }
}
