import Foundation

/// A JSON value: a cell value, a request body or a response body.
public enum SimValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([SimValue])
    case object([String: SimValue])

    /// Airtable omits these from `fields`: `""`, `[]`, `false`, `null` (and `{}`).
    public var isEmptyCell: Bool {
        switch self {
        case .null: return true
        case .bool(let b): return !b
        case .string(let s): return s.isEmpty
        case .array(let a): return a.isEmpty
        case .object(let o): return o.isEmpty
        case .number: return false
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectValue: [String: SimValue]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [SimValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// An integral number that fits in `Int`.
    public var intValue: Int? {
        guard case .number(let d) = self, d.isFinite, d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public subscript(key: String) -> SimValue? {
        objectValue?[key]
    }

    /// Converts Foundation JSON-ish values (`JSONSerialization` output, Swift literals).
    public init?(any value: Any) {
        switch value {
        case let v as SimValue: self = v
        case is NSNull: self = .null
        case let b as Bool: self = .bool(b)
        case let i as Int: self = .number(Double(i))
        case let d as Double: self = .number(d)
        case let s as String: self = .string(s)
        case let a as [Any]:
            var out: [SimValue] = []
            for element in a {
                guard let v = SimValue(any: element) else { return nil }
                out.append(v)
            }
            self = .array(out)
        case let o as [String: Any]:
            var out: [String: SimValue] = [:]
            for (k, element) in o {
                guard let v = SimValue(any: element) else { return nil }
                out[k] = v
            }
            self = .object(out)
        default: return nil
        }
    }
}

extension SimValue: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([SimValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: SimValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let d):
            if let i = self.intValue { try c.encode(i) } else { try c.encode(d) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}

extension SimValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: SimValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, SimValue)...) {
        var o: [String: SimValue] = [:]
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}
