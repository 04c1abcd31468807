import Foundation
import Testing

@testable import AirtableSim

@Suite("airtable-sim: create, update, upsert, delete")
struct SimWriteTests {
    static func records(_ count: Int) -> SimValue {
        .array((0..<count).map { i in ["fields": ["Email": .string("u\(i)@example.com")]] })
    }

    @Test("create takes up to 10 records, or a single {fields}; 11 is refused with INVALID_RECORDS")
    func create() async throws {
        try await SimHarness.with { h in
            let ten = try await h.request(.POST, h.tablePath(), json: ["records": Self.records(10)])
            #expect(ten.status == 200)
            #expect(ten.records.count == 10)
            #expect(Set(ten.records.map(\.idString)).count == 10)

            let eleven = try await h.request(.POST, h.tablePath(), json: ["records": Self.records(11)])
            #expect(eleven.status == 422)
            #expect(eleven.errorType == "INVALID_RECORDS")
            #expect(h.sim.records(base: SimHarness.base, table: "Users").count == 10)

            let empty = try await h.request(.POST, h.tablePath(), json: ["records": []])
            #expect(empty.status == 422)

            let single = try await h.request(.POST, h.tablePath(), json: ["fields": ["Name": "Solo", "Blank": "", "No": false, "None": .null, "List": []], "typecast": true])
            #expect(single.status == 200)
            #expect(single.json?["records"] == nil)
            #expect(single.json?.fieldsObject.keys.sorted() == ["Last Modified", "Name"])

            let notJSON = try await h.request(.POST, h.tablePath(), rawBody: "{\"records\": [")
            #expect(notJSON.status == 400)
            #expect(notJSON.errorType == "INVALID_REQUEST_BODY")
        }
    }

    @Test("a declared table refuses unknown field names; nobody can write the last-modified field")
    func declaredFields() async throws {
        try await SimHarness.with(bases: [SimHarness.base: [SimTableSpec(name: "Users", fields: ["Email", "Name"])]]) { h in
            let unknown = try await h.request(.POST, h.tablePath(), json: ["records": [["fields": ["Email": "a@example.com"]], ["fields": ["Nope": "x"]]]])
            #expect(unknown.status == 422)
            #expect(unknown.json == ["error": ["type": "UNKNOWN_FIELD_NAME", "message": "Unknown field name: \"Nope\""]])
            #expect(h.sim.records(base: SimHarness.base, table: "Users").isEmpty)
            let computed = try await h.request(.POST, h.tablePath(), json: ["fields": ["Last Modified": "2020-01-01T00:00:00.000Z"]])
            #expect(computed.status == 422)
            #expect(computed.errorType == "INVALID_VALUE_FOR_COLUMN")
        }
    }

    @Test("PATCH changes only the fields sent; PUT clears every field not sent")
    func patchVersusPut() async throws {
        try await SimHarness.with { h in
            let old = Date(timeIntervalSince1970: 1_700_000_000)
            let id = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "a@example.com", "Name": "Ada", "Role": "admin"],
                                  createdTime: old)
            let patched = try await h.request(.PATCH, h.tablePath() + "/" + id, json: ["fields": ["Name": "Ada L.", "Role": .null]])
            #expect(patched.status == 200)
            var fields = try #require(patched.json?.fieldsObject)
            #expect(fields["Email"] == "a@example.com")
            #expect(fields["Name"] == "Ada L.")
            #expect(fields["Role"] == nil)
            let modified = try #require(fields["Last Modified"]?.stringValue.flatMap(SimTime.parse))
            #expect(modified > old)
            #expect(patched.json?["createdTime"] == .string(SimTime.format(old)))

            let put = try await h.request(.PUT, h.tablePath() + "/" + id, json: ["fields": ["Name": "Only"]])
            fields = try #require(put.json?.fieldsObject)
            #expect(fields.keys.sorted() == ["Last Modified", "Name"])

            let batch = try await h.request(.PATCH, h.tablePath(), json: ["records": [["id": .string(id), "fields": ["Role": "viewer"]]]])
            #expect(batch.status == 200)
            #expect(batch.records.first?.fieldsObject["Name"] == "Only")
            #expect(batch.records.first?.fieldsObject["Role"] == "viewer")
            #expect(batch.json?["createdRecords"] == nil)

