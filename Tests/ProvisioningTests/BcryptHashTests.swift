import Foundation
import Provisioning
import Testing

@Suite("bcrypt hash form: what verifies, what is rehashed, what is refused at import")
struct BcryptHashTests {
    static let body = "OwX9Ifgd2sFcUxmsLTXFn.oRph9yHb4AX7uJ091loGsiEeDhXTac6"

    @Test("$2a$, $2b$ and $2y$ parse with their cost and are verified as $2b$", arguments: ["a", "b", "y"])
    func variants(_ variant: String) throws {
        let hash = try #require(BcryptHash("$2\(variant)$11$\(Self.body)"))
        #expect(hash.cost == 11)
        #expect(hash.verifiable == "$2b$11$\(Self.body)")
    }

    @Test("malformed hashes do not parse", arguments: [
        "", "plaintext", "$2x$10$\(body)", "$2b$1a$\(body)", "$2b$10$\(body)x", "$2b$10$\(body.dropLast())",
        "$2b$10$\(body.dropLast())!", "$2b$03$\(body)", "$1$10$\(body)",
    ])
    func malformed(_ text: String) {
        #expect(BcryptHash(text) == nil)
        #expect(BcryptHash.importProblem(text) != nil)
    }

    @Test("a cost above 15 is refused at import; 15 is accepted")
    func costLimit() {
        #expect(BcryptHash.importProblem("$2b$15$\(Self.body)") == nil)
        #expect(BcryptHash.importProblem("$2b$16$\(Self.body)")?.contains("cost 16") == true)
        #expect(BcryptHash.importProblem("$2b$31$\(Self.body)") != nil)
    }

    @Test("rehash when the cost differs from the configured one or the prefix is $2y$")
    func rehash() throws {
        #expect(try #require(BcryptHash("$2b$10$\(Self.body)")).wantsRehash(atCost: 10) == false)
        #expect(try #require(BcryptHash("$2a$10$\(Self.body)")).wantsRehash(atCost: 10) == false)
        #expect(try #require(BcryptHash("$2b$11$\(Self.body)")).wantsRehash(atCost: 10))
        #expect(try #require(BcryptHash("$2y$10$\(Self.body)")).wantsRehash(atCost: 10))
    }

    @Test("a source record's hash decides whether it can be imported; a record without one can")
    func recordImportProblem() {
        let date = FixtureDates.any
        #expect(SourceRecord(source: "airtable", recordID: "rec1", values: ["email": "a@example.com"], modifiedAt: date).importProblem == nil)
        #expect(SourceRecord(source: "airtable", recordID: "rec1", values: ["email": "a@example.com", "password_hash": "$2b$10$\(Self.body)"], modifiedAt: date).importProblem == nil)
        #expect(SourceRecord(source: "airtable", recordID: "rec1", values: ["email": "a@example.com", "password_hash": "secret"], modifiedAt: date).importProblem != nil)
    }
}

enum FixtureDates {
    static let any = Date(timeIntervalSince1970: 1_700_000_000)
}
