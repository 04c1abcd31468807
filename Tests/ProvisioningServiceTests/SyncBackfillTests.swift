import AirtableSim
import Foundation
import Provisioning
import ProvisioningTestKit
import Testing

@Suite("Background sync: backfill and incremental passes")
struct SyncBackfillTests {
    @Test("a 1,000-record backfill makes ten list requests and 1,000 users")
    func backfill() async throws {
        try await ServiceHarness.run { harness, _ in
            harness.sim.setRateLimit(perSecond: 50)
            SyncFixtures.seed(harness, count: 1000)
            let tap = EventTap()
            let engine = try SyncFixtures.engine(harness, tap: tap)
            let report = try await engine.runIncremental(source: try #require(engine.sources.first))

            #expect(report.fullPass && report.pages == 10 && report.records == 1000)
            #expect(report.count(.inserted) == 1000 && report.rejected == 0 && report.invalid == 0)
            #expect(SyncFixtures.listRequests(harness) == 10)
            #expect(harness.sim.counters().rateLimited == 0)
            #expect(try await SyncFixtures.count(harness, "SELECT count(*)::int FROM users") == 1000)
            #expect(try await SyncFixtures.count(harness, "SELECT count(DISTINCT record_id)::int FROM user_links WHERE source = 'airtable'") == 1000)
            let cursor = try await engine.state.checkpoint(source: "airtable").cursor
            #expect(cursor == SyncFixtures.modifiedAt(999))
            #expect(tap.events("sync.page").count == 10)
            let completed = try #require(tap.events("sync.completed").first)
            #expect(completed.metadata["records"] == "1000" && completed.metadata["inserted"] == "1000")
            #expect(completed.metadata["records_per_s"] != nil)
            let metrics = harness.metrics.emitToString()
            #expect(metrics.contains("sync_records_total") && metrics.contains("inserted"))
        }
    }

    @Test("the next incremental pass fetches the modified record, not the unmodified ones")
    func modification() async throws {
        try await ServiceHarness.run { harness, _ in
            harness.sim.setRateLimit(perSecond: 50)
            let ids = SyncFixtures.seed(harness, count: 150)
            let engine = try SyncFixtures.engine(harness)
            let source = try #require(engine.sources.first)
            _ = try await engine.runIncremental(source: source)
            harness.sim.resetCounters()

            harness.sim.update(base: ServiceHarness.base, table: "Users", id: ids[7], fields: ["Name": .string("Renamed")])
            let report = try await engine.runIncremental(source: source)

            // The record at the cursor comes back through the overlap; the other 148 do not.
            #expect(!report.fullPass && report.pages == 1 && report.records == 2)
            #expect(report.count(.updated) == 1 && report.count(.unchanged) + report.count(.staleIgnored) == 1)
            #expect(SyncFixtures.listRequests(harness) == 1)
            let query = try #require(harness.sim.requestLog().last?.query.removingPercentEncoding)
            #expect(query.contains("IS_AFTER(LAST_MODIFIED_TIME()"))
            #expect(try await harness.pipeline.store.user(source: "airtable", recordID: ids[7])?.displayName == "Renamed")
        }
    }

    @Test("serve's background service syncs new and modified records within its interval")
    func service() async throws {
        var options = ServiceHarness.Options()
        options.extraYAML = "sync:\n  interval_s: 1\n  reconcile_interval_s: 0\n"
        try await ServiceHarness.run(options) { harness, _ in
            let ids = SyncFixtures.seed(harness, count: 3)
            try await eventually { try await harness.pipeline.store.user(source: "airtable", recordID: ids[2]) != nil }
            harness.sim.update(base: ServiceHarness.base, table: "Users", id: ids[1], fields: ["Name": .string("Changed")])
            try await eventually { try await harness.pipeline.store.user(source: "airtable", recordID: ids[1])?.displayName == "Changed" }
        }
    }
}
