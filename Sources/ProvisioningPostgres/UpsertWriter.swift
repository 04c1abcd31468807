import Foundation
import Logging
import PostgresNIO
import Provisioning

/// What an upsert does with a unique violation (a concurrent writer took
/// the email or the record id first).
public enum UniqueViolationHandling: Sendable {
    /// Not in a transaction: retry the next statement.
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

/// One upsert of a source record, with its retry loop: match by record id,
/// then by canonical email (linking), never surfacing a unique violation.
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

    func upsert(_ record: SourceRecord) async throws -> UpsertResult {
        let canonical = try record.email.map(EmailAddress.storeKey)
        let bindings = Self.bindings(record, canonical: canonical)
        for _ in 1...Self.maxAttempts {
            let attempt: Attempt
            if let canonical {
                attempt = try await attemptWithEmail(record, canonical: canonical, bindings: bindings)
            } else {
                attempt = try await attemptWithoutEmail(record, bindings: bindings)
            }
            switch attempt {
            case .done(let result): return result
            case .retry(let path): logConflict(path: path, record: record)
            }
        }
        throw StoreError.unavailable("upsert did not settle after \(Self.maxAttempts) attempts")
    }

    private func attemptWithEmail(_ record: SourceRecord, canonical: String, bindings: PostgresBindings) async throws -> Attempt {
        if let recordID = record.recordID {
            switch try await run(store.statements.byRecordID, bindings) {
            case .row(let user, let inserted, let changed):
                return .done(Self.recordIDRowResult(user, inserted: inserted, changed: changed, record: record, logger: store.logger))
            case .noRow:
                // The row with this record id exists and is newer: stale.
                guard let user = try await store.fetchOne("SELECT \(unescaped: UserRow.columns) FROM \(unescaped: store.schema.users) u WHERE u.airtable_record_id = \(recordID)", on: connection) else {
                    return .retry(path: "record_id_row_vanished")
                }
                logConflict(path: "stale_guard", record: record, level: .debug)
                return .done(UpsertResult(outcome: .staleIgnored, user: user))
            case .uniqueViolation(let constraint) where constraint == "users_email_canonical_key":
                // Another row holds the email: an email change colliding with
                // another user, or a store user to link. Told apart below.
                if let owner = try await store.fetchOne("SELECT \(unescaped: UserRow.columns) FROM \(unescaped: store.schema.users) u WHERE u.airtable_record_id = \(recordID)", on: connection) {
                    // The record's row exists: if it already has this email, a
                    // concurrent writer linked it meanwhile; otherwise the
                    // record's new email belongs to someone else.
                    guard owner.emailCanonical != canonical else { return .retry(path: "retry_after_concurrent_link") }
                    logConflict(path: "email_owned_by_other_record", record: record)
                    throw StoreError.emailOwnedByAnotherRecord
                }
            case .uniqueViolation:
                return .retry(path: "retry_after_unique_violation")
            }
        }
        switch try await run(store.statements.byEmail, bindings) {
        case .row(let user, let inserted, let changed):
            if inserted { return .done(UpsertResult(outcome: .inserted, user: user)) }
            if record.recordID != nil {
                logConflict(path: "email_conflict_link", record: record)
                return .done(UpsertResult(outcome: .linked, user: user))
            }
            logConflict(path: "email_conflict_update", record: record, level: changed ? .info : .debug)
            return .done(UpsertResult(outcome: changed ? .updated : .unchanged, user: user))
        case .noRow:
            guard let user = try await store.fetchOne("SELECT \(unescaped: UserRow.columns) FROM \(unescaped: store.schema.users) u WHERE u.email_canonical = \(canonical)", on: connection) else {
                return .retry(path: "email_row_vanished")
            }
            if let owner = user.recordID, let recordID = record.recordID, owner != recordID {
                logConflict(path: "email_owned_by_other_record", record: record)
                throw StoreError.emailOwnedByAnotherRecord
            }
            if user.recordID == record.recordID || record.recordID == nil, !AttributeMerge.isStale(record, against: user) {
                return .retry(path: "retry_after_concurrent_link")
            }
            logConflict(path: "stale_guard", record: record, level: .debug)
            return .done(UpsertResult(outcome: .staleIgnored, user: user))
        case .uniqueViolation:
            return .retry(path: "retry_after_unique_violation")
        }
    }

