/// A read-only provider of users (Airtable, a memory source): later entries of
/// `resolution.order`.
public protocol IdentitySource: Sendable {
    /// Find the record whose email has this canonical form.
    func lookup(canonicalEmail: String) async -> SourceLookup
    /// Find a record by the source's record id.
    func lookup(recordID: String) async -> SourceLookup
}
