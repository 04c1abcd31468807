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
                    do {
                        report.incremental.append(try await runIncremental(source: source))
                    } catch {
                        try failed("incremental", source.name, error, into: &report)
                    }
                }
            }
            if let age = plan.reconcileUnlessWithin {
                do {
                    let seconds = Double(age.components.seconds)
                    let recent = seconds > 0 ? try await reconciledWithin(seconds) : false
                    if !recent { report.reconciliation = try await runReconciliation() }
                } catch {
                    try failed("reconciliation", sources.map(\.name).joined(separator: ","), error, into: &report)
                }
            }
            return report
        }
        if result == nil {
            logger.debug("sync.skipped", metadata: ["event": "sync.skipped", "reason": "lease held by another instance"])
        }
        return result
    }

    private func failed(_ kind: String, _ source: String, _ error: any Error, into report: inout SyncCycleReport) throws {
        if error is CancellationError || Task.isCancelled { throw CancellationError() }
        let reason = String(describing: error)
        report.failures.append("\(kind) \(source): \(reason)")
        count("sync_failures_total", source, ("kind", kind))
        logger.error("sync.failed", metadata: [
            "event": "sync.failed", "kind": .string(kind), "source": .string(source), "error": .string(reason),
        ])
    }
}
