import ArgumentParser
import Foundation
import Logging
import Provisioning
import ProvisioningService

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One pass of the background sync, then exit (a backfill).",
        discussion: """
            Migrates the store, runs an incremental pass from the stored cursor (every record when none is stored), \
            then a reconciliation (unless sync.reconcile_interval_s is 0), under the sync lease. Progress is logged \
            (sync.page); one summary line per pass is printed. Exit status: 0 done, 1 a pass failed, \
            75 another instance holds the sync lease.
            """)

    @OptionGroup var options: ConfigOption
    @Flag(help: "Run one pass and exit (required: `serve` syncs in the background).") var once = false
    @Flag(help: "Print the reports of the last passes (any instance's), newest first, and exit.") var report = false
    @Option(help: "How many passes --report prints.") var last = 10

    func validate() throws {
        guard once != report else {
            throw ValidationError("use `provisiond sync --once` (`serve` runs the sync in the background) or `provisiond sync --report [--last N]`")
        }
        guard last > 0 else { throw ValidationError("--last must be at least 1") }
    }

    func run() async throws {
        if report { return try await printReports() }
        let config = try loadConfig(options.config)
        Bootstrap.observability()
        let logger = Logger(label: "provisiond")
        var syncOptions = SyncOptions()
        syncOptions.pageLogLevel = .info
        let plan = SyncEngine.CyclePlan(
            incremental: true, reconcileUnlessWithin: config.sync.reconcileIntervalSeconds > 0 ? .zero : nil)
        let (report, started) = try await withPipeline(config, logger: logger) { pipeline -> (SyncCycleReport?, ContinuousClock.Instant) in
            let engine: SyncEngine
            do {
                engine = try SyncEngine(pipeline: pipeline, options: syncOptions, logger: logger)
            } catch {
                printError("sync: \(error)")
                throw ExitCode(1)
            }
            let started = ContinuousClock.now
            try await pipeline.store.migrate()
            return (try await engine.runCycle(plan), started)
        }
        guard let report else {
            printError("sync: skipped, another instance holds the sync lease")
            throw ExitCode(75)
        }
        for pass in report.incremental { print(pass.summary) }
        if let reconciliation = report.reconciliation { print(reconciliation.summary) }
        for failure in report.failures { printError("sync failed: \(failure)") }
        let elapsed = ContinuousClock.now - started
        print("sync: \(report.failed ? "failed" : "ok") in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1))))")
        if report.failed { throw ExitCode(1) }
    }

    /// `--report`: the stored pass reports; the store is not migrated or written.
    private func printReports() async throws {
        let runs = try await withPipeline(try loadConfig(options.config)) { pipeline -> [SyncRun] in
            guard let state = pipeline.syncState else {
                printError("sync: the store keeps no sync state")
                throw ExitCode(1)
            }
            return try await state.recentRuns(last: last)
        }
        if runs.isEmpty { print("sync: no pass recorded yet") }
        for run in runs { print(run.summary) }
    }
}
