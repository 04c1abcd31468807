import Foundation

/// An inbound user event (CONTRACT.md §4), decoded from the raw body.
public struct WebhookEvent: Sendable, Equatable {
    public enum EventType: String, Sendable, Equatable, CaseIterable {
        case created = "user.created"
        case updated = "user.updated"
        case deleted = "user.deleted"
    }

    /// The value of one field of `record.fields`.
    public enum FieldValue: Sendable, Equatable {
        case text(String)
        case null
        /// Anything else (a number, a checkbox, a list): the JSON type's name.
        case other(String)
    }

    /// The body's `id`.
    public var id: String
    public var type: EventType
    public var occurredAt: Date?
    public var recordID: String
    /// `record.modified_at` as sent.
    public var recordModifiedAt: Date?
    /// `record.fields`, keyed by the source's field names.
    public var fields: [String: FieldValue]

    public init(
        id: String, type: EventType, occurredAt: Date?, recordID: String, recordModifiedAt: Date?, fields: [String: FieldValue]
    ) {
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.recordID = recordID
        self.recordModifiedAt = recordModifiedAt
        self.fields = fields
    }

    /// The longest event or record id accepted.
    public static let maxIDLength = 255

    /// Why a body is not an event: the 400 `invalid_payload` detail.
    public struct InvalidPayload: Error, Equatable, CustomStringConvertible {
        public var detail: String
        public init(_ detail: String) { self.detail = detail }
        public var description: String { detail }
    }

    /// Why a well-formed event cannot apply: the 422 `unprocessable` detail.
    public struct Unprocessable: Error, Equatable, CustomStringConvertible {
        public var detail: String
        public init(_ detail: String) { self.detail = detail }
        public var description: String { detail }
    }

