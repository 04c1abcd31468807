import AirtableSim
import Foundation
import Provisioning
import ProvisioningTestKit
import Testing

/// Each sync and reconciliation pass keeps a report (issue 19), read back
/// with `provisiond sync --report`: real PostgreSQL and airtable-sim.
@Suite("Sync run reports")
struct SyncRunReportTests {
    @Test("an incremental pass, a reconciliation that deletes and one that refuses each leave a report")
    func reports() async throws {
        try await ServiceHarness.run { harness, _ in
            harness.sim.setRateLimit(perSecond: 50)
            let ids = SyncFixtures.seed(harness, count: 12)
            let engine = try SyncFixtures.engine(harness) { $0.deleteGuardMinimum = 10 }
            let state = try #require(harness.pipeline.syncState)
            _ = try await engine.runIncremental(source: try #require(engine.sources.first))
            let incremental = try #require(try await state.recentRuns(last: 1).first)
            #expect(incremental.kind == "incremental" && incremental.outcome == "completed" && incremental.sources == "airtable")
            #expect(incremental.counts["inserted"] == 12 && incremental.counts["records"] == 12)
            #expect(incremental.finishedAt >= incremental.startedAt)

            let gone = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: ids[0]))
            harness.sim.delete(base: ServiceHarness.base, table: "Users", id: ids[0])
            _ = try await engine.runReconciliation()
            let reconciled = try #require(try await state.recentRuns(last: 1).first)
            #expect(reconciled.kind == "reconciliation" && reconciled.outcome == "completed")
            #expect(reconciled.deletedUserIDs == [gone.id.uuidString.lowercased()] && reconciled.counts["deleted"] == 1)

            // Most linked records gone at once: the guard refuses and says whom it spared.
            for id in ids.dropFirst().prefix(8) { harness.sim.delete(base: ServiceHarness.base, table: "Users", id: id) }
            await #expect(throws: SyncError.self) { try await engine.runReconciliation() }
            let refused = try #require(try await state.recentRuns(last: 1).first)
            #expect(refused.outcome == "refused" && refused.refusedUserIDs.count == 8 && refused.deletedUserIDs.isEmpty)
            #expect(try await state.recentRuns(last: 10).map(\.outcome) == ["refused", "completed", "completed"])

            // The command prints them, newest first.
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let config = directory.appendingPathComponent("providers.yaml").path
            try ServiceHarness.configYAML(databaseURL: harness.databaseURL, simURL: harness.simURL, options: ServiceHarness.Options())
                .write(toFile: config, atomically: true, encoding: .utf8)
            let printed = try ExplainCommandTests.run(["sync", "--report", "--last", "2", "--config", config])
            #expect(printed.status == 0)
            let lines = printed.output.split(separator: "\n")
            #expect(lines.count == 2)
            #expect(lines.first?.contains("reconciliation airtable: refused") == true && lines.first?.contains("refused to delete") == true)
            #expect(lines.last?.contains("reconciliation airtable: completed") == true && lines.last?.contains("deleted \(gone.id.uuidString.lowercased())") == true)
        }
    }
}
