import Foundation
import Synchronization

/// Sync cursors and the lease of the `memory` store; lost at exit. The
/// lease only excludes engines sharing this object (one process).
public final class MemorySyncState: SyncStateStore {
    private struct State {
        var checkpoints: [String: SyncCheckpoint] = [:]
        var leases: Set<String> = []
        var runs: [SyncRun] = []
    }

    private let store: MemoryStore
    private let state = Mutex(State())

    public init(store: MemoryStore) {
        self.store = store
    }

    public func checkpoint(source: String) async throws -> SyncCheckpoint {
        state.withLock { $0.checkpoints[source] ?? SyncCheckpoint() }
    }

    public func saveCursor(_ cursor: Date, source: String) async throws {
        state.withLock { $0.checkpoints[source, default: SyncCheckpoint()].cursor = cursor }
    }

    public func markReconciled(at time: Date, source: String) async throws {
        state.withLock { $0.checkpoints[source, default: SyncCheckpoint()].reconciledAt = time }
    }

    public func recordRun(_ run: SyncRun) async throws {
        state.withLock { state in
            state.runs.append(run)
            if state.runs.count > SyncRun.kept { state.runs.removeFirst(state.runs.count - SyncRun.kept) }
        }
    }

    public func recentRuns(last count: Int) async throws -> [SyncRun] {
        state.withLock { Array($0.runs.suffix(max(count, 0)).reversed()) }
    }

    public func linkedUsers(source: String) async throws -> [LinkedUser] {
        await store.allUsers()
            .filter { $0.deletedAt == nil }
            .compactMap { user in user.recordID(in: source).map { LinkedUser(id: user.id, recordID: $0) } }
    }

    public func withLease<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T? {
        guard state.withLock({ $0.leases.insert(name).inserted }) else { return nil }
        defer { _ = state.withLock { $0.leases.remove(name) } }
        return try await body()
    }
}
