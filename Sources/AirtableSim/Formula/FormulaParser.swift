/// Recursive-descent parser. Precedence, lowest first: comparison (`= != < > <= >=`), `&`, `+ -`, `* /`, unary `-`.
struct FormulaParser {
    static let maximumDepth = 64

    private var tokens: [FormulaToken]
    private var position = 0
    private var depth = 0

    /// Parses a whole formula; throws on any syntax error, unknown function or wrong argument count.
    static func parse(_ text: String) throws(FormulaError) -> FormulaNode {
        var parser = FormulaParser(tokens: try FormulaLexer.tokenize(text))
        let node = try parser.parseExpression()
        guard parser.peek == .end else { throw FormulaError("unexpected \(describe(parser.peek))") }
        return node
    }

    private init(tokens: [FormulaToken]) {
        self.tokens = tokens
    }

    private var peek: FormulaToken { position < tokens.count ? tokens[position] : .end }

    private mutating func advance() -> FormulaToken {
        let t = peek
        if position < tokens.count { position += 1 }
        return t
    }

    private mutating func parseExpression() throws(FormulaError) -> FormulaNode {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else { throw FormulaError("formula is nested too deeply") }
        return try parseComparison()
    }

    private mutating func parseComparison() throws(FormulaError) -> FormulaNode {
        var left = try parseConcat()
        while case .op(let s) = peek, let op = FormulaOperator(rawValue: s),
            [.equal, .notEqual, .less, .greater, .lessOrEqual, .greaterOrEqual].contains(op)
        {
            _ = advance()
            left = .binary(op, left, try parseConcat())
        }
        return left
    }

    private mutating func parseConcat() throws(FormulaError) -> FormulaNode {
        var left = try parseAdditive()
        while peek == .op("&") {
            _ = advance()
            left = .binary(.concat, left, try parseAdditive())
        }
        return left
    }

    private mutating func parseAdditive() throws(FormulaError) -> FormulaNode {
        var left = try parseMultiplicative()
        while case .op(let s) = peek, s == "+" || s == "-" {
            _ = advance()
            left = .binary(s == "+" ? .add : .subtract, left, try parseMultiplicative())
        }
        return left
    }

    private mutating func parseMultiplicative() throws(FormulaError) -> FormulaNode {
        var left = try parseUnary()
        while case .op(let s) = peek, s == "*" || s == "/" {
            _ = advance()
            left = .binary(s == "*" ? .multiply : .divide, left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws(FormulaError) -> FormulaNode {
        if peek == .op("-") {
            _ = advance()
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else { throw FormulaError("formula is nested too deeply") }
            return .negate(try parseUnary())
        }
        return try parsePrimary()
    }

    private mutating func parsePrimary() throws(FormulaError) -> FormulaNode {
        let token = advance()
        switch token {
        case .number(let v): return .number(v)
        case .string(let s): return .string(s)
        case .field(let name): return .field(name)
        case .lparen:
            let inner = try parseExpression()
            guard advance() == .rparen else { throw FormulaError("missing ')'") }
            return inner
        case .identifier(let name):
            guard peek == .lparen else { return .field(name) }
            _ = advance()
            guard let function = FormulaFunction(rawValue: name.uppercased()) else {
                throw FormulaError("unknown function \(name)")
            }
            var args: [FormulaNode] = []
            if peek != .rparen {
                while true {
                    args.append(try parseExpression())
                    if peek == .comma {
                        _ = advance()
                        continue
                    }
                    break
                }
            }
            guard advance() == .rparen else { throw FormulaError("missing ')' after arguments of \(name)") }
            guard function.arity.contains(args.count) else {
                throw FormulaError("wrong number of arguments to \(function.rawValue)")
            }
            if function == .lastModifiedTime, !args.allSatisfy({ if case .field = $0 { true } else { false } }) {
                throw FormulaError("LAST_MODIFIED_TIME accepts only field references")
            }
            return .call(function, args)
        default:
            throw FormulaError("unexpected \(Self.describe(token))")
        }
    }

    private static func describe(_ token: FormulaToken) -> String {
        switch token {
        case .number(let v): return "number \(v)"
        case .string: return "string literal"
        case .field(let n): return "field {\(n)}"
        case .identifier(let n): return "'\(n)'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .comma: return "','"
        case .op(let o): return "'\(o)'"
        case .end: return "end of formula"
        }
    }
}
