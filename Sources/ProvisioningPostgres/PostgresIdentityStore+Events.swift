import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Webhook idempotency in `webhook_events`, written by the store with the
/// user write it records (one owner for both): the event row and the effect
/// commit together. The effect runs first and the event row is written after
/// it, with its outcome: a delivery whose id is already recorded (or being
/// recorded by a concurrent transaction, which the insert waits for) rolls
/// its effect back and answers the first outcome. One effect. The common
/// case, an upsert that applies, is one autocommit statement
/// (`UpsertStatements.upsertRecordingEvent`); everything else is four:
/// BEGIN, the effect, the event row, COMMIT.
extension PostgresIdentityStore {
    /// Bounded by the store's deadline like every other store call: an
    /// unreachable store is `unavailable` (503, the sender retries) instead
    /// of a hang. A transaction that still commits after the deadline is
    /// found by the retry as a replay.
    public func apply(_ effect: WebhookEffect, recording delivery: WebhookDelivery) async throws -> LedgerResult {
        let store = self
        do {
            return try await gate.run { try await store.applyNow(effect, recording: delivery) }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Remove event rows received before `cutoff`; returns how many.
    public func pruneEvents(receivedBefore cutoff: Date) async throws -> Int {
        let store = self
        do {
            return try await gate.run {
                let rows = try await store.client.query(
                    "WITH gone AS (DELETE FROM \(unescaped: store.schema.webhookEvents) WHERE received_at < \(cutoff) RETURNING 1) SELECT count(*)::int FROM gone",
                    logger: store.logger)
                var count = 0
                for try await value in rows.decode(Int.self) { count = value }
                return count
            }
        } catch {
            throw Self.storeError(error)
        }
    }

    /// The id is already recorded: the transaction is rolled back.
    private struct AlreadyRecorded: Error {}

    /// An effect with its record checked and bound once.
    private enum PreparedEffect: Sendable {
        case upsert(PreparedUpsert)
        case delete(source: String, recordID: String, occurredAt: Date?)
    }

    private func applyNow(_ effect: WebhookEffect, recording delivery: WebhookDelivery) async throws -> LedgerResult {
        do {
            let prepared: PreparedEffect
            switch effect {
            case .upsert(let record):
                let write = try PreparedUpsert(record)
                if record.recordID != nil, let result = try await upsertRecordingEvent(write, delivery) { return result }
                prepared = .upsert(write)
            case .delete(let source, let recordID, let occurredAt):
                prepared = .delete(source: source, recordID: recordID, occurredAt: occurredAt)
            }
            do {
                return try await transaction(prepared, delivery, uniqueViolations: .abortTransaction)
            } catch is UniqueViolationAbortedTransaction {
                // A concurrent writer took the email or the link: again, with savepoints.
                return try await transaction(prepared, delivery, uniqueViolations: .retryBehindSavepoint)
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

    /// The upsert and the event row in one statement; nil when the upsert
    /// applied nothing or met a unique violation: the transaction decides.
    private func upsertRecordingEvent(_ write: PreparedUpsert, _ delivery: WebhookDelivery) async throws -> LedgerResult? {
        do {
            let store = self
            let rows = try await client.withConnection { connection in
                try await CompiledStatement.rows(store.statements.upsertRecordingEvent, write.recording(delivery), on: connection, logger: store.logger)
            }
            for row in rows {
                let upserted = try UserRow.decodeUpserted(row)
                let result = UpsertWriter.applied(upserted.user, upserted.outcome, write, logger: logger)
                return .processed(WebhookOutcome(outcome: result.outcome.rawValue, userID: result.user.id))
            }
            return nil
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            if error.serverInfo?[.constraintName] == "webhook_events_pkey" { return try await earlier(delivery) }
            return nil
        } catch {
            throw Self.storeError(error)
        }
    }

    private func transaction(
        _ effect: PreparedEffect, _ delivery: WebhookDelivery, uniqueViolations: UniqueViolationHandling
    ) async throws -> LedgerResult {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let outcome: WebhookOutcome
                switch effect {
                case .upsert(let write):
                    let result = try await upsert(write, on: connection, uniqueViolations: uniqueViolations)
                    outcome = WebhookOutcome(outcome: result.outcome.rawValue, userID: result.user.id)
                case .delete(let source, let recordID, let occurredAt):
                    let result = try await delete(source: source, recordID: recordID, occurredAt: occurredAt, on: connection)
                    outcome = WebhookOutcome(outcome: result.outcome.rawValue, userID: result.userID)
                }
                let recorded = try await connection.query("""
                    INSERT INTO \(unescaped: schema.webhookEvents) (event_id, body_sha256, outcome, user_id)
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
            default: throw Self.storeError(error.closureError ?? error.commitError ?? error.beginError ?? error)
            }
        } catch {
            throw Self.storeError(error)
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
            let rows = try await client.query(
                "SELECT body_sha256, outcome, user_id FROM \(unescaped: schema.webhookEvents) WHERE event_id = \(delivery.eventID)", logger: logger)
            for try await (hash, outcome, userID) in rows.decode((String, String, UUID?).self) {
                guard hash == delivery.bodySHA256 else { return .conflict }
                return .replayed(WebhookOutcome(outcome: outcome, userID: userID))
            }
            return nil
        } catch {
            throw Self.storeError(error)
        }
    }
}
