import Foundation

/// A user as a source (Airtable, a webhook event, a memory source) reports it.
public struct SourceRecord: Sendable, Equatable {
    /// The provider name of the source it came from: the key of the user's
    /// link to it. Set by whoever knows the name (the pipeline, the sync, the
    /// webhook route); a store refuses a record id without it.
    public var source: String
    /// The source's record id (`rec…`); nil for a record known by email only.
    public var recordID: String?
    /// Attribute name to value; `email` included. An attribute the source does
    /// not have is absent, never an empty string.
    public var values: [String: String]
    /// The source's modified time; the fetch time when the source has none.
    public var modifiedAt: Date
    /// When the source created the record, where it says.
    public var createdAt: Date?

    public init(source: String = "", recordID: String?, values: [String: String], modifiedAt: Date, createdAt: Date? = nil) {
        self.source = source
        self.recordID = recordID
        self.values = values.filter { !$0.value.isEmpty }
        self.modifiedAt = modifiedAt
        self.createdAt = createdAt
    }

    public var email: String? { values[Attribute.email] }

    /// The same record, from the source named `name`.
    public func from(_ name: String) -> SourceRecord {
        var record = self
        record.source = name
        return record
    }
}
