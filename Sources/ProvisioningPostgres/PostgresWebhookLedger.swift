import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Webhook idempotency in `webhook_events`: the event row and the user write
/// commit in one transaction. The effect runs first and the event row is
/// written after it, with its outcome, by `INSERT ... ON CONFLICT DO
/// NOTHING`: a delivery whose id is already recorded (or being recorded by a
/// concurrent transaction, which the insert waits for) rolls its effect back
/// and answers the first outcome. One effect. The common case, an upsert of
/// a record with an id and an email, is one autocommit statement
/// (`UpsertStatements.byRecordIDRecordingEvent`); everything else is four:
/// BEGIN, the effect, the event row, COMMIT.
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
        do {
            return try await store.gate.run { try await ledger.applyNow(delivery, effect: effect) }
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }

    /// The id is already recorded: the transaction is rolled back.
    private struct AlreadyRecorded: Error {}

    private func applyNow(_ delivery: WebhookDelivery, effect: WebhookEffect) async throws -> LedgerResult {
        do {
            if case .upsert(let record) = effect, record.recordID != nil, record.email != nil,
               let result = try await upsertRecordingEvent(record, delivery) {
                return result
            }
            do {
                return try await transaction(delivery, effect, uniqueViolations: .abortTransaction)
            } catch is UniqueViolationAbortedTransaction {
                // A concurrent writer took the email or record id: again, with savepoints.
                return try await transaction(delivery, effect, uniqueViolations: .retryBehindSavepoint)
            }
        } catch is AlreadyRecorded {
            return try await earlier(delivery)
        } catch let error as StoreError {
            // The effect was refused: if the id was recorded meanwhile, that decides (a replay or 409).
            if case .unavailable = error { throw error }
            if let earlier = try await earlierIfRecorded(delivery) { return earlier }
            throw error
        }
    }

    /// The upsert and the event row in one statement; nil when the record
    /// needs more than the record-id upsert (a stale record, an email held by
    /// another row): the transaction then decides.
    private func upsertRecordingEvent(_ record: SourceRecord, _ delivery: WebhookDelivery) async throws -> LedgerResult? {
        var bindings = UpsertWriter.bindings(record, canonical: try record.email.map(EmailAddress.storeKey))
        bindings.append(delivery.eventID)
        bindings.append(delivery.bodySHA256)
        do {
            let rows = try await store.client.query(
                PostgresQuery(unsafeSQL: store.statements.byRecordIDRecordingEvent, binds: bindings), logger: logger)
            for try await row in rows {
                let upserted = try UserRow.decodeUpserted(row)
                let result = UpsertWriter.recordIDRowResult(
                    upserted.user, inserted: upserted.inserted, changed: upserted.changed, record: record, logger: store.logger)
                return .processed(WebhookOutcome(outcome: result.outcome.rawValue, userID: result.user.id))
            }
            return nil
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            if error.serverInfo?[.constraintName] == "webhook_events_pkey" { return try await earlier(delivery) }
            return nil
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }

    private func transaction(
        _ delivery: WebhookDelivery, _ effect: WebhookEffect, uniqueViolations: UniqueViolationHandling
    ) async throws -> LedgerResult {
        do {
            return try await store.client.withTransaction(logger: logger) { connection in
                let outcome = try await perform(effect, on: connection, uniqueViolations: uniqueViolations)
                let recorded = try await connection.query("""
                    INSERT INTO \(unescaped: store.schema.webhookEvents) (event_id, body_sha256, outcome, user_id)
                    VALUES (\(delivery.eventID), \(delivery.bodySHA256), \(outcome.outcome), \(outcome.userID))
                    ON CONFLICT (event_id) DO NOTHING RETURNING event_id
                    """, logger: logger).collect()
                guard !recorded.isEmpty else { throw AlreadyRecorded() }
                return .processed(outcome)
            }
        } catch let error as PostgresTransactionError {
            switch error.closureError {
            case let known as AlreadyRecorded: throw known
            case let known as UniqueViolationAbortedTransaction: throw known
            default: throw PostgresIdentityStore.storeError(error.closureError ?? error.commitError ?? error.beginError ?? error)
            }
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }

    private func earlier(_ delivery: WebhookDelivery) async throws -> LedgerResult {
        guard let result = try await earlierIfRecorded(delivery) else {
            // Recorded when our insert ran, pruned before this read: rare; the sender retries.
            throw StoreError.unavailable("event row vanished; retry")
        }
        return result
    }

    /// The first delivery's answer, if the id is recorded.
    private func earlierIfRecorded(_ delivery: WebhookDelivery) async throws -> LedgerResult? {
        do {
            let rows = try await store.client.query(
                "SELECT body_sha256, outcome, user_id FROM \(unescaped: store.schema.webhookEvents) WHERE event_id = \(delivery.eventID)", logger: logger)
            for try await (hash, outcome, userID) in rows.decode((String, String, UUID?).self) {
                guard hash == delivery.bodySHA256 else { return .conflict }
                return .replayed(WebhookOutcome(outcome: outcome, userID: userID))
            }
            return nil
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }

    private func perform(
        _ effect: WebhookEffect, on connection: PostgresConnection, uniqueViolations: UniqueViolationHandling
    ) async throws -> WebhookOutcome {
        switch effect {
        case .upsert(let record):
            let result = try await store.upsert(record, on: connection, uniqueViolations: uniqueViolations)
            return WebhookOutcome(outcome: result.outcome.rawValue, userID: result.user.id)
        case .delete(let recordID, let occurredAt):
            let result = try await store.delete(recordID: recordID, occurredAt: occurredAt, on: connection)
            return WebhookOutcome(outcome: result.outcome.rawValue, userID: result.userID)
        }
    }

    public func prune(receivedBefore cutoff: Date) async throws -> Int {
        let ledger = self
        do {
            return try await store.gate.run { try await ledger.pruneNow(receivedBefore: cutoff) }
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }

    private func pruneNow(receivedBefore cutoff: Date) async throws -> Int {
        do {
            let rows = try await store.client.query(
                "WITH gone AS (DELETE FROM \(unescaped: store.schema.webhookEvents) WHERE received_at < \(cutoff) RETURNING 1) SELECT count(*)::int FROM gone",
                logger: logger)
            var count = 0
            for try await value in rows.decode(Int.self) { count = value }
            return count
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }
}
