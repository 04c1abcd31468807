import Foundation
import Logging
import Synchronization
import Testing
@testable import Provisioning

/// The sync engine over memory providers: no network, no database.
@Suite("Sync engine over memory providers")
struct SyncEngineTests {
    static let epoch = Date(timeIntervalSince1970: 1_750_000_000)

    struct Fixture {
        let store = MemoryStore()
        let source = MemorySource()
        var tokens: MemoryRefreshTokens { MemoryRefreshTokens(store: store) }
        let state: MemorySyncState

        init(records: Int) {
            state = MemorySyncState(store: store)
            for index in 0..<records { source.put(Self.record(index)) }
        }

        static func record(_ index: Int, name: String? = nil, minutes: Int? = nil) -> SourceRecord {
            SourceRecord(
                source: "airtable", recordID: String(format: "rec%014d", index),
                values: ["email": "user\(index)@example.com", "display_name": name ?? "User \(index)"],
                modifiedAt: SyncEngineTests.epoch.addingTimeInterval(Double((minutes ?? index * 10) * 60)))
        }

        func engine(_ source: (any ListableSource)? = nil, options: SyncOptions = SyncOptions()) -> SyncEngine {
            SyncEngine(
                store: store, state: state,
                sources: [NamedListableSource(name: "directory", source: source ?? self.source)], options: options,
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        }
    }

    @Test("a first run lists every record, later runs only what changed since the cursor")
    func incremental() async throws {
        let fixture = Fixture(records: 250)
        let first = try await fixture.engine().runIncremental(source: fixture.engine().sources[0])
        #expect(first.fullPass && first.pages == 3 && first.records == 250 && first.count(.inserted) == 250)
        #expect(await fixture.store.allUsers().count == 250)
        let newest = Fixture.record(249).modifiedAt
        #expect(try await fixture.state.checkpoint(source: "directory").cursor == newest)

        fixture.source.put(Fixture.record(7, name: "Renamed", minutes: 249 * 10 + 30))
        let second = try await fixture.engine().runIncremental(source: fixture.engine().sources[0])
        // The overlap brings back the record at the cursor itself: harmless.
        #expect(!second.fullPass && second.pages == 1 && second.records == 2)
        #expect(second.count(.updated) == 1 && second.count(.unchanged) + second.count(.staleIgnored) == 1)
        #expect(await fixture.store.user(source: "directory", recordID: Fixture.record(7).recordID ?? "")?.displayName == "Renamed")
    }

    @Test("a run that fails mid-way resumes from the last page's cursor")
    func resume() async throws {
        let fixture = Fixture(records: 500)
        var options = SyncOptions()
        options.maxPageAttempts = 1
        let failing = FailingSource(inner: fixture.source, failAtPage: 2)
        await #expect(throws: SyncError.sourceUnavailable(retryAfterSeconds: 5)) {
            try await fixture.engine(failing, options: options).runIncremental(source: fixture.engine(failing).sources[0])
        }
        #expect(await fixture.store.allUsers().count == 200)
        #expect(try await fixture.state.checkpoint(source: "directory").cursor == Fixture.record(199).modifiedAt)

        let resumed = try await fixture.engine().runIncremental(source: fixture.engine().sources[0])
        #expect(!resumed.fullPass && resumed.records == 301 && resumed.count(.inserted) == 300)
        #expect(await fixture.store.allUsers().count == 500)
    }

    @Test("an expired offset restarts the listing from the cursor")
    func restart() async throws {
        let fixture = Fixture(records: 300)
        let expiring = FailingSource(inner: fixture.source, expireAtPage: 2)
        let report = try await fixture.engine(expiring).runIncremental(source: fixture.engine(expiring).sources[0])
        #expect(report.restarts == 1)
        #expect(await fixture.store.allUsers().count == 300)
    }

    @Test("reconciliation deletes users whose record is gone, never store-only ones, and revokes their tokens")
    func reconcile() async throws {
        let fixture = Fixture(records: 20)
        let engine = fixture.engine()
        _ = try await engine.runIncremental(source: engine.sources[0])
        let storeOnly = try await fixture.store.upsert(SourceRecord(source: "airtable", recordID: nil, values: ["email": "local@example.com"], modifiedAt: Self.epoch))
        let gone = try #require(await fixture.store.user(source: "directory", recordID: Fixture.record(3).recordID ?? ""))
        try await fixture.tokens.issue(tokenHash: "h1", familyID: UUID(), userID: gone.id, expiresAt: Date().addingTimeInterval(600), signIn: SignIn(method: .password, at: Date()))
        fixture.source.remove(recordID: Fixture.record(3).recordID ?? "")

        let report = try await engine.runReconciliation()
        #expect(report.linked == 20 && report.missing == 1 && report.deleted == 1 && report.records == 19)
        #expect(await fixture.store.user(id: gone.id)?.isDeleted == true)
        #expect(await fixture.store.user(id: storeOnly.user.id)?.isDeleted == false)
        #expect(try await fixture.tokens.rotate(presentedHash: "h1", newHash: "h2", expiresAt: Date().addingTimeInterval(600)) == .invalid)
        #expect(try await fixture.state.checkpoint(source: "directory").reconciledAt != nil)
    }

