import AirtableSim
import AsyncHTTPClient
import Foundation
import HummingbirdTesting
import NIOCore
import Provisioning
import ProvisioningTestKit
import Testing

@Suite("Login with read-through provisioning")
struct LoginTests {
    static var options: ServiceHarness.Options { AuthFixtures.options }

    @Test("an Airtable-only user logs in on the first try and is then in the store")
    func airtableOnlyUserLogsIn() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let recordID = AuthFixtures.airtableUser(harness, email: "ada@example.com")
            let response = try await AuthFixtures.login(client, "Ada@Example.com")
            #expect(response.status == .ok)
            let body = try AuthFixtures.object(response)
            #expect(body["token_type"] as? String == "Bearer")
            #expect((body["access_token"] as? String)?.split(separator: ".").count == 3)
            #expect(body["refresh_token"] as? String != nil)
            let user = try #require(body["user"] as? [String: Any])
            #expect(user["airtable_record_id"] as? String == recordID)
            #expect(user["links"] as? [String: String] == ["airtable": recordID])
            #expect(user["display_name"] as? String == "Ada")
            let stored = try await harness.pipeline.store.user(canonicalEmail: "ada@example.com")
            #expect(stored?.recordID(in: "airtable") == recordID)
            #expect(harness.counter("auth_readthrough_attempts") == 1)
            #expect(harness.counter("auth_readthrough_success") == 1)
        }
    }

    @Test("50 concurrent first logins of one user: all 200, one row, one request to Airtable")
    func concurrentFirstLogins() async throws {
        var options = Self.options
        options.simLatencyMs = 150
        try await ServiceHarness.run(options) { harness, _ in
            AuthFixtures.airtableUser(harness, email: "storm@example.com")
            harness.sim.resetCounters()
            let statuses = try await AuthFixtures.concurrentLogins(
                baseURL: harness.baseURL, emails: Array(repeating: "storm@example.com", count: 50))
            #expect(statuses.count == 50)
            #expect(statuses.allSatisfy { $0 == 200 })
            #expect(harness.sim.counters().total == 1)
            let user = try await harness.pipeline.store.user(canonicalEmail: "storm@example.com")
            #expect(user != nil)
        }
    }

    @Test("a store user logs in while Airtable fails every request, with no request to Airtable")
    func storeUserUnaffectedByAirtableOutage() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            try await AuthFixtures.storeUser(harness, email: "local@example.com")
            harness.sim.setFault(.status500, count: nil, fraction: 1.0)
            harness.sim.resetCounters()
            let response = try await AuthFixtures.login(client, "local@example.com")
            #expect(response.status == .ok)
            #expect(harness.sim.counters().total == 0)
        }
    }

    @Test("an Airtable-only user gets 503 with Retry-After while Airtable fails")
    func airtableOnlyUserGets503() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            AuthFixtures.airtableUser(harness, email: "later@example.com")
            harness.sim.setFault(.status503, count: nil, fraction: 1.0)
            let response = try await AuthFixtures.login(client, "later@example.com")
            #expect(response.status == .serviceUnavailable)
            #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try AuthFixtures.object(response)["error"] as? String == "temporarily_unavailable")
            #expect(try await harness.pipeline.store.user(canonicalEmail: "later@example.com") == nil)
        }
    }

    @Test("unknown email and wrong password give byte-identical 401 bodies")
    func identical401Bodies() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            try await AuthFixtures.storeUser(harness, email: "known@example.com")
            let unknown = try await AuthFixtures.login(client, "nobody@example.com")
            let wrong = try await AuthFixtures.login(client, "known@example.com", "wrong-password")
            let malformedEmail = try await AuthFixtures.login(client, "not-an-email")
            #expect(unknown.status == .unauthorized)
            #expect(wrong.status == .unauthorized)
            #expect(malformedEmail.status == .unauthorized)
            #expect(unknown.body == wrong.body)
            #expect(unknown.body == malformedEmail.body)
            #expect(String(buffer: unknown.body) == #"{"error":"invalid_credentials"}"#)
        }
    }

    @Test("a soft-deleted user and a user without a password get the same 401")
    func deletedAndPasswordlessUsers() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            let recordID = AuthFixtures.airtableUser(harness, email: "gone@example.com")
            #expect(try await AuthFixtures.login(client, "gone@example.com").status == .ok)
            _ = try await harness.pipeline.store.delete(source: "airtable", recordID: recordID)
            let deleted = try await AuthFixtures.login(client, "gone@example.com")
            _ = try await harness.pipeline.store.upsert(SourceRecord(source: "airtable", recordID: nil, values: ["email": "nopass@example.com"], modifiedAt: Date()))
            let passwordless = try await AuthFixtures.login(client, "nopass@example.com")
            #expect(deleted.status == .unauthorized)
            #expect(passwordless.status == .unauthorized)
            #expect(deleted.body == passwordless.body)
        }
    }

    @Test("malformed bodies and passwords over 72 bytes are 400 invalid_request")
    func badRequests() async throws {
        try await ServiceHarness.run(Self.options) { _, client in
            let notJSON = try await client.execute(uri: "/api/auth/login", method: .post, body: ByteBuffer(string: "{nope"))
            let missing = try await client.execute(uri: "/api/auth/login", method: .post, body: AuthFixtures.json(["email": "a@b.co"]))
            let long = try await AuthFixtures.login(client, "a@example.com", String(repeating: "é", count: 37))
            for response in [notJSON, missing, long] {
                #expect(response.status == .badRequest)
                #expect(try AuthFixtures.object(response)["error"] as? String == "invalid_request")
            }
        }
    }

    @Test("failed logins are throttled per email with 429 and Retry-After; successes are not")
    func throttling() async throws {
        try await ServiceHarness.run(Self.options) { harness, client in
            try await AuthFixtures.storeUser(harness, email: "slow@example.com")
            for _ in 0..<5 { #expect(try await AuthFixtures.login(client, "slow@example.com").status == .ok) }
            for _ in 0..<3 { #expect(try await AuthFixtures.login(client, "slow@example.com", "bad").status == .unauthorized) }
            let throttled = try await AuthFixtures.login(client, "slow@example.com")
            #expect(throttled.status == .tooManyRequests)
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 >= 1)
            #expect(try AuthFixtures.object(throttled)["error"] as? String == "too_many_requests")
            #expect(try await AuthFixtures.login(client, "other@example.com", "bad").status == .unauthorized)
        }
    }
}
