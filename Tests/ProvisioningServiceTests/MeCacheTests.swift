import Foundation
import HummingbirdTesting
import PostgresNIO
import Provisioning
import Testing
@testable import ProvisioningService

/// `GET /api/auth/me` answers from a user read within `auth.me_cache_ms`;
/// this process's own writes void that at once.
@Suite("me cache")
struct MeCacheTests {
    static func options(meCacheMilliseconds: Int) -> ServiceHarness.Options {
        var options = AuthFixtures.options
        options.extraYAML += "\n  me_cache_ms: \(meCacheMilliseconds)\n"
        return options
    }

    static func displayName(_ response: HarnessResponse) throws -> String? {
        (try AuthFixtures.object(response)["user"] as? [String: Any])?["display_name"] as? String
    }

    /// A write by another process: straight into the table.
    static func renameElsewhere(_ harness: ServiceHarness, to name: String) async throws {
        try await Webhook.execute(harness.databaseURL, """
            UPDATE users SET display_name = \(name) WHERE email_canonical = 'ada@example.com'
            """)
    }

    @Test("within me_cache_ms another process's write is not yet seen; with 0 it is seen at once")
    func otherProcessWrites() async throws {
        for (milliseconds, expected) in [(60_000, "Ada"), (0, "Elsewhere")] {
            try await ServiceHarness.run(Self.options(meCacheMilliseconds: milliseconds)) { harness, client in
                let login = try await TokenTests.loggedIn(harness, client)
                let token = try #require(login["access_token"] as? String)
                #expect(try Self.displayName(try await TokenTests.me(client, token: token)) == "Ada")
                try await Self.renameElsewhere(harness, to: "Elsewhere")
                let stored = try #require(try await harness.pipeline.store.user(canonicalEmail: "ada@example.com"))
                #expect(stored.displayName == "Elsewhere")
                #expect(try Self.displayName(try await TokenTests.me(client, token: token)) == expected, "me_cache_ms: \(milliseconds)")
            }
        }
    }

    @Test("PATCH me, an updating webhook and a deleting webhook are seen by the next me at once")
    func ownWritesVoidTheCache() async throws {
        try await ServiceHarness.run(Self.options(meCacheMilliseconds: 60_000)) { harness, client in
            let login = try await TokenTests.loggedIn(harness, client)
            let token = try #require(login["access_token"] as? String)
            let recordID = try #require((login["user"] as? [String: Any])?["airtable_record_id"] as? String)
            #expect(try Self.displayName(try await TokenTests.me(client, token: token)) == "Ada")

            let patched = try await client.execute(
                uri: "/api/auth/me", method: .patch, headers: [.authorization: "Bearer \(token)"],
                body: AuthFixtures.json(["display_name": "Countess"]))
            #expect(patched.status == .ok)
            #expect(try Self.displayName(try await TokenTests.me(client, token: token)) == "Countess")

            let updated = try await Webhook.event(
                client, id: "evt_me_1", type: "user.updated", recordID: recordID,
                fields: Webhook.fields(email: "ada@example.com", name: "Lovelace"), modifiedAt: FixtureTime.fromNow(2))
            #expect(updated.status == .ok)
            let stored = try #require(try await harness.pipeline.store.user(canonicalEmail: "ada@example.com"))
            #expect(try Self.displayName(try await TokenTests.me(client, token: token)) == stored.displayName)

            let deleted = try await Webhook.event(
                client, id: "evt_me_2", type: "user.deleted", recordID: recordID, occurredAt: nil, modifiedAt: FixtureTime.fromNow(3))
            #expect(deleted.outcome == "deleted")
            #expect(try await TokenTests.me(client, token: token).status == .unauthorized)
        }
    }
}

@Suite("recent users and verified tokens")
struct RecentUsersTests {
    static func user(_ name: String) -> StoredUser {
        StoredUser(
            id: UUID(), values: ["email": "\(name)@example.com"], emailCanonical: "\(name)@example.com", links: [:],
            storeUpdatedAt: nil, createdAt: Date(), updatedAt: Date(), deletedAt: nil)
    }

    @Test("a user read before a write is not kept, nor served after one; a zero ttl keeps nothing")
    func generations() {
        let recent = RecentUsers(ttl: .seconds(60))
        let ada = Self.user("ada")
        recent.remember(ada, readAt: recent.generation)
        #expect(recent.user(id: ada.id) == ada)
        recent.invalidate()
        #expect(recent.user(id: ada.id) == nil)

        let readAt = recent.generation
        recent.invalidate()
        recent.remember(ada, readAt: readAt)
        #expect(recent.user(id: ada.id) == nil)

        let off = RecentUsers(ttl: .zero)
        off.remember(ada, readAt: off.generation)
        #expect(off.user(id: ada.id) == nil)
    }

    @Test("at capacity the entries are dropped rather than grown")
    func capacity() {
        let recent = RecentUsers(ttl: .seconds(60), capacity: 2)
        let users = ["a", "b", "c"].map(Self.user)
        for user in users { recent.remember(user, readAt: recent.generation) }
        #expect(recent.user(id: users[0].id) == nil)
        #expect(recent.user(id: users[2].id) == users[2])
    }

    @Test("a verified token is served until its exp, not after")
    func verifiedTokens() throws {
        let tokens = VerifiedTokens()
        let now = Date()
        let claims = AccessTokenClaims(
            iss: .init(value: "provisiond"), aud: .init(value: ["app"]), sub: .init(value: UUID().uuidString),
            iat: .init(value: now), exp: .init(value: now.addingTimeInterval(60)), jti: .init(value: "j"), airtableRecordID: nil)
        tokens.remember(claims, of: "t", now: now)
        #expect(tokens.claims(of: "t", now: now.addingTimeInterval(59))?.jti.value == "j")
        #expect(tokens.claims(of: "t", now: now.addingTimeInterval(61)) == nil)
        #expect(tokens.claims(of: "other", now: now) == nil)
    }

    @Test("the bearer token is read case-insensitively, without surrounding blanks", arguments: [
        ("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer  abc \t", "abc"), ("BEARER\tabc", nil), ("Bearer ", nil),
        ("Bearer    ", nil), ("Basic abc", nil), ("Bear", nil), ("", nil),
    ] as [(String, String?)])
    func bearerToken(header: String, token: String?) {
        #expect(SignInContext.bearerToken(header) == token)
    }
}
