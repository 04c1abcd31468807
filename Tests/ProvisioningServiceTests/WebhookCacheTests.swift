import AirtableSim
import Foundation
import HummingbirdTesting
import Provisioning
import Testing

@Suite("Inbound user webhook: negative cache and read-through races")
struct WebhookCacheTests {
    @Test("an event naming a cached-unknown email makes the pipeline look again")
    func forgetsOnEvent() async throws {
        try await ServiceHarness.run { harness, client in
            harness.sim.setRateLimit(perSecond: 1000)
            let resolution = harness.pipeline.pipeline
            #expect(try await resolution.resolve(email: "x@example.com") == .notFound)
            let recordID = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: ["Email": "x@example.com", "Name": "X"])
            // Cached: the sim is not asked again.
            #expect(try await resolution.resolve(email: "x@example.com") == .notFound)

            // A delete for an unknown record that names the email: no write,
            // but the cache forgets.
            let reply = try await Webhook.event(
                client, id: "evt_forget", type: "user.deleted", recordID: "recElse0000000001", fields: ["Email": "X@Example.com"])
            #expect(reply.outcome == "not_found")
            guard case .found(let user, let provisioned) = try await resolution.resolve(email: "x@example.com") else {
                Issue.record("expected the user to be found after the event")
                return
            }
            #expect(provisioned)
            #expect(user.recordID(in: "airtable") == recordID)
        }
    }

    @Test("a created user is found at once, and a rejected or replayed event forgets too")
    func forgetsOnCreateAndFailure() async throws {
        try await ServiceHarness.run { harness, client in
            harness.sim.setRateLimit(perSecond: 1000)
            let resolution = harness.pipeline.pipeline
            #expect(try await resolution.resolve(email: "new@example.com") == .notFound)
            let created = try await Webhook.event(client, id: "evt_new", recordID: "recNew00000000001", fields: Webhook.fields(email: "new@example.com"))
            #expect(created.status == .ok)
            guard case .found(let user, _) = try await resolution.resolve(email: "new@example.com") else {
                Issue.record("expected the created user")
                return
            }
            #expect(user.recordID(in: "airtable") == "recNew00000000001")

            // A failed delivery (a mapped field of the wrong type) names an email: forgotten.
            #expect(try await resolution.resolve(email: "fail@example.com") == .notFound)
            harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: ["Email": "fail@example.com"])
            let failed = try await Webhook.event(
                client, id: "evt_fail", recordID: "recFail0000000001", fields: ["Email": "fail@example.com", "Role": 3])
            #expect(failed.status == .badRequest)
            guard case .found = try await resolution.resolve(email: "fail@example.com") else {
                Issue.record("expected the cache to forget after a failed delivery")
                return
            }

            // A replay names it again: forgotten again.
            #expect(try await resolution.resolve(email: "replay@example.com") == .notFound)
            let body = Webhook.body(id: "evt_rp", type: "user.deleted", recordID: "recRp00000000001", fields: ["Email": "replay@example.com"])
            _ = try await Webhook.sendSigned(client, id: "evt_rp", body: body)
            #expect(try await resolution.resolve(email: "replay@example.com") == .notFound)
            harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: ["Email": "replay@example.com"])
            #expect(try await resolution.resolve(email: "replay@example.com") == .notFound)
            let replay = try await Webhook.sendSigned(client, id: "evt_rp", body: body)
            #expect(replay.json["status"] as? String == "replayed")
            guard case .found = try await resolution.resolve(email: "replay@example.com") else {
                Issue.record("expected the cache to forget after a replay")
                return
            }
        }
    }

    @Test("a webhook create racing a read-through of the same user leaves one row")
    func createRacesReadThrough() async throws {
        var options = ServiceHarness.Options()
        options.simLatencyMs = 20
        try await ServiceHarness.run(options) { harness, client in
            harness.sim.setRateLimit(perSecond: 1000)
            // Older than now: the read-through's record (modified = fetched now)
            // and the event may land in either order without a stale refusal.
            let occurredAt = Date().addingTimeInterval(-3600).formatted(Date.ISO8601FormatStyle())
            for round in 0..<10 {
                let email = "race\(round)@example.com"
                let recordID = harness.sim.insert(base: ServiceHarness.base, table: "Users", fields: ["Email": .string(email), "Name": "Race"])
                let body = Webhook.body(
                    id: "evt_race_\(round)", recordID: recordID, fields: Webhook.fields(email: email, name: "Race"),
                    occurredAt: occurredAt)
                async let login = harness.pipeline.pipeline.resolve(email: email)
                async let webhook = Webhook.sendSigned(client, id: "evt_race_\(round)", body: body)
                let (resolved, delivered) = try await (login, webhook)
                #expect(delivered.status == .ok, "\(delivered.text)")
                guard case .found(let user, _) = resolved else {
                    Issue.record("round \(round): expected the user, got \(resolved)")
                    continue
                }
                #expect(user.recordID(in: "airtable") == recordID)
                #expect(delivered.userID == user.id)
                let rows = try await Webhook.count(harness.databaseURL, "SELECT count(*)::int FROM users WHERE email_canonical = \(email)")
                #expect(rows == 1)
            }
        }
    }
}
