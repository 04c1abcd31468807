import Foundation
import Provisioning
import Testing

/// Sync cursors, linked users and the lease.
extension StoreKitConformance {
    static let syncStateCases: [Case] = [
        Case(name: "pass reports are kept whole and listed newest first") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let source = "src-\(f.token)"
            let first = SyncRun(
                kind: "incremental", sources: source, startedAt: f.at(0), finishedAt: f.at(2), outcome: "completed",
                counts: ["inserted": 3, "records": 3])
            let second = SyncRun(
                kind: "reconciliation", sources: source, startedAt: f.at(5), finishedAt: f.at(6), outcome: "refused",
                counts: ["missing": 2], deletedUserIDs: [], refusedUserIDs: ["a", "b"], error: "guard")
            try await kit.syncState.recordRun(first)
            try await kit.syncState.recordRun(second)
            let mine = try await kit.syncState.recentRuns(last: 1000).filter { $0.sources == source }
            #expect(mine == [second, first])
            #expect(try await kit.syncState.recentRuns(last: 1).count == 1)
        },
        Case(name: "checkpoints start empty and keep cursor and reconciliation time per source") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let source = "src-\(f.token)"
            #expect(try await kit.syncState.checkpoint(source: source) == SyncCheckpoint())
            try await kit.syncState.saveCursor(f.at(10), source: source)
            try await kit.syncState.markReconciled(at: f.at(20), source: source)
            #expect(try await kit.syncState.checkpoint(source: source) == SyncCheckpoint(cursor: f.at(10), reconciledAt: f.at(20)))
            #expect(try await kit.syncState.checkpoint(source: source + "-other") == SyncCheckpoint())
        },
        Case(name: "linked users are the ones with a record id that are not deleted") { f, make in
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let ada = try await kit.store.upsert(f.record("ada")).user
            _ = try await kit.store.upsert(f.record("bob"))
            _ = try await kit.store.upsert(f.record("local", recordID: false))
            _ = try await kit.store.delete(source: "airtable", recordID: f.recordID("bob"))
            let linked = try await kit.syncState.linkedUsers(source: "airtable")
            #expect(linked.contains(LinkedUser(id: ada.id, recordID: f.recordID("ada"))))
            #expect(!linked.contains { $0.recordID == f.recordID("bob") })
            #expect(linked.allSatisfy { $0.recordID.hasPrefix("rec") })
        },
        Case(name: "a lease runs its body and gives its value; it is free again afterwards") { f, make in
            // Exclusion between instances is tested where two instances run (SyncLeaseTests).
            let kit = try await make(defaultPrecedence, defaultSoftDelete)
            let name = "lease-\(f.token)"
            #expect(try await kit.syncState.withLease(name) { "first" } == "first")
            #expect(try await kit.syncState.withLease(name) { "again" } == "again")
        },
    ]
}
