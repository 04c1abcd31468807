import Foundation
import Testing

@testable import AirtableSim

@Suite("airtable-sim: listing")
struct SimListTests {
    @Test("250 records come back in pages of 100, 100 and 50 linked by opaque offsets")
    func paging() async throws {
        try await SimHarness.with { h in
            let inserted = h.insertUsers(250)
            var seen: [String] = []
            var offset: String?
            var pages: [Int] = []
            repeat {
                let query = offset.map { "?offset=\(SimHarness.encode($0))" } ?? ""
                let reply = try await h.get(h.tablePath() + query)
                #expect(reply.status == 200)
                pages.append(reply.records.count)
                seen += reply.records.map(\.idString)
                offset = reply.json?["offset"]?.stringValue
                if let offset {
                    #expect(offset.wholeMatch(of: /itr[A-Za-z0-9]{14}\/rec[A-Za-z0-9]{14}/) != nil)
                }
            } while offset != nil && pages.count < 10
            #expect(pages == [100, 100, 50])
            #expect(seen == inserted)
        }
    }

    @Test("an offset can be replayed (a retried page), and expires with the iterator")
    func offsets() async throws {
        try await SimHarness.with { h in
            _ = h.insertUsers(5)
            let first = try await h.get(h.tablePath() + "?pageSize=2")
            let offset = try #require(first.json?["offset"]?.stringValue)
            let second = try await h.get(h.tablePath() + "?pageSize=2&offset=\(SimHarness.encode(offset))")
            let again = try await h.get(h.tablePath() + "?pageSize=2&offset=\(SimHarness.encode(offset))")
            #expect(second.records.count == 2)
            #expect(again.json == second.json)

            let garbage = try await h.get(h.tablePath() + "?offset=nonsense")
            #expect(garbage.status == 422)
            #expect(garbage.errorType == "INVALID_OFFSET_VALUE")

            let unknown = try await h.get(h.tablePath() + "?offset=" + SimHarness.encode("itrAAAAAAAAAAAAAA/recAAAAAAAAAAAAAA"))
            #expect(unknown.status == 422)
            #expect(unknown.errorType == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE")

            let admin = try await h.request(.POST, "/_sim/iterators/expire")
            #expect(admin.status == 200)
            let expired = try await h.get(h.tablePath() + "?pageSize=2&offset=\(SimHarness.encode(offset))")
            #expect(expired.status == 422)
            #expect(expired.errorType == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE")
        }
    }

    @Test("pageSize above 100 or below 1 is refused; maxRecords caps the whole listing")
    func pageSizeAndMaxRecords() async throws {
        try await SimHarness.with { h in
            _ = h.insertUsers(7)
            for size in ["101", "0", "abc"] {
                let reply = try await h.get(h.tablePath() + "?pageSize=\(size)")
                #expect(reply.status == 422)
                #expect(reply.errorType == "INVALID_REQUEST_UNKNOWN")
            }
            var counts: [Int] = []
            var query = "?pageSize=2&maxRecords=5"
            while true {
                let reply = try await h.get(h.tablePath() + query)
                counts.append(reply.records.count)
                guard let offset = reply.json?["offset"]?.stringValue, counts.count < 10 else { break }
                query = "?pageSize=2&maxRecords=5&offset=\(SimHarness.encode(offset))"
            }
            #expect(counts == [2, 2, 1])
            let unknownParam = try await h.get(h.tablePath() + "?bogus=1")
            #expect(unknownParam.status == 422)
        }
    }

    @Test("fields[] (plain or percent-encoded brackets) limits the returned fields")
    func fieldsParameter() async throws {
        try await SimHarness.with { h in
            _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Email": "a@example.com", "Name": "Ada", "Role": "admin"])
            let plain = try await h.get(h.tablePath() + "?fields[]=Name&fields[]=Role")
            #expect(plain.status == 200)
            #expect(plain.records.first?.fieldsObject == ["Name": "Ada", "Role": "admin"])
            let encoded = try await h.get(h.tablePath() + "?fields%5B%5D=Email")
            #expect(encoded.records.first?.fieldsObject == ["Email": "a@example.com"])
            let lastModified = try await h.get(h.tablePath() + "?fields%5B%5D=Last%20Modified")
            #expect(lastModified.records.first?.fieldsObject.keys.sorted() == ["Last Modified"])
        }
    }

    @Test("a declared table refuses unknown names in fields[] and sort")
    func declaredTableFields() async throws {
        let spec = SimTableSpec(name: "Users", fields: ["Email", "Name"])
        try await SimHarness.with(bases: [SimHarness.base: [spec]]) { h in
            let fields = try await h.get(h.tablePath() + "?fields[]=Nope")
            #expect(fields.status == 422)
            #expect(fields.errorType == "UNKNOWN_FIELD_NAME")
            let sort = try await h.get(h.tablePath() + "?sort[0][field]=Nope")
            #expect(sort.status == 422)
            #expect(sort.errorType == "UNKNOWN_FIELD_NAME")
        }
    }

    @Test("sort orders by several fields, text case-insensitively and numbers numerically")
    func sorting() async throws {
        try await SimHarness.with { h in
            for (name, n) in [("bob", 10), ("Ada", 2), ("carol", 2), ("ada", 30)] {
                _ = h.sim.insert(base: SimHarness.base, table: "Users", fields: ["Name": .string(name), "N": .number(Double(n))])
            }
            let byName = try await h.get(h.tablePath() + "?sort%5B0%5D%5Bfield%5D=Name&sort%5B0%5D%5Bdirection%5D=desc")
            #expect(byName.records.map { $0.fieldsObject["Name"] } == ["carol", "bob", "ada", "Ada"])
            let byNumber = try await h.get(h.tablePath() + "?sort[0][field]=N&sort[1][field]=Name&sort[1][direction]=desc")
            #expect(byNumber.records.map { $0.fieldsObject["Name"] } == ["carol", "Ada", "bob", "ada"])
            let bad = try await h.get(h.tablePath() + "?sort[0][field]=N&sort[0][direction]=sideways")
            #expect(bad.status == 422)
        }
    }

    @Test("POST .../listRecords takes the same parameters in a JSON body")
    func listByBody() async throws {
        try await SimHarness.with { h in
            _ = h.insertUsers(5)
            let body: SimValue = [
                "filterByFormula": "{N} >= 1", "pageSize": 3, "fields": ["Email"],
                "sort": [["field": "N", "direction": "desc"]],
            ]
            let first = try await h.request(.POST, h.tablePath() + "/listRecords", json: body)
            #expect(first.status == 200)
            #expect(first.records.map { $0.fieldsObject["Email"] } == ["user4@example.com", "user3@example.com", "user2@example.com"])
            #expect(first.records.allSatisfy { $0.fieldsObject.count == 1 })
            let offset = try #require(first.json?["offset"])
            let second = try await h.request(.POST, h.tablePath() + "/listRecords", json: ["offset": offset, "fields": ["Email"]])
            #expect(second.records.map { $0.fieldsObject["Email"] } == ["user1@example.com"])
            #expect(second.json?["offset"] == nil)
            let tooBig = try await h.request(.POST, h.tablePath() + "/listRecords", json: ["pageSize": 500])
            #expect(tooBig.status == 422)
            let notJSON = try await h.request(.POST, h.tablePath() + "/listRecords", rawBody: "{nope")
            #expect(notJSON.status == 400)
        }
    }
}
