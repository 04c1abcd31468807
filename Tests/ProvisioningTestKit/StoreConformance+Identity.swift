import Foundation
import Provisioning
import Testing

/// Inserting, matching, linking and stale records.
extension StoreConformance {
    static let identityCases: [Case] = [
        Case(name: "a new record is inserted with its values and canonical email") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let record = f.record("ada", ["display_name": "Ada", "role": "admin"])
            let result = try await store.upsert(record)
            #expect(result.outcome == .inserted)
            #expect(result.user.values == record.values)
            #expect(result.user.emailCanonical == f.canonical("ada"))
            #expect(result.user.recordID(in: "airtable") == f.recordID("ada"))
            #expect(result.user.deletedAt == nil)
            #expect(result.user.createdAt <= result.user.updatedAt)
            let byEmail = try await store.user(canonicalEmail: f.canonical("ada"))
            let byID = try await store.user(id: result.user.id)
            let byRecord = try await store.user(source: "airtable", recordID: f.recordID("ada"))
            #expect(byEmail?.id == result.user.id)
            #expect(byID?.values == record.values)
            #expect(byRecord?.id == result.user.id)
        },
        Case(name: "an identical second upsert is unchanged") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let record = f.record("ada", ["display_name": "Ada"])
            let first = try await store.upsert(record)
            let before = try await store.user(id: first.user.id)
            let second = try await store.upsert(record)
            #expect(second.outcome == .unchanged)
            #expect(second.user.id == first.user.id)
            let after = try await store.user(id: first.user.id)
            #expect(after?.values == before?.values)
            #expect(after?.updatedAt == before?.updatedAt)
        },
        Case(name: "a changed source value updates the user") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let first = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            let second = try await store.upsert(f.record("ada", at: 60, ["display_name": "Ada Lovelace"]))
            #expect(second.outcome == .updated)
            #expect(second.user.id == first.user.id)
            #expect(second.user.displayName == "Ada Lovelace")
            #expect(second.user.updatedAt >= first.user.updatedAt)
            let stored = try await store.user(id: first.user.id)
            #expect(stored?.displayName == "Ada Lovelace")
        },
        Case(name: "a record is matched by record id even when its email changed") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let first = try await store.upsert(f.record("ada"))
            let second = try await store.upsert(f.record("ada", email: "  " + f.email("lovelace"), at: 60))
            #expect(second.outcome == .updated)
            #expect(second.user.id == first.user.id)
            #expect(second.user.emailCanonical == f.canonical("lovelace"))
            #expect(try await store.user(canonicalEmail: f.canonical("ada")) == nil)
            #expect(try await store.user(canonicalEmail: f.canonical("lovelace"))?.id == first.user.id)
            #expect(try await store.user(source: "airtable", recordID: f.recordID("ada"))?.id == first.user.id)
        },
        Case(name: "a stored user without record id is linked by its email in any letter case") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let first = try await store.upsert(f.record("ada", recordID: false, ["display_name": "Ada"]))
            #expect(first.user.links.isEmpty)
            let linked = try await store.upsert(f.record("ada", email: f.canonical("ada").uppercased(), at: 60, ["display_name": "Ada"]))
            #expect(linked.outcome == .linked)
            #expect(linked.user.id == first.user.id)
            #expect(linked.user.recordID(in: "airtable") == f.recordID("ada"))
            #expect(try await store.user(source: "airtable", recordID: f.recordID("ada"))?.id == first.user.id)
        },
        Case(name: "an email owned by another record is refused and changes nothing") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            let intruder = SourceRecord(
                source: "airtable", recordID: f.recordID("intruder"), values: [Attribute.email: f.email("ada"), "display_name": "Mallory"],
                modifiedAt: f.at(60))
            await expectStoreError(.emailOwnedByAnotherRecord) { _ = try await store.upsert(intruder) }
            #expect(try await store.user(source: "airtable", recordID: f.recordID("intruder")) == nil)
            let stored = try await store.user(id: ada.user.id)
            #expect(stored?.values == ada.user.values)
            #expect(stored?.recordID(in: "airtable") == f.recordID("ada"))

            // A known record moving onto that email is refused the same way.
            let bob = try await store.upsert(f.record("bob", ["display_name": "Bob"]))
            await expectStoreError(.emailOwnedByAnotherRecord) {
                _ = try await store.upsert(f.record("bob", email: f.email("ada"), at: 60, ["display_name": "Bob"]))
            }
            #expect(try await store.user(id: bob.user.id)?.emailCanonical == f.canonical("bob"))
            #expect(try await store.user(canonicalEmail: f.canonical("ada"))?.id == ada.user.id)
        },
        Case(name: "a record older than the last import is ignored whole") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let first = try await store.upsert(f.record("ada", at: 60, ["display_name": "Ada", "role": "admin"]))
            let before = try await store.user(id: first.user.id)
            let stale = try await store.upsert(f.record("ada", at: 0, ["display_name": "Old Ada", "role": "guest"]))
            #expect(stale.outcome == .staleIgnored)
            let stored = try await store.user(id: first.user.id)
            #expect(stored?.values == first.user.values)
            #expect(stored?.updatedAt == before?.updatedAt)
            // The newer import still counts: a record between the two is stale too.
            let between = try await store.upsert(f.record("ada", at: 30, ["display_name": "Ada 30"]))
            #expect(between.outcome == .staleIgnored)
        },
    ]
}
