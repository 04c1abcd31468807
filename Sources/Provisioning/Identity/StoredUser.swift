import Foundation

/// A user as the store (the system of record) holds it.
public struct StoredUser: Sendable, Equatable {
    public var id: UUID
    /// Current attribute values; `email` included.
    public var values: [String: String]
    public var emailCanonical: String
    /// Provider name -> the record of that source this user is linked to.
    public var links: [String: SourceLink]
    /// The time of the app's last write (not an import).
    public var storeUpdatedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?

    public init(
        id: UUID, values: [String: String], emailCanonical: String, links: [String: SourceLink], storeUpdatedAt: Date?,
        createdAt: Date, updatedAt: Date, deletedAt: Date?
    ) {
        self.id = id
        self.values = values
        self.emailCanonical = emailCanonical
        self.links = links
        self.storeUpdatedAt = storeUpdatedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.deletedAt = deletedAt
    }

    public var email: String { values[Attribute.email] ?? emailCanonical }
    public var displayName: String? { values[Attribute.displayName] }
    public var role: String? { values[Attribute.role] }
    public var passwordHash: String? { values[Attribute.passwordHash] }
    public var isDeleted: Bool { deletedAt != nil }
    /// The id of the record this user is linked to in `source`, if any.
    public func recordID(in source: String) -> String? { links[source]?.recordID }
    /// Provider name -> record id (the user JSON's `links`).
    public var linkIDs: [String: String] { links.mapValues(\.recordID) }
}
