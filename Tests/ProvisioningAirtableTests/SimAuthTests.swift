import Foundation
import Testing

@testable import AirtableSim

@Suite("airtable-sim: auth and addressing")
struct SimAuthTests {
    @Test("a missing or wrong token gets 401 AUTHENTICATION_REQUIRED")
    func authErrors() async throws {
        try await SimHarness.with { h in
            for token in [nil, "wrong-token", ""] as [String?] {
                let reply = try await h.get(h.tablePath(), token: token)
                #expect(reply.status == 401)
                #expect(reply.json == ["error": ["type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"]])
            }
            let ok = try await h.get(h.tablePath())
            #expect(ok.status == 200)
            #expect(ok.json == ["records": []])
        }
    }

    @Test("an unknown base or table gets 403, an unknown record 404, an unknown route a bare NOT_FOUND")
    func notFound() async throws {
        try await SimHarness.with { h in
            let base = try await h.get(h.tablePath("Users", base: "appNoSuchBase00001"))
            #expect(base.status == 403)
            #expect(base.errorType == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
            let table = try await h.get(h.tablePath("Nope"))
            #expect(table.status == 403)
            #expect(table.errorType == "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND")
            let record = try await h.get(h.tablePath() + "/recAAAAAAAAAAAAAA")
            #expect(record.status == 404)
            #expect(record.json == ["error": ["type": "MODEL_ID_NOT_FOUND", "message": "Record not found"]])
            let route = try await h.get("/v1/whatever")
            #expect(route.status == 404)
            #expect(route.json == ["error": "NOT_FOUND"])
        }
    }

    @Test("table names are URL-encoded path segments; a table is also addressable by its tbl id")
    func encodedTableNames() async throws {
        try await SimHarness.with(bases: [SimHarness.base: [SimTableSpec(name: "My Users"), SimTableSpec(name: "a/b")]]) { h in
            let id = h.sim.insert(base: SimHarness.base, table: "My Users", fields: ["Name": "Ada"])
            let list = try await h.get("/v0/\(SimHarness.base)/My%20Users")
            #expect(list.status == 200)
            #expect(list.records.map(\.idString) == [id])
            let slash = try await h.get("/v0/\(SimHarness.base)/a%2Fb")
            #expect(slash.status == 200)
            let tableID = h.sim.data.withLock { (try? $0.table(base: SimHarness.base, table: "My Users"))?.id ?? "" }
            let byID = try await h.get("/v0/\(SimHarness.base)/\(tableID)/\(id)")
            #expect(byID.status == 200)
            #expect(byID.json?.fieldsObject["Name"] == "Ada")
        }
    }

    @Test("a record has an Airtable-shaped id and createdTime")
    func recordShape() async throws {
        try await SimHarness.with { h in
            let created = try await h.request(.POST, h.tablePath(), json: ["fields": ["Name": "Ada"]])
            #expect(created.status == 200)
            let record = try #require(created.json)
            #expect(SimIDs.isValid(record.idString, prefix: "rec"))
            let createdTime = try #require(record["createdTime"]?.stringValue)
            #expect(createdTime.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil)
            #expect(record.fieldsObject["Last Modified"]?.stringValue == createdTime)
            let fetched = try await h.get(h.tablePath() + "/" + record.idString)
            #expect(fetched.json == record)
            #expect(created.text.hasPrefix("{\"id\":"))
        }
    }
}
