import AirtableSim
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Provisioning
import ProvisioningService

/// Issue 14's rows: what the sign-in throttle's reservation costs a login
/// hit, and what the failure floor costs a failed login. Two services over
/// one simulator (at `--sim-latency-ms`): the default floor (the source's
/// `timeout_ms` + one bcrypt verify) and `min_failure_ms: 0`. Prints one table.
struct AbuseBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "abuse", abstract: "Throttle reservation and failure floor costs (issue 14).")

    @Option(help: "Database URL (an empty database; tables are created).") var databaseURL: String
    @Option(help: "Simulator latency (ms).") var simLatencyMs: Int = 20
    @Option(help: "Sequential logins per row.") var logins: Int = 200
    @Option(help: "In-process reserve+settle pairs.") var reservations: Int = 20_000

    func run() async throws {
        let table = try await BenchService.withSimulator(latencyMs: simLatencyMs) { simURL, http in
            try await measure(simURL: simURL, http: http)
        }
        print(table.render())
    }

    private func measure(simURL: String, http: HTTPClient) async throws -> Table {
        var table = Table(header: ["measure", "p50 ms", "p95 ms", "n"])
        func row(_ name: String, _ samples: Samples) {
            table.rows.append([name, String(format: "%.3f", samples.p50), String(format: "%.3f", samples.p95), String(samples.count)])
        }

        // The reservation alone, in-process: reserve and settle as a successful login does.
        let throttle = LoginThrottle(limits: .init(perPair: 5, perEmail: 50, perAddress: 100, windowSeconds: 900))
        var reserve = Samples()
        for index in 0..<reservations {
            let started = ContinuousClock.now
            guard case .success(let reservation) = await throttle.reserve(email: "user\(index % 1000)@bench.example", address: "192.0.2.\(index % 200)") else {
                throw BenchError("the reservation was refused")
            }
            throttle.settle(reservation, .succeeded)
            reserve.append(ContinuousClock.now - started)
        }
        row("throttle reserve + settle (success), in-process", reserve)

        for (label, floor) in [("default floor", Int?.none), ("min_failure_ms: 0", Int?.some(0))] {
            let service = try await BenchService.start(
                databaseURL: databaseURL, simURL: simURL, base: SimConfiguration.defaultBase,
                options: .init(requestsPerSecond: 1000, negativeCacheSeconds: 0, minFailureMs: floor))
            let client = LoadClient(http: http, baseURL: service.baseURL)
            let email = try await service.warmStoreUser("hit", client: client)
            var hits = Samples(), unknown = Samples(), wrong = Samples()
            for index in 0..<logins {
                guard await timed(&hits, { await client.login(email) }).status == 200 else { throw BenchError("a login hit failed") }
                // Unknown emails go to the simulator (no negative cache) and answer 401.
                guard await timed(&unknown, { await client.login("nobody-\(index)-\(UUID().uuidString.prefix(6))@bench.example") }).status == 401,
                      await timed(&wrong, { await client.login(email, "wrong-password") }).status == 401
                else { throw BenchError("a failed login did not answer 401") }
            }
            await service.stop()
            row("login hit over HTTP, \(label)", hits)
            row("401 unknown email over HTTP (sim \(simLatencyMs) ms), \(label)", unknown)
            row("401 wrong password over HTTP, \(label)", wrong)
        }
        return table
    }
}