    @Test("a listing that fails part-way deletes nothing")
    func partialListing() async throws {
        let fixture = Fixture(records: 150)
        var options = SyncOptions()
        options.maxPageAttempts = 1
        _ = try await fixture.engine().runIncremental(source: fixture.engine().sources[0])
        fixture.source.remove(recordID: Fixture.record(1).recordID ?? "")
        let failing = FailingSource(inner: fixture.source, failAtPage: 1)
        await #expect(throws: SyncError.self) { try await fixture.engine(failing, options: options).runReconciliation() }
        #expect(await fixture.store.allUsers().allSatisfy { !$0.isDeleted })
        #expect(try await fixture.state.checkpoint(source: "directory").reconciledAt == nil)
    }

    @Test("a pass that would delete most linked users is refused")
    func deleteGuard() async throws {
        let fixture = Fixture(records: 12)
        _ = try await fixture.engine().runIncremental(source: fixture.engine().sources[0])
        for index in 0..<12 { fixture.source.remove(recordID: Fixture.record(index).recordID ?? "") }
        await #expect(throws: SyncError.deleteGuard(missing: 12, linked: 12)) { try await fixture.engine().runReconciliation() }
        #expect(await fixture.store.allUsers().allSatisfy { !$0.isDeleted })
    }

    @Test("a cycle runs only while it holds the lease")
    func lease() async throws {
        let fixture = Fixture(records: 5)
        let engine = fixture.engine()
        let plan = SyncEngine.CyclePlan(incremental: true, reconcileUnlessWithin: .zero)
        let inner = try await fixture.state.withLease(engine.options.leaseName) {
            try await engine.runCycle(plan)
        }
        let skipped = if case .some(.none) = inner { true } else { false }
        #expect(skipped, "a cycle while the lease is held elsewhere is skipped")
        #expect(await fixture.store.allUsers().isEmpty)
        let report = try #require(try await engine.runCycle(plan))
        #expect(report.incremental.first?.count(.inserted) == 5 && report.reconciliation?.deleted == 0 && !report.failed)
        let again = try #require(try await engine.runCycle(SyncEngine.CyclePlan(incremental: false, reconcileUnlessWithin: .seconds(3600))))
        #expect(again.reconciliation == nil, "reconciled moments ago: not due")
    }

    @Test("the cursor never passes a record that may have changed while listing")
    func cursorArithmetic() {
        let start = Self.epoch
        var cursor = SyncCursor(previous: nil, listingStart: start, overlap: 60, ordered: true)
        cursor.see(start.addingTimeInterval(-600))
        cursor.see(start.addingTimeInterval(-30))   // within the overlap of the start: may be moving
        #expect(cursor.checkpoint == start.addingTimeInterval(-600))
        cursor.see(start.addingTimeInterval(90))    // changed while we listed
        #expect(cursor.final == start)
        var unordered = SyncCursor(previous: start.addingTimeInterval(-900), listingStart: start, overlap: 60, ordered: false)
        unordered.see(start.addingTimeInterval(-600))
        #expect(unordered.checkpoint == start.addingTimeInterval(-900))
        #expect(unordered.final == start.addingTimeInterval(-600))
    }
}

/// A memory source that fails (unavailable) or expires its offset once, at a given page (0-based).
final class FailingSource: ListableSource {
    let inner: MemorySource
    let failAtPage: Int?
    let expireAtPage: Int?
    private let pages = Mutex(0)

    init(inner: MemorySource, failAtPage: Int? = nil, expireAtPage: Int? = nil) {
        self.inner = inner
        self.failAtPage = failAtPage
        self.expireAtPage = expireAtPage
    }

    func page(modifiedAfter: Date?, offset: String?) async throws(SourceListingError) -> SourcePage {
        let index = pages.withLock { count in
            defer { count += 1 }
            return count
        }
        if index == failAtPage { throw .unavailable(retryAfterSeconds: 5) }
        if index == expireAtPage, offset != nil { throw .iteratorExpired }
        return try await inner.page(modifiedAfter: modifiedAfter, offset: offset)
    }

    var listsInModifiedOrder: Bool { true }
    func lookup(canonicalEmail: String) async -> SourceLookup { await inner.lookup(canonicalEmail: canonicalEmail) }
    func lookup(recordID: String) async -> SourceLookup { await inner.lookup(recordID: recordID) }
}
