import Foundation
import Testing

@testable import AirtableSim

@Suite("airtable-sim: the schema route (GET /v0/meta/bases/{base}/tables)")
struct SimSchemaTests {
    @Test("tables and fields come with tbl and fld ids that stay the same; the table's id addresses its records")
    func schemaIDs() async throws {
        let bases = [SimHarness.base: [
            SimTableSpec(name: "Users", fields: ["Email", "Name", "Role"]),
            SimTableSpec(name: "Open", fields: nil),
        ]]
        try await SimHarness.with(bases: bases) { (h: SimHarness) async throws in
            h.sim.insert(base: SimHarness.base, table: "Open", fields: ["Email": .string("ada@example.com"), "Age": .number(36)])
            let first = try await h.get("/v0/meta/bases/\(SimHarness.base)/tables")
            #expect(first.status == 200)
            let tables = first.json?["tables"]?.arrayValue ?? []
            #expect(tables.compactMap { $0["name"]?.stringValue } == ["Users", "Open"])
            let users = try #require(tables.first)
            let tableID = try #require(users["id"]?.stringValue)
            #expect(SimIDs.isValid(tableID, prefix: "tbl"))
            let fields = users["fields"]?.arrayValue ?? []
            #expect(fields.compactMap { $0["name"]?.stringValue } == ["Email", "Name", "Role", "Last Modified"])
            #expect(fields.allSatisfy { SimIDs.isValid($0["id"]?.stringValue ?? "", prefix: "fld") })
            #expect(Set(fields.compactMap { $0["id"]?.stringValue }).count == 4)
            #expect(users["primaryFieldId"]?.stringValue == fields.first?["id"]?.stringValue)
            #expect(fields.last?["type"]?.stringValue == "lastModifiedTime")
            // An any-field table lists the names its records use.
            let open = try #require(tables.last)
            #expect((open["fields"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue } == ["Age", "Email", "Last Modified"])
            #expect((open["fields"]?.arrayValue ?? []).first?["type"]?.stringValue == "number")
            // Asked again: the same ids.
            let second = try await h.get("/v0/meta/bases/\(SimHarness.base)/tables")
            #expect(second.json == first.json)
            // The tbl id names the table in record routes too.
            #expect(try await h.get("/v0/\(SimHarness.base)/\(tableID)").status == 200)
        }
    }

    @Test("an unknown base is 403 like the record routes; other meta paths are 404; it counts toward the base's rate limit")
    func schemaErrors() async throws {
        try await SimHarness.with(rateLimit: 1) { (h: SimHarness) async throws in
            #expect(try await h.get("/v0/meta/bases/appNoSuchBase00001/tables").status == 403)
            #expect(try await h.get("/v0/meta/bases/\(SimHarness.base)/views").status == 404)
            h.sim.reset()
            #expect(try await h.get("/v0/meta/bases/\(SimHarness.base)/tables").status == 200)
            #expect(try await h.get("/v0/meta/bases/\(SimHarness.base)/tables").status == 429)
        }
    }
}
