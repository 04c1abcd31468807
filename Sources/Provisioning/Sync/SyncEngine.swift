import Foundation
import Logging
import Metrics

/// Background sync of listable sources into the store, through the same
/// `upsert` as read-through and webhooks (precedence, stale guard), and the
/// same `delete` (soft-delete policy) for records gone from the source.
/// Names no kind: sources are `ListableSource`s, state a `SyncStateStore`.
public struct SyncEngine: Sendable {
    public let store: any IdentityStore
    public let state: any SyncStateStore
    /// The sources incremental runs list, in `resolution.order`.
    public let sources: [NamedListableSource]
    /// Sources that cannot be listed: while there are any, reconciliation
    /// cannot know that a record is gone, so it does not run.
    public let unlistableSources: [String]
    public let options: SyncOptions
    let logger: Logger
    let metrics: any MetricsFactory
    let now: @Sendable () -> Date

    public init(
        store: any IdentityStore, state: any SyncStateStore,
        sources: [NamedListableSource], unlistableSources: [String] = [], options: SyncOptions = SyncOptions(),
        logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.state = state
        self.sources = sources
        self.unlistableSources = unlistableSources
        self.options = options
        self.logger = logger
        self.metrics = metrics
        self.now = now
    }

    /// The engine of a built pipeline; fails when the store keeps no sync state.
    public init(pipeline: BuiltPipeline, options: SyncOptions = SyncOptions(), logger: Logger, now: @escaping @Sendable () -> Date = Date.init) throws(SyncError) {
        guard let state = pipeline.syncState else { throw .noSyncState(store: pipeline.config.resolution.order.first ?? "?") }
        let listable = pipeline.listableSources
        self.init(
            store: pipeline.store, state: state, sources: listable,
            unlistableSources: pipeline.sources.map(\.name).filter { name in !listable.contains { $0.name == name } },
            options: options, logger: logger, metrics: pipeline.metrics, now: now)
    }

    var overlapSeconds: TimeInterval { Self.seconds(of: options.overlap) }

    // MARK: Incremental

    /// List the records modified since the stored cursor (every record when
    /// there is none) and upsert each; the cursor is saved after each page
    /// when the source lists in modified order, else at the end.
    public func runIncremental(source: NamedListableSource) async throws -> IncrementalReport {
        let started = ContinuousClock.now
        let startedAt = now()
        let previous = try await state.checkpoint(source: source.name).cursor
        var cursor = SyncCursor(previous: previous, listingStart: now(), overlap: overlapSeconds, ordered: source.source.listsInModifiedOrder)
        var report = IncrementalReport(source: source.name, fullPass: previous == nil)
        var saved = previous
        let overlap = overlapSeconds
        report.restarts = try await list(source, kind: "incremental", from: { SyncCursor.listFrom(cursor.checkpoint, overlap: overlap) }) { page in
            for record in page.records {
                try await upsert(record, source: source.name, into: &report)
                cursor.see(record.modifiedAt)
            }
            for gone in page.deleted {
                let result = try await store.delete(source: source.name, recordID: gone.recordID, occurredAt: gone.modifiedAt)
                if result.outcome == .deleted { report.deleted += 1 }
                if let time = gone.modifiedAt { cursor.see(time) }
            }
            report.records += page.records.count
            report.invalid += page.invalidCount
            count("sync_records_total", source.name, ("outcome", "invalid"), by: page.invalidCount)
            if let checkpoint = cursor.checkpoint, checkpoint != saved {
                try await state.saveCursor(checkpoint, source: source.name)
                saved = checkpoint
            }
            report.pages += 1
            logPage(kind: "incremental", source: source.name, page: report.pages, records: page.records.count, total: report.records, started: started)
        }
        if let final = cursor.final, final != saved {
            try await state.saveCursor(final, source: source.name)
        }
        report.cursor = cursor.final
        report.seconds = Self.seconds(since: started)
        // A pass that changed nothing (the overlap's re-fetch only) logs at debug.
        let changed = report.count(.inserted) + report.count(.updated) + report.count(.linked) + report.invalid + report.rejected
        let quiet = changed == 0 && !report.fullPass
        logger.log(level: quiet ? .debug : .info, "sync.completed", metadata: report.metadata.merging(["event": "sync.completed"]) { $1 })
        var counts = Dictionary(uniqueKeysWithValues: report.outcomes.map { ($0.key.rawValue, $0.value) })
        counts["records"] = report.records
        counts["pages"] = report.pages
        for (name, value) in [("invalid", report.invalid), ("rejected", report.rejected), ("deleted", report.deleted)] where value > 0 {
            counts[name] = value
        }
        await record(SyncRun(kind: "incremental", sources: source.name, startedAt: startedAt, finishedAt: now(), outcome: "completed", counts: counts))
        return report
    }

    /// Keep a pass's report; a store that cannot is logged, never fails the pass.
    func record(_ run: SyncRun) async {
        do {
            try await state.recordRun(run)
        } catch {
            logger.warning("sync.report_failed", metadata: ["event": "sync.report_failed", "error": .string(String(describing: error))])
        }
    }

    func upsert(_ record: SourceRecord, source: String, into report: inout IncrementalReport) async throws {
        switch try await store.importRecord(record, source: source) {
        case .written(let outcome):
            report.outcomes[outcome, default: 0] += 1
            count("sync_records_total", source, ("outcome", outcome.rawValue))
        case .rejected(let reason):
            report.rejected += 1
            count("sync_records_total", source, ("outcome", "rejected"))
            logger.warning("sync.record_rejected", metadata: [
                "event": "sync.record_rejected", "source": .string(source), "record_id": .string(record.recordID ?? ""),
                "reason": .string(reason),
            ])
        }
    }

    // MARK: Support

    func logPage(kind: String, source: String, page: Int, records: Int, total: Int, started: ContinuousClock.Instant) {
        let seconds = Self.seconds(since: started)
        logger.log(level: options.pageLogLevel, "sync.page", metadata: [
            "event": "sync.page", "kind": .string(kind), "source": .string(source), "page": .stringConvertible(page),
            "records": .stringConvertible(records), "records_total": .stringConvertible(total),
            "records_per_s": .string(String(format: "%.1f", seconds > 0 ? Double(total) / seconds : 0)),
        ])
    }

    func count(_ label: String, _ source: String, _ dimension: (String, String)? = nil, by amount: Int = 1) {
        guard amount > 0 else { return }
        var dimensions = [("source", source)]
        if let dimension { dimensions.append(dimension) }
        Counter(label: label, dimensions: dimensions, factory: metrics).increment(by: amount)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        seconds(of: ContinuousClock.now - start)
    }

    static func seconds(of duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
