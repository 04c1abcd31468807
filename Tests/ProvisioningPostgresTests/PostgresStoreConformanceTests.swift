import Provisioning
import ProvisioningTestKit
import Testing

/// The same cases the memory store passes, against real PostgreSQL: the
/// precedence rules compiled into SQL agree with their Swift definition.
@Suite("Postgres store conformance")
struct PostgresStoreConformanceTests {
    @Test("conformance case", arguments: StoreConformance.caseNames)
    func conformance(_ name: String) async throws {
        try await StoreConformance.run(name) { precedence, softDelete in
            try await TestDatabase.makeStore(precedence: precedence, softDelete: softDelete, poolSize: 2)
        }
    }
}

/// Refresh tokens, the webhook ledger and sync state of the `postgres` kind.
@Suite("Postgres store kit conformance")
struct PostgresStoreKitConformanceTests {
    @Test("store kit conformance case", arguments: StoreKitConformance.caseNames)
    func conformance(_ name: String) async throws {
        try await StoreKitConformance.run(name) { precedence, softDelete in
            try await TestDatabase.makeKit(precedence: precedence, softDelete: softDelete)
        }
    }
}
