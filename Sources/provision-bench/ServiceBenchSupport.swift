import AirtableSim
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import Provisioning
import ProvisioningService
import ServiceLifecycle

/// One provisiond built in-process from YAML (as `provisiond serve` builds
/// it: JSON log lines at info level, Prometheus metrics) over the bench's
/// PostgreSQL and the in-process simulator, listening on 127.0.0.1.
struct BenchService {
    static let token = "bench-token-0123456789"
    static let webhookSecret = "whsec_YmVuY2gtd2ViaG9vay1zZWNyZXQtMDEyMzQ1Njc4OQ=="

    /// The switches a row depends on.
    struct Options {
        var requestsPerSecond: Int
        /// false with `negativeCacheSeconds: 0` is the naive read-through.
        var coalesce = true
        var negativeCacheSeconds = 30
        /// `auth.min_failure_ms`; nil: the default floor (timeout_ms + one bcrypt verify).
        var minFailureMs: Int?
        /// More top-level YAML (a `credentials:` section, say).
        var extraYAML = ""
        /// The postgres provider's `schema:` (fresh tables per row); nil: `public`.
        var schema: String?
        /// More keys of the airtable provider (`webhook:`), indented by four spaces.
        var airtableYAML = ""
        /// `sync.interval_s` (0: off).
        var syncIntervalSeconds = 0
        /// The public port; 0: any free one.
        var port = 0
    }

    let pipeline: BuiltPipeline
    let baseURL: String
    let registry: PrometheusCollectorRegistry
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static func yaml(databaseURL: String, simURL: String, base: String, options: Options) -> String {
        """
        version: 1
        providers:
          - name: app_db
            kind: postgres
            url: \(databaseURL)
            pool_size: 10\(options.schema.map { "\n    schema: \($0)" } ?? "")
          - name: airtable
            kind: airtable
            api_url: \(simURL)
            token: \(token)
            base: \(base)
            table: Users
            timeout_ms: 250
            requests_per_second: \(options.requestsPerSecond)
            fields:
              email: Email
              display_name: Name
              role: Role
              password_hash: Password Hash
              modified_at: Last Modified
        \(options.airtableYAML)
        resolution:
          coalesce: \(options.coalesce)
          negative_cache_s: \(options.negativeCacheSeconds)
        auth:
          bcrypt_cost: 10
          max_failed_logins_per_address: 1000000
          max_failed_logins_per_email: 1000000
          max_failed_logins_per_email_and_address: 1000000\(options.minFailureMs.map { "\n  min_failure_ms: \($0)" } ?? "")
        webhook:
          schemes:
            - kind: hmac-sha256
              secrets: ["\(webhookSecret)"]
        sync:
          interval_s: \(options.syncIntervalSeconds)
          reconcile_interval_s: 0
        \(options.extraYAML)
        """
    }

    /// Build and start; returns once the server accepts connections (the store migrated).
    static func start(databaseURL: String, simURL: String, base: String, options: Options) async throws -> BenchService {
        let yaml = yaml(databaseURL: databaseURL, simURL: simURL, base: base, options: options)
        let config = try ConfigLoader(registry: BuiltinKinds.registry(), environment: [:]).load(yaml: yaml, file: "bench.yaml")
        let registry = PrometheusCollectorRegistry()
        let metrics = PrometheusMetricsFactory(registry: registry)
        // The real formatting cost of every log line, written nowhere.
        let logger = Logger(label: "provisiond", factory: { JSONLogHandler(label: $0, write: { _ in }) })
        let pipeline = try await config.build(registry: BuiltinKinds.registry(), logger: logger, metrics: metrics)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try await buildApplication(
            pipeline: pipeline,
            options: ServiceOptions(
                host: "127.0.0.1", port: options.port, metricsText: { registry.emitToString() }, metrics: metrics,
                onListening: { _, port in continuation.yield(port) }),
            logger: logger)
        // Stopped by graceful shutdown: cancelling the server while it still
        // accepts the flood's last connections trips a NIO precondition.
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        let task = Task<Void, any Error> {
            defer { continuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await task.value
            throw BenchError("the service stopped before it was listening")
        }
        return BenchService(pipeline: pipeline, baseURL: "http://127.0.0.1:\(port)", registry: registry, group: group, task: task)
    }

    /// The service's `airtable_requests` counter by status (`200`, `error`,
    /// `budget_exhausted`, `circuit_open`…).
    func airtableRequests() -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in registry.emitToString().split(separator: "\n") where line.hasPrefix("airtable_requests{") {
            guard let open = line.range(of: "status=\""), let close = line[open.upperBound...].firstIndex(of: "\"") else { continue }
            counts[String(line[open.upperBound..<close])] = Int(Double(line.split(separator: " ").last ?? "0") ?? 0)
        }
        return counts
    }

