import Foundation

/// A stored user's link to one record of one source (keyed by the source's
/// provider name in `StoredUser.links`): the record id, the values last
/// imported from it (the three-way merge's base) and its modified time (the
/// stale guard). Precedence and the stale guard work per source.
public struct SourceLink: Sendable, Equatable {
    public var recordID: String
    public var snapshot: [String: String]
    public var modifiedAt: Date?

    public init(recordID: String, snapshot: [String: String], modifiedAt: Date?) {
        self.recordID = recordID
        self.snapshot = snapshot
        self.modifiedAt = modifiedAt
    }
}
