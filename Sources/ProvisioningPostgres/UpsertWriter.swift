import Foundation
import Logging
import PostgresNIO
import Provisioning

/// What an upsert does with a unique violation (a concurrent writer took
/// the email or the link first).
public enum UniqueViolationHandling: Sendable {
    /// Not in a transaction: retry the statement.
    case retry
    /// In the caller's transaction: each statement runs behind a savepoint,
    /// rolled back to on a violation, then retried (two more statements each).
    case retryBehindSavepoint
    /// In the caller's transaction, without savepoints: a violation throws
    /// `UniqueViolationAbortedTransaction` and the caller redoes its
    /// transaction with `retryBehindSavepoint`. For the common case that
    /// meets no violation at all.
    case abortTransaction
}

/// The caller's transaction is aborted by a unique violation: roll it back
/// and run it again with `.retryBehindSavepoint`.
public struct UniqueViolationAbortedTransaction: Error {}

/// A record ready to write: checked, its email canonicalised and its
/// parameters bound once, whichever statement and however many attempts
/// the write takes.
struct PreparedUpsert: Sendable {
    let record: SourceRecord
    let canonical: String?
    let bindings: PostgresBindings

    init(_ record: SourceRecord) throws {
        if record.recordID != nil && record.source.isEmpty { throw StoreError.invalidData("a record id without its source's name") }
        guard record.email != nil || record.recordID != nil else { throw StoreError.missingEmail }
        self.record = record
        self.canonical = try record.email.map(EmailAddress.storeKey)
        var bindings = PostgresBindings(capacity: 13)
        bindings.append(UUID())
        bindings.append(record.email)
        bindings.append(canonical)
        bindings.append(record.values[Attribute.displayName])
        bindings.append(record.values[Attribute.role])
        bindings.append(record.values[Attribute.passwordHash])
        bindings.append(UserRow.jsonText(record.values.filter { MergeSQL.columns[$0.key] == nil }))
        bindings.append(record.recordID)
        bindings.append(UserRow.jsonText(record.values))
        bindings.append(record.modifiedAt)
        bindings.append(record.source)
        self.bindings = bindings
    }

    /// The parameters of `UpsertStatements.upsertRecordingEvent`.
    func recording(_ delivery: WebhookDelivery) -> PostgresBindings {
        var bindings = bindings
        bindings.append(delivery.eventID)
        bindings.append(delivery.bodySHA256)
        return bindings
    }

    /// The user as the statement left it: its RETURNING cannot see the link
    /// row written beside it, so the link is filled in from the record.
    func result(_ user: StoredUser, _ outcome: UpsertOutcome) -> UpsertResult {
        var user = user
        if let recordID = record.recordID {
            user.links[record.source] = SourceLink(recordID: recordID, snapshot: record.values, modifiedAt: record.modifiedAt)
        }
        return UpsertResult(outcome: outcome, user: user)
    }
}

/// One upsert of a source record, with its retry loop: the statement
/// (`UpsertStatements.upsert`) matches by link, then by canonical email
/// (linking); when it applies nothing, or meets a unique violation, the
/// stored rows tell why. A unique violation never reaches the caller.
struct UpsertWriter {
    let store: PostgresIdentityStore
    let connection: PostgresConnection
    let uniqueViolations: UniqueViolationHandling
    static let maxAttempts = 8
    private var savepoints: Bool { uniqueViolations == .retryBehindSavepoint }

    private enum Attempt {
        case done(UpsertResult)
        case retry(path: String)
    }

    func upsert(_ write: PreparedUpsert) async throws -> UpsertResult {
        for _ in 1...Self.maxAttempts {
            let attempt: Attempt
            switch try await run(store.statements.upsert(for: write.record), write.bindings) {
            case .row(let user, let outcome):
                attempt = .done(Self.applied(user, outcome, write, logger: store.logger))
            case .noRow:
                attempt = try await nothingApplied(write)
            case .uniqueViolation(let constraint):
                attempt = try await violated(constraint, write)
            }
            switch attempt {
            case .done(let result): return result
            case .retry(let path): Self.logConflict(path: path, record: write.record, level: .info, logger: store.logger)
            }
        }
        throw StoreError.unavailable("upsert did not settle after \(Self.maxAttempts) attempts")
    }

