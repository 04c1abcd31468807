import Foundation
import Testing
@testable import ProvisioningSCIM

@Suite("SCIM attribute paths and filters")
struct SCIMPathTests {
    nonisolated(unsafe) static let user: [String: Any] = [
        "userName": "ada", "name": ["formatted": "Ada Lovelace", "givenName": "Ada"], "title": "Countess",
        "emails": [["value": "work@example.com", "type": "work"], ["value": "home@example.com", "type": "home", "primary": true]],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": ["department": "Math", "manager": ["value": "m-1"]],
    ]

    @Test("paths read simple, sub-, filtered and extension attributes, case-insensitively", arguments: [
        ("userName", "ada"), ("name.formatted", "Ada Lovelace"), ("NAME.GivenName", "Ada"), ("title", "Countess"),
        ("emails[primary eq true].value", "home@example.com"), ("emails[type eq \"work\"].value", "work@example.com"),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "Math"),
        ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "m-1"),
    ])
    func read(_ path: String, _ expected: String) throws {
        #expect(try #require(SCIMPath(path)).value(in: Self.user) == expected)
    }

    @Test("a primary filter matching nothing falls back to the first email; a missing attribute is nil")
    func fallbacks() throws {
        let noPrimary: [String: Any] = ["emails": [["value": "first@example.com"], ["value": "second@example.com"]]]
        #expect(try #require(SCIMPath("emails[primary eq true].value")).value(in: noPrimary) == "first@example.com")
        #expect(try #require(SCIMPath("emails.value")).value(in: noPrimary) == "first@example.com")
        #expect(try #require(SCIMPath("nickName")).value(in: Self.user) == nil)
    }

    @Test("malformed paths are refused", arguments: ["", "name.", "emails[primary].value", "emails[type ne \"x\"].value", "a b", "emails[type eq \"x\".value"])
    func malformed(_ path: String) {
        #expect(SCIMPath(path) == nil)
    }

    @Test("filter values are JSON strings: quotes and backslashes cannot end them")
    func escaping() {
        #expect(SCIMFilter.emailEquals("a\"b@example.com") == #"emails.value eq "a\"b@example.com""#)
        #expect(SCIMFilter.quoted(#"x\" or userName pr or "#) == #""x\\\" or userName pr or ""#)
        #expect(SCIMFilter.quoted("\u{1}") == #""\u0001""#)
    }

    @Test("times with any number of fractional digits parse")
    func times() throws {
        let micro = try #require(SCIMTime.parse("2026-12-05T12:36:22.352219Z"))
        #expect(abs(micro.timeIntervalSince1970 - 1_796_474_182.352219) < 0.000_01)
        #expect(SCIMTime.parse("2026-12-05T12:36:22Z")?.timeIntervalSince1970 == 1_796_474_182)
        #expect(SCIMTime.parse("2026-12-05T13:36:22+01:00")?.timeIntervalSince1970 == 1_796_474_182)
        #expect(SCIMTime.parse("yesterday") == nil)
        let formatted = SCIMTime.format(micro)
        #expect(SCIMTime.parse(formatted).map { abs($0.timeIntervalSince(micro)) < 0.001 } == true)
    }
}
