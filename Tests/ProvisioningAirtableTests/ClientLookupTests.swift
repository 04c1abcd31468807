import Foundation
import Provisioning
import Testing

@testable import AirtableSim
@testable import ProvisioningAirtable

@Suite("Airtable client: lookups, mapping, duplicates, listing")
struct ClientLookupTests {
    @Test("found by email: case-insensitive, whitespace trimmed, fields mapped, modified_at and createdAt set")
    func foundByEmail() async throws {
        try await ClientHarness.with { h in
            let created = isoDate("2024-01-02T03:04:05.000Z")
            let modified = isoDate("2025-06-07T08:09:10.123Z")
            h.insert(["Email": "other@example.com", "Name": "Other"])
            let id = h.insert(
                ["Email": "  Ada@Example.COM  ", "Name": "Ada Lovelace", "Role": "admin", "Unmapped": "x"],
                created: created, modified: modified)
            let client = h.client()
            let result = await client.lookup(canonicalEmail: "ada@example.com")
            let record = try #require(result.record, "\(result)")
            #expect(record.recordID == id)
            #expect(record.values["display_name"] == "Ada Lovelace")
            #expect(record.values["role"] == "admin")
            #expect(record.values["email"]?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() == "ada@example.com")
            #expect(record.values["Unmapped"] == nil && record.values["unmapped"] == nil)
            #expect(Set(record.values.keys) == ["email", "display_name", "role"])
            #expect(record.modifiedAt == modified)
            #expect(record.createdAt == created)
            #expect(h.sim.counters().total == 1)
            #expect(h.sim.counters()[.list] == 1)
            // The request carried the bearer token and a formula, nothing else reached the simulator.
            let entry = try #require(h.sim.requestLog().first)
            #expect(entry.status == 200)
            #expect(entry.query.contains("filterByFormula="))
        }
    }

    @Test("an email no record holds is notFound, after one request")
    func notFound() async throws {
        try await ClientHarness.with { h in
            h.insert(["Email": "ada@example.com"])
            let client = h.client()
            #expect(await client.lookup(canonicalEmail: "grace@example.com") == .notFound)
            // A prefix or suffix of an existing email does not match either.
            #expect(await client.lookup(canonicalEmail: "ada@example.co") == .notFound)
            #expect(await client.lookup(canonicalEmail: "da@example.com") == .notFound)
            #expect(h.sim.counters().total == 3)
            #expect(h.sim.counters()[status: 200] == 3)
        }
    }

    @Test("get by record id; an unknown record id is notFound (404), not unavailable")
    func byRecordID() async throws {
        try await ClientHarness.with { h in
            let created = isoDate("2023-03-03T03:03:03.000Z")
            let id = h.insert(["Email": "ada@example.com", "Name": "Ada"], created: created, modified: created)
            let client = h.client()
            let record = try #require(await client.lookup(recordID: id).record)
            #expect(record.recordID == id)
            #expect(record.values == ["email": "ada@example.com", "display_name": "Ada"])
            #expect(record.createdAt == created)
            #expect(record.modifiedAt == created)
            #expect(await client.lookup(recordID: "recUnknown00000000") == .notFound)
            #expect(await client.lookup(recordID: "recDoesNotExist123") == .notFound)
            #expect(h.sim.counters()[.get] == 3)
            #expect(h.sim.counters()[status: 404] == 2)
            // 404s are answers, not failures: the circuit stays closed.
            #expect(!client.budget.breaker.isOpen)
        }
    }

    @Test("a missing field leaves the attribute absent; without a last-modified field modifiedAt is the fetch time")
    func missingField() async throws {
        try await ClientHarness.with { h in
            let id = h.insert(["Email": "ada@example.com"])
            var fields = ClientHarness.fields
            fields[Attribute.modifiedAt] = nil
            let client = h.client(h.settings(fields: fields))
            let before = Date()
            let record = try #require(await client.lookup(canonicalEmail: "ada@example.com").record)
            #expect(record.recordID == id)
            #expect(record.values == ["email": "ada@example.com"])
            #expect(record.values["display_name"] == nil)
            #expect(record.values["role"] == nil)
            #expect(record.modifiedAt >= before.addingTimeInterval(-1))
        }
    }

