import AirtableSim
import ArgumentParser
import Foundation
import Provisioning
import Synchronization

/// Issue 18's row: how long a record created in Airtable takes to be in
/// PostgreSQL with nobody logging in, through Airtable's own webhook (the
/// simulator pings the service, which reads the payloads) beside the poll
/// at `sync.interval_s: 60`. The simulator keeps Airtable's 5 requests per
/// second; the service spends them as configured (`requests_per_second: 5`).
struct PushBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push", abstract: "Time from a change in Airtable to the row in PostgreSQL: webhook beside poll (issue 18).")

    @Option(help: "Database URL (an empty database; tables are created).") var databaseURL: String
    @Option(help: "A free port for the service (the webhook's notification URL names it).") var port: Int
    @Option(help: "Changes per row.") var changes: Int = 100
    @Option(help: "Seconds over which the poll row's changes are spread.") var pollSpreadSeconds: Double = 120

    func run() async throws {
        let running = try await AirtableSimulator.start(configuration: SimConfiguration(token: BenchService.token, rateLimitPerSecond: 5))
        running.sim.addTable(base: SimConfiguration.defaultBase, spec: SimTableSpec(name: "Users", fields: ["Email", "Name", "Role", "Password Hash"]))
        var table = Table(header: ["path", "p50 ms", "p95 ms", "max ms", "n"])
        do {
            let webhook = """
                    webhook:
                      notification_url: http://127.0.0.1:\(port)/api/sync/sources/airtable/notify
                """
            let pushed = try await measure(
                sim: running, options: .init(requestsPerSecond: 5, schema: "bench_push", airtableYAML: webhook, port: port), spread: nil)
            table.rows.append(row("webhook (sync off), one change at a time", pushed))
            let polled = try await measure(
                sim: running, options: .init(requestsPerSecond: 5, schema: "bench_poll", syncIntervalSeconds: 60), spread: pollSpreadSeconds)
            table.rows.append(row("poll, sync.interval_s: 60, changes spread over \(Int(pollSpreadSeconds)) s", polled))
            await running.stop()
        } catch {
            await running.stop()
            throw error
        }
        print(table.render())
    }

    private func row(_ label: String, _ samples: Samples) -> [String] {
        [label, String(format: "%.1f", samples.p50), String(format: "%.1f", samples.p95), String(format: "%.1f", samples.percentile(100)), String(samples.count)]
    }

    /// Create `changes` records in the simulator: one at a time, each once
    /// the previous one is stored (`spread` nil), or at random moments over
    /// `spread` seconds; each sample runs from the write to the first time the
    /// row is seen (the store polled every 5 ms).
    private func measure(sim running: AirtableSimulator.Running, options: BenchService.Options, spread: Double?) async throws -> Samples {
        let service = try await BenchService.start(
            databaseURL: databaseURL, simURL: running.baseURL, base: SimConfiguration.defaultBase, options: options)
        do {
            let samples: Samples
            if let spread {
                samples = try await polled(running.sim, service, spread: spread)
            } else {
                samples = try await pushed(running.sim, service)
            }
            await service.stop()
            return samples
        } catch {
            await service.stop()
            throw error
        }
    }

    /// One change at a time, each once the previous one is stored.
    private func pushed(_ sim: AirtableSimulator, _ service: BenchService) async throws -> Samples {
        // The webhook exists once its subscription is stored.
        while try await service.pipeline.sourceSubscriptions?.subscription(source: "airtable") == nil {
            try await Task.sleep(for: .milliseconds(20))
        }
        let runID = UUID().uuidString.prefix(8).lowercased()
        var samples = Samples()
        for index in 0..<changes {
            let id = create(sim, "push-\(runID)-\(index)@bench.example")
            let written = ContinuousClock.now
            try await waitStored(service, id)
            samples.append(ContinuousClock.now - written)
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...250)))
        }
        return samples
    }

    /// Changes at random moments over `spread` seconds, written while the store is watched.
    private func polled(_ sim: AirtableSimulator, _ service: BenchService, spread: Double) async throws -> Samples {
        let runID = UUID().uuidString.prefix(8).lowercased()
        let written = Mutex<[(id: String, at: ContinuousClock.Instant)]>([])
        let started = ContinuousClock.now
        let offsets = (0..<changes).map { _ in Double.random(in: 0..<spread) }.sorted()
        let writer = Task {
            for (index, offset) in offsets.enumerated() {
                try await Task.sleep(until: started + .milliseconds(Int(offset * 1000)), clock: .continuous)
                let id = create(sim, "poll-\(runID)-\(index)@bench.example")
                written.withLock { $0.append((id, .now)) }
            }
        }
        var samples = Samples()
        var seen = Set<String>()
        while samples.count < changes {
            guard ContinuousClock.now < started + .seconds(spread + 180) else { throw BenchError("polled changes not stored in time") }
            for change in written.withLock({ $0 }) where !seen.contains(change.id) {
                if try await service.pipeline.store.user(source: "airtable", recordID: change.id) != nil {
                    seen.insert(change.id)
                    samples.append(ContinuousClock.now - change.at)
                }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        try await writer.value
        return samples
    }

    private func create(_ sim: AirtableSimulator, _ email: String) -> String {
        sim.insert(base: SimConfiguration.defaultBase, table: "Users", fields: ["Email": .string(email), "Name": "Bench", "Role": "member"])
    }

    private func waitStored(_ service: BenchService, _ id: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while try await service.pipeline.store.user(source: "airtable", recordID: id) == nil {
            guard ContinuousClock.now < deadline else { throw BenchError("record \(id) not stored within 120 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
