import Foundation

/// Why a user looks the way it does, and what an import and a sign-in would
/// do now (`provisiond explain`, `GET /admin/users/explain`). Secrets and
/// password hashes appear only as `present` / `absent`. Encoded as JSON with
/// snake_case keys; `text` is the same for people.
public struct UserExplanation: Sendable, Encodable {
    /// What was asked: `email`, `user_id` or `record_id`, and the value.
    public var query: [String: String]
    /// The stored user; nil when the store has none.
    public var user: StoredUserReport?
    /// Each source's current record for the user, in `resolution.order`.
    public var sources: [SourceReport]
    /// What the next import from each source that has a record would write,
    /// under each config given (the current one first).
    public var imports: [ImportReport]
    /// What a sign-in by this email would do right now.
    public var login: LoginReport

    public struct StoredUserReport: Sendable, Encodable {
        public var id: String
        public var values: [String: String]
        public var deletedAt: String?
        /// The app's last write (not an import): the `newest` rule's store time.
        public var lastAppWrite: String?
        public var createdAt: String
        public var updatedAt: String
        public var links: [String: LinkReport]
    }

    public struct LinkReport: Sendable, Encodable {
        public var recordID: String
        /// The values last imported from the record (the three-way merge's base).
        public var lastImported: [String: String]
        public var modifiedAt: String?
    }

    public struct SourceReport: Sendable, Encodable {
        public var name: String
        /// `found`, `not_found`, `unavailable`, or `skipped` (`--offline`).
        public var lookup: String
        public var recordID: String?
        public var values: [String: String]?
        public var modifiedAt: String?
        public var retryAfterSeconds: Int?
    }

    public struct ImportReport: Sendable, Encodable {
        public var source: String
        /// The config whose rules this is (`current`, or the file given).
        public var config: String
        /// `insert`, `update`, `linked`, `unchanged`, `stale` (the record is
        /// older than the last import), `rejected` (an unusable password hash).
        public var outcome: String
        public var reason: String
        public var attributes: [AttributeReport]
    }

    public struct AttributeReport: Sendable, Encodable {
        public var attribute: String
        /// `source`, `store` or `newest`.
        public var rule: String
        public var stored: String?
        public var source: String?
        public var lastImported: String?
        /// `neither`, `source`, `store` or `both`: what changed since the last import.
        public var changed: String
        public var next: String?
        public var reason: String
    }

    public struct LoginReport: Sendable, Encodable {
        /// `store_hit`, `read_through` or `none` (no email to sign in with).
        public var path: String
        /// Whether the sign-in would get past provisioning (the credential
        /// itself not checked); nil when unknown (`--offline`).
        public var allowed: Bool?
        public var reason: String
        /// Read-through only: whether the email is in this process's negative cache.
        public var negativeCached: Bool?
        /// Read-through only: each source's state as this process sees it, and
        /// the source that would answer.
        public var sources: [LoginSourceReport]?
        public var wouldAnswer: String?
        /// Whether the user has a password hash (else: an emailed code or an id_token).
        public var password: String?
    }

    public struct LoginSourceReport: Sendable, Encodable {
        public var name: String
        /// `closed`, or `open` (the circuit, a 429 included) with `retry_after_s`.
        public var circuit: String
        public var retryAfterSeconds: Int?
    }
}

extension UserExplanation {
    /// The JSON form (snake_case keys, sorted, pretty-printed).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
