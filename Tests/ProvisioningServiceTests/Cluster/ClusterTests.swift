import AirtableSim
import Foundation
import HTTPTypes
import NIOCore
import ProvisioningTestKit
import Testing

/// CONTRACT §8 from outside: three `provisiond serve` on one PostgreSQL and
/// one airtable-sim enforcing 5 requests per second (30 s penalty), behind nginx.
@Suite("Several instances behind nginx behave as one service", .serialized)
struct ClusterTests {
    @Test("600 unknown emails through nginx: at most 5 simulator requests in any second and no 429")
    func floodKeepsTheBudget() async throws {
        try await ClusterHarness.run { cluster in
            let since = Date()
            let emails = (0..<600).map { "nobody\($0)@flood.example.com" }
            let statuses = await ClusterHarness.logins(cluster.balancerURL, emails: emails, password: "wrong-password", concurrency: 150)
            #expect(statuses.allSatisfy { $0 == 401 || $0 == 503 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            #expect(cluster.sim.counters().rateLimited == 0)
            #expect(cluster.maxSimRequestsPerSecond(since: since) <= 5)
            // The budget was spent, not skipped: the simulator did answer lookups.
            #expect(cluster.sim.requestLog().filter { $0.time >= since }.count >= 5)
        }
    }

    @Test("90 concurrent first logins of one Airtable-only user across three instances: one lookup, one row, 90 × 200")
    func stormMakesOneLookup() async throws {
        try await ClusterHarness.run { cluster in
            cluster.airtableUser(email: "storm@example.com")
            let before = cluster.sim.counters().total
            let statuses = await ClusterHarness.logins(
                cluster.balancerURL, emails: Array(repeating: "storm@example.com", count: 90), password: AuthFixtures.password, concurrency: 90)
            #expect(statuses.filter { $0 == 200 }.count == 90, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            #expect(cluster.sim.counters().total - before == 1)
            let rows = try await Webhook.count(cluster.databaseURL, "SELECT count(*)::int FROM users WHERE email_canonical = 'storm@example.com'")
            #expect(rows == 1)
        }
    }

    @Test("a user.deleted webhook to one instance: GET /api/auth/me on another (which had it cached) gives 401 at once")
    func deleteReachesOtherInstances() async throws {
        try await ClusterHarness.run { cluster in
            let recordID = cluster.airtableUser(email: "leaving@example.com")
            let login = try await AuthFixtures.login(cluster.client(0), "leaving@example.com")
            #expect(login.status == .ok)
            let token = try #require(try AuthFixtures.object(login)["access_token"] as? String)
            let me: @Sendable () async throws -> HTTPResponse.Status = {
                try await cluster.client(1).execute(uri: "/api/auth/me", method: .get, headers: [.authorization: "Bearer \(token)"]).status
            }
            // Instance 1 now has the user in its `me` cache (60 s).
            #expect(try await me() == .ok)
            #expect(try await me() == .ok)
            let deleted = try await Webhook.event(
                cluster.client(2), id: "evt-cluster-delete", type: "user.deleted", recordID: recordID,
                occurredAt: ISO8601DateFormatter().string(from: Date().addingTimeInterval(1)))
            #expect(deleted.status == .ok && deleted.outcome == "deleted", "\(deleted.text)")
            let sent = ContinuousClock.now
            var status = try await me()
            // Without invalidation this stays 200 for the cache's 60 s; with it, it turns
            // as soon as the notification arrives (milliseconds; a loaded machine gets 3 s).
            while status == .ok, ContinuousClock.now - sent < .seconds(3) { status = try await me() }
            #expect(status == .unauthorized)
        }
    }

    @Test("a 429 at the simulator: no instance sends to the base for 30 s, then they resume")
    func rateLimitPausesEveryone() async throws {
        try await ClusterHarness.run { cluster in
            cluster.sim.setFault(.status429, count: 1)
            // Unknown emails through nginx until the 429 has been seen.
            var index = 0
            while cluster.sim.requestLog().first(where: { $0.status == 429 }) == nil {
                _ = await ClusterHarness.login(cluster.balancerURL, email: "probe\(index)@pause.example.com", password: "x")
                index += 1
            }
            let limited = try #require(cluster.sim.requestLog().first { $0.status == 429 })
            // Keep every instance asking for new emails for the whole penalty.
            let started = ContinuousClock.now
            var statuses: [UInt] = []
            while ContinuousClock.now - started < .seconds(29) {
                for instance in 0..<3 {
                    statuses.append(await ClusterHarness.login(cluster.client(instance).baseURL, email: "during\(statuses.count)@pause.example.com", password: "x"))
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let during = cluster.sim.requestLog().filter { $0.time > limited.time && $0.time.timeIntervalSince(limited.time) < 29.5 }
            #expect(during.isEmpty, "\(during.count) requests during the pause")
            #expect(statuses.allSatisfy { $0 == 503 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            // After the pause (and its jitter) lookups go out again.
            var resumed: UInt = 0
            let deadline = ContinuousClock.now + .seconds(15)
            while resumed != 401, ContinuousClock.now < deadline {
                resumed = await ClusterHarness.login(cluster.balancerURL, email: "after\(index)@pause.example.com", password: "x")
                index += 1
                if resumed != 401 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(resumed == 401)
        }
    }

    @Test("one instance killed with SIGKILL mid-flood: the others go on, no lock or slot is left stuck")
    func killedInstance() async throws {
        try await ClusterHarness.run { cluster in
            cluster.airtableUser(email: "survivor@example.com")
            let flood = Task {
                await ClusterHarness.logins(
                    cluster.balancerURL, emails: (0..<300).map { "k\($0)@kill.example.com" }, password: "x", concurrency: 30)
            }
            // Kill instance 1 once the flood is under way (the simulator has answered lookups).
            while cluster.sim.counters().total < 5 { try await Task.sleep(for: .milliseconds(10)) }
            cluster.instances[1].kill()
            let statuses = await flood.value
            // Every request got an answer; only those in flight on the killed instance may have got nginx's 502.
            #expect(statuses.allSatisfy { [401, 503, 502].contains($0) }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
            #expect(statuses.filter { $0 == 502 }.count <= 30)
            // A new Airtable-only user still signs in through the survivors.
            var status: UInt = 0
            let deadline = ContinuousClock.now + .seconds(20)
            while status != 200, ContinuousClock.now < deadline {
                status = await ClusterHarness.login(cluster.balancerURL, email: "survivor@example.com", password: AuthFixtures.password)
                if status != 200 { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(status == 200)
            // The dead instance's sessions, and their advisory locks, are gone.
            let held = try await Webhook.count(cluster.databaseURL, "SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory'")
            #expect(held == 0)
        }
    }
}
