/// How one record from a source ended in the store.
public enum ImportOutcome: Sendable, Equatable {
    case written(UpsertOutcome)
    /// The store refused it (or its password hash was unusable); skipped.
    case rejected(reason: String)
}

extension IdentityStore {
    /// The write every background import (sync, pushed changes) makes of a
    /// source record: the store's upsert (precedence, stale guard). A record
    /// the store refuses is `rejected`; an unreachable store throws.
    public func importRecord(_ record: SourceRecord, source: String) async throws -> ImportOutcome {
        if record.importProblem != nil { return .rejected(reason: "invalid_password_hash") }
        do {
            return .written(try await upsert(record.from(source)).outcome)
        } catch let error as StoreError {
            guard let reason = Self.rejectionReason(error) else { throw error }
            return .rejected(reason: reason)
        }
    }

    /// A record the store refuses is skipped (and logged); an unreachable store ends the run.
    static func rejectionReason(_ error: StoreError) -> String? {
        switch error {
        case .unavailable: nil
        case .missingEmail: "missing_email"
        case .invalidEmail: "invalid_email"
        case .emailOwnedByAnotherRecord: "email_owned_by_another_record"
        case .emailTaken: "email_taken"
        case .invalidData: "invalid_data"
        }
    }
}
