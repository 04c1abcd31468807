import AirtableSim
import Foundation
import ProvisioningProcessKit
import ProvisioningTestKit
import Testing

/// Several `provisiond serve` processes (the built binary) on one real
/// PostgreSQL and one airtable-sim enforcing Airtable's 5 requests per second
/// with its 30 s penalty, behind a real nginx (CONTRACT §8).
struct ClusterHarness: Sendable {
    let sim: AirtableSimulator
    let databaseURL: String
    let deployment: ProvisiondInstances
    var instances: [LocalProcess] { deployment.instances }
    var balancerURL: String { deployment.balancer.baseURL }
    /// Straight to instance `index`.
    func client(_ index: Int) -> HarnessClient { HarnessClient(baseURL: deployment.baseURL(index)) }

    struct Options: Sendable {
        var instances = 3
        /// The airtable provider's `timeout_ms`: a login waits at most this for the base's budget.
        var airtableTimeoutMilliseconds = 2_000
        var meCacheMilliseconds = 60_000
    }

    /// The `provisiond` executable `swift build` made beside this test binary.
    static var provisiondBinary: String {
        if let path = ProcessInfo.processInfo.environment["PROVISIOND_BIN"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("provisiond").path
    }

    /// The config every instance runs: the harness's, with throttles out of the
    /// way of floods from one address, nginx trusted, a shared signing key.
    static func config(databaseURL: String, simURL: String, options: Options) -> String {
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
        return ServiceHarness.configYAML(databaseURL: databaseURL, simURL: simURL, options: harnessOptions)
    }

    static func run(_ options: Options = Options(), _ body: @Sendable (ClusterHarness) async throws -> Void) async throws {
        var simConfiguration = SimConfiguration(token: ServiceHarness.token, rateLimitPerSecond: 5)
        simConfiguration.rateLimitPenaltySeconds = 30
        let running = try await AirtableSimulator.start(configuration: simConfiguration)
        do {
            let databaseURL = try await TestDatabase.create()
            let deployment = try await ProvisiondInstances.start(
                binary: provisiondBinary, config: config(databaseURL: databaseURL, simURL: running.baseURL, options: options),
                count: options.instances, directory: FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString)").path)
            defer { deployment.stop() }
            let harness = ClusterHarness(sim: running.sim, databaseURL: databaseURL, deployment: deployment)
            do {
                try await body(harness)
            } catch {
                for (index, process) in deployment.instances.enumerated() {
                    print("--- instance \(index) log (last 3000 characters) ---\n\(process.output.suffix(3000))")
                }
                throw error
            }
            await running.stop()
        } catch {
            await running.stop()
            throw error
        }
    }

    /// An Airtable-only user (no row in PostgreSQL); returns its record id.
    @discardableResult
    func airtableUser(email: String, hash: String = AuthFixtures.passwordHash) -> String {
        sim.insert(base: ServiceHarness.base, table: "Users", fields: [
            "Email": .string(email), "Name": .string("Cluster"), "Role": .string("member"), "Password Hash": .string(hash),
        ])
    }

    static func login(_ baseURL: String, email: String, password: String) async -> UInt {
        await LoginFlood.login(baseURL, email: email, password: password).status
    }

    static func logins(_ baseURL: String, emails: [String], password: String, concurrency: Int) async -> [UInt] {
        await LoginFlood.logins(baseURL, emails: emails, password: password, concurrency: concurrency).map(\.status)
    }

    /// The most simulator requests that arrived within any one second.
    func maxSimRequestsPerSecond(since: Date) -> Int {
        SimRequestLogEntry.mostInAnySecond(sim.requestLog().map(\.time).filter { $0 >= since })
    }
}
