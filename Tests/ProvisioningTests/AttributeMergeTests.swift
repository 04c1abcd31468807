import Foundation
@testable import Provisioning
import Testing

@Suite("Attribute merge")
struct AttributeMergeTests {
    /// One merge of one attribute: the three values, the two times, and the winner.
    struct Example: Sendable, CustomTestStringConvertible {
        var name: String
        var rule: PrecedenceRule
        var stored: String?
        var snapshot: String?
        var incoming: String?
        /// Whether the record's modified time is after the app's last write.
        var sourceLater: Bool = true
        /// Whether the app ever wrote the user.
        var appWrote: Bool = true
        var expected: String?
        var testDescription: String { name }
    }

    static let examples: [Example] = [
        Example(name: "source: the source value wins", rule: .source, stored: "app", snapshot: "old", incoming: "new", expected: "new"),
        Example(name: "source: wins even when only the app changed", rule: .source, stored: "app", snapshot: "old", incoming: "old", sourceLater: false, expected: "old"),
        Example(name: "source: an absent value keeps the stored one", rule: .source, stored: "app", snapshot: "old", incoming: nil, expected: "app"),
        Example(name: "source: fills a missing value", rule: .source, stored: nil, snapshot: nil, incoming: "new", expected: "new"),
        Example(name: "store: the stored value is kept", rule: .store, stored: "app", snapshot: "old", incoming: "new", expected: "app"),
        Example(name: "store: a missing value is filled", rule: .store, stored: nil, snapshot: nil, incoming: "new", expected: "new"),
        Example(name: "store: nothing on either side stays nothing", rule: .store, stored: nil, snapshot: nil, incoming: nil, expected: nil),
        Example(name: "newest: only the source changed", rule: .newest, stored: "old", snapshot: "old", incoming: "new", sourceLater: false, expected: "new"),
        Example(name: "newest: only the app changed", rule: .newest, stored: "app", snapshot: "old", incoming: "old", sourceLater: true, expected: "app"),
        Example(name: "newest: both changed, the record is later", rule: .newest, stored: "app", snapshot: "old", incoming: "new", sourceLater: true, expected: "new"),
        Example(name: "newest: both changed, the app write is later", rule: .newest, stored: "app", snapshot: "old", incoming: "new", sourceLater: false, expected: "app"),
        Example(name: "newest: both changed, no app write time", rule: .newest, stored: "app", snapshot: "old", incoming: "new", appWrote: false, expected: "new"),
        Example(name: "newest: an absent value keeps the stored one", rule: .newest, stored: "app", snapshot: "old", incoming: nil, expected: "app"),
        Example(name: "newest: a first value from the source fills a missing one", rule: .newest, stored: nil, snapshot: nil, incoming: "new", expected: "new"),
        Example(name: "newest: a value the app cleared stays cleared", rule: .newest, stored: nil, snapshot: "old", incoming: "old", expected: nil),
    ]

    @Test("each rule picks the right side", arguments: examples)
    func mergeOne(_ example: Example) {
        let appWrite = Date(timeIntervalSince1970: 1_000_000)
        let merge = AttributeMerge(policy: PrecedencePolicy(defaultRule: example.rule, attributeRules: [:]))
        let merged = merge.merge(
            attribute: "display_name", stored: example.stored, snapshot: example.snapshot, incoming: example.incoming,
            incomingModifiedAt: appWrite.addingTimeInterval(example.sourceLater ? 60 : -60),
            storeUpdatedAt: example.appWrote ? appWrite : nil)
        #expect(merged == example.expected)
    }

    @Test("the policy picks a rule per attribute, else the default")
    func ruleFor() {
        let policy = PrecedencePolicy()
        #expect(policy.rule(for: Attribute.role) == .source)
        #expect(policy.rule(for: Attribute.passwordHash) == .store)
        #expect(policy.rule(for: Attribute.displayName) == .newest)
        let custom = PrecedencePolicy(defaultRule: .store, attributeRules: ["team": .source])
        #expect(custom.rule(for: "team") == .source)
        #expect(custom.rule(for: Attribute.role) == .store)
    }

    @Test("a whole record merges attribute by attribute")
    func mergeRecord() {
        let imported = Date(timeIntervalSince1970: 1_000_000)
        let user = StoredUser(
            id: UUID(), values: ["email": "ada@example.com", "display_name": "App Ada", "role": "guest", "password_hash": "h-app"],
            emailCanonical: "ada@example.com",
            links: ["airtable": SourceLink(recordID: "recA", snapshot: ["email": "ada@example.com", "display_name": "Ada", "role": "admin", "password_hash": "h1"], modifiedAt: imported)],
            storeUpdatedAt: imported.addingTimeInterval(10),
            createdAt: imported, updatedAt: imported, deletedAt: nil)
        let record = SourceRecord(
            source: "airtable", recordID: "recA", values: ["email": "ada@example.com", "display_name": "Ada", "role": "admin", "password_hash": "h2", "team": "math"],
            modifiedAt: imported.addingTimeInterval(60))
        let merged = AttributeMerge(policy: PrecedencePolicy()).merge(record, into: user)
        #expect(merged == [
            "email": "ada@example.com", "display_name": "App Ada", "role": "admin", "password_hash": "h-app", "team": "math",
        ])
    }

    @Test("a record is stale only when older than the last import", arguments: [
        (-1.0, true), (0.0, false), (1.0, false),
    ])
    func stale(offset: TimeInterval, expected: Bool) {
        let imported = Date(timeIntervalSince1970: 1_000_000)
        let user = StoredUser(
            id: UUID(), values: [:], emailCanonical: "ada@example.com",
            links: ["airtable": SourceLink(recordID: "recA", snapshot: [:], modifiedAt: imported)],
            storeUpdatedAt: nil, createdAt: imported, updatedAt: imported, deletedAt: nil)
        let record = SourceRecord(source: "airtable", recordID: "recA", values: [:], modifiedAt: imported.addingTimeInterval(offset))
        #expect(AttributeMerge.isStale(record, against: user) == expected)
    }

    @Test("the stale guard is per source: another source's newer import does not make a record stale")
    func stalePerSource() {
        let imported = Date(timeIntervalSince1970: 1_000_000)
        let user = StoredUser(
            id: UUID(), values: [:], emailCanonical: "ada@example.com",
            links: ["directory": SourceLink(recordID: "u-1", snapshot: [:], modifiedAt: imported)],
            storeUpdatedAt: nil, createdAt: imported, updatedAt: imported, deletedAt: nil)
        let older = imported.addingTimeInterval(-60)
        #expect(!AttributeMerge.isStale(SourceRecord(source: "airtable", recordID: "recA", values: [:], modifiedAt: older), against: user))
        #expect(AttributeMerge.isStale(SourceRecord(source: "directory", recordID: "u-1", values: [:], modifiedAt: older), against: user))
    }

    @Test("a user never imported is never stale")
    func neverImported() {
        let user = StoredUser(
            id: UUID(), values: [:], emailCanonical: "ada@example.com", links: [:],
            storeUpdatedAt: nil, createdAt: .now, updatedAt: .now, deletedAt: nil)
        let record = SourceRecord(source: "airtable", recordID: "recA", values: [:], modifiedAt: .distantPast)
        #expect(!AttributeMerge.isStale(record, against: user))
    }

    @Test("a source record drops empty values")
    func emptyValues() {
        let record = SourceRecord(source: "airtable", recordID: nil, values: ["email": "a@b.co", "role": ""], modifiedAt: .now)
        #expect(record.values == ["email": "a@b.co"])
        #expect(record.email == "a@b.co")
    }
}
