/// A parsed formula.
indirect enum FormulaNode: Sendable, Equatable {
    case number(Double)
    case string(String)
    case field(String)
    case call(FormulaFunction, [FormulaNode])
    case binary(FormulaOperator, FormulaNode, FormulaNode)
    case negate(FormulaNode)

    /// Every field name the formula references.
    var referencedFields: Set<String> {
        switch self {
        case .number, .string: return []
        case .field(let name): return [name]
        case .call(_, let args): return args.reduce(into: Set<String>()) { $0.formUnion($1.referencedFields) }
        case .binary(_, let l, let r): return l.referencedFields.union(r.referencedFields)
        case .negate(let x): return x.referencedFields
        }
    }
}

enum FormulaOperator: String, Sendable {
    case equal = "=", notEqual = "!=", less = "<", greater = ">", lessOrEqual = "<=", greaterOrEqual = ">="
    case concat = "&", add = "+", subtract = "-", multiply = "*", divide = "/"
}

/// The functions the simulator understands; names are case-insensitive.
enum FormulaFunction: String, Sendable, CaseIterable {
    case and = "AND", or = "OR", not = "NOT", `if` = "IF"
    case lower = "LOWER", upper = "UPPER", trim = "TRIM", len = "LEN", concatenate = "CONCATENATE"
    case find = "FIND", search = "SEARCH"
    case `true` = "TRUE", `false` = "FALSE", blank = "BLANK"
    case recordID = "RECORD_ID", lastModifiedTime = "LAST_MODIFIED_TIME", createdTime = "CREATED_TIME"
    case isAfter = "IS_AFTER", isBefore = "IS_BEFORE", datetimeParse = "DATETIME_PARSE"

    /// Allowed argument counts.
    var arity: ClosedRange<Int> {
        switch self {
        case .and, .or, .concatenate: return 1...255
        case .not, .lower, .upper, .trim, .len: return 1...1
        case .if: return 2...3
        case .find, .search: return 2...3
        case .true, .false, .blank, .recordID, .createdTime: return 0...0
        case .lastModifiedTime: return 0...255
        case .isAfter, .isBefore: return 2...2
        case .datetimeParse: return 1...3
        }
    }
}
