import AirtableSim
import Foundation
import HummingbirdTesting
import Provisioning
import ProvisioningTestKit
import Testing

@Suite("Background sync: the shared Airtable budget")
struct SyncBudgetTests {
    @Test("a login during a backfill does not wait behind sync pages, and the base's limit is never hit")
    func loginsGoFirst() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = AuthFixtures.authYAML
        options.requestsPerSecond = 2   // the sync is paced to 1 page a second
        // Under the ~1 s a login would wait behind a sync page, with room for a loaded machine.
        options.timeoutMilliseconds = 900
        try await ServiceHarness.run(options) { harness, client in
            harness.sim.setRateLimit(perSecond: 2)   // the base's limit, as the provider declares it
            SyncFixtures.seed(harness, count: 500)
            let engine = try SyncFixtures.engine(harness)
            let backfill = Task { try await engine.runIncremental(source: try #require(engine.sources.first)) }
            try await eventually { harness.sim.counters().total >= 1 }   // the listing began
            // Added after the listing began: not in its snapshot, so each login reads through.
            let emails = (0..<4).map { "first.login\($0)@example.com" }
            for email in emails { AuthFixtures.airtableUser(harness, email: email) }
            // Each login's Airtable lookup must get a token within timeout_ms (900 ms), else 503.
            for email in emails {
                let response = try await AuthFixtures.login(client, email)
                #expect(response.status == .ok, "\(email) got \(response.status)")
                try await Task.sleep(for: .milliseconds(1100))
            }
            let report = try await backfill.value
            #expect(report.records == 500)
            #expect(harness.sim.counters().rateLimited == 0)
            #expect(harness.counter("auth_readthrough_success") == 4)
        }
    }
}
