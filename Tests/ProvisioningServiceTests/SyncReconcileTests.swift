import AirtableSim
import Foundation
import Provisioning
import ProvisioningTestKit
import Testing

@Suite("Background sync: reconciliation")
struct SyncReconcileTests {
    @Test("a record deleted in Airtable soft-deletes its user; store-only users are untouched")
    func deletion() async throws {
        try await ServiceHarness.run { harness, _ in
            harness.sim.setRateLimit(perSecond: 50)
            let ids = SyncFixtures.seed(harness, count: 120)
            let tap = EventTap()
            let engine = try SyncFixtures.engine(harness, tap: tap)
            _ = try await engine.runIncremental(source: try #require(engine.sources.first))
            let storeOnly = try await AuthFixtures.storeUser(harness, email: "local.only@example.com")
            let gone = try #require(try await harness.pipeline.store.user(source: "airtable", recordID: ids[5]))
            let familyID = UUID()
            try await harness.pipeline.refreshTokens.issue(
                tokenHash: "sync-test-hash", familyID: familyID, userID: gone.id, expiresAt: Date().addingTimeInterval(600), signIn: SignIn(method: .password, at: Date()))
            harness.sim.delete(base: ServiceHarness.base, table: "Users", id: ids[5])
            harness.sim.resetCounters()

            let report = try await engine.runReconciliation()

            #expect(report.pages == 2 && report.records == 119 && report.linked == 120)
            #expect(report.missing == 1 && report.deleted == 1)
            #expect(SyncFixtures.listRequests(harness) == 2)
            #expect(try await harness.pipeline.store.user(id: gone.id)?.deletedAt != nil)
            #expect(try await harness.pipeline.store.user(id: storeOnly.id)?.deletedAt == nil)
            #expect(try await SyncFixtures.count(harness, "SELECT count(*)::int FROM users WHERE deleted_at IS NOT NULL") == 1)
            let rotation = try await harness.pipeline.refreshTokens.rotate(
                presentedHash: "sync-test-hash", newHash: "sync-test-hash-2", expiresAt: Date().addingTimeInterval(600))
            #expect(rotation == .invalid, "the deleted user's refresh tokens are revoked")
            #expect(try await engine.state.checkpoint(source: "airtable").reconciledAt != nil)
            #expect(tap.events("sync.reconciled").first?.metadata["deleted"] == "1")

            let again = try await engine.runReconciliation()
            #expect(again.linked == 119 && again.deleted == 0, "an already deleted user is no candidate")
        }
    }

    @Test("a listing that fails part-way deletes nobody")
    func partial() async throws {
        try await ServiceHarness.run { harness, _ in
            harness.sim.setRateLimit(perSecond: 50)
            let ids = SyncFixtures.seed(harness, count: 250)
            let tap = EventTap(onEvent: { line in
                if line.event == "sync.page", line.metadata["kind"] == "reconciliation", line.metadata["page"] == "2" {
                    harness.sim.setFault(.status500, count: 5)
                }
            })
            let engine = try SyncFixtures.engine(harness, tap: tap) { $0.maxPageAttempts = 1 }
            _ = try await engine.runIncremental(source: try #require(engine.sources.first))
            harness.sim.delete(base: ServiceHarness.base, table: "Users", id: ids[0])

            await #expect(throws: SyncError.self) { try await engine.runReconciliation() }
            #expect(try await SyncFixtures.count(harness, "SELECT count(*)::int FROM users WHERE deleted_at IS NOT NULL") == 0)
            #expect(try await engine.state.checkpoint(source: "airtable").reconciledAt == nil)
        }
    }
}
