import Foundation

/// A runtime failure (Airtable's `#ERROR!`): the record is left out of the result.
struct FormulaRuntimeError: Error {}

/// What a formula sees of one record.
struct FormulaRecord {
    let id: String
    let createdTime: Date
    let lastModifiedTime: Date
    /// The cell values; the table's last-modified field is read as a date.
    let cell: (String) -> FormulaValue
}

/// Evaluates a parsed formula against one record.
enum FormulaEvaluator {
    /// True when the record belongs in the result; an evaluation error counts as false.
    static func matches(_ node: FormulaNode, record: FormulaRecord) -> Bool {
        (try? evaluate(node, record).isTruthy) ?? false
    }

    static func evaluate(_ node: FormulaNode, _ record: FormulaRecord) throws(FormulaRuntimeError) -> FormulaValue {
        switch node {
        case .number(let v): return .number(v)
        case .string(let s): return .string(s)
        case .field(let name): return record.cell(name)
        case .negate(let x):
            guard let n = try evaluate(x, record).numeric else { throw FormulaRuntimeError() }
            return .number(-n)
        case .binary(let op, let l, let r):
            return try binary(op, try evaluate(l, record), try evaluate(r, record))
        case .call(let function, let args):
            return try call(function, args, record)
        }
    }

    private static func binary(_ op: FormulaOperator, _ a: FormulaValue, _ b: FormulaValue) throws(FormulaRuntimeError) -> FormulaValue {
        switch op {
        case .equal: return .bool(equal(a, b))
        case .notEqual: return .bool(!equal(a, b))
        case .less, .greater, .lessOrEqual, .greaterOrEqual:
            let order = try compare(a, b)
            switch op {
            case .less: return .bool(order < 0)
            case .greater: return .bool(order > 0)
            case .lessOrEqual: return .bool(order <= 0)
            default: return .bool(order >= 0)
            }
        case .concat: return .string(a.text + b.text)
        case .add, .subtract, .multiply, .divide:
            guard let x = a.numeric, let y = b.numeric else { throw FormulaRuntimeError() }
            switch op {
            case .add: return .number(x + y)
            case .subtract: return .number(x - y)
            case .multiply: return .number(x * y)
            default:
                guard y != 0 else { throw FormulaRuntimeError() }
                return .number(x / y)
            }
        }
    }

    /// `=`: strings compare exactly (case-sensitive); numbers, checkboxes and blanks numerically; dates by instant.
    static func equal(_ a: FormulaValue, _ b: FormulaValue) -> Bool {
        switch (a, b) {
        case (.blank, .blank): return true
        case (.blank, .string(let s)), (.string(let s), .blank): return s.isEmpty
        case (.string(let x), .string(let y)): return x == y
        case (.date, _), (_, .date):
            guard let x = a.dateValue, let y = b.dateValue else { return false }
            return x == y
        case (.string(let s), let other), (let other, .string(let s)):
            if let n = other.numeric, let m = Double(s.trimmingCharacters(in: .whitespaces)) { return n == m }
            return other.text == s
        default:
            guard let x = a.numeric, let y = b.numeric else { return false }
            return x == y
        }
    }

    /// Ordering for `< > <= >=`: numbers numerically, dates (or ISO strings) by instant, other text lexically.
    static func compare(_ a: FormulaValue, _ b: FormulaValue) throws(FormulaRuntimeError) -> Int {
        func sign<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        switch (a, b) {
        case (.date, _), (_, .date):
            guard let x = a.dateValue, let y = b.dateValue else { throw FormulaRuntimeError() }
            return sign(x, y)
        case (.string(let x), .string(let y)):
            if let n = Double(x), let m = Double(y) { return sign(n, m) }
            if let d = SimTime.parse(x), let e = SimTime.parse(y) { return sign(d, e) }
            return sign(x, y)
        default:
            guard let x = a.numeric, let y = b.numeric else { throw FormulaRuntimeError() }
            return sign(x, y)
        }
    }

    private static func call(_ function: FormulaFunction, _ args: [FormulaNode], _ record: FormulaRecord) throws(FormulaRuntimeError) -> FormulaValue {
        func arg(_ i: Int) throws(FormulaRuntimeError) -> FormulaValue {
            guard i < args.count else { return .blank }
            return try evaluate(args[i], record)
        }
        switch function {
        case .and:
            for i in args.indices {
                let value = try arg(i)
                if !value.isTruthy { return .bool(false) }
            }
            return .bool(true)
        case .or:
            for i in args.indices {
                let value = try arg(i)
                if value.isTruthy { return .bool(true) }
            }
            return .bool(false)
        case .not: return .bool(!(try arg(0).isTruthy))
        case .if:
            let condition = try arg(0)
            return condition.isTruthy ? try arg(1) : try arg(2)
        case .lower: return .string(try arg(0).text.lowercased())
        case .upper: return .string(try arg(0).text.uppercased())
        case .trim: return .string(try arg(0).text.trimmingCharacters(in: .whitespacesAndNewlines))
        case .len: return .number(Double(try arg(0).text.count))
        case .concatenate:
            var out = ""
            for i in args.indices { out += try arg(i).text }
            return .string(out)
        case .find, .search:
            let needle = try arg(0).text
            let haystack = try arg(1).text
            let rawStart = args.count > 2 ? (try arg(2).numeric ?? 1) : 1
            let start = rawStart.isFinite ? Int(min(max(rawStart, 1), 1_000_000_000)) : 1
            let found = position(of: needle, in: haystack, from: start, caseInsensitive: function == .search)
            if found == 0, function == .search { return .blank }
            return .number(Double(found))
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .blank: return .blank
        case .recordID: return .string(record.id)
        case .lastModifiedTime: return .date(record.lastModifiedTime)
        case .createdTime: return .date(record.createdTime)
        case .isAfter, .isBefore:
            guard let x = try arg(0).dateValue, let y = try arg(1).dateValue else { throw FormulaRuntimeError() }
            return .bool(function == .isAfter ? x > y : x < y)
        case .datetimeParse:
            guard let d = try arg(0).dateValue else { throw FormulaRuntimeError() }
            return .date(d)
        }
    }

    /// 1-based position of `needle` in `haystack` at or after `start`; 0 when absent.
    private static func position(of needle: String, in haystack: String, from start: Int, caseInsensitive: Bool) -> Int {
        let h = Array(caseInsensitive ? haystack.lowercased() : haystack)
        let n = Array(caseInsensitive ? needle.lowercased() : needle)
        guard !n.isEmpty else { return start <= h.count + 1 ? start : 0 }
        guard n.count <= h.count else { return 0 }
        var i = start - 1
        while i + n.count <= h.count {
            if Array(h[i..<(i + n.count)]) == n { return i + 1 }
            i += 1
        }
        return 0
    }
}
