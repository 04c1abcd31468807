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
    /// The same lookup spending the source's budget at `priority` (background
    /// work such as `provisiond explain`); by default the sign-in's lookup.
    func lookup(canonicalEmail: String, priority: RequestPriority) async -> SourceLookup
    func lookup(recordID: String, priority: RequestPriority) async -> SourceLookup
    /// The rate budget and circuit it spends, if any (explain reports their state).
    var sourceBudget: SourceBudget? { get }
}

extension IdentitySource {
    public var lookupTimeoutMilliseconds: Int { 0 }
    public func lookup(canonicalEmail: String, priority: RequestPriority) async -> SourceLookup { await lookup(canonicalEmail: canonicalEmail) }
    public func lookup(recordID: String, priority: RequestPriority) async -> SourceLookup { await lookup(recordID: recordID) }
    public var sourceBudget: SourceBudget? { nil }
}