            let batchPut = try await h.request(.PUT, h.tablePath(), json: ["records": [["id": .string(id), "fields": ["Email": "b@example.com"]]]])
            #expect(batchPut.records.first?.fieldsObject.keys.sorted() == ["Email", "Last Modified"])
        }
    }

    @Test("updating a record that does not exist gets 422 ROW_DOES_NOT_EXIST and changes nothing")
    func updateMissing() async throws {
        try await SimHarness.with { h in
            let id = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Name": "Ada"])
            let missing = "recZZZZZZZZZZZZZZ"
            let single = try await h.request(.PATCH, h.tablePath() + "/" + missing, json: ["fields": ["Name": "x"]])
            #expect(single.status == 422)
            #expect(single.errorType == "ROW_DOES_NOT_EXIST")
            let batch = try await h.request(.PATCH, h.tablePath(), json: [
                "records": [["id": .string(id), "fields": ["Name": "changed"]], ["id": .string(missing), "fields": ["Name": "x"]]],
            ])
            #expect(batch.status == 422)
            #expect(batch.errorType == "ROW_DOES_NOT_EXIST")
            #expect(h.sim.record(base: SimHarness.base, table: "Users", id: id)?.fields["Name"] == "Ada")
            let eleven = try await h.request(.PATCH, h.tablePath(), json: [
                "records": .array((0..<11).map { _ in ["id": .string(id), "fields": [:]] }),
            ])
            #expect(eleven.status == 422)
            #expect(eleven.errorType == "INVALID_RECORDS")
        }
    }

    @Test("performUpsert: one match updates, none creates, several refuse")
    func upsert() async throws {
        try await SimHarness.with { h in
            let ada = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "ada@example.com", "Name": "Ada"])
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "twin@example.com", "Name": "One"])
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "twin@example.com", "Name": "Two"])
            let body: SimValue = [
                "performUpsert": ["fieldsToMergeOn": ["Email"]],
                "records": [
                    ["fields": ["Email": "ada@example.com", "Role": "admin"]],
                    ["fields": ["Email": "new@example.com", "Name": "New"]],
                ],
            ]
            let reply = try await h.request(.PATCH, h.tablePath(), json: body)
            #expect(reply.status == 200)
            #expect(reply.json?["updatedRecords"] == [.string(ada)])
            let created = try #require(reply.json?["createdRecords"]?.arrayValue?.first?.stringValue)
            #expect(reply.records.map(\.idString) == [ada, created])
            #expect(reply.records.first?.fieldsObject["Name"] == "Ada")
            #expect(reply.records.first?.fieldsObject["Role"] == "admin")
            #expect(h.sim.records(base: SimHarness.base, table: "Users").count == 4)

            let several = try await h.request(.PATCH, h.tablePath(), json: [
                "performUpsert": ["fieldsToMergeOn": ["Email"]], "records": [["fields": ["Email": "twin@example.com"]]],
            ])
            #expect(several.status == 422)
            let missingKey = try await h.request(.PATCH, h.tablePath(), json: [
                "performUpsert": ["fieldsToMergeOn": ["Email"]], "records": [["fields": ["Name": "no email"]]],
            ])
            #expect(missingKey.status == 422)
            #expect(h.sim.records(base: SimHarness.base, table: "Users").count == 4)
        }
    }

    @Test("delete one record or a batch of up to 10")
    func delete() async throws {
        try await SimHarness.with { h in
            let ids = h.insertUsers(12)
            let one = try await h.request(.DELETE, h.tablePath() + "/" + ids[0])
            #expect(one.status == 200)
            #expect(one.json == ["deleted": true, "id": .string(ids[0])])
            let again = try await h.request(.DELETE, h.tablePath() + "/" + ids[0])
            #expect(again.status == 404)
            #expect(again.errorType == "MODEL_ID_NOT_FOUND")

            let query = ids[1...3].map { "records[]=\($0)" }.joined(separator: "&")
            let batch = try await h.request(.DELETE, h.tablePath() + "?" + query)
            #expect(batch.status == 200)
            #expect(batch.records.map(\.idString) == Array(ids[1...3]))
            #expect(batch.records.allSatisfy { $0["deleted"] == true })

            let encoded = try await h.request(.DELETE, h.tablePath() + "?records%5B%5D=\(ids[4])")
            #expect(encoded.status == 200)

            let tooMany = ids[5...11].map { "records[]=\($0)" } + ids[1...4].map { "records[]=\($0)" }
            let eleven = try await h.request(.DELETE, h.tablePath() + "?" + tooMany.joined(separator: "&"))
            #expect(eleven.status == 422)
            #expect(h.sim.records(base: SimHarness.base, table: "Users").map(\.id) == Array(ids[5...11]))
        }
    }
}
