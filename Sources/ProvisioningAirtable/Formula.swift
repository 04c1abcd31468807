/// Builds `filterByFormula` text. User input only ever enters as a string
/// literal with `\` and `'` escaped, so it cannot change the formula.
public enum Formula {
    /// A single-quoted string literal.
    public static func literal(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "'": escaped += "\\'"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default: escaped.append(character)
            }
        }
        return "'\(escaped)'"
    }

    /// A field reference; field names come from config and contain no `}`.
    public static func field(_ name: String) -> String { "{\(name)}" }

    /// Records whose email, trimmed and lower-cased, is `canonicalEmail`.
    public static func emailEquals(field: String, canonicalEmail: String) -> String {
        "LOWER(TRIM(\(Self.field(field)))) = \(literal(canonicalEmail))"
    }

    /// Records modified after `isoTime` (incremental sync).
    public static func modifiedAfter(_ isoTime: String) -> String {
        "IS_AFTER(LAST_MODIFIED_TIME(), DATETIME_PARSE(\(literal(isoTime))))"
    }
}
