import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import Provisioning
import ProvisioningPostgres

/// Store upserts per second at 1 and 16 concurrent tasks, beside the
/// pgbench single-row insert TPS measured by scripts/bench-store.sh in the
/// same run (passed in with --pgbench).
struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Upserts/s of the Postgres store.")

    @Option(help: "Database URL (an empty database; tables are created).") var databaseURL: String
    @Option(help: "Seconds per measurement.") var seconds: Double = 5
    @Option(help: "pgbench TPS at 1 and 16 clients, 'TPS1,TPS16', from the same run.") var pgbench: String?

    func run() async throws {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let settings = try PostgresProviderFactory.configuration(url: databaseURL, poolSize: 16)
        let client = PostgresClient(configuration: settings, backgroundLogger: logger)
        let pgbenchTPS = (pgbench ?? "").split(separator: ",").map { Double($0) ?? 0 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await Migrations.apply(client: client, logger: logger)
            let store = PostgresIdentityStore(client: client, precedence: PrecedencePolicy(), softDelete: SoftDeletePolicy(), attributes: Attribute.core, logger: logger)
            _ = try await client.query("CREATE TABLE IF NOT EXISTS bench_raw (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE)", logger: logger)
            var table = Table(header: ["operation", "tasks", "ops/s", "pgbench inserts/s", "ratio"])
            for (index, tasks) in [1, 16].enumerated() {
                for kind in ["store upsert: insert (new identity)", "store upsert: update (changed record)", "PostgresNIO single-row INSERT (driver baseline)"] {
                    let rate = kind.hasPrefix("PostgresNIO")
                        ? try await measureRawInsert(client: client, tasks: tasks, logger: logger)
                        : try await measure(store: store, tasks: tasks, update: kind.contains("update"))
                    let reference = pgbenchTPS.indices.contains(index) ? pgbenchTPS[index] : 0
                    table.rows.append([
                        kind, "\(tasks)", String(format: "%.0f", rate),
                        reference > 0 ? String(format: "%.0f", reference) : "-",
                        reference > 0 ? String(format: "%.2f", rate / reference) : "-",
                    ])
                }
            }
            print(table.render())
            group.cancelAll()
        }
    }

    private func measureRawInsert(client: PostgresClient, tasks: Int, logger: Logger) async throws -> Double {
        let run = UUID().uuidString.prefix(8)
        return try await rate(tasks: tasks) { task, count in
            _ = try await client.query("INSERT INTO bench_raw (email) VALUES (\("r\(run)-\(task)-\(count)@bench.example"))", logger: logger)
        }
    }

    /// Operations per second of `operation` run back to back by `tasks` tasks.
    private func rate(tasks: Int, _ operation: @escaping @Sendable (Int, Int) async throws -> Void) async throws -> Double {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let started = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        try await operation(task, count)
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = ContinuousClock.now - started
        return Double(total) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private func measure(store: PostgresIdentityStore, tasks: Int, update: Bool) async throws -> Double {
        let run = UUID().uuidString.prefix(8)
        return try await rate(tasks: tasks) { task, count in
            let key = update ? "\(run)-\(task)" : "\(run)-\(task)-\(count)"
            let record = SourceRecord(
                source: "airtable", recordID: "rec\(key)", values: ["email": "u\(key)@bench.example", "display_name": "User \(count)"],
                modifiedAt: Date())
            _ = try await store.upsert(record)
        }
    }
}
