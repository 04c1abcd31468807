import Foundation
import Glibc
import PostgresNIO
import Provisioning
import Testing
@testable import ProvisioningPostgres
import ProvisioningTestKit

@Suite("A store query that never ends")
struct StuckLookupTests {
    /// The store over a fresh database, with a short deadline and a circuit
    /// that never opens (this test is about the batcher alone). 3 s: with 1 s
    /// the lookup after the stuck ones (it needs a new connection) failed once
    /// under `stress --cpu 2`.
    static func store(url: String) async throws -> PostgresIdentityStore {
        let client = PostgresClient(configuration: try PostgresURL.configuration(from: url, poolSize: 6), backgroundLogger: TestDatabase.logger)
        Task { await client.run() }
        try await Migrations.apply(client: client, logger: TestDatabase.logger)
        return PostgresIdentityStore(
            client: client, precedence: .init(), softDelete: .init(), attributes: Attribute.core, logger: TestDatabase.logger,
            gate: StoreGate(deadlineSeconds: 3, failureThreshold: 1_000))
    }

    @Test("batched lookups whose queries hang (their server stopped answering) free their slots at the deadline; the next lookup is answered")
    func stuckBatchFreesItsSlot() async throws {
        let url = try await TestDatabase.create()
        let store = try await Self.store(url: url)
        _ = try await store.upsert(SourceRecord(source: "airtable", recordID: nil, values: ["email": "known@example.com"], modifiedAt: Date()))
        let watcher = try await PostgresConnection.connect(
            configuration: try PostgresURL.connectionConfiguration(from: url), id: 1, logger: TestDatabase.logger)
        let locker = try await PostgresConnection.connect(
            configuration: try PostgresURL.connectionConfiguration(from: url), id: 2, logger: TestDatabase.logger)

        // Both batcher slots take a query that waits on a lock...
        _ = try await locker.query("BEGIN", logger: TestDatabase.logger)
        _ = try await locker.query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE", logger: TestDatabase.logger)
        let first = Task { try await store.user(canonicalEmail: "first@example.com") }
        let second = Task { try await store.user(canonicalEmail: "second@example.com") }
        let backends = try await Self.waitForBlockedLookups(count: 2, watcher: watcher)
        // ...and their server processes stop answering: the queries never end.
        for pid in backends { kill(pid, SIGSTOP) }
        defer { for pid in backends { kill(pid, SIGCONT) } }
        _ = try await locker.query("COMMIT", logger: TestDatabase.logger)

        await #expect(throws: StoreError.self) { try await first.value }
        await #expect(throws: StoreError.self) { try await second.value }
        #expect(store.emailLookups.queriesSent == 2)
        // Before the fix, both slots stayed taken forever and this waited its deadline out.
        let next: StoredUser?
        do { next = try await store.user(canonicalEmail: "known@example.com") } catch {
            Issue.record("the lookup after the stuck ones failed: \(error)")
            next = nil
        }
        #expect(next?.emailCanonical == "known@example.com")
        #expect(store.emailLookups.queriesSent == 3)

        for pid in backends {
            kill(pid, SIGCONT)
            _ = try await watcher.query("SELECT pg_terminate_backend(\(pid))", logger: TestDatabase.logger)
        }
        try await watcher.close()
        try await locker.close()
    }

    /// The server pids of `count` lookups waiting on a lock (polled: the
    /// lookups are sent by tasks of their own).
    static func waitForBlockedLookups(count: Int, watcher: PostgresConnection) async throws -> [Int32] {
        for _ in 0..<500 {
            var pids: [Int32] = []
            let rows = try await watcher.query("""
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%email_canonical = ANY%'
                """, logger: TestDatabase.logger)
            for try await pid in rows.decode(Int32.self) { pids.append(pid) }
            if pids.count == count { return pids }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw CancellationError()
    }
}
