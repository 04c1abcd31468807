import Foundation

/// A user as a source (Airtable, a webhook event, a memory source) reports it.
public struct SourceRecord: Sendable, Equatable {
    /// The source's record id (`rec…`); nil for a record known by email only.
    public var recordID: String?
    /// Attribute name to value; `email` included. An attribute the source does
    /// not have is absent, never an empty string.
    public var values: [String: String]
    /// The source's modified time; the fetch time when the source has none.
    public var modifiedAt: Date
    /// When the source created the record, where it says.
    public var createdAt: Date?

    public init(recordID: String?, values: [String: String], modifiedAt: Date, createdAt: Date? = nil) {
        self.recordID = recordID
        self.values = values.filter { !$0.value.isEmpty }
        self.modifiedAt = modifiedAt
        self.createdAt = createdAt
    }

    public var email: String? { values[Attribute.email] }
}
