import Foundation
import Logging
import Provisioning
import ServiceLifecycle

/// Background sync inside `serve`: an incremental pass every
/// `sync.interval_s` and a reconciliation every `sync.reconcile_interval_s`
/// (0 turns either off), each cycle under the sync lease so that one
/// instance syncs at a time. The first cycle runs at start, once the store
/// is migrated. Failures are logged and retried next cycle; it never throws
/// (a thrown error would stop the whole service group).
public struct SyncService: Service {
    let engine: SyncEngine?
    let store: any IdentityStore
    let incrementalEvery: Duration?
    let reconcileEvery: Duration?
    let logger: Logger

    public init(pipeline: BuiltPipeline, logger: Logger, options: SyncOptions = SyncOptions()) {
        let sync = pipeline.config.sync
        self.engine = try? SyncEngine(pipeline: pipeline, options: options, logger: logger)
        self.store = pipeline.store
        self.incrementalEvery = sync.intervalSeconds > 0 ? .seconds(sync.intervalSeconds) : nil
        self.reconcileEvery = sync.reconcileIntervalSeconds > 0 ? .seconds(sync.reconcileIntervalSeconds) : nil
        self.logger = logger
    }

    public func run() async throws {
        guard let engine, incrementalEvery != nil || reconcileEvery != nil else {
            if engine == nil { logger.warning("sync.disabled", metadata: ["event": "sync.disabled", "reason": "the store keeps no sync state"]) }
            // A service that returns ends the whole group: wait for shutdown instead.
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            guard await store.migratedForBackgroundWork(logger: logger, event: "sync.waiting_for_store") else { return }
            var schedule = SyncSchedule(incrementalEvery: incrementalEvery, reconcileEvery: reconcileEvery, now: .now)
            while !Task.isCancelled {
                let plan = schedule.due(at: .now)
                if plan.incremental || plan.reconcileUnlessWithin != nil {
                    await cycle(engine, plan)
                }
                schedule.ran(plan, at: .now)
                try? await Task.sleep(until: schedule.next, clock: .continuous)
            }
        }
    }

    /// One cycle; a failure (the lease could not be asked for) is logged only.
    private func cycle(_ engine: SyncEngine, _ plan: SyncEngine.CyclePlan) async {
        do {
            _ = try await engine.runCycle(plan)
        } catch {
            if Task.isCancelled { return }
            logger.error("sync.failed", metadata: [
                "event": "sync.failed", "kind": "cycle", "error": .string(String(describing: error)),
            ])
        }
    }

}

/// When each kind of pass is next due. Reconciliation asks the engine to
/// skip it when any instance reconciled within the interval (the time is
/// stored), so restarts and several instances do not multiply full passes.
struct SyncSchedule {
    let incrementalEvery: Duration?
    let reconcileEvery: Duration?
    private(set) var nextIncremental: ContinuousClock.Instant?
    private(set) var nextReconcile: ContinuousClock.Instant?

    init(incrementalEvery: Duration?, reconcileEvery: Duration?, now: ContinuousClock.Instant) {
        self.incrementalEvery = incrementalEvery
        self.reconcileEvery = reconcileEvery
        nextIncremental = incrementalEvery.map { _ in now }
        nextReconcile = reconcileEvery.map { _ in now }
    }

    func due(at now: ContinuousClock.Instant) -> SyncEngine.CyclePlan {
        let reconcile = nextReconcile.map { $0 <= now } ?? false
        return SyncEngine.CyclePlan(
            incremental: nextIncremental.map { $0 <= now } ?? false,
            reconcileUnlessWithin: reconcile ? reconcileEvery.map { $0 * 0.9 } : nil)
    }

    mutating func ran(_ plan: SyncEngine.CyclePlan, at now: ContinuousClock.Instant) {
        if plan.incremental, let every = incrementalEvery { nextIncremental = now + every }
        if plan.reconcileUnlessWithin != nil, let every = reconcileEvery { nextReconcile = now + every }
    }

    /// The earliest due time.
    var next: ContinuousClock.Instant {
        [nextIncremental, nextReconcile].compactMap { $0 }.min() ?? .now + .seconds(3600)
    }
}
