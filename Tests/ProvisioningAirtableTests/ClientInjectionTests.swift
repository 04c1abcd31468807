import Foundation
import Provisioning
import Testing

@testable import AirtableSim
@testable import ProvisioningAirtable

/// An email built to break a formula (or the query string) that is not escaped,
/// with decoys that a broken formula or encoding would match instead. Canonical
/// emails are lower-case (the formula compares with `LOWER`), so the payloads are
/// too, and the email field is `mail` so that a payload can name it.
struct InjectionCase: Sendable, CustomTestStringConvertible {
    var email: String
    var decoys: [String] = []
    var testDescription: String { email.debugDescription }
}

@Suite("Airtable client: filterByFormula injection")
struct ClientInjectionTests {
    static let cases: [InjectionCase] = [
        // An unescaped quote ends the literal: a 422.
        InjectionCase(email: "o'brien@example.com", decoys: ["obrien@example.com"]),
        InjectionCase(email: "it''s@example.com", decoys: ["its@example.com", "it's@example.com"]),
        // An unescaped backslash escapes the next character: `\s` reads as `s`.
        InjectionCase(email: "back\\slash@example.com", decoys: ["backslash@example.com"]),
        InjectionCase(email: "trailing\\", decoys: ["trailing"]),
        // Escaping only quotes leaves `\\'`: the quote closes the literal; escaping nothing reads `'`.
        InjectionCase(email: "quote\\'mix@example.com", decoys: ["quote'mix@example.com", "quote\\mix@example.com"]),
        InjectionCase(email: "{mail}", decoys: []),
        InjectionCase(email: "{mail}@example.com", decoys: ["@example.com"]),
        InjectionCase(email: "x') or true() or ('@example.com"),
        // A naive formula becomes `LOWER(TRIM({mail})) = '' & lower(trim({mail})) & ''`: true for every record.
        InjectionCase(email: "' & lower(trim({mail})) & '"),
        InjectionCase(email: "x', true(), '@example.com"),
        InjectionCase(email: "\"dq\"@example.com", decoys: ["dq@example.com"]),
        InjectionCase(email: "{braces}}{@example.com", decoys: ["braces@example.com"]),
        // `+` unencoded in a query is a space; `&` and `=` split the query; `%41` decoded twice is `A`.
        InjectionCase(email: "a+b@example.com", decoys: ["a b@example.com"]),
        InjectionCase(email: "a&b=c@example.com", decoys: ["a"]),
        InjectionCase(email: "%41@example.com", decoys: ["a@example.com"]),
        InjectionCase(email: "jösé@exämple.com", decoys: ["jose@example.com", "jos@exmple.com"]),
        InjectionCase(email: "用户@例子.广告", decoys: ["@."]),
        InjectionCase(email: "line\nbreak@example.com", decoys: ["linenbreak@example.com", "line"]),
    ]

    @Test("the lookup matches only the record with exactly that email, and never makes a 422", arguments: cases)
    func exactMatchOnly(_ injection: InjectionCase) async throws {
        try await ClientHarness.with { h in
            // Decoys are older, so that a formula matching several records would pick one of them.
            let old = isoDate("2019-01-01T00:00:00.000Z")
            let decoy = h.insert(["mail": "decoy@example.com", "name": "Decoy"], created: old)
            for (i, email) in injection.decoys.enumerated() {
                h.insert(["mail": .string(email), "name": .string("Decoy \(i)")], created: old.addingTimeInterval(Double(i + 1)))
            }
            let target = h.insert(["mail": .string(injection.email), "name": "Target"], created: isoDate("2024-01-01T00:00:00.000Z"))
            h.insert(["mail": "after@example.com", "name": "After"], created: isoDate("2025-01-01T00:00:00.000Z"))
            let client = h.client(h.settings(fields: [Attribute.email: "mail", Attribute.displayName: "name"]))

            let found = await client.lookup(canonicalEmail: injection.email)
            let record = try #require(found.record, "\(injection.email.debugDescription): \(found)")
            #expect(record.recordID == target)
            #expect(record.recordID != decoy)
            #expect(record.values["email"] == injection.email)
            #expect(record.values["display_name"] == "Target")
            #expect(h.logs.entries("airtable.duplicate_email").isEmpty, "a second record matched")

            // With no record holding the string, nothing matches (a formula turned into TRUE would find the decoy).
            let missing = await client.lookup(canonicalEmail: "missing-" + injection.email)
            #expect(missing == .notFound, "\(missing)")
            let suffixed = await client.lookup(canonicalEmail: injection.email + "-missing")
            #expect(suffixed == .notFound, "\(suffixed)")

            let counters = h.sim.counters()
            #expect(counters.total == 3)
            #expect(counters[status: 200] == 3)
            #expect(counters[status: 422] == 0)
        }
    }

    @Test("string literals escape backslash before quote; control characters are escaped")
    func literalEscaping() {
        #expect(Formula.literal("plain@example.com") == "'plain@example.com'")
        #expect(Formula.literal("o'brien") == #"'o\'brien'"#)
        #expect(Formula.literal(#"a\b"#) == #"'a\\b'"#)
        #expect(Formula.literal(#"a\'b"#) == #"'a\\\'b'"#)
        #expect(Formula.literal(#"end\"#) == #"'end\\'"#)
        #expect(Formula.literal("{Email}") == "'{Email}'")
        #expect(Formula.literal("a\nb\tc\rd") == #"'a\nb\tc\rd'"#)
        #expect(Formula.emailEquals(field: "E-mail", canonicalEmail: "x') OR TRUE() OR ('")
            == #"LOWER(TRIM({E-mail})) = 'x\') OR TRUE() OR (\''"#)
    }

    @Test("query values are percent-encoded except unreserved characters")
    func queryEncoding() {
        #expect(AirtableClient.queryString([("filterByFormula", "a+b&c=d 'é'"), ("fields[]", "Last Modified")])
            == "?filterByFormula=a%2Bb%26c%3Dd%20%27%C3%A9%27&fields%5B%5D=Last%20Modified")
        #expect(AirtableClient.queryString([]) == "")
        #expect(AirtableClient.encode("My Users/x") == "My%20Users%2Fx")
    }
}
