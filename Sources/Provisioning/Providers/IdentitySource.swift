/// A read-only provider of users (Airtable, a memory source): later entries of
/// `resolution.order`.
public protocol IdentitySource: Sendable {
    /// Find the record whose email has this canonical form.
    func lookup(canonicalEmail: String) async -> SourceLookup
    /// Find a record by the source's record id.
    func lookup(recordID: String) async -> SourceLookup
    /// The longest one lookup may take (its `timeout_ms`); 0 when unbounded
    /// or immediate. Sets the default sign-in failure floor.
    var lookupTimeoutMilliseconds: Int { get }
}

extension IdentitySource {
    public var lookupTimeoutMilliseconds: Int { 0 }
}
