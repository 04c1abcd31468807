import AirtableSim
import Foundation
import Provisioning
import ProvisioningTestKit
import Synchronization
import Testing

@Suite("Background sync: a run stopped mid-way resumes")
struct SyncResumeTests {
    @Test("a failure at page 4 keeps the cursor of page 3; the next run resumes there, nothing lost or duplicated")
    func failure() async throws {
        try await ServiceHarness.run { harness, _ in
            harness.sim.setRateLimit(perSecond: 50)
            SyncFixtures.seed(harness, count: 1000)
            let once = Once()
            let tap = EventTap(onEvent: { line in
                if line.event == "sync.page", line.metadata["page"] == "3", once.first() { harness.sim.setFault(.status500, count: 1) }
            })
            let engine = try SyncFixtures.engine(harness, tap: tap) { $0.maxPageAttempts = 1 }
            let source = try #require(engine.sources.first)
            await #expect(throws: SyncError.self) { try await engine.runIncremental(source: source) }
            #expect(try await SyncFixtures.count(harness, "SELECT count(*)::int FROM users") == 300)
            #expect(try await engine.state.checkpoint(source: "airtable").cursor == SyncFixtures.modifiedAt(299))

            harness.sim.resetCounters()
            let resumed = try await engine.runIncremental(source: source)
            // From page 3's last record (brought back by the overlap) to the end: 701 records, 8 pages, not 10.
            #expect(!resumed.fullPass && resumed.records == 701 && resumed.pages == 8)
            #expect(resumed.count(.inserted) == 700)
            #expect(SyncFixtures.listRequests(harness) == 8)
            try await expectAllUsersOnce(harness)
        }
    }

    @Test("a run cancelled after page 4 (a killed process) resumes without losing or duplicating users")
    func cancellation() async throws {
        try await ServiceHarness.run { harness, _ in
            harness.sim.setRateLimit(perSecond: 50)
            SyncFixtures.seed(harness, count: 1000)
            let running = TaskBox()
            let tap = EventTap(onEvent: { line in
                if line.event == "sync.page", line.metadata["page"] == "4" { running.cancel() }
            })
            let engine = try SyncFixtures.engine(harness, tap: tap)
            let source = try #require(engine.sources.first)
            let task = Task { try await engine.runIncremental(source: source) }
            running.set(task)
            await #expect(throws: CancellationError.self) { try await task.value }
            let stored = try await SyncFixtures.count(harness, "SELECT count(*)::int FROM users")
            #expect(stored == 400)

            let resumed = try await SyncFixtures.engine(harness).runIncremental(source: source)
            // Resumed from the last saved page (its last record comes back through the overlap).
            #expect(!resumed.fullPass && resumed.records == 1000 - stored + 1)
            #expect(resumed.count(.inserted) == 1000 - stored)
            try await expectAllUsersOnce(harness)
        }
    }

    func expectAllUsersOnce(_ harness: ServiceHarness) async throws {
        #expect(try await SyncFixtures.count(harness, "SELECT count(*)::int FROM users") == 1000)
        #expect(try await SyncFixtures.count(harness, "SELECT count(DISTINCT record_id)::int FROM user_links WHERE source = 'airtable'") == 1000)
        #expect(try await SyncFixtures.count(harness, "SELECT count(DISTINCT email_canonical)::int FROM users") == 1000)
    }
}

/// The task a log tap cancels.
final class TaskBox: Sendable {
    private let task = Mutex<Task<IncrementalReport, any Error>?>(nil)
    func set(_ task: Task<IncrementalReport, any Error>) { self.task.withLock { $0 = task } }
    func cancel() { task.withLock { $0?.cancel() } }
}

/// True the first time only.
final class Once: Sendable {
    private let done = Mutex(false)
    func first() -> Bool { done.withLock { done in defer { done = true }; return !done } }
}
