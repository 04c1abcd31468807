import AirtableSim
import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import Provisioning
import ProvisioningAirtable
import ProvisioningPostgres
import ProvisioningService
import ProvisioningSignatures
import Synchronization

/// The measurements of `provision-bench service`, one function per kind of
/// row. Every loop is bounded in count and in time.
struct ServicePhases {
    let simulator: AirtableSimulator
    let simURL: String
    let base: String
    let runID: String
    /// Stops any loop that is still going at this point.
    let phaseLimit: Duration = .seconds(60)

    // MARK: Rows 1-3: hit, miss, simulator round trip, one upsert

    struct Latencies {
        var hit = Samples()
        var miss = Samples()
        var roundTrip = Samples()
        var upsert = Samples()
        /// `pipeline.resolve(email:)` of a new Airtable-only email, in-process (no HTTP, no bcrypt).
        var resolve = Samples()
        var hitFailures = StatusTally()
        var missStatuses = StatusTally()
        var lookupFailures = 0
        var resolveFailures = 0
    }

    /// `count` first logins of distinct Airtable-only users at the given
    /// simulator latency, with `hits` store-user logins spread between them.
    /// With `reference`, each iteration also times the read-through alone (`pipeline.resolve(email:)`
    /// of another new Airtable-only email, in-process), the simulator round
    /// trip of the same email lookup (a fresh `AirtableClient`) and one
    /// upsert of a new identity, so that every distribution sees the same load.
    func latencies(
        service: BenchService, client: LoadClient, latencyMs: Int, count: Int, hits: Int,
        storeEmails: [String], tag: String, reference: Bool
    ) async throws -> Latencies {
        simulator.setLatency(fixedMs: latencyMs)
        let emails = (0..<count).map { "miss-\(tag)-\(runID)-\($0)@bench.example" }
        for (index, email) in emails.enumerated() { airtableUser(email, name: "Miss \(index)") }
        let direct = reference ? (0..<count).map { "direct-\(tag)-\(runID)-\($0)@bench.example" } : []
        for (index, email) in direct.enumerated() { airtableUser(email, name: "Direct \(index)") }
        let lookupClient = AirtableClient(
            settings: AirtableSettings(
                apiURL: simURL, token: BenchService.token, base: base, table: "Users", timeoutMilliseconds: 250,
                requestsPerSecond: 1000, fields: Self.fields),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        var result = Latencies()
        let deadline = ContinuousClock.now + phaseLimit
        for (index, email) in emails.enumerated() where ContinuousClock.now < deadline {
            for hit in (index * hits / count)..<((index + 1) * hits / count) {
                let storeEmail = storeEmails[hit % storeEmails.count]
                var sample = Samples()
                let reply = await timed(&sample) { await client.login(storeEmail) }
                if reply.status == 200 { result.hit.append(contentsOf: sample) } else { result.hitFailures.add(reply.status) }
            }
            var sample = Samples()
            let reply = await timed(&sample) { await client.login(email) }
            result.missStatuses.add(reply.status)
            if reply.status == 200 { result.miss.append(contentsOf: sample) }
            guard reference else { continue }
            let resolution = try await timed(&result.resolve) { try await service.pipeline.pipeline.resolve(email: direct[index]) }
            if case .found(_, provisioned: true) = resolution {} else { result.resolveFailures += 1 }
            let lookup = await timed(&result.roundTrip) { await lookupClient.lookup(canonicalEmail: email) }
            if case .found = lookup {} else { result.lookupFailures += 1 }
            let key = "\(tag)\(runID)\(index)"
            _ = try await timed(&result.upsert) {
                try await service.pipeline.store.upsert(SourceRecord(
                    source: "airtable", recordID: "recUp\(key)",
                    values: ["email": "upsert-\(key)@bench.example", "display_name": "Upsert \(index)", "role": "viewer", "password_hash": BenchFixtures.passwordHash],
                    modifiedAt: Date()))
            }
        }
        return result
    }

    // MARK: Row 4: many first logins of one email

    struct Storm {
        var simRequests = 0
        /// The service's source requests by outcome during the storm.
        var lookups: [String: Int] = [:]
        var rows = 0
        var statuses = StatusTally()
        var elapsed: Duration = .zero
    }

    func storm(service: BenchService, client: LoadClient, count: Int, tag: String) async throws -> Storm {
        let email = "storm-\(tag)-\(runID)@bench.example"
        airtableUser(email, name: "Storm")
        simulator.resetCounters()
        let before = service.airtableRequests()
        var result = Storm()
        let started = ContinuousClock.now
        result.statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<count { group.addTask { await client.login(email).status } }
            var tally = StatusTally()
            for await status in group { tally.add(status) }
            return tally
        }
        result.elapsed = ContinuousClock.now - started
        result.simRequests = simulator.counters().total
        result.lookups = Self.delta(service.airtableRequests(), since: before)
        result.rows = try await rowCount(service, email: email)
        return result
    }

