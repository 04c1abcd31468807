import Foundation

/// A user as the store (the system of record) holds it.
public struct StoredUser: Sendable, Equatable {
    public var id: UUID
    /// Current attribute values; `email` included.
    public var values: [String: String]
    public var emailCanonical: String
    public var recordID: String?
    /// The source values last imported, for the three-way merge.
    public var sourceSnapshot: [String: String]
    /// The modified time of the source record last imported.
    public var sourceModifiedAt: Date?
    /// The time of the app's last write (not an import).
    public var storeUpdatedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?

    public init(
        id: UUID, values: [String: String], emailCanonical: String, recordID: String?,
        sourceSnapshot: [String: String], sourceModifiedAt: Date?, storeUpdatedAt: Date?,
        createdAt: Date, updatedAt: Date, deletedAt: Date?
    ) {
        self.id = id
        self.values = values
        self.emailCanonical = emailCanonical
        self.recordID = recordID
        self.sourceSnapshot = sourceSnapshot
        self.sourceModifiedAt = sourceModifiedAt
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
}
