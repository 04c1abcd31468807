import AirtableSim
import ArgumentParser
import AsyncHTTPClient
import Foundation
import HummingbirdBcrypt
import NIOHTTP1
import NIOPosix
import Provisioning

/// The whole service over HTTP on 127.0.0.1 (issue 8): login hit and miss
/// latency beside their physical parts, a storm of first logins of one
/// email, a flood of unknown emails against the rate budget, `/me` beside a
/// static route and webhook events beside pgbench (passed in with --pgbench,
/// measured by scripts/bench.sh in the same run). Rows 2, 4 and 5 also run
/// on the naive read-through (`resolution: {coalesce: false,
/// negative_cache_s: 0}`). Prints one table.
struct ServiceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "service", abstract: "Latency and throughput of the whole service (issue 8).")

    @Option(help: "Database URL (an empty database; tables are created).") var databaseURL: String
    @Option(help: "pgbench TPS at 1 and 16 clients, 'TPS1,TPS16', from the same run.") var pgbench: String?
    @Option(help: "Simulator latency (ms) of the second miss row and of the storm and flood rows.") var simLatencyMs: Int = 20
    @Option(help: "Store-user logins of the hit row (spread over both miss phases).") var logins: Int = 300
    @Option(help: "First logins of Airtable-only users per simulator latency.") var misses: Int = 100
    @Option(help: "Concurrent first logins of one email.") var storm: Int = 200
    @Option(help: "Distinct unknown emails sent at once.") var flood: Int = 2000
    @Option(help: "Sequential store-user logins of the quiet run beside the flood.") var quiet: Int = 30
    @Option(help: "Concurrent connections of the throughput rows.") var concurrency: Int = 16
    @Option(help: "Seconds per throughput row.") var seconds: Double = 5

    func run() async throws {
        let started = ContinuousClock.now
        let running = try await AirtableSimulator.start(configuration: SimConfiguration(token: BenchService.token, rateLimitPerSecond: 0))
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(storm, concurrency) + 8)
        let load = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        // The flood's probe logs in on its own connection.
        let probe = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await measure(simulator: running.sim, simURL: running.baseURL, load: load, probe: probe, started: started)
            try await load.shutdown()
            try await probe.shutdown()
            await running.stop()
        } catch {
            try? await load.shutdown()
            try? await probe.shutdown()
            await running.stop()
            throw error
        }
    }

    private func measure(simulator: AirtableSimulator, simURL: String, load: HTTPClient, probe: HTTPClient, started: ContinuousClock.Instant) async throws {
        let base = SimConfiguration.defaultBase
        let phases = ServicePhases(simulator: simulator, simURL: simURL, base: base, runID: String(UUID().uuidString.prefix(8)).lowercased())
        func start(_ options: BenchService.Options) async throws -> BenchService {
            try await BenchService.start(databaseURL: databaseURL, simURL: simURL, base: base, options: options)
        }
        func progress(_ text: String) {
            FileHandle.standardError.write(Data((String(format: "[%5.1f s] ", (ContinuousClock.now - started).seconds) + text + "\n").utf8))
        }
        let naiveFast = BenchService.Options(requestsPerSecond: 1000, coalesce: false, negativeCacheSeconds: 0)
        let naiveAirtable = BenchService.Options(requestsPerSecond: 5, coalesce: false, negativeCacheSeconds: 0)

        // Coalesced, a high rate budget: latency rows, throughput rows.
        progress("service: coalesced, budget 1000/s")
        let service = try await start(.init(requestsPerSecond: 1000))
        let client = LoadClient(http: load, baseURL: service.baseURL)
        var storeEmails: [String] = []
        for index in 0..<50 {
            let email = "store-\(phases.runID)-\(index)@bench.example"
            _ = try await service.pipeline.store.upsert(SourceRecord(
                recordID: nil, values: ["email": email, "display_name": "Stored \(index)", "password_hash": BenchFixtures.passwordHash], modifiedAt: Date()))
            storeEmails.append(email)
        }
        for email in storeEmails.prefix(10) { _ = await client.login(email) }
        let idleRSS = residentMiB()

        progress("rows 1-3: hit and miss logins, sim 0 ms")
        let atZero = try await phases.latencies(
            service: service, client: client, latencyMs: 0, count: misses, hits: logins / 2, storeEmails: storeEmails, tag: "z", reference: true)
        progress("rows 1-3: hit and miss logins, sim \(simLatencyMs) ms")
        let atLatency = try await phases.latencies(
            service: service, client: client, latencyMs: simLatencyMs, count: misses, hits: logins - logins / 2, storeEmails: storeEmails, tag: "l",
            reference: true)

        progress("row 1: bcrypt alone")
        var bcrypt = Samples()
        for _ in 0..<50 {
            _ = try await timed(&bcrypt) {
                try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(BenchFixtures.password, hash: BenchFixtures.passwordHash) }
            }
        }

        guard let token = await client.login(storeEmails[0]).json?["access_token"] as? String else { throw BenchError("no access token") }
        progress("row 6: /me and /healthz")
        let me = await phases.throughput(tasks: concurrency, seconds: seconds) { _, _ in
            await client.send(.GET, "/api/auth/me", headers: [("Authorization", "Bearer \(token)")]).status == 200
        }
        let healthz = await phases.throughput(tasks: concurrency, seconds: seconds) { _, _ in
            await client.send(.GET, "/healthz").status == 200
        }
        progress("row 7: webhook")
        let webhook = await phases.throughput(tasks: concurrency, seconds: seconds) { task, count in
            await phases.webhookDelivery(client: client, task: task, count: count)
        }
        progress("row 4: storm, budget 1000/s")
        let stormFast = try await phases.storm(service: service, client: client, count: storm, tag: "cf")
        await service.stop()

        // Naive, a high rate budget.
        progress("service: naive, budget 1000/s; rows 2 and 4")
        let naive = try await start(naiveFast)
        let naiveClient = LoadClient(http: load, baseURL: naive.baseURL)
        for email in storeEmails.prefix(3) { _ = await naiveClient.login(email) }
        let naiveMiss = try await phases.latencies(
            service: naive, client: naiveClient, latencyMs: simLatencyMs, count: misses, hits: misses / 2, storeEmails: storeEmails, tag: "nl",
            reference: false)
        let naiveStormFast = try await phases.storm(service: naive, client: naiveClient, count: storm, tag: "nf")
        await naive.stop()

        // Airtable's rate budget (5/s), coalesced then naive.
        /// A flood from its own client: one connection per email, all at once.
        func runFlood(_ instance: BenchService, quietCount: Int, tag: String) async throws -> ServicePhases.Flood {
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: flood + 8)
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            let result = await phases.flood(
                service: instance, load: LoadClient(http: http, baseURL: instance.baseURL), probe: LoadClient(http: probe, baseURL: instance.baseURL),
                count: flood, quietCount: quietCount, storeEmails: storeEmails, requestsPerSecond: 5, tag: tag)
            try await http.shutdown()
            return result
        }
        var storms: [ServicePhases.Storm] = []
        var floods: [ServicePhases.Flood] = []
        for (options, tag) in [(BenchService.Options(requestsPerSecond: 5), "c"), (naiveAirtable, "n")] {
            progress("service: \(options.coalesce ? "coalesced" : "naive"), budget 5/s; rows 4 and 5")
            let instance = try await start(options)
            storms.append(try await phases.storm(service: instance, client: LoadClient(http: load, baseURL: instance.baseURL), count: storm, tag: tag + "a"))
            floods.append(try await runFlood(instance, quietCount: quiet, tag: tag))
            await instance.stop()
        }
        // Once more on a fresh service, against a simulator that enforces
        // Airtable's limit (5 in any 1 s; a 429 opens the circuit for 30 s).
        progress("service: coalesced, budget 5/s; row 5 against the simulator's 5/s limit")
        let limitedInstance = try await start(.init(requestsPerSecond: 5))
        simulator.setRateLimit(perSecond: 5)
        let limitedFlood = try await runFlood(limitedInstance, quietCount: 0, tag: "cl")
        simulator.setRateLimit(perSecond: 0)
        await limitedInstance.stop()

        let report = ServiceReport(
            simLatencyMs: simLatencyMs, bcrypt: bcrypt, atZero: atZero, atLatency: atLatency, naiveMiss: naiveMiss,
            stormFast: stormFast, naiveStormFast: naiveStormFast, storm: storms[0], naiveStorm: storms[1], flood: floods[0], naiveFlood: floods[1], limitedFlood: limitedFlood,
            me: me, healthz: healthz, webhook: webhook, concurrency: concurrency,
            pgbench: (pgbench ?? "").split(separator: ",").map { Double($0) ?? 0 }, idleRSS: idleRSS)
        print(report.table().render())
        print(String(format: "bench run time: %.0f s", (ContinuousClock.now - started).seconds))
    }
}