    // MARK: Row 5: a flood of unknown emails

    struct Flood {
        var simRequests = 0
        /// Requests the simulator refused with 429 (only when its limit is on).
        var simRateLimited = 0
        /// The service's source requests by outcome during the flood.
        var lookups: [String: Int] = [:]
        var maxInOneSecond = 0
        var elapsed: Duration = .zero
        var requestsPerSecond = 0
        var statuses = StatusTally()
        var quiet = Samples()
        var during = Samples()
        var probeFailures = StatusTally()
        /// `store.user(canonicalEmail:)` in-process, sequential: quiet, then during the flood.
        var storeQuiet = Samples()
        var storeDuring = Samples()
        /// `GET /healthz` on the probe's client, sequential: quiet, then during the flood.
        var staticQuiet = Samples()
        var staticDuring = Samples()

        /// What the rate budget lets through: rate × elapsed + one burst (a full window).
        var budget: Double { Double(requestsPerSecond) * elapsed.seconds + Double(requestsPerSecond) }
    }

    /// `quietCount` sequential store-user logins (quiet), then `count`
    /// distinct unknown emails at once while the same probe keeps logging a
    /// store user in on its own connection, until the flood is answered.
    func flood(
        service: BenchService, load: LoadClient, probe: LoadClient, count: Int, quietCount: Int, storeEmails: [String],
        requestsPerSecond: Int, tag: String
    ) async -> Flood {
        var result = Flood()
        result.requestsPerSecond = requestsPerSecond
        let deadline = ContinuousClock.now + phaseLimit
        for index in 0..<quietCount where ContinuousClock.now < deadline {
            var sample = Samples()
            let reply = await timed(&sample) { await probe.login(storeEmails[index % storeEmails.count]) }
            if reply.status == 200 { result.quiet.append(contentsOf: sample) } else { result.probeFailures.add(reply.status) }
        }
        for index in 0..<(quietCount > 0 ? 200 : 0) where ContinuousClock.now < deadline {
            _ = try? await timed(&result.storeQuiet) { try await service.pipeline.store.user(canonicalEmail: storeEmails[index % storeEmails.count]) }
        }
        for _ in 0..<quietCount where ContinuousClock.now < deadline {
            _ = await timed(&result.staticQuiet) { await probe.send(.GET, "/healthz") }
        }
        // A full bucket before the flood.
        try? await Task.sleep(for: .milliseconds(1500))
        simulator.resetCounters()
        let before = service.airtableRequests()
        let emails = (0..<count).map { "flood-\(tag)-\(runID)-\($0)@bench.example" }
        let finished = Flag()
        let started = ContinuousClock.now
        let since = Date()
        let (statuses, during, probeFailures) = await withTaskGroup(of: FloodPart.self) { group in
            group.addTask {
                let tally = await withTaskGroup(of: Int.self) { inner in
                    for email in emails { inner.addTask { await load.login(email).status } }
                    var tally = StatusTally()
                    for await status in inner { tally.add(status) }
                    return tally
                }
                finished.set()
                return .flood(tally, ContinuousClock.now - started)
            }
            group.addTask {
                var samples = Samples()
                var failures = StatusTally()
                var index = 0
                while !finished.isSet, index < 1000, ContinuousClock.now < deadline {
                    var sample = Samples()
                    let reply = await timed(&sample) { await probe.login(storeEmails[index % storeEmails.count]) }
                    if reply.status == 200 { samples.append(contentsOf: sample) } else { failures.add(reply.status) }
                    index += 1
                }
                return .probe(samples, failures)
            }
            group.addTask {
                var samples = Samples()
                var index = 0
                while !finished.isSet, index < 10_000, ContinuousClock.now < deadline {
                    _ = await timed(&samples) { await probe.send(.GET, "/healthz") }
                    index += 1
                }
                return .staticProbe(samples)
            }
            group.addTask {
                var samples = Samples()
                var index = 0
                while !finished.isSet, index < 100_000, ContinuousClock.now < deadline {
                    _ = try? await timed(&samples) { try await service.pipeline.store.user(canonicalEmail: storeEmails[index % storeEmails.count]) }
                    index += 1
                }
                return .storeProbe(samples)
            }
            var statuses = StatusTally()
            var during = Samples()
            var failures = StatusTally()
            for await part in group {
                switch part {
                case .flood(let tally, let elapsed):
                    statuses = tally
                    result.elapsed = elapsed
                case .probe(let samples, let probeFailures):
                    during = samples
                    failures = probeFailures
                case .storeProbe(let samples):
                    result.storeDuring = samples
                case .staticProbe(let samples):
                    result.staticDuring = samples
                }
            }
            return (statuses, during, failures)
        }
        result.statuses = statuses
        result.during = during
        result.probeFailures = probeFailures
        let counters = simulator.counters()
        result.simRequests = counters.total
        result.simRateLimited = counters.rateLimited
        result.lookups = Self.delta(service.airtableRequests(), since: before)
        let times = simulator.requestLog().map(\.time).filter { $0 >= since }.sorted()
        var first = 0
        for last in times.indices {
            while times[last].timeIntervalSince(times[first]) >= 1 { first += 1 }
            result.maxInOneSecond = max(result.maxInOneSecond, last - first + 1)
        }
        return result
    }

