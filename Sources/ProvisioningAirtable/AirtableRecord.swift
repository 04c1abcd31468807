import Foundation
import Provisioning

/// A record as Airtable's API returns it.
public struct AirtableRecord: Sendable, Equatable {
    public var id: String
    public var createdTime: Date?
    public var fields: [String: AirtableValue]
}

/// The JSON value of one field.
public enum AirtableValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case other(String)

    init(_ any: Any) {
        switch any {
        case let value as String: self = .string(value)
        // JSONSerialization gives NSNumber for numbers and checkboxes alike, and
        // an NSNumber 0 or 1 casts to Bool: tell them apart by the boolean class.
        case let value as NSNumber where type(of: value) == Self.booleanNumberType: self = .bool(value.boolValue)
        case let value as NSNumber: self = .number(value.doubleValue)
        case let value as Bool: self = .bool(value)
        default: self = .other(String(describing: type(of: any)))
        }
    }

    private static let booleanNumberType = type(of: NSNumber(value: true))
}

/// A record that cannot be mapped: a field of an unexpected type.
public struct RecordMappingError: Error, Equatable, CustomStringConvertible {
    public var recordID: String
    public var field: String
    public var found: String
    public var description: String { "record \(recordID): field '\(field)' holds \(found), expected text" }
}

enum AirtableTime {
    static func parse(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return (try? withFraction.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension AirtableRecord {
    /// Decode `{"id", "createdTime", "fields"}`.
    init?(json: Any) {
        guard let object = json as? [String: Any], let id = object["id"] as? String else { return nil }
        self.id = id
        self.createdTime = (object["createdTime"] as? String).flatMap(AirtableTime.parse)
        self.fields = ((object["fields"] as? [String: Any]) ?? [:]).mapValues(AirtableValue.init)
    }

    /// Map fields to attributes per config: a missing field is absent; a
    /// field of another type than text is an error for this record.
    func sourceRecord(settings: AirtableSettings, fetchedAt: Date) throws(RecordMappingError) -> SourceRecord {
        var values: [String: String] = [:]
        for (attribute, field) in settings.attributeFields {
            switch fields[field] {
            case nil: continue
            case .string(let text): values[attribute] = text
            case .number(let number): throw RecordMappingError(recordID: id, field: field, found: "a number (\(number))")
            case .bool: throw RecordMappingError(recordID: id, field: field, found: "a checkbox")
            case .other(let kind): throw RecordMappingError(recordID: id, field: field, found: kind)
            }
        }
        var modifiedAt = fetchedAt
        if let field = settings.fields[Attribute.modifiedAt], let value = fields[field] {
            guard case .string(let text) = value, let time = AirtableTime.parse(text) else {
                throw RecordMappingError(recordID: id, field: field, found: "no ISO 8601 time")
            }
            modifiedAt = time
        }
        return SourceRecord(recordID: id, values: values, modifiedAt: modifiedAt, createdAt: createdTime)
    }
}
