import Provisioning

/// Compiles the precedence policy into the SET clause of the store's upsert:
/// one `CASE` per attribute, the same semantics as `AttributeMerge` in Swift.
/// Attribute names are checked by `Attribute.isValidName` before they reach
/// this text; values are always bound parameters.
struct MergeSQL {
    /// Core attributes with their own column.
    static let columns: [String: String] = [
        Attribute.email: "email", Attribute.displayName: "display_name",
        Attribute.role: "role", Attribute.passwordHash: "password_hash",
    ]

    let policy: PrecedencePolicy
    let softDelete: SoftDeletePolicy
    /// Attributes kept in the `attributes` jsonb column.
    let extraAttributes: [String]

    init(policy: PrecedencePolicy, softDelete: SoftDeletePolicy, attributes: [String]) {
        self.policy = policy
        self.softDelete = softDelete
        self.extraAttributes = attributes.filter { Self.columns[$0] == nil && Attribute.isValidName($0) }
    }

    /// `u` is the stored row, `excluded` the incoming record.
    private func stored(_ attribute: String) -> String {
        Self.columns[attribute].map { "u.\($0)" } ?? "(u.attributes->>'\(attribute)')"
    }

    private func incoming(_ attribute: String) -> String {
        Self.columns[attribute].map { "excluded.\($0)" } ?? "(excluded.attributes->>'\(attribute)')"
    }

    func mergeExpression(_ attribute: String) -> String {
        let stored = stored(attribute), incoming = incoming(attribute)
        switch policy.rule(for: attribute) {
        case .source:
            return "COALESCE(\(incoming), \(stored))"
        case .store:
            return "COALESCE(\(stored), \(incoming))"
        case .newest:
            let snapshot = "(u.source_snapshot->>'\(attribute)')"
            return """
                (CASE WHEN \(incoming) IS NULL OR \(incoming) IS NOT DISTINCT FROM \(snapshot) THEN \(stored) \
                WHEN \(stored) IS NOT DISTINCT FROM \(snapshot) THEN \(incoming) \
                WHEN u.store_updated_at IS NULL OR excluded.source_modified_at > u.store_updated_at THEN \(incoming) \
                ELSE \(stored) END)
                """
        }
    }

    private var attributesExpression: String {
        guard !extraAttributes.isEmpty else { return "u.attributes" }
        let keys = extraAttributes.map { "'\($0)'" }.joined(separator: ", ")
        let pairs = extraAttributes.map { "'\($0)', \(mergeExpression($0))" }.joined(separator: ", ")
        return "((u.attributes - ARRAY[\(keys)]::text[]) || jsonb_strip_nulls(jsonb_build_object(\(pairs))))"
    }

    private var deletedExpression: String {
        softDelete.restoreOnUpdate ? "NULL::timestamptz" : "u.deleted_at"
    }

    /// The new value of every written column, and the record-id expression.
    private func assignments(recordID: String) -> [(column: String, value: String)] {
        let email = mergeExpression(Attribute.email)
        return [
            ("email", email),
            ("email_canonical", "(CASE WHEN \(email) IS NOT DISTINCT FROM u.email THEN u.email_canonical ELSE excluded.email_canonical END)"),
            ("display_name", mergeExpression(Attribute.displayName)),
            ("role", mergeExpression(Attribute.role)),
            ("password_hash", mergeExpression(Attribute.passwordHash)),
            ("attributes", attributesExpression),
            ("airtable_record_id", recordID),
            ("deleted_at", deletedExpression),
        ]
    }

    /// The SET clause; `recordID` is how the record id is written on this path.
    func setClause(recordID: String = "u.airtable_record_id") -> String {
        let assignments = assignments(recordID: recordID)
        let changed = assignments.map { "(\($0.value)) IS DISTINCT FROM u.\($0.column)" }.joined(separator: " OR ")
        let sets = assignments.map { "\($0.column) = \($0.value)" }
        return (sets + [
            "source_snapshot = excluded.source_snapshot",
            "source_modified_at = excluded.source_modified_at",
            "updated_at = CASE WHEN \(changed) THEN now() ELSE u.updated_at END",
        ]).joined(separator: ",\n    ")
    }

    /// A record older than the last import changes nothing.
    static let freshnessGuard = "(u.source_modified_at IS NULL OR excluded.source_modified_at >= u.source_modified_at)"
}
