import Foundation
import Provisioning
import ProvisioningService
import Testing

/// Kind `scim` (CONTRACT.md §11) against a real SCIM server (scim2-server).
@Suite("SCIM source: read-through and sync against scim2-server")
struct SCIMSourceTests {
    static func options(order: [String], directoryURL: String? = nil) throws -> ServiceHarness.Options {
        var options = AuthFixtures.options
        options.extraProviders = try SCIMServer.provider(baseURL: directoryURL)
        options.resolutionOrder = order
        return options
    }

    @Test("a user only in SCIM logs in on the first try and is linked to the directory record")
    func firstLogin() async throws {
        let email = SCIMServer.email("grace")
        let id = try await SCIMServer.createUser(email: email, name: "Grace Hopper", title: "admiral")
        try await ServiceHarness.run(try Self.options(order: ["app_db", "airtable", "directory"])) { harness, client in
            let response = try await AuthFixtures.login(client, email)
            #expect(response.status == .ok)
            let user = try #require(try AuthFixtures.object(response)["user"] as? [String: Any])
            #expect(user["links"] as? [String: String] == ["directory": id])
            #expect(user["airtable_record_id"] is NSNull)
            #expect(user["display_name"] as? String == "Grace Hopper")
            #expect(user["role"] as? String == "admiral")
            let stored = try #require(try await harness.pipeline.store.user(source: "directory", recordID: id))
            #expect(stored.emailCanonical == email)
            #expect(harness.counter("auth_readthrough_success") == 1)
        }
    }

    @Test("an address that is only a secondary email of a SCIM user is not that user's login")
    func secondaryEmailIsNotTheUser() async throws {
        let primary = SCIMServer.email("mary")
        let secondary = SCIMServer.email("mary-alias")
        let id = try await SCIMServer.createUser(email: primary, name: "Mary Jackson")
        try await SCIMServer.patch(id, "emails", [["value": primary, "primary": true], ["value": secondary]])
        try await ServiceHarness.run(try Self.options(order: ["app_db", "directory"])) { (harness, client) async throws in
            #expect(try await AuthFixtures.login(client, secondary).status == .unauthorized)
            #expect(try await harness.pipeline.store.user(canonicalEmail: primary) == nil, "nothing imported under another address")
            #expect(try await AuthFixtures.login(client, primary).status == .ok)
        }
    }

    @Test("a user in Airtable and SCIM is linked to both; each source's changes apply by its own snapshot")
    func linkedToBoth() async throws {
        let email = SCIMServer.email("ada")
        let id = try await SCIMServer.createUser(email: email, name: "Ada (directory)", title: "admin")
        try await ServiceHarness.run(try Self.options(order: ["app_db", "airtable", "directory"])) { harness, client in
            let recordID = AuthFixtures.airtableUser(harness, email: email, name: "Ada", role: "admin")
            #expect(try await AuthFixtures.login(client, email).status == .ok)
            // The directory's record arrives by sync: the same user, a second link.
            let engine = try SyncFixtures.engine(harness)
            let directory = try #require(engine.sources.first { $0.name == "directory" })
            _ = try await engine.runIncremental(source: directory)
            let user = try #require(try await harness.pipeline.store.user(canonicalEmail: email))
            #expect(user.linkIDs == ["airtable": recordID, "directory": id])
            // newest (the default): the directory changed the name since its own (first) import.
            #expect(user.displayName == "Ada (directory)")
            // Airtable's record, unchanged since its import, does not undo that.
            let airtable = try #require(engine.sources.first { $0.name == "airtable" })
            _ = try await engine.runIncremental(source: airtable)
            #expect(try await harness.pipeline.store.user(id: user.id)?.displayName == "Ada (directory)")
            #expect(try await AuthFixtures.object(AuthFixtures.login(client, email))["user"].flatMap { $0 as? [String: Any] }?["links"] as? [String: String]
                    == ["airtable": recordID, "directory": id])
        }
    }

    @Test("the pipeline [app_db, directory] works by editing resolution.order only")
    func directoryOnly() async throws {
        let email = SCIMServer.email("alan")
        let id = try await SCIMServer.createUser(email: email, name: "Alan")
        try await ServiceHarness.run(try Self.options(order: ["app_db", "directory"])) { (harness, client) async throws in
            let response = try await AuthFixtures.login(client, email)
            #expect(response.status == .ok)
            #expect(try await harness.pipeline.store.user(source: "directory", recordID: id) != nil)
            #expect(harness.sim.counters().total == 0, "Airtable is not in the pipeline")
        }
    }

    @Test("SCIM down: a user not in the store gets 503 with Retry-After; a store user still signs in")
    func directoryDown() async throws {
        // Nothing listens on port 9 of this host: the directory is unreachable.
        try await ServiceHarness.run(try Self.options(order: ["app_db", "directory"], directoryURL: "http://127.0.0.1:9")) { harness, client in
            let unknown = try await AuthFixtures.login(client, SCIMServer.email("nobody"))
            #expect(unknown.status == .serviceUnavailable)
            #expect(unknown.headers[.retryAfter] != nil)
            let stored = SCIMServer.email("stored")
            try await AuthFixtures.storeUser(harness, email: stored)
            #expect(try await AuthFixtures.login(client, stored).status == .ok)
        }
    }

    @Test("deactivation in SCIM reaches the store by sync: the user is soft-deleted and cannot sign in")
    func deactivation() async throws {
        let email = SCIMServer.email("linus")
        let id = try await SCIMServer.createUser(email: email, name: "Linus")
        try await ServiceHarness.run(try Self.options(order: ["app_db", "directory"])) { (harness, client) async throws in
            #expect(try await AuthFixtures.login(client, email).status == .ok)
            let engine = try SyncFixtures.engine(harness)
            let directory = try #require(engine.sources.first)
            _ = try await engine.runIncremental(source: directory)
            try await SCIMServer.patch(id, "active", false)
            let report = try await engine.runIncremental(source: directory)
            #expect(report.deleted == 1)
            let user = try #require(try await harness.pipeline.store.user(source: "directory", recordID: id))
            #expect(user.deletedAt != nil)
            #expect(try await AuthFixtures.login(client, email).status == .unauthorized)
        }
    }
}