    @Test("a field of an unexpected type is a per-record error: lookup notFound, listPage reports it in invalid")
    func unexpectedType() async throws {
        try await ClientHarness.with { h in
            let good = h.insert(["Email": "good@example.com", "Name": "Good"])
            let number = h.insert(["Email": "num@example.com", "Name": .number(42)])
            let one = h.insert(["Email": "one@example.com", "Name": .number(1)])
            let checkbox = h.insert(["Email": "box@example.com", "Name": .bool(true)])
            let list = h.insert(["Email": "list@example.com", "Role": .array(["a", "b"])])
            let client = h.client()

            #expect(await client.lookup(canonicalEmail: "num@example.com") == .notFound)
            #expect(await client.lookup(recordID: number) == .notFound)
            #expect(await client.lookup(canonicalEmail: "good@example.com").record?.recordID == good)
            let logged = h.logs.entries("airtable.record_invalid", level: .error)
            #expect(logged.contains { $0.metadata["record_id"] == .string(number) })

            let page = try await client.listPage(filterByFormula: nil, offset: nil)
            #expect(page.records.map(\.recordID) == [good])
            #expect(page.offset == nil)
            let invalid = Dictionary(uniqueKeysWithValues: page.invalid.map { ($0.recordID, $0) })
            #expect(invalid.count == 4)
            let numberError = try #require(invalid[number])
            #expect(numberError == RecordMappingError(recordID: number, field: "Name", found: "a number (42.0)"))
            #expect(numberError.description == "record \(number): field 'Name' holds a number (42.0), expected text")
            // JSON 1 is a number, not a checkbox (JSONSerialization's NSNumber casts to Bool).
            #expect(invalid[one]?.found == "a number (1.0)")
            #expect(invalid[checkbox]?.found == "a checkbox")
            #expect(invalid[checkbox]?.field == "Name")
            #expect(invalid[list]?.field == "Role")
            #expect(invalid[list]?.description.contains("expected text") == true)
        }
    }

    @Test("a last-modified field that is not an ISO time is a per-record error")
    func badModifiedField() async throws {
        try await ClientHarness.with { h in
            let id = h.insert(["Email": "ada@example.com", "Changed": "yesterday"])
            var fields = ClientHarness.fields
            fields[Attribute.modifiedAt] = "Changed"
            let client = h.client(h.settings(fields: fields))
            #expect(await client.lookup(canonicalEmail: "ada@example.com") == .notFound)
            let page = try await client.listPage(filterByFormula: nil, offset: nil)
            #expect(page.records.isEmpty)
            #expect(page.invalid == [RecordMappingError(recordID: id, field: "Changed", found: "no ISO 8601 time")])
        }
    }

    @Test("two records with one email: the oldest createdTime wins, whatever the listing order; a warning is logged")
    func duplicatesOldest() async throws {
        try await ClientHarness.with { h in
            // The newer one is inserted first, so it comes first in the listing.
            let newer = h.insert(["Email": "dup@example.com", "Name": "Newer"], created: isoDate("2024-05-01T00:00:00.000Z"))
            let older = h.insert(["Email": "DUP@example.com ", "Name": "Older"], created: isoDate("2021-05-01T00:00:00.000Z"))
            let client = h.client()
            for _ in 0..<3 {
                let record = try #require(await client.lookup(canonicalEmail: "dup@example.com").record)
                #expect(record.recordID == older)
                #expect(record.values["display_name"] == "Older")
            }
            let warnings = h.logs.entries("airtable.duplicate_email", level: .warning)
            #expect(warnings.count == 3)
            let warning = try #require(warnings.first)
            #expect(warning.metadata["chosen"] == .string(older))
            #expect(warning.metadata["record_ids"] == .string([newer, older].sorted().joined(separator: ",")))
            // The email is masked in the log.
            #expect(warning.metadata["email"] == .string("d***@example.com"))
        }
    }

    @Test("two records with one email and the same createdTime: the lower record id wins")
    func duplicatesSameCreatedTime() async throws {
        try await ClientHarness.with { h in
            let created = isoDate("2022-02-02T02:02:02.000Z")
            let high = "recZZZZZZZZZZZZZZ"
            let low = "recAAAAAAAAAAAAAA"
            // The higher id is inserted first, so it comes first in the listing.
            h.insert(["Email": "twin@example.com", "Name": "High"], id: high, created: created)
            h.insert(["Email": "twin@example.com", "Name": "Low"], id: low, created: created)
            let client = h.client()
            let record = try #require(await client.lookup(canonicalEmail: "twin@example.com").record)
            #expect(record.recordID == low)
            #expect(record.values["display_name"] == "Low")
            #expect(h.logs.entries("airtable.duplicate_email", level: .warning).first?.metadata["chosen"] == .string(low))
        }
    }