    /// The statement returned its row: log the conflict arms it took.
    static func applied(_ user: StoredUser, _ outcome: UpsertOutcome, _ write: PreparedUpsert, logger: Logger) -> UpsertResult {
        switch outcome {
        case .inserted, .staleIgnored: break
        case .linked: logConflict(path: "email_conflict_link", record: write.record, level: .info, logger: logger)
        case .updated, .unchanged:
            let path = write.record.recordID != nil ? "record_id_conflict_update" : "email_conflict_update"
            logConflict(path: path, record: write.record, level: outcome == .updated ? .info : .debug, logger: logger)
        }
        return write.result(user, outcome)
    }

    /// Nothing applied: the link's row is newer (stale), the email's user is
    /// linked to another record of the source, or a concurrent writer linked
    /// it meanwhile (retry).
    private func nothingApplied(_ write: PreparedUpsert) async throws -> Attempt {
        let record = write.record
        if let recordID = record.recordID, let owner = try await store.user(source: record.source, recordID: recordID, on: connection) {
            if AttributeMerge.isStale(record, against: owner) {
                Self.logConflict(path: "stale_guard", record: record, level: .debug, logger: store.logger)
                return .done(UpsertResult(outcome: .staleIgnored, user: owner))
            }
            return .retry(path: "retry_after_concurrent_link")
        }
        guard let canonical = write.canonical else { throw StoreError.missingEmail }
        guard let user = try await store.user(canonicalEmail: canonical, on: connection) else {
            return .retry(path: "email_row_vanished")
        }
        if let recordID = record.recordID {
            guard let linked = user.recordID(in: record.source), linked != recordID else { return .retry(path: "retry_after_concurrent_link") }
            Self.logConflict(path: "email_owned_by_other_record", record: record, level: .info, logger: store.logger)
            throw StoreError.emailOwnedByAnotherRecord
        }
        guard AttributeMerge.isStale(record, against: user) else { return .retry(path: "retry_after_concurrent_link") }
        Self.logConflict(path: "stale_guard", record: record, level: .debug, logger: store.logger)
        return .done(UpsertResult(outcome: .staleIgnored, user: user))
    }

    /// A unique violation: the record's new email belongs to another user
    /// (refused), or a concurrent writer took the email or link (retry).
    private func violated(_ constraint: String, _ write: PreparedUpsert) async throws -> Attempt {
        let record = write.record
        if constraint == "users_email_canonical_key", let recordID = record.recordID,
           let owner = try await store.user(source: record.source, recordID: recordID, on: connection),
           owner.emailCanonical != write.canonical {
            Self.logConflict(path: "email_owned_by_other_record", record: record, level: .info, logger: store.logger)
            throw StoreError.emailOwnedByAnotherRecord
        }
        return .retry(path: "retry_after_unique_violation")
    }

    private enum StatementResult {
        case row(StoredUser, UpsertOutcome)
        case noRow
        case uniqueViolation(constraint: String)
    }

    /// Run the statement; a unique violation is a value, rolled back to a
    /// savepoint when inside the caller's transaction.
    private func run(_ statement: CompiledStatement.Text, _ bindings: PostgresBindings) async throws -> StatementResult {
        if savepoints { _ = try await connection.query("SAVEPOINT provisiond_upsert", logger: store.logger) }
        do {
            let rows = try await CompiledStatement.rows(statement, bindings, on: connection, logger: store.logger)
            var result = StatementResult.noRow
            for row in rows {
                let upserted = try UserRow.decodeUpserted(row)
                result = .row(upserted.user, upserted.outcome)
            }
            if savepoints { _ = try await connection.query("RELEASE SAVEPOINT provisiond_upsert", logger: store.logger) }
            return result
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            if uniqueViolations == .abortTransaction { throw UniqueViolationAbortedTransaction() }
            if savepoints { _ = try await connection.query("ROLLBACK TO SAVEPOINT provisiond_upsert", logger: store.logger) }
            return .uniqueViolation(constraint: error.serverInfo?[.constraintName] ?? "")
        }
    }

    /// `info` when a conflict arm changed the row, refused it or a retry ran;
    /// `debug` when it only found the row as it was (an idle sync's re-reads).
    static func logConflict(path: String, record: SourceRecord, level: Logger.Level, logger: Logger) {
        logger.log(level: level, "upsert.conflict", metadata: [
            "event": "upsert.conflict", "path": .string(path), "source": .string(record.source),
            "record_id": .string(record.recordID ?? ""),
            "email": .string(record.email.map(EmailMask.mask) ?? ""),
        ])
    }
}
