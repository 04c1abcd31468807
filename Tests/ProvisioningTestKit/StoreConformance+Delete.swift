import Foundation
import Provisioning
import Testing

/// Delete events under each soft-delete policy.
extension StoreConformance {
    static let deleteCases: [Case] = [
        Case(name: "a soft delete keeps the row, sets deleted_at and refuses login") { f, make in
            let store = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: .soft))
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            let result = try await store.delete(source: "airtable", recordID: f.recordID("ada"))
            #expect(result == DeleteResult(outcome: .deleted, userID: ada.user.id))
            let deleted = try #require(try await store.user(id: ada.user.id))
            let deletedAt = try #require(deleted.deletedAt)
            #expect(deletedAt >= ada.user.createdAt)
            #expect(deleted.values == ada.user.values)
            #expect(!SoftDeletePolicy().allowsLogin(deleted))
            #expect(SoftDeletePolicy(deletedUsersCanLogin: true).allowsLogin(deleted))
            #expect(try await store.user(canonicalEmail: f.canonical("ada"))?.id == ada.user.id)
            // Deleting again is still `deleted` and keeps the first time.
            let again = try await store.delete(source: "airtable", recordID: f.recordID("ada"))
            #expect(again.outcome == .deleted)
            #expect(try await store.user(id: ada.user.id)?.deletedAt == deletedAt)
        },
        Case(name: "deleting an unknown record is not_found") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            _ = try await store.upsert(f.record("ada"))
            let result = try await store.delete(source: "airtable", recordID: f.recordID("nobody"))
            #expect(result == DeleteResult(outcome: .notFound, userID: nil))
            #expect(try await store.user(source: "airtable", recordID: f.recordID("ada"))?.deletedAt == nil)
        },
        Case(name: "a hard delete removes the user") { f, make in
            let store = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: .hard))
            let ada = try await store.upsert(f.record("ada"))
            let result = try await store.delete(source: "airtable", recordID: f.recordID("ada"))
            #expect(result == DeleteResult(outcome: .deleted, userID: ada.user.id))
            #expect(try await store.user(id: ada.user.id) == nil)
            #expect(try await store.user(source: "airtable", recordID: f.recordID("ada")) == nil)
            #expect(try await store.user(canonicalEmail: f.canonical("ada")) == nil)
            let again = try await store.upsert(f.record("ada", at: 60))
            #expect(again.outcome == .inserted)
            #expect(again.user.id != ada.user.id)
        },
        Case(name: "policy ignore leaves the user intact") { f, make in
            let store = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: .ignore))
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            let result = try await store.delete(source: "airtable", recordID: f.recordID("ada"))
            #expect(result == DeleteResult(outcome: .unchanged, userID: ada.user.id))
            let stored = try await store.user(id: ada.user.id)
            #expect(stored?.deletedAt == nil)
            #expect(stored?.values == ada.user.values)
        },
        Case(name: "a soft delete moves the source time forward: an update older than the delete does not restore") { f, make in
            let store = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: .soft, restoreOnUpdate: true))
            let ada = try await store.upsert(f.record("ada", at: 0, ["display_name": "Ada"]))
            #expect(try await store.delete(source: "airtable", recordID: f.recordID("ada"), occurredAt: f.at(120)).outcome == .deleted)
            // Made before the delete, delivered after it.
            let late = try await store.upsert(f.record("ada", at: 60, ["display_name": "Late Ada"]))
            #expect(late.outcome == .staleIgnored)
            let stored = try #require(try await store.user(id: ada.user.id))
            #expect(stored.deletedAt != nil)
            #expect(stored.displayName == "Ada")
            let newer = try await store.upsert(f.record("ada", at: 180, ["display_name": "New Ada"]))
            #expect(newer.user.deletedAt == nil)
            #expect(newer.user.displayName == "New Ada")
        },
        Case(name: "restore_on_update true: a later upsert restores a soft-deleted user") { f, make in
            let store = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: .soft, restoreOnUpdate: true))
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            _ = try await store.delete(source: "airtable", recordID: f.recordID("ada"))
            #expect(try await store.user(id: ada.user.id)?.deletedAt != nil)
            let result = try await store.upsert(f.record("ada", at: 60, ["display_name": "Ada"]))
            #expect(result.outcome == .updated)
            #expect(result.user.deletedAt == nil)
            #expect(try await store.user(id: ada.user.id)?.deletedAt == nil)
        },
        Case(name: "restore_on_update false: a soft-deleted user stays deleted") { f, make in
            let store = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: .soft, restoreOnUpdate: false))
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            _ = try await store.delete(source: "airtable", recordID: f.recordID("ada"))
            let result = try await store.upsert(f.record("ada", at: 60, ["display_name": "Ada Lovelace"]))
            #expect(result.user.deletedAt != nil)
            #expect(try await store.user(id: ada.user.id)?.deletedAt != nil)
        },
    ]
}
