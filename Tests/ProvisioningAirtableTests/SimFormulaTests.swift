import Foundation
import Testing

@testable import AirtableSim

@Suite("airtable-sim: filterByFormula")
struct SimFormulaTests {
    /// Escapes a value for a single-quoted formula literal, as a careful client does.
    static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    @Test("LOWER({Email}) = '...' matches case-insensitively")
    func lowerEmail() async throws {
        try await SimHarness.with { h in
            let ada = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "Ada@Example.com"])
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "bob@example.com"])
            let reply = try await h.filter("LOWER({Email}) = 'ada@example.com'")
            #expect(reply.status == 200)
            #expect(reply.records.map(\.idString) == [ada])
            let exact = try await h.filter("{Email} = 'ada@example.com'")
            #expect(exact.records.isEmpty)
        }
    }

    @Test("quotes and backslashes in an email are found only through a correctly escaped literal")
    func escaping() async throws {
        try await SimHarness.with { h in
            let email = #"o'brien\x@example.com"#
            let target = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": .string(email)])
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "o'brienx@example.com"])
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "obrien@example.com"])

            let good = try await h.filter("LOWER({Email}) = \(Self.quoted(email))")
            #expect(good.status == 200)
            #expect(good.records.map(\.idString) == [target])

            let doubleQuoted = try await h.filter("{Email} = \"o'brien\\\\x@example.com\"")
            #expect(doubleQuoted.records.map(\.idString) == [target])

            // Backslash not escaped: `\x` reads as `x`, so the wrong record (or none) matches.
            let halfEscaped = try await h.filter(#"{Email} = 'o\'brien\x@example.com'"#)
            #expect(halfEscaped.status == 200)
            #expect(!halfEscaped.records.map(\.idString).contains(target))

            // Nothing escaped: a syntax error, never a match.
            let raw = try await h.filter("{Email} = '\(email)'")
            #expect(raw.status == 422)
            #expect(raw.errorType == "INVALID_FILTER_BY_FORMULA")

            // An injection attempt stays a literal when escaped.
            let injection = try await h.filter("{Email} = \(Self.quoted("x' OR '1'='1"))")
            #expect(injection.status == 200)
            #expect(injection.records.isEmpty)
        }
    }

    @Test("invalid formulas get 422 INVALID_FILTER_BY_FORMULA", arguments: [
        "LOWER({Email}", "NOSUCH({Email})", "NOT()", "NOT(1, 2)", "IS_AFTER(1)", "{Email} = ", "'unterminated",
        "{Email", "1 +* 2", "AND(", ")", "RECORD_ID(1)", "LAST_MODIFIED_TIME('x')", "{}", "1 ! 2", "@",
        String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500),
    ])
    func invalidFormulas(formula: String) async throws {
        try await SimHarness.with { h in
            _ = h.insertUsers(1)
            let reply = try await h.filter(formula)
            #expect(reply.status == 422)
            #expect(reply.errorType == "INVALID_FILTER_BY_FORMULA")
        }
    }

    @Test("a declared table refuses unknown field names in a formula; an any-field table reads them as empty")
    func unknownFields() async throws {
        let bases = [SimHarness.base: [SimTableSpec(name: "Users"), SimTableSpec(name: "Strict", fields: ["Email"])]]
        try await SimHarness.with(bases: bases) { h in
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "a@example.com"])
            _ = h.sim.insert(base: SimHarness.base, table: "Strict", fields: ["Email": "a@example.com"])
            let loose = try await h.filter("{Nope} = 'x'")
            #expect(loose.status == 200)
            #expect(loose.records.isEmpty)
            let blank = try await h.filter("{Nope} = ''")
            #expect(blank.records.count == 1)
            let strict = try await h.filter("{Nope} = 'x'", table: "Strict")
            #expect(strict.status == 422)
            #expect(strict.errorType == "INVALID_FILTER_BY_FORMULA")
            let strictOK = try await h.filter("{Email} = 'a@example.com'", table: "Strict")
            #expect(strictOK.records.count == 1)
        }
    }

    @Test("functions, operators and truthiness")
    func functions() async throws {
        try await SimHarness.with { h in
            let a = h.sim.insert(base: SimHarness.base, table: "Users",
                                 fields: ["Name": "  Ada ", "N": 3, "Active": true, "Tags": ["x", "y"]])
            let b = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Name": "Bob", "N": 0])
            let cases: [(String, [String])] = [
                ("TRIM({Name}) = 'Ada'", [a]),
                ("upper(TRIM({Name})) = 'ADA'", [a]),
                ("AND({N} > 1, {Active})", [a]),
                ("OR({N} = 0, {Name} = 'nobody')", [b]),
                ("NOT({Active})", [b]),
                ("{N}", [a]),
                ("{N} * 2 + 1 = 7", [a]),
                ("{Name} & '!' = 'Bob!'", [b]),
                ("RECORD_ID() = '\(b)'", [b]),
                ("{N} != 3", [b]),
                ("{N} <= 0", [b]),
                ("{Tags} = 'x, y'", [a]),
                ("IF({N} > 1, 'yes', '') = 'yes'", [a]),
                ("LEN({Name}) = 3", [b]),
                ("FIND('o', {Name})", [b]),
                ("SEARCH('ADA', {Name})", [a]),
                ("1 / 0", []),
                ("''", []),
                ("\"\"", []),
                ("TRUE()", [a, b]),
                ("BLANK()", []),
                ("   ", [a, b]),
            ]
            for (formula, expected) in cases {
                let reply = try await h.filter(formula)
                #expect(reply.status == 200, "\(formula)")
                #expect(reply.records.map(\.idString) == expected, "\(formula)")
            }
        }
    }

    @Test("LAST_MODIFIED_TIME(), IS_AFTER, IS_BEFORE, DATETIME_PARSE and date comparisons")
    func dates() async throws {
        try await SimHarness.with { h in
            let old = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Name": "old"],
                                   createdTime: SimTime.parse("2026-01-01T00:00:00.000Z"))
            let new = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Name": "new"],
                                   createdTime: SimTime.parse("2026-06-01T00:00:00.000Z"))
            let cases: [(String, [String])] = [
                ("IS_AFTER(LAST_MODIFIED_TIME(), '2026-03-01T00:00:00.000Z')", [new]),
                ("IS_BEFORE(LAST_MODIFIED_TIME(), '2026-03-01T00:00:00.000Z')", [old]),
                ("IS_AFTER(LAST_MODIFIED_TIME(), DATETIME_PARSE('2026-06-01T00:00:00.000Z'))", []),
                ("IS_AFTER(LAST_MODIFIED_TIME(), '2025-12-31T23:59:59.999Z')", [old, new]),
                ("{Last Modified} > '2026-03-01T00:00:00.000Z'", [new]),
                ("{Last Modified} >= '2026-06-01T00:00:00Z'", [new]),
                ("CREATED_TIME() < '2026-02-01'", [old]),
                ("IS_AFTER(LAST_MODIFIED_TIME(), 'not a date')", []),
            ]
            for (formula, expected) in cases {
                let reply = try await h.filter(formula)
                #expect(reply.status == 200, "\(formula)")
                #expect(reply.records.map(\.idString) == expected, "\(formula)")
            }
            // A write bumps the last-modified time past the cursor.
            #expect(h.sim.update(base: SimHarness.base, table: "Users", id: old, fields: ["Name": "old, edited"]))
            let bumped = try await h.filter("IS_AFTER(LAST_MODIFIED_TIME(), '2026-07-01T00:00:00.000Z')")
            #expect(bumped.records.map(\.idString) == [old])
        }
    }

    @Test("random and garbage formulas only ever get 200 or 422")
    func fuzz() async throws {
        var generator = SeededGenerator(seed: 0x5EED)
        let atoms = ["{Email}", "{N}", "{Nope}", "'a'", "\"b\"", "'it\\'s'", "1", "2.5", ".", "RECORD_ID()", "TRUE()",
                     "LAST_MODIFIED_TIME()", "BLANK()", "''", "{", "}", "'", "\"", "\\", "(", ")", ",", "-"]
        let functions = ["AND", "OR", "NOT", "LOWER", "UPPER", "TRIM", "IS_AFTER", "IS_BEFORE", "DATETIME_PARSE", "IF",
                         "LEN", "FIND", "SEARCH", "CONCATENATE", "nope", "lower"]
        let operators = ["=", "!=", "<", ">", "<=", ">=", "&", "+", "-", "*", "/", "!", "==", "<>"]
        func expression(_ depth: Int) -> String {
            let roll = Int(generator.next() % 10)
            if depth > 3 || roll < 3 { return atoms[Int(generator.next() % UInt64(atoms.count))] }
            if roll < 6 {
                return expression(depth + 1) + " " + operators[Int(generator.next() % UInt64(operators.count))] + " " + expression(depth + 1)
            }
            let name = functions[Int(generator.next() % UInt64(functions.count))]
            let args = (0..<Int(generator.next() % 4)).map { _ in expression(depth + 1) }
            return "\(name)(\(args.joined(separator: ", ")))"
        }
        var formulas = (0..<250).map { _ in expression(0) }
        formulas += (0..<100).map { _ in
            String((0..<Int(generator.next() % 40)).map { _ in Character(Unicode.Scalar(UInt8(32 + generator.next() % 95))) })
        }
        try await SimHarness.with { h in
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "a@example.com", "N": 1])
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "b@example.com"])
            var statuses: [Int: Int] = [:]
            for formula in formulas {
                let reply = try await h.filter(formula)
                #expect(reply.status == 200 || reply.status == 422, "\(formula) -> \(reply.status)")
                statuses[reply.status, default: 0] += 1
            }
            #expect(statuses[200, default: 0] > 20)
            #expect(statuses[422, default: 0] > 20)
        }
    }

    @Test("the parser and evaluator agree on precedence")
    func precedence() throws {
        let node = try FormulaParser.parse("1 + 2 * 3 = 7 & ''")
        let record = FormulaRecord(id: "rec", createdTime: Date(), lastModifiedTime: Date()) { _ in .blank }
        // `&` binds tighter than `=`: 7 & '' is '7', and 1 + 2 * 3 = 7 equals '7'.
        #expect(try FormulaEvaluator.evaluate(node, record) == .bool(true))
    }
}

/// A small deterministic generator (SplitMix64) so fuzz failures reproduce.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
