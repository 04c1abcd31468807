import Foundation
import Logging

extension SyncEngine {
    /// What a cycle runs.
    public struct CyclePlan: Sendable {
        /// Run an incremental pass of every source.
        public var incremental: Bool
        /// Reconcile unless a reconciliation (by any instance) began less
        /// than this long ago; 0 always reconciles; nil never does.
        public var reconcileUnlessWithin: Duration?

        public init(incremental: Bool, reconcileUnlessWithin: Duration?) {
            self.incremental = incremental
            self.reconcileUnlessWithin = reconcileUnlessWithin
        }
    }

    /// One cycle under the sync lease; nil when another instance holds it.
    /// A run that fails is logged (`sync.failed`) and reported, and does not
    /// stop the others; cancellation and a lease that cannot be taken throw.
    public func runCycle(_ plan: CyclePlan) async throws -> SyncCycleReport? {
        let result = try await state.withLease(options.leaseName) { () async throws -> SyncCycleReport in
            var report = SyncCycleReport()
            if plan.incremental {
                for source in sources {
                    let startedAt = now()
                    do {
                        report.incremental.append(try await runIncremental(source: source))
                    } catch {
                        try await failed("incremental", source.name, error, startedAt: startedAt, into: &report)
                    }
                }
            }
            if let age = plan.reconcileUnlessWithin {
                let startedAt = now()
                do {
                    let seconds = Double(age.components.seconds)
                    let recent = seconds > 0 ? try await reconciledWithin(seconds) : false
                    if !recent { report.reconciliation = try await runReconciliation() }
                } catch {
                    try await failed("reconciliation", sources.map(\.name).joined(separator: ","), error, startedAt: startedAt, into: &report)
                }
            }
            return report
        }
        if result == nil {
            logger.debug("sync.skipped", metadata: ["event": "sync.skipped", "reason": "lease held by another instance"])
        }
        return result
    }

    private func failed(
        _ kind: String, _ source: String, _ error: any Error, startedAt: Date, into report: inout SyncCycleReport
    ) async throws {
        if error is CancellationError || Task.isCancelled { throw CancellationError() }
        let reason = String(describing: error)
        // A refused reconciliation kept its own report (with the ids it refused to delete).
        let refused = if case .deleteGuard? = error as? SyncError { true } else { false }
        if !refused {
            await record(SyncRun(kind: kind, sources: source, startedAt: startedAt, finishedAt: now(), outcome: "failed", error: reason))
        }
        report.failures.append("\(kind) \(source): \(reason)")
        count("sync_failures_total", source, ("kind", kind))
        logger.error("sync.failed", metadata: [
            "event": "sync.failed", "kind": .string(kind), "source": .string(source), "error": .string(reason),
        ])
    }
}
