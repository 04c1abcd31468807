import Foundation

/// What a store shares with every instance on it; nil members: the store
/// kind has no such thing (memory), and the process is its own world.
public struct Coordination: Sendable {
    /// Tells one store's coordination from another's (budgets are cached by it).
    public let scope: String
    /// Request windows per remote service, by key.
    public var requestSlots: (@Sendable (_ key: String, _ requestsPerSecond: Int) -> any RequestSlots)?
    public var lookupLocks: (any LookupLocks)?
    public var changes: (any ChangeFeed)?

    public init(
        requestSlots: (@Sendable (_ key: String, _ requestsPerSecond: Int) -> any RequestSlots)? = nil,
        lookupLocks: (any LookupLocks)? = nil, changes: (any ChangeFeed)? = nil
    ) {
        self.scope = requestSlots == nil ? "process" : UUID().uuidString
        self.requestSlots = requestSlots
        self.lookupLocks = lookupLocks
        self.changes = changes
    }

    public static let none = Coordination()
}