    /// Decode a raw body. Unknown top-level keys are ignored (senders add
    /// metadata); the keys the contract names must have their types.
    public static func decode(_ body: [UInt8]) throws(InvalidPayload) -> WebhookEvent {
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(body), options: [])
        } catch {
            throw InvalidPayload("body is not valid JSON")
        }
        guard let object = json as? [String: Any] else { throw InvalidPayload("body must be a JSON object") }
        let id = try requiredID(object["id"], name: "id")
        guard let typeValue = object["type"] else { throw InvalidPayload("missing 'type'") }
        guard let typeText = typeValue as? String else { throw InvalidPayload("'type' must be a string") }
        guard let type = EventType(rawValue: typeText) else {
            throw InvalidPayload("unknown type '\(typeText.prefix(64))' (expected \(EventType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let occurredAt = try time(object["occurred_at"], name: "occurred_at")
        guard let recordValue = object["record"] else { throw InvalidPayload("missing 'record'") }
        guard let record = recordValue as? [String: Any] else { throw InvalidPayload("'record' must be an object") }
        let recordID = try requiredID(record["id"], name: "record.id")
        let modifiedAt = try time(record["modified_at"], name: "record.modified_at")
        var fields: [String: FieldValue] = [:]
        switch record["fields"] {
        case nil, is NSNull:
            break
        case let object as [String: Any]:
            for (name, value) in object { fields[name] = fieldValue(value) }
        default:
            throw InvalidPayload("'record.fields' must be an object")
        }
        return WebhookEvent(id: id, type: type, occurredAt: occurredAt, recordID: recordID, recordModifiedAt: modifiedAt, fields: fields)
    }

    private static func requiredID(_ value: Any?, name: String) throws(InvalidPayload) -> String {
        guard let value, !(value is NSNull) else { throw InvalidPayload("missing '\(name)'") }
        guard let text = value as? String else { throw InvalidPayload("'\(name)' must be a string") }
        guard !text.isEmpty else { throw InvalidPayload("'\(name)' must not be empty") }
        guard text.count <= maxIDLength else { throw InvalidPayload("'\(name)' is longer than \(maxIDLength) characters") }
        return text
    }

    private static func time(_ value: Any?, name: String) throws(InvalidPayload) -> Date? {
        guard let value, !(value is NSNull) else { return nil }
        guard let text = value as? String, let date = parseTime(text) else {
            throw InvalidPayload("'\(name)' must be an RFC 3339 time")
        }
        return date
    }

    /// RFC 3339, with or without fractional seconds.
    public static func parseTime(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return (try? withFraction.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    private static let booleanNumberType = Swift.type(of: NSNumber(value: true))

    private static func fieldValue(_ value: Any) -> FieldValue {
        switch value {
        case let text as String: .text(text)
        case is NSNull: .null
        case let number as NSNumber where Swift.type(of: number) == booleanNumberType: .other("a checkbox")
        case is NSNumber: .other("a number")
        case is [Any]: .other("a list")
        case is [String: Any]: .other("an object")
        default: .other("an unexpected value")
        }
    }
}

/// Turns events into store effects, through the sources' field mapping
/// (attribute -> field name). Kind-neutral: the mapping comes from config.
public struct WebhookEventMapper: Sendable {
    /// The provider name the events' records belong to (their links' key).
    public let source: String
    /// Attribute -> field name; `modified_at` is not a user attribute and is skipped.
    public let mapping: [String: String]

    public init(source: String, mapping: [String: String]) {
        self.source = source
        self.mapping = mapping.filter { $0.key != Attribute.modifiedAt }
    }

    /// The record's attributes: a missing or null field is absent; a mapped
    /// field that is not text is an invalid payload.
    public func values(of event: WebhookEvent) throws(WebhookEvent.InvalidPayload) -> [String: String] {
        var values: [String: String] = [:]
        for (attribute, field) in mapping.sorted(by: { $0.key < $1.key }) {
            switch event.fields[field] {
            case nil, .null?: continue
            case .text(let text)?: values[attribute] = text
            case .other(let found)?: throw WebhookEvent.InvalidPayload("field '\(field)' holds \(found), expected text")
            }
        }
        return values
    }

    /// The store write the event asks for. `modified_at` defaults to
    /// `occurred_at`, then to `receivedAt`.
    /// `futureToleranceSeconds`: a record modified more than this after
    /// `receivedAt` is refused (it would win every later stale check).
    /// `mayWrite`: the signature scheme's `writes:`; other attributes in the
    /// event are left out, as if the event did not carry them.
    public func effect(
        for event: WebhookEvent, receivedAt: Date, futureToleranceSeconds: Int = 300,
        mayWrite: (String) -> Bool = { _ in true }
    ) throws -> WebhookEffect {
        switch event.type {
        case .deleted:
            return .delete(source: source, recordID: event.recordID, occurredAt: event.recordModifiedAt ?? event.occurredAt)
        case .created, .updated:
            let values = try values(of: event).filter { mayWrite($0.key) }
            let modifiedAt = event.recordModifiedAt ?? event.occurredAt ?? receivedAt
            guard modifiedAt.timeIntervalSince(receivedAt) <= Double(futureToleranceSeconds) else {
                throw WebhookEvent.Unprocessable("record.modified_at is more than \(futureToleranceSeconds) s in the future")
            }
            let record = SourceRecord(source: source, recordID: event.recordID, values: values, modifiedAt: modifiedAt)
            if event.type == .created, record.email == nil {
                throw WebhookEvent.Unprocessable("a user.created event must carry an email")
            }
            if let problem = record.importProblem { throw WebhookEvent.Unprocessable(problem) }
            return .upsert(record)
        }
    }

    /// The canonical email an event names, if it names a valid one (for the
    /// negative cache; a delete may carry none).
    public func canonicalEmail(of event: WebhookEvent) -> String? {
        guard let field = mapping[Attribute.email], case .text(let text)? = event.fields[field] else { return nil }
        return EmailAddress.canonical(text)
    }
}