    /// Shut the service (server, pool) down gracefully and wait for it; cancel it after 10 s.
    func stop() async {
        await group.triggerGracefulShutdown()
        let task = self.task
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                _ = await task.result
                return true
            }
            group.addTask { (try? await Task.sleep(for: .seconds(10))) == nil }
            if await group.next() == false { task.cancel() }
            group.cancelAll()
        }
        _ = await task.result
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// HTTP/1.1 requests to the service; a transport error is status 0.
struct LoadClient {
    let http: HTTPClient
    let baseURL: String

    struct Reply {
        var status: Int
        var body: ByteBuffer
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] }
    }

    func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: .seconds(30))
            return Reply(status: Int(response.status.code), body: try await response.body.collect(upTo: 1 << 20))
        } catch {
            return Reply(status: 0, body: ByteBuffer())
        }
    }

    func login(_ email: String, _ password: String = BenchFixtures.password) async -> Reply {
        let body = try? JSONSerialization.data(withJSONObject: ["email": email, "password": password])
        return await send(.POST, "/api/auth/login", body: Array(body ?? Data()))
    }
}

extension BenchService {
    /// Run `body` with an in-process simulator (no rate limit) and an HTTP
    /// client; both are stopped afterwards, whatever `body` does.
    static func withSimulator<T>(latencyMs: Int = 0, _ body: (_ simURL: String, _ http: HTTPClient) async throws -> T) async throws -> T {
        let running = try await AirtableSimulator.start(configuration: SimConfiguration(token: token, rateLimitPerSecond: 0, latencyMs: latencyMs))
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let value = try await body(running.baseURL, http)
            try await http.shutdown()
            await running.stop()
            return value
        } catch {
            try? await http.shutdown()
            await running.stop()
            throw error
        }
    }

    /// A user in the store only, with the bench password, logged in once
    /// (warm pools and caches); returns its email.
    func warmStoreUser(_ prefix: String, client: LoadClient) async throws -> String {
        let email = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())@bench.example"
        _ = try await pipeline.store.upsert(SourceRecord(
            recordID: nil, values: ["email": email, "password_hash": BenchFixtures.passwordHash], modifiedAt: Date()))
        _ = await client.login(email)
        return email
    }
}

enum BenchFixtures {
    /// bcrypt (cost 10) of `password`, as the tests and the demo seed use.
    static let password = "demo-password"
    static let passwordHash = "$2b$10$OwX9Ifgd2sFcUxmsLTXFn.oRph9yHb4AX7uJ091loGsiEeDhXTac6"
}

/// Latencies in milliseconds.
struct Samples {
    var values: [Double] = []

    mutating func append(_ duration: Duration) {
        values.append(Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
    }

    var count: Int { values.count }

    /// Nearest-rank percentile; 0 when empty.
    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    var p50: Double { percentile(50) }
    var p95: Double { percentile(95) }
    var p99: Double { percentile(99) }

    /// "p50 / p95 / p99" in ms.
    var summary: String { String(format: "%.1f / %.1f / %.1f", p50, p95, p99) }
}

/// Time one call.
func timed<T>(_ samples: inout Samples, _ body: () async throws -> T) async rethrows -> T {
    let started = ContinuousClock.now
    let value = try await body()
    samples.append(ContinuousClock.now - started)
    return value
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Resident set size of this process from /proc/self/status, in MiB:
/// VmRSS, and its anonymous and file-backed parts (RssAnon, RssFile).
func residentMiB() -> (total: Double, anonymous: Double, file: Double) {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0, 0) }
    func field(_ name: String) -> Double {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return (line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
        }
        return 0
    }
    return (field("VmRSS"), field("RssAnon"), field("RssFile"))
}

/// Responses per status code, as "200×5, 503×3".
struct StatusTally {
    private(set) var counts: [Int: Int] = [:]
    mutating func add(_ status: Int) { counts[status, default: 0] += 1 }
    var nonOK: Int { counts.filter { $0.key != 200 }.values.reduce(0, +) }
    var summary: String {
        counts.keys.sorted().map { "\($0 == 0 ? "transport error" : String($0))×\(counts[$0]!)" }.joined(separator: ", ")
    }
}