    private final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }

    private enum FloodPart: Sendable {
        case flood(StatusTally, Duration)
        case probe(Samples, StatusTally)
        case storeProbe(Samples)
        case staticProbe(Samples)
    }

    // MARK: Rows 6-7: throughput

    /// Successful operations per second of `operation` run back to back by
    /// `tasks` tasks for `seconds`; failures are counted apart.
    func throughput(tasks: Int, seconds: Double, _ operation: @escaping @Sendable (Int, Int) async -> Bool) async -> (rate: Double, failures: Int) {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        let started = ContinuousClock.now
        let (ok, failed) = await withTaskGroup(of: (Int, Int).self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var ok = 0
                    var failed = 0
                    var count = 0
                    while ContinuousClock.now < deadline, count < 1_000_000 {
                        if await operation(task, count) { ok += 1 } else { failed += 1 }
                        count += 1
                    }
                    return (ok, failed)
                }
            }
            return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
        }
        return (Double(ok) / (ContinuousClock.now - started).seconds, failed)
    }

    /// A signed `user.created` event for a new record and email.
    func webhookDelivery(client: LoadClient, task: Int, count: Int) async -> Bool {
        let id = "evt_\(runID)_\(task)_\(count)"
        let now = Date()
        let time = now.formatted(Date.ISO8601FormatStyle())
        // Built as text: the load generator shares the cores with the service.
        let body = Data("""
            {"id":"\(id)","type":"user.created","occurred_at":"\(time)","record":{"id":"recWh\(runID)\(task)x\(count)",\
            "modified_at":"\(time)","fields":{"Email":"hook-\(runID)-\(task)-\(count)@bench.example","Name":"Hook \(count)","Role":"viewer"}}}
            """.utf8)
        let timestamp = Int(now.timeIntervalSince1970)
        guard let signature = try? HMACSignatureScheme.sign(id: id, timestamp: timestamp, body: Array(body), secret: BenchService.webhookSecret) else {
            return false
        }
        let reply = await client.send(
            .POST, "/api/sync/users/inbound",
            headers: [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature)],
            body: Array(body))
        return reply.status == 200 && String(buffer: reply.body).contains(#""status":"processed""#)
    }

    // MARK: Helpers

    static let fields = [
        "email": "Email", "display_name": "Name", "role": "Role", "password_hash": "Password Hash", "modified_at": "Last Modified",
    ]

    static func delta(_ after: [String: Int], since before: [String: Int]) -> [String: Int] {
        after.reduce(into: [:]) { delta, entry in
            let change = entry.value - (before[entry.key] ?? 0)
            if change > 0 { delta[entry.key] = change }
        }
    }

    /// A user in the simulator ("Airtable") only.
    func airtableUser(_ email: String, name: String) {
        simulator.insert(
            base: base, table: "Users",
            fields: ["Email": .string(email), "Name": .string(name), "Role": .string("viewer"), "Password Hash": .string(BenchFixtures.passwordHash)])
    }

    /// Store rows holding `email` (the unique index allows at most one).
    func rowCount(_ service: BenchService, email: String) async throws -> Int {
        guard let store = service.pipeline.providerStore as? PostgresIdentityStore else { throw BenchError("the store is not PostgreSQL") }
        let rows = try await store.client.query(
            "SELECT count(*)::int4 FROM users WHERE email_canonical = \(email)", logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        for try await count in rows.decode(Int32.self) { return Int(count) }
        return 0
    }
}

extension Samples {
    mutating func append(contentsOf other: Samples) {
        values += other.values
    }
}
