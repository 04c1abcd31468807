import Foundation
import Provisioning
import Testing

/// Precedence rules: `source`, `store`, and each branch of `newest`.
extension StoreConformance {
    /// Now, to the whole second: `updateFromApp` stamps the store's "now", so
    /// `newest` cases place source times an hour either side of it.
    static func wholeSecondNow() -> Date { Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)) }

    static let precedenceCases: [Case] = [
        Case(name: "precedence source: the source value wins over an app write") { f, make in
            let store = try await make(onlyRule(.source), defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            _ = try await store.updateFromApp(id: ada.user.id, values: ["display_name": "App Ada"])
            let result = try await store.upsert(f.record("ada", at: 60, ["display_name": "Ada"]))
            #expect(result.outcome == .updated)
            #expect(result.user.displayName == "Ada")
            #expect(try await store.user(id: ada.user.id)?.displayName == "Ada")
        },
        Case(name: "precedence store: a stored value is kept and a missing one filled") { f, make in
            let store = try await make(onlyRule(.store), defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            let result = try await store.upsert(f.record("ada", at: 60, ["display_name": "Source Ada", "role": "admin"]))
            #expect(result.outcome == .updated)
            #expect(result.user.displayName == "Ada")
            #expect(result.user.role == "admin")
            let stored = try await store.user(id: ada.user.id)
            #expect(stored?.displayName == "Ada")
            #expect(stored?.role == "admin")
        },
        Case(name: "default precedence: role follows the source, password hash stays with the store") { f, make in
            let store = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["role": "admin", "password_hash": "h1"]))
            _ = try await store.updateFromApp(id: ada.user.id, values: ["role": "guest", "password_hash": "h2"])
            let result = try await store.upsert(f.record("ada", modifiedAt: wholeSecondNow() + 3600, ["role": "admin", "password_hash": "h3"]))
            #expect(result.user.role == "admin")
            #expect(result.user.passwordHash == "h2")
        },
        Case(name: "precedence newest: a value only the source changed is taken") { f, make in
            let store = try await make(onlyRule(.newest), defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada", "role": "admin"]))
            let result = try await store.upsert(f.record("ada", at: 60, ["display_name": "Ada Lovelace", "role": "admin"]))
            #expect(result.outcome == .updated)
            #expect(result.user.displayName == "Ada Lovelace")
            #expect(try await store.user(id: ada.user.id)?.displayName == "Ada Lovelace")
        },
        Case(name: "precedence newest: a value only the app changed is kept even against a later record") { f, make in
            let store = try await make(onlyRule(.newest), defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            _ = try await store.updateFromApp(id: ada.user.id, values: ["display_name": "App Ada"])
            let result = try await store.upsert(f.record("ada", modifiedAt: wholeSecondNow() + 3600, ["display_name": "Ada"]))
            #expect(result.outcome != .staleIgnored)
            #expect(result.user.displayName == "App Ada")
            #expect(try await store.user(id: ada.user.id)?.displayName == "App Ada")
        },
        Case(name: "precedence newest: when both changed a later record wins") { f, make in
            let store = try await make(onlyRule(.newest), defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            _ = try await store.updateFromApp(id: ada.user.id, values: ["display_name": "App Ada"])
            let result = try await store.upsert(f.record("ada", modifiedAt: wholeSecondNow() + 3600, ["display_name": "Source Ada"]))
            #expect(result.outcome == .updated)
            #expect(result.user.displayName == "Source Ada")
            #expect(try await store.user(id: ada.user.id)?.displayName == "Source Ada")
        },
        Case(name: "precedence newest: when both changed a later app write wins") { f, make in
            let store = try await make(onlyRule(.newest), defaultSoftDelete)
            let ada = try await store.upsert(f.record("ada", ["display_name": "Ada"]))
            _ = try await store.updateFromApp(id: ada.user.id, values: ["display_name": "App Ada"])
            let result = try await store.upsert(f.record("ada", modifiedAt: wholeSecondNow() - 3600, ["display_name": "Source Ada"]))
            #expect(result.outcome != .staleIgnored)
            #expect(result.user.displayName == "App Ada")
            #expect(try await store.user(id: ada.user.id)?.displayName == "App Ada")
        },
        Case(name: "under every rule a source never clears a value it does not send") { f, make in
            for rule in PrecedenceRule.allCases {
                let store = try await make(onlyRule(rule), defaultSoftDelete)
                let ada = try await store.upsert(f.record("ada", ["display_name": "Ada", "role": "admin"]))
                let emailOnly = try await store.upsert(f.record("ada", at: 60))
                #expect(emailOnly.user.displayName == "Ada", "rule \(rule)")
                #expect(emailOnly.user.role == "admin", "rule \(rule)")
                let noEmail = SourceRecord(source: "airtable", recordID: f.recordID("ada"), values: ["role": "admin"], modifiedAt: f.at(120))
                _ = try await store.upsert(noEmail)
                let stored = try await store.user(id: ada.user.id)
                #expect(stored?.values == ada.user.values, "rule \(rule)")
                #expect(stored?.emailCanonical == f.canonical("ada"), "rule \(rule)")
            }
        },
    ]
}
