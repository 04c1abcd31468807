import Foundation
import Provisioning
@testable import ProvisioningAirtable
import Testing

/// Reading a page of webhook payloads (AIRTABLE.md "Native webhooks") into
/// records: shapes the simulator does not produce (a single select as an
/// object, an error payload) included.
@Suite("Airtable webhook payloads")
struct AirtablePayloadsTests {
    static let ids = AirtableTableIDs(
        table: "tblUsers", fields: ["Email": "fldEmail", "Name": "fldName", "Role": "fldRole"],
        names: ["fldEmail": "Email", "fldName": "Name", "fldRole": "Role"])

    static func parse(_ json: String, from cursor: Int = 1) throws -> AirtablePayloads {
        try #require(AirtablePayloads(try JSONSerialization.jsonObject(with: Data(json.utf8)), ids: ids, from: cursor))
    }

    @Test("created, changed (current over unchanged, a select's name, a cleared cell) and destroyed records")
    func shapes() throws {
        let page = try Self.parse("""
            {"cursor": 4, "mightHaveMore": true, "payloads": [
              {"timestamp": "2026-12-05T10:00:00.000Z", "changedTablesById": {"tblUsers": {
                "createdRecordsById": {"recNew": {"createdTime": "2026-12-05T10:00:00.000Z",
                  "cellValuesByFieldId": {"fldEmail": "new@example.com", "fldRole": {"id": "selA", "name": "admin", "color": "blueLight2"}}}}},
                "tblOther": {"createdRecordsById": {"recElsewhere": {"cellValuesByFieldId": {"fldEmail": "x@example.com"}}}}}},
              {"error": true, "code": "INVALID_FILTERS"},
              {"timestamp": "2026-12-05T10:00:05.000Z", "changedTablesById": {"tblUsers": {
                "changedRecordsById": {"recOld": {
                  "current": {"cellValuesByFieldId": {"fldName": "After", "fldRole": null}},
                  "previous": {"cellValuesByFieldId": {"fldName": "Before", "fldRole": "member"}},
                  "unchanged": {"cellValuesByFieldId": {"fldEmail": "old@example.com", "fldName": "Stale"}}}},
                "destroyedRecordIds": ["recGone"]}}}
            ]}
            """)
        #expect(page.next == 4 && page.mightHaveMore)
        #expect(page.errors == ["INVALID_FILTERS"])
        #expect(page.records.map(\.id) == ["recNew", "recOld"], "only the watched table")
        #expect(page.records[0].fields == ["Email": .string("new@example.com"), "Role": .string("admin")])
        #expect(page.records[1].fields == ["Email": .string("old@example.com"), "Name": .string("After")], "current wins; a cleared cell is absent")
        #expect(page.destroyed == [DeletedRecord(recordID: "recGone", modifiedAt: AirtableTime.parse("2026-12-05T10:00:05.000Z"))])
        #expect(page.changedAt["recOld"] == AirtableTime.parse("2026-12-05T10:00:05.000Z"))
    }

    @Test("a record changed twice in one page keeps its later cells and its creation time")
    func laterChangeWins() throws {
        let page = try Self.parse("""
            {"cursor": 3, "mightHaveMore": false, "payloads": [
              {"timestamp": "2026-12-05T10:00:00.000Z", "changedTablesById": {"tblUsers": {"createdRecordsById": {"recA": {
                "createdTime": "2026-12-05T10:00:00.000Z", "cellValuesByFieldId": {"fldEmail": "a@example.com", "fldName": "First"}}}}}},
              {"timestamp": "2026-12-05T10:00:01.000Z", "changedTablesById": {"tblUsers": {"changedRecordsById": {"recA": {
                "current": {"cellValuesByFieldId": {"fldName": null}}, "unchanged": {"cellValuesByFieldId": {"fldEmail": "a@example.com"}}}}}}}
            ]}
            """)
        #expect(page.records.count == 1)
        #expect(page.records[0].fields == ["Email": .string("a@example.com")])
        #expect(page.records[0].createdTime == AirtableTime.parse("2026-12-05T10:00:00.000Z"))
        #expect(page.changedAt["recA"] == AirtableTime.parse("2026-12-05T10:00:01.000Z"))
    }

    @Test("a body without a payloads list is not a page")
    func notAPage() throws {
        #expect(AirtablePayloads(["cursor": 2], ids: Self.ids, from: 1) == nil)
    }
}
