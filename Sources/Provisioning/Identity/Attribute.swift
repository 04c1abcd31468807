/// Names of the attributes every provider understands. Other attributes are
/// whatever a source's field mapping declares.
public enum Attribute {
    public static let email = "email"
    public static let displayName = "display_name"
    public static let role = "role"
    public static let passwordHash = "password_hash"
    /// Not a user attribute: the mapping key of a source's last-modified field.
    public static let modifiedAt = "modified_at"

    /// The attributes with their own column in a store.
    public static let core: [String] = [email, displayName, role, passwordHash]

    /// Attribute names are used as JSON keys and checked against this shape
    /// before they reach any query text.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first) else { return false }
        return name.count <= 63 && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
