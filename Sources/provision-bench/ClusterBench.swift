import AirtableSim
import ArgumentParser
import Foundation
import PostgresNIO
import Provisioning
import ProvisioningPostgres
import ProvisioningProcessKit
import ProvisioningService

/// Issue 17's rows: 1, 2 and 3 `provisiond serve` processes (`--provisiond`,
/// a release build) on one PostgreSQL behind nginx, against an in-process
/// airtable-sim that enforces 5 requests per second with Airtable's 30 s
/// penalty. Per instance count: a flood of unknown emails (simulator
/// requests against the budget), a storm of first logins of one
/// Airtable-only user (lookups and rows), and login hits (p50/p95 and
/// throughput). Also what the shared window costs one source request.
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cluster", abstract: "Several instances on one database (issue 17).")

    @Option(help: "Database URL (tables are made per row in schemas bench_cluster_*).") var databaseURL: String
    @Option(help: "The provisiond executable to run.") var provisiond: String
    @Option(help: "Instance counts, comma-separated.") var instances: String = "1,2,3"
    @Option(help: "Unknown emails in the flood.") var flood: Int = 600
    @Option(help: "Concurrent first logins of one user in the storm.") var storm: Int = 90
    @Option(help: "Seconds of login hits per row.") var seconds: Int = 5
    @Option(help: "Concurrent clients for login hits.") var concurrency: Int = 8

    func run() async throws {
        var table = Table(header: [
            "instances", "flood: sim requests", "flood: max/s (budget 5)", "flood: 429s", "flood: s",
            "storm: lookups", "storm: rows", "storm: 200s", "hit p50 ms", "hit p95 ms", "hit logins/s",
        ])
        for count in instances.split(separator: ",").compactMap({ Int($0) }) {
            table.rows.append(try await row(instances: count))
        }
        print(table.render())
        print()
        print(try await windowCost().render())
    }

    private func row(instances count: Int) async throws -> [String] {
        var simConfiguration = SimConfiguration(token: BenchService.token, rateLimitPerSecond: 5)
        simConfiguration.rateLimitPenaltySeconds = 30
        let running = try await AirtableSimulator.start(configuration: simConfiguration)
        defer { Task { await running.stop() } }
        let schema = "bench_cluster_\(count)_\(Int(Date().timeIntervalSince1970))"
        let yaml = BenchService.yaml(
            databaseURL: databaseURL, simURL: running.baseURL, base: SimConfiguration.defaultBase,
            options: .init(requestsPerSecond: 5, minFailureMs: 0, schema: schema))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-cluster-\(UUID().uuidString)").path
        let deployment = try await ProvisiondInstances.start(binary: provisiond, config: yaml, count: count, directory: directory)
        defer { deployment.stop() }
        let url = deployment.balancer.baseURL
        let sim = running.sim

        // Flood: distinct unknown emails, 150 at a time.
        let floodStart = Date()
        let started = ContinuousClock.now
        _ = await LoginFlood.logins(url, emails: (0..<flood).map { "nobody\($0)@flood.bench" }, password: "x", concurrency: 150)
        let floodSeconds = (ContinuousClock.now - started).seconds
        let floodTimes = sim.requestLog().map(\.time).filter { $0 >= floodStart }
        let limited = sim.counters().rateLimited

        // Storm: one Airtable-only user, all at once, once the flood's last
        // slots are free (each is held a window after its request ended).
        try await Task.sleep(for: .seconds(2))
        let stormEmail = "storm-\(count)@bench.example"
        sim.insert(base: SimConfiguration.defaultBase, table: "Users", fields: [
            "Email": .string(stormEmail), "Name": .string("Storm"), "Password Hash": .string(BenchFixtures.passwordHash),
        ])
        let before = sim.counters().total
        let storm = await LoginFlood.logins(url, emails: Array(repeating: stormEmail, count: storm), password: BenchFixtures.password, concurrency: storm)
        let lookups = sim.counters().total - before
        let rows = try await countRows(schema: schema, email: stormEmail)
        let stormOK = storm.filter { $0.status == 200 }.count

        // Login hits: the storm user is in the store now.
        var hits = Samples()
        var done = 0
        let hitsEnd = ContinuousClock.now + .seconds(seconds)
        let hitsStart = ContinuousClock.now
        while ContinuousClock.now < hitsEnd {
            let round = await LoginFlood.logins(url, emails: Array(repeating: stormEmail, count: concurrency), password: BenchFixtures.password, concurrency: concurrency)
            for result in round where result.status == 200 {
                hits.append(result.took)
                done += 1
            }
        }
        let hitSeconds = (ContinuousClock.now - hitsStart).seconds
        return [
            String(count), String(floodTimes.count), String(SimRequestLogEntry.mostInAnySecond(floodTimes)), String(limited),
            String(format: "%.1f", floodSeconds), String(lookups), String(rows), String(stormOK),
            String(format: "%.1f", hits.p50), String(format: "%.1f", hits.p95), String(format: "%.1f", Double(done) / hitSeconds),
        ]
    }

    /// Rows of `email` in the row's tables.
    private func countRows(schema: String, email: String) async throws -> Int {
        let client = PostgresClient(configuration: try PostgresProviderFactory.configuration(url: databaseURL, poolSize: 1))
        let task = Task { await client.run() }
        defer { task.cancel() }
        var count = 0
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT count(*)::int FROM \"\(schema)\".users WHERE email_canonical = $1", binds: {
            var binds = PostgresBindings()
            binds.append(email)
            return binds
        }()))
        for try await value in rows.decode(Int.self) { count = value }
        return count
    }

    /// One source request's window at Airtable's 5 per second, in-process
    /// (`TokenBucket`) and shared in PostgreSQL (one statement to take a
    /// slot, one to give it back). Each window is a fresh key whose first
    /// slot is taken untimed (the row is made then), then four timed: no
    /// sample waits for a slot.
    private func windowCost() async throws -> Table {
        var table = Table(header: ["request window (acquire + release, 5/s)", "p50 ms", "p95 ms", "n"])
        func measure(_ windows: [any RequestSlots]) async throws -> Samples {
            var samples = Samples()
            for window in windows {
                guard let first = await window.acquire(priority: .interactive, deadline: .now + .seconds(1)).slot else { throw BenchError("no slot") }
                await window.release(first)
                for _ in 0..<4 {
                    _ = try await timed(&samples) {
                        guard let slot = await window.acquire(priority: .interactive, deadline: .now + .seconds(1)).slot else { throw BenchError("no slot") }
                        await window.release(slot)
                    }
                }
            }
            return samples
        }
        func row(_ name: String, _ samples: Samples) {
            table.rows.append([name, String(format: "%.3f", samples.p50), String(format: "%.3f", samples.p95), String(samples.count)])
        }
        row("in-process (before: each instance its own)", try await measure((0..<250).map { _ in TokenBucket(requestsPerSecond: 5) }))
        let service = try await BenchService.start(
            databaseURL: databaseURL, simURL: "http://127.0.0.1:9", base: SimConfiguration.defaultBase,
            options: .init(requestsPerSecond: 5, schema: "bench_window_\(Int(Date().timeIntervalSince1970))"))
        defer { Task { await service.stop() } }
        guard let makeSlots = service.pipeline.coordination.requestSlots else { throw BenchError("the postgres store shares no request window") }
        row("PostgreSQL row (after: shared by every instance)", try await measure((0..<250).map { makeSlots("bench-window-\($0)", 5) }))
        // What a first sign-in adds besides: the key's advisory lock (a
        // transaction of its own: begin, try-lock, commit), uncontended.
        guard let locks = service.pipeline.coordination.lookupLocks else { throw BenchError("the postgres store has no lookup locks") }
        var locked = Samples()
        for index in 0..<1_000 {
            try await timed(&locked) { try await locks.withLock(key: "email:bench\(index)@bench.example", wait: .seconds(1)) {} }
        }
        table.rows.append([
            "lookup lock, uncontended (after; before: none)", String(format: "%.3f", locked.p50), String(format: "%.3f", locked.p95), String(locked.count),
        ])
        return table
    }
}
