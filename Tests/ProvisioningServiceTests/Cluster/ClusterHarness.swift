import AirtableSim
import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import ProvisioningTestKit
import Testing

/// Several `provisiond serve` processes (the built binary) on one real
/// PostgreSQL and one airtable-sim enforcing Airtable's 5 requests per second
/// with its 30 s penalty, behind a real nginx (CONTRACT §8).
struct ClusterHarness: Sendable {
    let sim: AirtableSimulator
    let databaseURL: String
    let instances: [LocalProcess]
    let ports: [Int]
    let balancer: NginxBalancer
    /// Through nginx.
    var client: HarnessClient { HarnessClient(baseURL: balancer.baseURL) }
    /// Straight to instance `index`.
    func client(_ index: Int) -> HarnessClient { HarnessClient(baseURL: "http://127.0.0.1:\(ports[index])") }

    struct Options: Sendable {
        var instances = 3
        /// The airtable provider's `timeout_ms`: a login waits at most this for the base's budget.
        var airtableTimeoutMilliseconds = 1_000
        var meCacheMilliseconds = 60_000
    }

    /// The `provisiond` executable `swift build` made beside this test binary.
    static var provisiondBinary: String {
        if let path = ProcessInfo.processInfo.environment["PROVISIOND_BIN"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("provisiond").path
    }

    static func run(_ options: Options = Options(), _ body: @Sendable (ClusterHarness) async throws -> Void) async throws {
        guard FileManager.default.isExecutableFile(atPath: provisiondBinary) else {
            throw HarnessError("\(provisiondBinary) is missing: scripts/test.sh builds it (swift build --build-tests)")
        }
        var simConfiguration = SimConfiguration(token: ServiceHarness.token, rateLimitPerSecond: 5)
        simConfiguration.rateLimitPenaltySeconds = 30
        let running = try await AirtableSimulator.start(configuration: simConfiguration)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var processes: [LocalProcess] = []
        var balancer: NginxBalancer?
        defer {
            balancer?.process.stop()
            for process in processes { process.stop() }
        }
        let databaseURL = try await TestDatabase.create()
        var harnessOptions = ServiceHarness.Options()
        harnessOptions.requestsPerSecond = 5
        harnessOptions.timeoutMilliseconds = options.airtableTimeoutMilliseconds
        harnessOptions.extraYAML = """
            auth:
              bcrypt_cost: 10
              signing_key: \(AuthFixtures.signingKey)
              min_failure_ms: 0
              max_failed_logins_per_email: 100000
              max_failed_logins_per_email_and_address: 100000
              max_failed_logins_per_address: 100000
              me_cache_ms: \(options.meCacheMilliseconds)
              trusted_proxies: ["127.0.0.1"]
            """
        let yaml = ServiceHarness.configYAML(databaseURL: databaseURL, simURL: running.baseURL, options: harnessOptions)
        let configPath = directory + "/providers.yaml"
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        var ports: [Int] = []
        for index in 0..<options.instances {
            let port = try LocalProcess.freePort()
            ports.append(port)
            processes.append(try LocalProcess(
                executable: provisiondBinary,
                arguments: ["serve", "--config", configPath, "--port", String(port), "--management-port", "0"],
                logPath: directory + "/instance\(index).log"))
        }
        for (index, port) in ports.enumerated() { try await waitUntilHealthy("http://127.0.0.1:\(port)", process: processes[index]) }
        balancer = try NginxBalancer.start(upstreamPorts: ports, directory: directory + "/nginx")
        guard let balancer else { return }
        try await waitUntilHealthy(balancer.baseURL, process: balancer.process)
        let harness = ClusterHarness(
            sim: running.sim, databaseURL: databaseURL, instances: processes, ports: ports, balancer: balancer)
        do {
            try await body(harness)
            await running.stop()
        } catch {
            for (index, process) in processes.enumerated() where !process.output.isEmpty {
                print("--- instance \(index) log (last 3000 characters) ---\n\(process.output.suffix(3000))")
            }
            await running.stop()
            throw error
        }
    }

    /// Wait until `GET /healthz` answers 200 (the first instance migrates; the others wait for its lock).
    static func waitUntilHealthy(_ baseURL: String, process: LocalProcess) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard process.isRunning else { throw HarnessError("\(baseURL) exited before it was healthy:\n\(process.output.suffix(2000))") }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/healthz"), timeout: .seconds(2)),
               response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError("\(baseURL) was not healthy within 120 s:\n\(process.output.suffix(2000))")
    }

    /// An Airtable-only user (no row in PostgreSQL); returns its record id.
    @discardableResult
    func airtableUser(email: String, hash: String = AuthFixtures.passwordHash) -> String {
        sim.insert(base: ServiceHarness.base, table: "Users", fields: [
            "Email": .string(email), "Name": .string("Cluster"), "Role": .string("member"), "Password Hash": .string(hash),
        ])
    }

    /// A client for floods: AsyncHTTPClient's shared one opens at most 8
    /// connections per host, which would make the flood a queue in the test.
    static let http = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 256)))

    /// A login; the status code (0 when no answer came).
    static func login(_ baseURL: String, email: String, password: String) async -> UInt {
        var request = HTTPClientRequest(url: baseURL + "/api/auth/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(AuthFixtures.json(["email": email, "password": password]))
        guard let response = try? await http.execute(request, timeout: .seconds(60)) else { return 0 }
        _ = try? await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }

    /// `emails` logged in with `concurrency` at a time; the status codes in order.
    static func logins(_ baseURL: String, emails: [String], password: String, concurrency: Int) async -> [UInt] {
        await withTaskGroup(of: (Int, UInt).self) { group in
            var statuses = [UInt](repeating: 0, count: emails.count)
            var next = 0
            func add() {
                guard next < emails.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await login(baseURL, email: emails[index], password: password)) }
            }
            for _ in 0..<concurrency { add() }
            for await (index, status) in group {
                statuses[index] = status
                add()
            }
            return statuses
        }
    }

    /// The most simulator requests that arrived within any one second.
    func maxSimRequestsPerSecond(since: Date) -> Int {
        let times = sim.requestLog().map(\.time).filter { $0 >= since }.sorted()
        var most = 0
        var start = 0
        for end in times.indices {
            while times[end].timeIntervalSince(times[start]) >= 1 { start += 1 }
            most = max(most, end - start + 1)
        }
        return most
    }
}
