import Foundation
import Testing

@testable import AirtableSim

@Suite("airtable-sim: seed files")
struct SimSeedTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func temporaryFile(_ name: String, _ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sim-seed-\(UUID().uuidString)-\(name)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test("the demo seed loads four users into a declared table, one without a password hash")
    func demoSeed() async throws {
        try await SimHarness.with { h in
            try h.sim.seed(fromFile: Self.repoRoot.appendingPathComponent("demo/airtable-seed.yaml").path)
            let users = try await h.get(h.tablePath() + "?sort[0][field]=Email")
            #expect(users.records.map { $0.fieldsObject["Email"] } == ["ada@example.com", "alan@example.com", "grace@example.com", "katherine@example.com"])
            let grace = try #require(users.records.first { $0.idString == "recDemoGrace00002" })
            #expect(grace.idString == "recDemoGrace00002")
            #expect(grace["createdTime"] == "2026-01-06T10:30:00.000Z")
            #expect(grace.fieldsObject["Last Modified"] == "2026-02-01T12:00:00.000Z")
            #expect(grace.fieldsObject["Password Hash"]?.stringValue?.hasPrefix("$2b$10$") == true)
            let unknown = try await h.request(.POST, h.tablePath(), json: ["fields": ["Shoe Size": 9]])
            #expect(unknown.errorType == "UNKNOWN_FIELD_NAME")
            let changed = try await h.filter("IS_AFTER({Last Modified}, '2026-03-01T00:00:00.000Z')")
            #expect(changed.records.map(\.idString) == ["recDemoAlan000003", "recDemoKate000004"])
            let katherine = try #require(users.records.last)
            #expect(katherine.fieldsObject["Password Hash"] == nil, "the Airtable-first user has no hash")
        }
    }

    @Test("a JSON seed can add bases and tables")
    func jsonSeed() async throws {
        let path = try Self.temporaryFile("seed.json", """
            {"bases": {"appJsonBase0000001": {"tables": {"People": {"fields": ["Name", "Age"],
              "records": [{"fields": {"Name": "Ada", "Age": 36}}, {"fields": {"Name": "Bob", "Age": 7.5}}]}}}}}
            """)
        try await SimHarness.with { h in
            try h.sim.seed(fromFile: path)
            let people = try await h.get(h.tablePath("People", base: "appJsonBase0000001"))
            #expect(people.records.map { $0.fieldsObject["Age"] } == [36, 7.5])
            #expect(people.records.first?.fieldsObject["Last Modified"] == nil)
            #expect(people.text.contains("\"Age\":36,"))
        }
    }

    @Test("a YAML seed keeps quoted scalars as text", arguments: [("'123'", SimValue.string("123")), ("123", .number(123)), ("true", .bool(true)), ("'true'", .string("true")), ("2026-01-01", .string("2026-01-01"))])
    func yamlScalars(literal: String, expected: SimValue) throws {
        let path = try Self.temporaryFile("seed.yaml", """
            bases:
              appYamlBase0000001:
                tables:
                  T:
                    records:
                      - fields: {V: \(literal)}
            """)
        let sim = AirtableSimulator(configuration: SimConfiguration(token: "t"))
        try sim.seed(fromFile: path)
        #expect(sim.records(base: "appYamlBase0000001", table: "T").first?.fields["V"] == expected)
    }

    @Test("seed mistakes are reported with their path", arguments: [
        ("bases: {appX: {tabels: {}}}", "bases.appX.tabels"),
        ("bases: {appX: {tables: {T: {fields: [A], records: [{fields: {B: 1}}]}}}}", "bases.appX.tables.T.records[0]"),
        ("bases: {appX: {tables: {T: {records: [{id: rec1}]}}}}", "bases.appX.tables.T.records[0].id"),
        ("bases: [1, 2]", "bases"),
        ("bases: {appX: {tables: {T: {records: [{createdTime: yesterday}]}}}}", "bases.appX.tables.T.records[0].createdTime"),
    ])
    func seedErrors(yaml: String, path: String) throws {
        let file = try Self.temporaryFile("bad.yaml", yaml)
        let sim = AirtableSimulator(configuration: SimConfiguration(token: "t"))
        let error = try #require(throws: SimSeedError.self) { try sim.seed(fromFile: file) }
        #expect(error.path == path)
    }
}
