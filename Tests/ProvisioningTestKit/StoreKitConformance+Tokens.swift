import Foundation
import Provisioning
import Testing

/// Refresh tokens, and the delete that revokes them.
extension StoreKitConformance {
    /// The sign-in the test tokens come from: not a password, to show it is kept.
    static let signedIn = SignIn(method: .oneTimeCode, at: Date(timeIntervalSince1970: 1_700_000_000))

    static let tokenCases: [Case] = [
        Case(name: "a current token rotates once; presenting it again is reuse and revokes the whole family") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            let family = UUID()
            try await kit.refreshTokens.issue(tokenHash: "\(f.token)-1", familyID: family, userID: ada.id, expiresAt: later(600), signIn: signedIn)
            let rotated = try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-1", newHash: "\(f.token)-2", expiresAt: later(600))
            // The family keeps the sign-in it came from (`amr`, `auth_time`).
            #expect(rotated == .rotated(userID: ada.id, familyID: family, signIn: signedIn))
            let reused = try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-1", newHash: "\(f.token)-3", expiresAt: later(600))
            #expect(reused == .reused(familyID: family))
            // The family is revoked: the rotated-to token no longer works.
            #expect(try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-2", newHash: "\(f.token)-4", expiresAt: later(600)) == .invalid)
        },
        Case(name: "unknown and expired tokens are invalid; revokeAll revokes one user's tokens only") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            let bob = try await kit.store.upsert(f.record("bob")).user
            #expect(try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-none", newHash: "\(f.token)-x", expiresAt: later(600)) == .invalid)
            try await kit.refreshTokens.issue(tokenHash: "\(f.token)-old", familyID: UUID(), userID: ada.id, expiresAt: later(-1), signIn: signedIn)
            #expect(try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-old", newHash: "\(f.token)-y", expiresAt: later(600)) == .invalid)
            try await kit.refreshTokens.issue(tokenHash: "\(f.token)-ada", familyID: UUID(), userID: ada.id, expiresAt: later(600), signIn: signedIn)
            try await kit.refreshTokens.issue(tokenHash: "\(f.token)-bob", familyID: UUID(), userID: bob.id, expiresAt: later(600), signIn: signedIn)
            try await kit.refreshTokens.revokeAll(userID: ada.id)
            #expect(try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-ada", newHash: "\(f.token)-z", expiresAt: later(600)) == .invalid)
            #expect(try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-bob", newHash: "\(f.token)-w", expiresAt: later(600)) != .invalid)
        },
    ]

    static let revocationCases: [Case] = [
        Case(name: "the store's delete revokes the user's refresh tokens (soft and hard), and only that user's") { f, make in
            for mode in [SoftDeletePolicy.Mode.soft, .hard] {
                let kit = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: mode))
                let ada = try await kit.store.upsert(f.record("ada")).user
                let bob = try await kit.store.upsert(f.record("bob")).user
                try await kit.refreshTokens.issue(tokenHash: "\(f.token)-\(mode)-ada", familyID: UUID(), userID: ada.id, expiresAt: later(600), signIn: signedIn)
                try await kit.refreshTokens.issue(tokenHash: "\(f.token)-\(mode)-bob", familyID: UUID(), userID: bob.id, expiresAt: later(600), signIn: signedIn)
                #expect(try await kit.store.delete(source: "airtable", recordID: f.recordID("ada")).outcome == .deleted)
                let ada2 = try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-\(mode)-ada", newHash: "\(f.token)-\(mode)-ada2", expiresAt: later(600))
                #expect(ada2 == .invalid, "\(mode) delete")
                let bob2 = try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-\(mode)-bob", newHash: "\(f.token)-\(mode)-bob2", expiresAt: later(600))
                #expect(bob2 != .invalid, "\(mode) delete")
            }
        },
        Case(name: "a delete through the webhook ledger revokes too; under 'ignore' and when stale nothing is revoked") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada", at: 100)).user
            try await kit.refreshTokens.issue(tokenHash: "\(f.token)-a", familyID: UUID(), userID: ada.id, expiresAt: later(600), signIn: signedIn)
            let stale = try await kit.webhookLedger.apply(
                WebhookDelivery(eventID: "\(f.token)-stale", bodySHA256: "00"), effect: .delete(source: "airtable", recordID: f.recordID("ada"), occurredAt: f.at(50)))
            #expect(stale == .processed(WebhookOutcome(outcome: "stale_ignored", userID: ada.id)))
            #expect(try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-a", newHash: "\(f.token)-b", expiresAt: later(600)) != .invalid)
            let deleted = try await kit.webhookLedger.apply(
                WebhookDelivery(eventID: "\(f.token)-del", bodySHA256: "01"), effect: .delete(source: "airtable", recordID: f.recordID("ada"), occurredAt: f.at(200)))
            #expect(deleted == .processed(WebhookOutcome(outcome: "deleted", userID: ada.id)))
            #expect(try await kit.refreshTokens.rotate(presentedHash: "\(f.token)-b", newHash: "\(f.token)-c", expiresAt: later(600)) == .invalid)

            let ignoring = try await make(defaultPrecedence, SoftDeletePolicy(onDeleteEvent: .ignore))
            let bob = try await ignoring.store.upsert(f.record("bob")).user
            try await ignoring.refreshTokens.issue(tokenHash: "\(f.token)-i", familyID: UUID(), userID: bob.id, expiresAt: later(600), signIn: signedIn)
            #expect(try await ignoring.store.delete(source: "airtable", recordID: f.recordID("bob")).outcome == .unchanged)
            #expect(try await ignoring.refreshTokens.rotate(presentedHash: "\(f.token)-i", newHash: "\(f.token)-j", expiresAt: later(600)) != .invalid)
        },
    ]
}
