import AirtableSim
import Foundation
import Provisioning
import ProvisioningTestKit
import Testing

@Suite("Background sync: one instance at a time")
struct SyncLeaseTests {
    @Test("two instances on one database: exactly one syncs, the other skips the cycle")
    func twoInstances() async throws {
        try await ServiceHarness.run { harness, _ in
            harness.sim.setRateLimit(perSecond: 50)
            harness.sim.setLatency(fixedMs: 100)
            SyncFixtures.seed(harness, count: 500)
            let plan = SyncEngine.CyclePlan(incremental: true, reconcileUnlessWithin: nil)
            try await SyncFixtures.withSecondInstance(harness) { second in
                let first = try SyncFixtures.engine(harness)
                let other = try SyncFixtures.engine(harness, pipeline: second)
                async let a = first.runCycle(plan)
                async let b = other.runCycle(plan)
                let reports = try await [a, b]

                #expect(reports.compactMap { $0 }.count == 1, "exactly one instance ran")
                #expect(reports.compactMap { $0 }.first?.incremental.first?.count(.inserted) == 500)
                #expect(SyncFixtures.listRequests(harness) == 5)
                #expect(try await SyncFixtures.count(harness, "SELECT count(*)::int FROM users") == 500)

                // The lease is released with the run: the other instance runs next.
                let next = try await (reports[0] == nil ? first : other).runCycle(plan)
                #expect(next != nil)
            }
        }
    }
}
