/// A syntax or validation problem in a `filterByFormula`; answered with `422 INVALID_FILTER_BY_FORMULA`.
struct FormulaError: Error, Sendable, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}

enum FormulaToken: Equatable, Sendable {
    case number(Double)
    case string(String)
    case field(String)
    case identifier(String)
    case lparen, rparen, comma
    case op(String)
    case end
}

/// Splits a formula into tokens: numbers, quoted strings (single or double quotes, backslash escapes),
/// `{Field Name}` references, identifiers, parentheses, commas and operators.
struct FormulaLexer {
    static let maximumLength = 100_000

    static func tokenize(_ text: String) throws(FormulaError) -> [FormulaToken] {
        guard text.utf8.count <= maximumLength else { throw FormulaError("formula is too long") }
        let chars = Array(text.unicodeScalars)
        var tokens: [FormulaToken] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.properties.isWhitespace {
                i += 1
                continue
            }
            switch c {
            case "(": tokens.append(.lparen); i += 1
            case ")": tokens.append(.rparen); i += 1
            case ",": tokens.append(.comma); i += 1
            case "=", "&", "+", "-", "*", "/":
                tokens.append(.op(String(c))); i += 1
            case "!":
                guard i + 1 < chars.count, chars[i + 1] == "=" else { throw FormulaError("unexpected '!'") }
                tokens.append(.op("!=")); i += 2
            case "<", ">":
                if i + 1 < chars.count, chars[i + 1] == "=" {
                    tokens.append(.op(String(c) + "=")); i += 2
                } else {
                    tokens.append(.op(String(c))); i += 1
                }
            case "'", "\"":
                let (s, next) = try readString(chars, from: i)
                tokens.append(.string(s)); i = next
            case "{":
                var j = i + 1
                var name = String.UnicodeScalarView()
                while j < chars.count, chars[j] != "}" {
                    name.append(chars[j]); j += 1
                }
                guard j < chars.count else { throw FormulaError("unterminated field reference") }
                let fieldName = String(name)
                guard !fieldName.isEmpty else { throw FormulaError("empty field reference") }
                tokens.append(.field(fieldName)); i = j + 1
            case "0"..."9", ".":
                var j = i
                var literal = ""
                var sawDot = false
                while j < chars.count, ("0"..."9").contains(chars[j]) || (chars[j] == "." && !sawDot) {
                    if chars[j] == "." { sawDot = true }
                    literal.unicodeScalars.append(chars[j]); j += 1
                }
                guard let value = Double(literal) else { throw FormulaError("invalid number '\(literal)'") }
                tokens.append(.number(value)); i = j
            default:
                guard isIdentifierStart(c) else { throw FormulaError("unexpected character '\(c)'") }
                var j = i
                var name = ""
                while j < chars.count, isIdentifierStart(chars[j]) || ("0"..."9").contains(chars[j]) {
                    name.unicodeScalars.append(chars[j]); j += 1
                }
                tokens.append(.identifier(name)); i = j
            }
        }
        tokens.append(.end)
        return tokens
    }

    private static func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_"
    }

    /// Reads a quoted literal starting at the opening quote; returns the value and the index after the closing quote.
    private static func readString(_ chars: [Unicode.Scalar], from start: Int) throws(FormulaError) -> (String, Int) {
        let quote = chars[start]
        var j = start + 1
        var value = String.UnicodeScalarView()
        while j < chars.count {
            let c = chars[j]
            if c == quote { return (String(value), j + 1) }
            if c == "\\" {
                guard j + 1 < chars.count else { break }
                let e = chars[j + 1]
                switch e {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "r": value.append("\r")
                default: value.append(e)
                }
                j += 2
                continue
            }
            value.append(c)
            j += 1
        }
        throw FormulaError("unterminated string literal")
    }
}
