import Foundation
import PostgresNIO
import Provisioning
import Testing
@testable import ProvisioningPostgres
import ProvisioningTestKit

@Suite("Postgres store under concurrency")
struct ConcurrencyTests {
    static func record(_ email: String, id: String?, modified: Date = Date(timeIntervalSince1970: 1_800_000_000), name: String = "Ada") -> SourceRecord {
        SourceRecord(source: "airtable", recordID: id, values: ["email": email, "display_name": name], modifiedAt: modified)
    }

    @Test("64 concurrent upserts of one new identity (email only, with record id, differing case) make one row and all succeed")
    func concurrentFirstUpserts() async throws {
        let store = try await TestDatabase.makeStore(poolSize: 20)
        let variants = ["ada@example.com", "ADA@example.com", " Ada@Example.com ", "ada@EXAMPLE.COM"]
        let outcomes = try await withThrowingTaskGroup(of: UpsertResult.self) { group in
            for index in 0..<64 {
                let email = variants[index % variants.count]
                let recordID: String? = index % 3 == 0 ? nil : "recAda0000000001"
                group.addTask { try await store.upsert(Self.record(email, id: recordID)) }
            }
            return try await group.reduce(into: [UpsertResult]()) { $0.append($1) }
        }
        #expect(outcomes.count == 64)
        #expect(Set(outcomes.map(\.user.id)).count == 1)
        #expect(outcomes.filter { $0.outcome == .inserted }.count == 1)
        let rows = try await TestDatabase.count(store.client, "SELECT count(*)::int FROM users")
        #expect(rows == 1)
        let linked = try #require(try await store.user(canonicalEmail: "ada@example.com"))
        #expect(linked.recordID(in: "airtable") == "recAda0000000001")
    }

    @Test("concurrent upserts and a delete of one record leave one consistent row")
    func upsertRacingDelete() async throws {
        let store = try await TestDatabase.makeStore(poolSize: 10)
        _ = try await store.upsert(Self.record("grace@example.com", id: "recGrace00000001"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask {
                    if index == 10 {
                        _ = try await store.delete(source: "airtable", recordID: "recGrace00000001")
                    } else {
                        _ = try await store.upsert(Self.record("grace@example.com", id: "recGrace00000001", name: "Grace \(index)"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let rows = try await TestDatabase.count(store.client, "SELECT count(*)::int FROM users")
        #expect(rows == 1)
        let user = try #require(try await store.user(source: "airtable", recordID: "recGrace00000001"))
        #expect(user.emailCanonical == "grace@example.com")
    }

    @Test("an email change on a record moves the canonical email; the old one is free")
    func emailChange() async throws {
        let store = try await TestDatabase.makeStore()
        let first = try await store.upsert(Self.record("old@example.com", id: "recMove00000001"))
        let moved = try await store.upsert(Self.record("New@Example.com", id: "recMove00000001", modified: Date(timeIntervalSince1970: 1_800_000_100)))
        #expect(moved.outcome == .updated)
        #expect(moved.user.id == first.user.id)
        #expect(moved.user.emailCanonical == "new@example.com")
        #expect(moved.user.email == "New@Example.com")
        #expect(try await store.user(canonicalEmail: "old@example.com") == nil)
    }

    @Test("an email owned by another record is a typed error and writes nothing")
    func emailCollision() async throws {
        let store = try await TestDatabase.makeStore()
        _ = try await store.upsert(Self.record("taken@example.com", id: "recOwner0000001"))
        let other = try await store.upsert(Self.record("other@example.com", id: "recOther0000001"))
        await #expect(throws: StoreError.emailOwnedByAnotherRecord) {
            try await store.upsert(Self.record("taken@example.com", id: "recThird0000001"))
        }
        await #expect(throws: StoreError.emailOwnedByAnotherRecord) {
            try await store.upsert(Self.record("TAKEN@example.com", id: "recOther0000001", modified: Date(timeIntervalSince1970: 1_900_000_000)))
        }
        let rows = try await TestDatabase.count(store.client, "SELECT count(*)::int FROM users")
        #expect(rows == 2)
        let unchanged = try #require(try await store.user(source: "airtable", recordID: "recOther0000001"))
        #expect(unchanged == other.user)
    }

    @Test("a stale record changes nothing")
    func staleIgnored() async throws {
        let store = try await TestDatabase.makeStore()
        let fresh = try await store.upsert(Self.record("kay@example.com", id: "recKay000000001", modified: Date(timeIntervalSince1970: 1_800_000_500), name: "New"))
        let stale = try await store.upsert(Self.record("kay@example.com", id: "recKay000000001", modified: Date(timeIntervalSince1970: 1_800_000_000), name: "Old"))
        #expect(stale.outcome == .staleIgnored)
        #expect(stale.user == fresh.user)
        #expect(stale.user.displayName == "New")
    }

    @Test("inside a transaction, a retried unique violation does not abort the caller's transaction")
    func upsertInsideTransaction() async throws {
        let store = try await TestDatabase.makeStore(poolSize: 20)
        let results = try await withThrowingTaskGroup(of: UpsertResult.self) { group in
            for index in 0..<16 {
                group.addTask {
                    try await store.client.withTransaction(logger: TestDatabase.logger) { connection in
                        let result = try await store.upsert(
                            Self.record(index.isMultiple(of: 2) ? "tx@example.com" : "TX@example.com", id: index % 4 == 0 ? nil : "recTx0000000001"),
                            on: connection, uniqueViolations: .retryBehindSavepoint)
                        _ = try await connection.query("INSERT INTO webhook_events (event_id, body_sha256, outcome) VALUES (\("evt\(index)"), 'x', \(result.outcome.rawValue))", logger: TestDatabase.logger)
                        return result
                    }
                }
            }
            return try await group.reduce(into: [UpsertResult]()) { $0.append($1) }
        }
        #expect(Set(results.map(\.user.id)).count == 1)
        #expect(try await TestDatabase.count(store.client, "SELECT count(*)::int FROM users") == 1)
        #expect(try await TestDatabase.count(store.client, "SELECT count(*)::int FROM webhook_events") == 16)
    }
}
