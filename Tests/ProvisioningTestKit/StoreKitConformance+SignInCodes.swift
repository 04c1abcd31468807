import Foundation
import Provisioning
import Testing

/// Emailed sign-in codes (CONTRACT.md §7) and external identities.
extension StoreKitConformance {
    static func code(_ f: Fixture, _ who: String, user: UUID, hash: String, token: String? = nil, ttl: Int = 600, attempts: Int = 3) -> NewSignInCode {
        NewSignInCode(email: f.email(who), userID: user, codeHash: hash, tokenHash: token, ttlSeconds: ttl, maxAttempts: attempts)
    }

    static let signInCodeCases: [Case] = [
        Case(name: "a code works once; a wrong one does not spend it") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            #expect(try await kit.signInCodes.issue(code(f, "ada", user: ada.id, hash: "right"), maxPerWindow: 3, windowSeconds: 900))
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "wrong") == nil)
            #expect(try await kit.signInCodes.redeem(email: f.email("bob"), codeHash: "right") == nil)
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "right") == ada.id)
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "right") == nil)
        },
        Case(name: "a newer code voids older ones; the link token spends its code") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            #expect(try await kit.signInCodes.issue(code(f, "ada", user: ada.id, hash: "first", token: "\(f.token)-t1"), maxPerWindow: 3, windowSeconds: 900))
            #expect(try await kit.signInCodes.issue(code(f, "ada", user: ada.id, hash: "second", token: "\(f.token)-t2"), maxPerWindow: 3, windowSeconds: 900))
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "first") == nil)
            #expect(try await kit.signInCodes.redeem(tokenHash: "\(f.token)-t1") == nil)
            #expect(try await kit.signInCodes.redeem(tokenHash: "\(f.token)-t2") == ada.id)
            #expect(try await kit.signInCodes.redeem(tokenHash: "\(f.token)-t2") == nil)
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "second") == nil, "the link spent the code")
        },
        Case(name: "after max_attempts wrong codes the code is void") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            #expect(try await kit.signInCodes.issue(code(f, "ada", user: ada.id, hash: "right", attempts: 2), maxPerWindow: 3, windowSeconds: 900))
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "wrong-1") == nil)
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "wrong-2") == nil)
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "right") == nil)
        },
        Case(name: "codes per email per window are budgeted; other emails are not held back") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            let bob = try await kit.store.upsert(f.record("bob")).user
            for index in 0..<2 {
                #expect(try await kit.signInCodes.issue(code(f, "ada", user: ada.id, hash: "c\(index)"), maxPerWindow: 2, windowSeconds: 900))
            }
            #expect(try await kit.signInCodes.issue(code(f, "ada", user: ada.id, hash: "c2"), maxPerWindow: 2, windowSeconds: 900) == false)
            // Over budget files nothing: the last filed code still works.
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "c1") == ada.id)
            #expect(try await kit.signInCodes.issue(code(f, "bob", user: bob.id, hash: "b0"), maxPerWindow: 2, windowSeconds: 900))
        },
        Case(name: "concurrent issues never pass the per-window budget") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            let codes = kit.signInCodes
            let filed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<12 {
                    group.addTask { try await codes.issue(code(f, "ada", user: ada.id, hash: "p\(index)"), maxPerWindow: 3, windowSeconds: 900) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(filed == 3)
        },
        Case(name: "an expired code or token does not work") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            #expect(try await kit.signInCodes.issue(code(f, "ada", user: ada.id, hash: "old", token: "\(f.token)-old", ttl: 0), maxPerWindow: 3, windowSeconds: 900))
            #expect(try await kit.signInCodes.redeem(email: f.email("ada"), codeHash: "old") == nil)
            #expect(try await kit.signInCodes.redeem(tokenHash: "\(f.token)-old") == nil)
        },
        Case(name: "an external identity finds its user and can move to another") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            let bob = try await kit.store.upsert(f.record("bob")).user
            let issuer = "https://idp.\(f.token).example"
            #expect(try await kit.externalIdentities.userID(issuer: issuer, subject: "s1") == nil)
            try await kit.externalIdentities.remember(issuer: issuer, subject: "s1", userID: ada.id)
            #expect(try await kit.externalIdentities.userID(issuer: issuer, subject: "s1") == ada.id)
            #expect(try await kit.externalIdentities.userID(issuer: issuer + "/other", subject: "s1") == nil)
            try await kit.externalIdentities.remember(issuer: issuer, subject: "s1", userID: bob.id)
            #expect(try await kit.externalIdentities.userID(issuer: issuer, subject: "s1") == bob.id)
        },
    ]
}
