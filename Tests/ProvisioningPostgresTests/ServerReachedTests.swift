import PostgresNIO
import Provisioning
import Foundation
import Testing
@testable import ProvisioningPostgres
import ProvisioningTestKit

@Suite("The suite reaches a real PostgreSQL server")
struct ServerReachedTests {
    @Test("a query runs on the server that scripts/test.sh started")
    func serverAnswers() async throws {
        let client = try await TestDatabase.makeClient()
        var version = ""
        for try await text in try await client.query("SHOW server_version", logger: TestDatabase.logger).decode(String.self) {
            version = text
        }
        #expect(version.split(separator: ".").first.flatMap { Int($0) } ?? 0 >= 12)
        let tables = try await TestDatabase.count(client, "SELECT count(*)::int FROM information_schema.tables WHERE table_name IN ('users', 'webhook_events', 'refresh_tokens')")
        #expect(tables == 3)
    }

    @Test("migrations are recorded once and a second run applies nothing")
    func migrationsIdempotent() async throws {
        let client = try await TestDatabase.makeClient()
        let again = try await Migrations.apply(client: client, logger: TestDatabase.logger)
        #expect(again.isEmpty)
        let recorded = try await TestDatabase.count(client, "SELECT count(*)::int FROM schema_migrations")
        #expect(recorded == Migrations.steps(.default, legacySource: Migrations.defaultLegacySource).count)
    }

    @Test("two instances migrating one database at once both succeed")
    func concurrentMigrations() async throws {
        let url = try await TestDatabase.create()
        let clients = try (0..<4).map { _ in
            PostgresClient(configuration: try PostgresURL.configuration(from: url, poolSize: 2), backgroundLogger: TestDatabase.logger)
        }
        for client in clients { Task { await client.run() } }
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for client in clients { group.addTask { try await Migrations.apply(client: client, logger: TestDatabase.logger) } }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == Migrations.steps(.default, legacySource: Migrations.defaultLegacySource).map(\.version))
    }
}

@Suite("An unreachable store")
struct UnreachableStoreTests {
    @Test("answers StoreError.unavailable at its deadline instead of hanging")
    func unreachableStoreIsUnavailable() async throws {
        let configuration = try PostgresURL.configuration(from: "postgres://postgres@127.0.0.1:1/nowhere", poolSize: 1)
        let client = PostgresClient(configuration: configuration, backgroundLogger: TestDatabase.logger)
        Task { await client.run() }
        let store = PostgresIdentityStore(
            client: client, precedence: .init(), softDelete: .init(), attributes: Attribute.core, logger: TestDatabase.logger,
            deadlineSeconds: 0.5)
        let started = ContinuousClock.now
        await #expect(throws: StoreError.self) { try await store.user(canonicalEmail: "a@example.com") }
        await #expect(throws: StoreError.self) { try await store.upsert(SourceRecord(source: "airtable", recordID: "recX", values: ["email": "a@example.com"], modifiedAt: .now)) }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(await store.isReachable() == false)
    }
}
