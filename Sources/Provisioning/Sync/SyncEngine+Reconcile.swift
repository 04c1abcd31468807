import Foundation
import Logging

extension SyncEngine {
    /// List every record of every source; once all listings have completed,
    /// apply the delete policy to each linked user whose record was not
    /// listed in its source (the store's delete revokes its refresh tokens).
    /// A partial listing deletes nothing. Users with no link to a source are
    /// never its candidates, nor are users linked after the pass began
    /// (candidates are read first).
    public func runReconciliation() async throws -> ReconcileReport {
        let started = ContinuousClock.now
        let listingStart = now()
        var report = ReconcileReport(sources: sources.map(\.name))
        guard unlistableSources.isEmpty, !sources.isEmpty else {
            logger.warning("sync.reconcile_skipped", metadata: [
                "event": "sync.reconcile_skipped", "unlistable": .string(unlistableSources.joined(separator: ",")),
            ])
            return report
        }
        var linked: [String: [LinkedUser]] = [:]
        for source in sources { linked[source.name] = try await state.linkedUsers(source: source.name) }
        report.linked = linked.values.map(\.count).reduce(0, +)
        var present: [String: Set<String>] = [:]
        for source in sources {
            report.restarts += try await list(source, kind: "reconciliation", from: { nil }) { page in
                present[source.name, default: []].formUnion(page.records.compactMap(\.recordID))
                present[source.name, default: []].formUnion(page.invalidRecordIDs)
                report.records += page.records.count + page.invalidCount
                report.pages += 1
                logPage(kind: "reconciliation", source: source.name, page: report.pages, records: page.records.count + page.invalidCount,
                        total: report.records, started: started)
            }
        }
        let missing = sources.flatMap { source in
            (linked[source.name] ?? []).filter { !(present[source.name]?.contains($0.recordID) ?? false) }.map { (source: source.name, user: $0) }
        }
        report.missing = missing.count
        func run(_ outcome: String, deleted: [String] = [], refused: [String] = []) -> SyncRun {
            SyncRun(
                kind: "reconciliation", sources: report.sources.joined(separator: ","), startedAt: listingStart, finishedAt: now(),
                outcome: outcome, counts: ["linked": report.linked, "records": report.records, "missing": report.missing, "deleted": report.deleted],
                deletedUserIDs: deleted, refusedUserIDs: refused)
        }
        do {
            try guardDeletes(missing: missing.count, linked: report.linked, report: report)
        } catch {
            await record(run("refused", refused: missing.map { $0.user.id.uuidString.lowercased() }))
            throw error
        }
        var deleted: [String] = []
        for (source, user) in missing {
            let result = try await store.delete(source: source, recordID: user.recordID)
            guard result.outcome == .deleted else { continue }
            report.deleted += 1
            deleted.append(user.id.uuidString.lowercased())
        }
        for source in sources { try await state.markReconciled(at: listingStart, source: source.name) }
        count("sync_deleted_total", report.sources.joined(separator: ","), by: report.deleted)
        report.seconds = Self.seconds(since: started)
        logger.info("sync.reconciled", metadata: report.metadata.merging(["event": "sync.reconciled"]) { $1 })
        await record(run("completed", deleted: deleted))
        return report
    }

    /// A pass that would delete most linked users points at the wrong table
    /// more likely than at a mass deletion: refuse, loudly.
    func guardDeletes(missing: Int, linked: Int, report: ReconcileReport) throws(SyncError) {
        guard missing > 0, linked >= options.deleteGuardMinimum,
              Double(missing) > options.maxDeleteFraction * Double(linked) else { return }
        logger.error("sync.reconcile_refused", metadata: report.metadata.merging(["event": "sync.reconcile_refused"]) { $1 })
        throw .deleteGuard(missing: missing, linked: linked)
    }

    /// Whether a reconciliation began less than `age` ago for every source.
    func reconciledWithin(_ age: TimeInterval) async throws -> Bool {
        let time = now()
        for source in sources {
            guard let last = try await state.checkpoint(source: source.name).reconciledAt,
                  time.timeIntervalSince(last) < age else { return false }
        }
        return true
    }
}
