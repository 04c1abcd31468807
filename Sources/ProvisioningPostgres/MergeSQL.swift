import Provisioning

/// Compiles the precedence policy into the SET clause of the store's upsert:
/// one `CASE` per attribute, the same semantics as `AttributeMerge` in Swift.
/// Attribute names are checked by `Attribute.isValidName` before they reach
/// this text; values are always bound parameters (`UpsertStatements.Parameter`).
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

    /// `u` is the stored row.
    private func stored(_ attribute: String) -> String {
        Self.columns[attribute].map { "u.\($0)" } ?? "(u.attributes->>'\(attribute)')"
    }

    /// The record's value, from the statement's parameters.
    private func incoming(_ attribute: String) -> String {
        typealias P = UpsertStatements.Parameter
        return switch attribute {
        case Attribute.email: P.email
        case Attribute.displayName: P.displayName
        case Attribute.role: P.role
        case Attribute.passwordHash: P.passwordHash
        default: "(\(P.attributes)->>'\(attribute)')"
        }
    }

    /// `snapshot`: a jsonb expression of the values last imported from the
    /// record's source (NULL when the user has no link to it yet).
    func mergeExpression(_ attribute: String, snapshot: String) -> String {
        let stored = stored(attribute), incoming = incoming(attribute)
        switch policy.rule(for: attribute) {
        case .source:
            return "COALESCE(\(incoming), \(stored))"
        case .store:
            return "COALESCE(\(stored), \(incoming))"
        case .newest:
            let snapshot = "(\(snapshot)->>'\(attribute)')"
            return """
                (CASE WHEN \(incoming) IS NULL OR \(incoming) IS NOT DISTINCT FROM \(snapshot) THEN \(stored) \
                WHEN \(stored) IS NOT DISTINCT FROM \(snapshot) THEN \(incoming) \
                WHEN u.store_updated_at IS NULL OR \(UpsertStatements.Parameter.modifiedAt) > u.store_updated_at THEN \(incoming) \
                ELSE \(stored) END)
                """
        }
    }

    private func attributesExpression(snapshot: String) -> String {
        guard !extraAttributes.isEmpty else { return "u.attributes" }
        let keys = extraAttributes.map { "'\($0)'" }.joined(separator: ", ")
        let pairs = extraAttributes.map { "'\($0)', \(mergeExpression($0, snapshot: snapshot))" }.joined(separator: ", ")
        return "((u.attributes - ARRAY[\(keys)]::text[]) || jsonb_strip_nulls(jsonb_build_object(\(pairs))))"
    }

    private var deletedExpression: String {
        softDelete.restoreOnUpdate ? "NULL::timestamptz" : "u.deleted_at"
    }

    /// The SET clause. `alsoChanged`: a condition under which the write
    /// counts as a change of the user (`updated_at`) whatever the values do
    /// (adding a link).
    func setClause(snapshot: String, alsoChanged: String? = nil) -> String {
        let email = mergeExpression(Attribute.email, snapshot: snapshot)
        let assignments = [
            ("email", email),
            ("email_canonical", "(CASE WHEN \(email) IS NOT DISTINCT FROM u.email THEN u.email_canonical ELSE \(UpsertStatements.Parameter.emailCanonical) END)"),
            ("display_name", mergeExpression(Attribute.displayName, snapshot: snapshot)),
            ("role", mergeExpression(Attribute.role, snapshot: snapshot)),
            ("password_hash", mergeExpression(Attribute.passwordHash, snapshot: snapshot)),
            ("attributes", attributesExpression(snapshot: snapshot)),
            ("deleted_at", deletedExpression),
        ]
        let changed = ((alsoChanged.map { [$0] } ?? []) + assignments.map { "(\($0.1)) IS DISTINCT FROM u.\($0.0)" }).joined(separator: " OR ")
        return (assignments.map { "\($0.0) = \($0.1)" } + [
            "updated_at = CASE WHEN \(changed) THEN now() ELSE u.updated_at END",
        ]).joined(separator: ",\n    ")
    }
}
