import Foundation
import HummingbirdBcrypt
import Provisioning
import Testing
@testable import ProvisioningService

/// CONTRACT.md §7 and §10: `$2a$`, `$2b$`, `$2y$` verify; another cost is
/// rehashed at `bcrypt_cost` on success; a malformed hash or a cost above 15
/// is refused at import.
@Suite("Password hashes: $2y$, rehash on login, refusal at import")
struct PasswordHashTests {
    /// A well-formed hash whose cost would pin a thread for minutes if verified.
    static let costly = "$2b$20$OwX9Ifgd2sFcUxmsLTXFn.oRph9yHb4AX7uJ091loGsiEeDhXTac6"

    static func hash(cost: UInt8) -> String { Bcrypt.hash(AuthFixtures.password, cost: cost) }

    @Test("a $2y$ hash from Airtable verifies, and the login stores it again as $2b$ at bcrypt_cost")
    func phpHash() async throws {
        let log = LogCapture()
        var options = AuthFixtures.options
        options.logHandler = log.handler
        try await ServiceHarness.run(options) { harness, client in
            let php = "$2y$" + Self.hash(cost: 10).dropFirst(4)
            AuthFixtures.airtableUser(harness, email: "php@example.com", hash: php)
            #expect(try await AuthFixtures.login(client, "php@example.com").status == .ok)
            let stored = try #require(try await harness.pipeline.store.user(canonicalEmail: "php@example.com"))
            let rehashed = try #require(stored.passwordHash)
            #expect(rehashed.hasPrefix("$2b$10$"))
            #expect(Bcrypt.verify(AuthFixtures.password, hash: rehashed))
            #expect(log.events("auth.password_rehashed").count == 1)
            #expect(!log.lines.joined().contains(rehashed) && !log.lines.joined().contains(php))
            // The new hash signs in too, and is not rehashed again.
            #expect(try await AuthFixtures.login(client, "php@example.com").status == .ok)
            #expect(try await AuthFixtures.login(client, "php@example.com", "wrong").status == .unauthorized)
            #expect(log.events("auth.password_rehashed").count == 1)
        }
    }

    @Test("a hash of another cost verifies and is rehashed at bcrypt_cost; a wrong password rehashes nothing")
    func otherCost() async throws {
        try await ServiceHarness.run(AuthFixtures.options) { harness, client in
            let cost11 = Self.hash(cost: 11)
            AuthFixtures.airtableUser(harness, email: "eleven@example.com", hash: cost11)
            #expect(try await AuthFixtures.login(client, "eleven@example.com", "wrong").status == .unauthorized)
            #expect(try await harness.pipeline.store.user(canonicalEmail: "eleven@example.com")?.passwordHash == cost11)
            #expect(try await AuthFixtures.login(client, "eleven@example.com").status == .ok)
            let stored = try #require(try await harness.pipeline.store.user(canonicalEmail: "eleven@example.com")?.passwordHash)
            #expect(stored.hasPrefix("$2b$10$") && stored != cost11)
        }
    }

    @Test("a hash with cost above 15 or a malformed one is refused at read-through: 401, nothing stored, record_rejected logged",
          arguments: [costly, "not-a-bcrypt-hash"])
    func refusedAtReadThrough(_ hash: String) async throws {
        let log = LogCapture()
        var options = AuthFixtures.options
        options.logHandler = log.handler
        try await ServiceHarness.run(options) { harness, client in
            let recordID = AuthFixtures.airtableUser(harness, email: "costly@example.com", hash: hash)
            #expect(try await AuthFixtures.login(client, "costly@example.com").status == .unauthorized)
            #expect(try await harness.pipeline.store.user(canonicalEmail: "costly@example.com") == nil)
            let rejected = try #require(log.events("readthrough.record_rejected").first)
            #expect(rejected["reason"] as? String == "invalid_password_hash")
            #expect(rejected["record_id"] as? String == recordID)
            #expect(!log.lines.joined().contains(hash))
        }
    }

    @Test("the sync refuses such a record (record_rejected) and imports the others")
    func refusedBySync() async throws {
        try await ServiceHarness.run(AuthFixtures.options) { harness, _ in
            let bad = AuthFixtures.airtableUser(harness, email: "bad.hash@example.com", hash: Self.costly)
            AuthFixtures.airtableUser(harness, email: "good.hash@example.com")
            let tap = EventTap()
            let engine = try SyncFixtures.engine(harness, tap: tap)
            let report = try await engine.runIncremental(source: try #require(engine.sources.first))
            #expect(report.rejected == 1)
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: bad) == nil)
            #expect(try await harness.pipeline.store.user(canonicalEmail: "good.hash@example.com") != nil)
            #expect(tap.events("sync.record_rejected").first?.metadata["reason"] == "invalid_password_hash")
        }
    }

    @Test("a webhook event carrying such a hash is 422 and changes nothing")
    func refusedByWebhook() async throws {
        try await ServiceHarness.run { harness, client in
            var fields = Webhook.fields(email: "hook.hash@example.com", name: "Hook")
            fields["Password Hash"] = Self.costly
            let reply = try await Webhook.event(client, id: "evt_costly", recordID: "recCostly00000001", fields: fields)
            #expect(reply.status == .unprocessableContent)
            #expect(reply.json["error"] as? String == "unprocessable")
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: "recCostly00000001") == nil)
        }
    }

    @Test("a stored hash costlier than any import allows is never verified: the dummy is, and the login fails")
    func costlyStoredHashIsNotVerified() async throws {
        let verifier = try await PasswordVerifier(cost: 10)
        // At cost 20 a real verify would take over a minute; the dummy takes milliseconds.
        #expect(try await verifier.verify(AuthFixtures.password, hash: Self.costly) == false)
        #expect(try await verifier.verify(AuthFixtures.password, hash: "garbage") == false)
        #expect(try await verifier.verify(AuthFixtures.password, hash: AuthFixtures.passwordHash))
    }
}
