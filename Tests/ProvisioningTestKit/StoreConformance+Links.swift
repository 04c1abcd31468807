import Foundation
import Provisioning
import Testing

/// Source-neutral links: one link per source, each with its own snapshot
/// and time, so precedence and the stale guard work per source.
extension StoreConformance {
    static let linkCases: [Case] = [
        Case(name: "a user is linked to one record in each source, found by either link") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            let directory = SourceRecord(
                source: "directory", recordID: "u-\(f.token)", values: [Attribute.email: f.email("ada"), "title": "x"],
                modifiedAt: f.at(30))
            let linked = try await store.upsert(directory)
            #expect(linked.outcome == .linked)
            #expect(linked.user.id == ada.user.id)
            #expect(linked.user.linkIDs == ["airtable": f.recordID("ada"), "directory": "u-\(f.token)"])
            #expect(try await store.user(source: "directory", recordID: "u-\(f.token)")?.id == ada.user.id)
            #expect(try await store.user(source: "airtable", recordID: f.recordID("ada"))?.id == ada.user.id)
            // The same id in another source is another record.
            #expect(try await store.user(source: "directory", recordID: f.recordID("ada")) == nil)
            let stored = try #require(try await store.user(id: ada.user.id))
            #expect(stored.links["airtable"]?.modifiedAt == f.at(0))
            #expect(stored.links["directory"]?.modifiedAt == f.at(30))
            #expect(stored.links["directory"]?.snapshot[Attribute.email] == f.email("ada"))
            // Again from the directory: its own link, no second link.
            let again = try await store.upsert(directory)
            #expect(again.outcome == .unchanged)
            #expect(try await store.user(id: ada.user.id)?.links.count == 2)
        },
        Case(name: "the stale guard is per source: each source is compared with its own last import") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            _ = try await store.upsert(f.record("ada", at: 100, ["display_name": "Ada"]))
            // Older than Airtable's import, but the directory's first: applies.
            let first = try await store.upsert(f.record("ada", at: 50, source: "directory", ["display_name": "Ada D"]))
            #expect(first.outcome == .linked)
            let older = try await store.upsert(f.record("ada", at: 40, source: "directory", ["display_name": "Older"]))
            #expect(older.outcome == .staleIgnored)
            let airtableOlder = try await store.upsert(f.record("ada", at: 90, ["display_name": "Older"]))
            #expect(airtableOlder.outcome == .staleIgnored)
            #expect(try await store.user(canonicalEmail: f.canonical("ada"))?.displayName == "Ada D")
        },
        Case(name: "newest: a source that did not change an attribute since its own import yields to one that did") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", at: 0, ["display_name": "Ada"]))
            // The directory renames her; Airtable still says what it said.
            _ = try await store.upsert(f.record("ada", at: 60, source: "directory", ["display_name": "Countess"]))
            let airtableAgain = try await store.upsert(f.record("ada", at: 120, ["display_name": "Ada"]))
            #expect(airtableAgain.user.displayName == "Countess")
            // Airtable changes it: its change wins over a value it never imported.
            let airtableChanged = try await store.upsert(f.record("ada", at: 180, ["display_name": "Lady Ada"]))
            #expect(airtableChanged.outcome == .updated)
            #expect(try await store.user(id: ada.user.id)?.displayName == "Lady Ada")
        },
        Case(name: "a delete from one source applies the policy to the user; linked users are listed per source") { f, make in
            let store = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: .soft))
            let ada = try await store.upsert(f.record("ada"))
            _ = try await store.upsert(f.record("ada", at: 10, source: "directory"))
            #expect(try await store.delete(source: "directory", recordID: f.recordID("nobody")).outcome == .notFound)
            // The Airtable id is not a directory record.
            #expect(try await store.delete(source: "directory", recordID: "x-\(f.token)").outcome == .notFound)
            let deleted = try await store.delete(source: "directory", recordID: f.recordID("ada"), occurredAt: f.at(20))
            #expect(deleted == DeleteResult(outcome: .deleted, userID: ada.user.id))
            let stored = try #require(try await store.user(id: ada.user.id))
            #expect(stored.deletedAt != nil)
            #expect(stored.links["directory"]?.modifiedAt == f.at(20))
            #expect(stored.links["airtable"]?.modifiedAt == f.at(0))
        },
        Case(name: "a record id without its source's name is refused") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let record = SourceRecord(recordID: f.recordID("ada"), values: [Attribute.email: f.email("ada")], modifiedAt: f.at(0))
            await expectStoreError(.invalidData("a record id without its source's name")) { _ = try await store.upsert(record) }
            #expect(try await store.user(canonicalEmail: f.canonical("ada")) == nil)
        },
    ]
}