    @Test("oldest() orders by createdTime, then record id; a record without createdTime comes last")
    func oldestUnit() {
        let t1 = isoDate("2020-01-01T00:00:00.000Z"), t2 = isoDate("2021-01-01T00:00:00.000Z")
        func record(_ id: String, _ created: Date?) -> SourceRecord {
            SourceRecord(source: "airtable", recordID: id, values: ["email": "a@b.c"], modifiedAt: t2, createdAt: created)
        }
        #expect(AirtableClient.oldest([record("recB", t2), record("recC", t1), record("recA", t2)])?.recordID == "recC")
        #expect(AirtableClient.oldest([record("recB", t1), record("recA", t1)])?.recordID == "recA")
        #expect(AirtableClient.oldest([record("recA", nil), record("recZ", t2)])?.recordID == "recZ")
        #expect(AirtableClient.oldest([]) == nil)
    }

    @Test("listPage walks 250 records in 3 pages by offset")
    func listPages() async throws {
        try await ClientHarness.with { h in
            let ids = (0..<250).map { h.insert(["Email": .string("user\($0)@example.com"), "Name": .string("User \($0)")]) }
            let client = h.client()
            var seen: [String] = []
            var offset: String? = nil
            var pages = 0
            repeat {
                let page = try await client.listPage(filterByFormula: nil, offset: offset)
                pages += 1
                #expect(page.invalid.isEmpty)
                #expect(page.records.count == (pages < 3 ? 100 : 50))
                seen += page.records.compactMap(\.recordID)
                offset = page.offset
                if pages < 3 { #expect(offset != nil) }
            } while offset != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == ids)
            #expect(h.sim.counters()[.list] == 3)
            #expect(h.sim.requestLog().map(\.query).allSatisfy { $0.contains("pageSize=100") })
        }
    }

    @Test("listPage with a formula: incremental sync by last-modified time")
    func listFiltered() async throws {
        try await ClientHarness.with { h in
            h.insert(["Email": "old@example.com"], created: isoDate("2020-01-01T00:00:00.000Z"), modified: isoDate("2020-01-01T00:00:00.000Z"))
            let new = h.insert(["Email": "new@example.com"], created: isoDate("2020-01-01T00:00:00.000Z"), modified: isoDate("2026-01-01T00:00:00.000Z"))
            let client = h.client()
            let page = try await client.listPage(filterByFormula: Formula.modifiedAfter("2025-01-01T00:00:00.000Z"), offset: nil)
            #expect(page.records.map(\.recordID) == [new])
            #expect(h.sim.counters()[status: 422] == 0)
        }
    }

    @Test("an expired list iterator throws iteratorExpired; restarting the listing works")
    func iteratorExpired() async throws {
        try await ClientHarness.with { h in
            for i in 0..<150 { h.insert(["Email": .string("user\(i)@example.com")]) }
            let client = h.client()
            let first = try await client.listPage(filterByFormula: nil, offset: nil)
            let offset = try #require(first.offset)
            h.sim.expireIterators()
            await #expect(throws: AirtableClient.ListError.iteratorExpired) {
                _ = try await client.listPage(filterByFormula: nil, offset: offset)
            }
            #expect(h.sim.counters()[status: 422] == 1)
            let restarted = try await client.listPage(filterByFormula: nil, offset: nil)
            #expect(restarted.records.count == 100)
            #expect(restarted.offset != nil)
        }
    }

    @Test("listPage during a fault throws unavailable")
    func listUnavailable() async throws {
        try await ClientHarness.with { h in
            h.sim.setFault(.status503, count: 1)
            let client = h.client()
            do throws(AirtableClient.ListError) {
                _ = try await client.listPage(filterByFormula: nil, offset: nil)
                Issue.record("a 503 should throw")
            } catch {
                guard case .unavailable(let retryAfter) = error else {
                    Issue.record("expected unavailable, got \(error)")
                    return
                }
                #expect(retryAfter >= 1)
            }
            do {
                _ = try await client.listPage(filterByFormula: nil, offset: nil)
            } catch {
                Issue.record("the second page request should succeed: \(error)")
            }
            #expect(h.sim.counters().total == 2)
        }
    }
}