    private func attemptWithoutEmail(_ record: SourceRecord, bindings: PostgresBindings) async throws -> Attempt {
        guard let recordID = record.recordID else { throw StoreError.missingEmail }
        switch try await run(store.statements.updateByRecordID, bindings) {
        case .row(let user, _, let changed):
            return .done(UpsertResult(outcome: changed ? .updated : .unchanged, user: user))
        case .noRow:
            guard let user = try await store.fetchOne("SELECT \(unescaped: UserRow.columns) FROM \(unescaped: store.schema.users) u WHERE u.airtable_record_id = \(recordID)", on: connection) else {
                throw StoreError.missingEmail
            }
            return .done(UpsertResult(outcome: .staleIgnored, user: user))
        case .uniqueViolation:
            return .retry(path: "retry_after_unique_violation")
        }
    }

    private enum StatementResult {
        case row(StoredUser, inserted: Bool, changed: Bool)
        case noRow
        case uniqueViolation(constraint: String)
    }

    /// Run one statement; a unique violation is a value, rolled back to a
    /// savepoint when inside the caller's transaction.
    private func run(_ sql: String, _ bindings: PostgresBindings) async throws -> StatementResult {
        if savepoints { _ = try await connection.query("SAVEPOINT provisiond_upsert", logger: store.logger) }
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: store.logger)
            var result = StatementResult.noRow
            for try await row in rows {
                let upserted = try UserRow.decodeUpserted(row)
                result = .row(upserted.user, inserted: upserted.inserted, changed: upserted.changed)
            }
            if savepoints { _ = try await connection.query("RELEASE SAVEPOINT provisiond_upsert", logger: store.logger) }
            return result
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            if uniqueViolations == .abortTransaction { throw UniqueViolationAbortedTransaction() }
            if savepoints { _ = try await connection.query("ROLLBACK TO SAVEPOINT provisiond_upsert", logger: store.logger) }
            return .uniqueViolation(constraint: error.serverInfo?[.constraintName] ?? "")
        }
    }

    /// `byRecordID` returned its row: a new user, or the record's row merged.
    static func recordIDRowResult(_ user: StoredUser, inserted: Bool, changed: Bool, record: SourceRecord, logger: Logger) -> UpsertResult {
        if inserted { return UpsertResult(outcome: .inserted, user: user) }
        logConflict(path: "record_id_conflict_update", record: record, level: changed ? .info : .debug, logger: logger)
        return UpsertResult(outcome: changed ? .updated : .unchanged, user: user)
    }

    private func logConflict(path: String, record: SourceRecord, level: Logger.Level = .info) {
        Self.logConflict(path: path, record: record, level: level, logger: store.logger)
    }

    /// `info` when a conflict arm changed the row, refused it or a retry ran;
    /// `debug` when it only found the row as it was (an idle sync's re-reads).
    private static func logConflict(path: String, record: SourceRecord, level: Logger.Level, logger: Logger) {
        logger.log(level: level, "upsert.conflict", metadata: [
            "event": "upsert.conflict", "path": .string(path),
            "record_id": .string(record.recordID ?? ""),
            "email": .string(record.email.map(EmailMask.mask) ?? ""),
        ])
    }

    static func bindings(_ record: SourceRecord, canonical: String?) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 10)
        let extras = record.values.filter { MergeSQL.columns[$0.key] == nil }
        bindings.append(UUID())
        bindings.append(record.email)
        bindings.append(canonical)
        bindings.append(record.values[Attribute.displayName])
        bindings.append(record.values[Attribute.role])
        bindings.append(record.values[Attribute.passwordHash])
        bindings.append(UserRow.jsonText(extras))
        bindings.append(record.recordID)
        bindings.append(UserRow.jsonText(record.values))
        bindings.append(record.modifiedAt)
        return bindings
    }
}
