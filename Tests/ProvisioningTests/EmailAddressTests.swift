@testable import Provisioning
import Testing

@Suite("Email addresses")
struct EmailAddressTests {
    @Test("the canonical form is trimmed and lower-cased", arguments: [
        ("Ada@Example.com", "ada@example.com"),
        ("  ada@example.com  ", "ada@example.com"),
        ("\n\tAda.Lovelace@EXAMPLE.org\r\n", "ada.lovelace@example.org"),
        ("ÅSA@Exämple.com", "åsa@exämple.com"),
        ("already@lower.case", "already@lower.case"),
        ("\u{00A0}Ada@Example.com\u{2003}", "ada@example.com"),
    ])
    func canonical(input: String, expected: String) throws {
        let address = try EmailAddress(input)
        #expect(address.canonical == expected)
        #expect(EmailAddress.canonical(input) == expected)
    }

    @Test("the raw form keeps the case but not the surrounding space")
    func raw() throws {
        let address = try EmailAddress(" \tAda@Example.com\n")
        #expect(address.raw == "Ada@Example.com")
        #expect(address.description == "Ada@Example.com")
    }

    @Test("invalid addresses are refused with their reason", arguments: [
        ("", EmailAddress.Invalid.empty),
        ("  \n\t ", .empty),
        ("ada.example.com", .missingAt),
        ("ada@lovelace@example.com", .missingAt),
        ("@example.com", .emptyLocalPart),
        ("ada@", .invalidDomain),
        ("ada@localhost", .invalidDomain),
        ("ada@example..com", .invalidDomain),
        ("ada@.example.com", .invalidDomain),
        ("ada@-example.com", .invalidDomain),
        ("ada@example-.com", .invalidDomain),
        ("ada lovelace@example.com", .containsWhiteSpace),
        ("ada@exam\tple.com", .containsWhiteSpace),
        ("ada\u{0}@example.com", .containsWhiteSpace),
        ("ada\u{7f}@example.com", .containsWhiteSpace),
        ("ada\u{00A0}x@example.com", .containsWhiteSpace),
        ("ada\u{85}x@example.com", .containsWhiteSpace),
        (String(repeating: "a", count: 250) + "@x.io", .tooLong),
    ])
    func invalid(input: String, reason: EmailAddress.Invalid) {
        #expect(throws: reason) { try EmailAddress(input) }
        #expect(EmailAddress.canonical(input) == nil)
    }

    @Test("each reason reads as a sentence", arguments: [
        (EmailAddress.Invalid.empty, "email address is empty"),
        (.missingAt, "email address must contain exactly one '@'"),
        (.emptyLocalPart, "email address has nothing before '@'"),
        (.invalidDomain, "email address has an invalid domain after '@'"),
        (.containsWhiteSpace, "email address contains white space"),
        (.tooLong, "email address is longer than 254 characters"),
    ])
    func reasonText(reason: EmailAddress.Invalid, text: String) {
        #expect(reason.description == text)
    }

    @Test("emails in logs are masked")
    func mask() {
        #expect(EmailMask.mask("ada@example.com") == "a***@example.com")
        #expect(EmailMask.mask("@example.com") == "***")
        #expect(EmailMask.mask("no-at-sign") == "***")
    }
}
