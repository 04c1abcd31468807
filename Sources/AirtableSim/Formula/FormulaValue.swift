import Foundation

/// A value during formula evaluation.
enum FormulaValue: Sendable, Equatable {
    case blank
    case number(Double)
    case string(String)
    case bool(Bool)
    case date(Date)

    /// Airtable keeps a record unless the formula yields 0, false, "", NaN, blank or an error.
    var isTruthy: Bool {
        switch self {
        case .blank: return false
        case .number(let d): return d != 0 && !d.isNaN
        case .string(let s): return !s.isEmpty
        case .bool(let b): return b
        case .date: return true
        }
    }

    /// Converts a stored cell. Multiple values (arrays) read as a comma-separated string, as in Airtable.
    init(cell: SimValue?) {
        switch cell {
        case nil, .null?: self = .blank
        case .bool(let b)?: self = .bool(b)
        case .number(let d)?: self = .number(d)
        case .string(let s)?: self = s.isEmpty ? .blank : .string(s)
        case .array(let a)?:
            let parts = a.map { FormulaValue(cell: $0).text }.filter { !$0.isEmpty }
            self = parts.isEmpty ? .blank : .string(parts.joined(separator: ", "))
        case .object(let o)?:
            if let name = o["name"]?.stringValue ?? o["email"]?.stringValue ?? o["filename"]?.stringValue {
                self = .string(name)
            } else {
                self = .blank
            }
        }
    }

    /// The value as text (`&`, LOWER, ...).
    var text: String {
        switch self {
        case .blank: return ""
        case .number(let d): return SimJSON.formatNumber(d)
        case .string(let s): return s
        case .bool(let b): return b ? "1" : "0"
        case .date(let d): return SimTime.format(d)
        }
    }

    /// The value as a number, when it has one.
    var numeric: Double? {
        switch self {
        case .blank: return 0
        case .number(let d): return d
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        case .date: return nil
        }
    }

    /// The value as a point in time, when it has one.
    var dateValue: Date? {
        switch self {
        case .date(let d): return d
        case .string(let s): return SimTime.parse(s)
        default: return nil
        }
    }
}
