extension UserExplanation {
    /// The report for people: the same facts as the JSON form.
    public var text: String {
        var lines: [String] = []
        lines.append("explain \(query.map { "\($0.key) \($0.value)" }.sorted().joined(separator: ", "))")
        lines.append("")
        if let user {
            lines.append("stored user \(user.id)")
            for (key, value) in user.values.sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(value)") }
            lines.append("  deleted_at: \(user.deletedAt ?? "-")   last app write: \(user.lastAppWrite ?? "-")   updated: \(user.updatedAt)")
            for (source, link) in user.links.sorted(by: { $0.key < $1.key }) {
                lines.append("  link \(source): \(link.recordID), last import of a record modified \(link.modifiedAt ?? "-")")
            }
        } else {
            lines.append("stored user: none")
        }
        lines.append("")
        for source in sources {
            var line = "source \(source.name): \(source.lookup)"
            if let recordID = source.recordID { line += " \(recordID), modified \(source.modifiedAt ?? "-")" }
            if let seconds = source.retryAfterSeconds { line += " (retry after \(seconds) s)" }
            lines.append(line)
            for (key, value) in (source.values ?? [:]).sorted(by: { $0.key < $1.key }) { lines.append("  \(key): \(value)") }
        }
        for report in imports {
            lines.append("")
            lines.append("next import from \(report.source) (\(report.config) config): \(report.outcome): \(report.reason)")
            for attribute in report.attributes {
                lines.append("  \(attribute.attribute) [\(attribute.rule)] stored \(Self.quoted(attribute.stored)), "
                    + "source \(Self.quoted(attribute.source)), last imported \(Self.quoted(attribute.lastImported)); changed: \(attribute.changed)")
                lines.append("    -> \(Self.quoted(attribute.next)): \(attribute.reason)")
            }
        }
        lines.append("")
        let verdict = login.allowed.map { $0 ? "allowed" : "refused" } ?? "unknown"
        lines.append("login now: \(login.path), \(verdict): \(login.reason)")
        if let password = login.password { lines.append("  password hash: \(password)") }
        if let negative = login.negativeCached { lines.append("  negative cache (this process): \(negative ? "holds the email" : "empty for it")") }
        for source in login.sources ?? [] {
            lines.append("  \(source.name): circuit \(source.circuit)\(source.retryAfterSeconds.map { ", retry after \($0) s" } ?? "")")
        }
        return lines.joined(separator: "\n")
    }

    static func quoted(_ value: String?) -> String {
        value.map { "'\($0)'" } ?? "none"
    }
}
