import Foundation
import Provisioning
import Testing

/// App-side writes and records that cannot apply.
extension StoreConformance {
    static let errorCases: [Case] = [
        Case(name: "an app write sets and clears values and marks the store's update time") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada", "role": "admin"]))
            #expect(ada.user.storeUpdatedAt == nil)
            let updated = try #require(try await store.updateFromApp(
                id: ada.user.id, values: ["display_name": "Countess", "role": nil]))
            #expect(updated.displayName == "Countess")
            #expect(updated.role == nil)
            #expect(updated.storeUpdatedAt != nil)
            #expect(updated.updatedAt >= ada.user.updatedAt)
            let stored = try await store.user(id: ada.user.id)
            #expect(stored?.displayName == "Countess")
            #expect(stored?.role == nil)
            #expect(try await store.updateFromApp(id: UUID(), values: ["display_name": "Nobody"]) == nil)
        },
        Case(name: "a rehash replaces only the hash it verified and leaves the store's update time") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["password_hash": "old"]))
            #expect(try await store.replacePasswordHash(id: ada.user.id, verified: "old", fresh: "new"))
            let rehashed = try await store.user(id: ada.user.id)
            #expect(rehashed?.passwordHash == "new")
            #expect(rehashed?.storeUpdatedAt == nil)
            // The password changed after the login verified "old": the change stays.
            #expect(try await store.replacePasswordHash(id: ada.user.id, verified: "old", fresh: "stale") == false)
            #expect(try await store.user(id: ada.user.id)?.passwordHash == "new")
            #expect(try await store.replacePasswordHash(id: UUID(), verified: "new", fresh: "x") == false)
        },
        Case(name: "an app write of an email another user has is emailTaken") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            _ = try await store.upsert(f.record("ada"))
            let bob = try await store.upsert(f.record("bob", ["display_name": "Bob"]))
            await expectStoreError(.emailTaken) {
                _ = try await store.updateFromApp(id: bob.user.id, values: [Attribute.email: f.email("ada").uppercased()])
            }
            let stored = try await store.user(id: bob.user.id)
            #expect(stored?.emailCanonical == f.canonical("bob"))
            #expect(stored?.values == bob.user.values)
            // A free email is taken over, canonicalised.
            let moved = try await store.updateFromApp(id: bob.user.id, values: [Attribute.email: f.email("robert")])
            #expect(moved?.emailCanonical == f.canonical("robert"))
        },
        Case(name: "a new identity without email is missingEmail") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let record = SourceRecord(source: "airtable", recordID: f.recordID("ada"), values: ["display_name": "Ada"], modifiedAt: f.at(0))
            await expectStoreError(.missingEmail) { _ = try await store.upsert(record) }
            #expect(try await store.user(source: "airtable", recordID: f.recordID("ada")) == nil)
        },
        Case(name: "a record with an invalid email is invalidEmail") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let record = f.record("ada", email: "ada.\(f.token).example.com")
            do {
                _ = try await store.upsert(record)
                Issue.record("an invalid email was stored")
            } catch let error as StoreError {
                guard case .invalidEmail(let why) = error else {
                    Issue.record("expected invalidEmail, got \(error)")
                    return
                }
                #expect(!why.isEmpty)
            }
            #expect(try await store.user(source: "airtable", recordID: f.recordID("ada")) == nil)
        },
    ]
}
