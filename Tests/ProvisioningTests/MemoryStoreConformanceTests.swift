import Logging
import Provisioning
import ProvisioningTestKit
import Testing

@Suite("MemoryStore conformance")
struct MemoryStoreConformanceTests {
    @Test("the memory store passes the store conformance suite", arguments: StoreConformance.caseNames)
    func conformance(_ name: String) async throws {
        try await StoreConformance.run(name) { precedence, softDelete in
            MemoryStore(precedence: precedence, softDelete: softDelete)
        }
    }

    @Test("the suite has every case it promises, each with a distinct name")
    func caseNames() {
        #expect(StoreConformance.caseNames.count == Set(StoreConformance.caseNames).count)
        #expect(StoreConformance.caseNames.count >= 25)
    }
}

/// Refresh tokens, the webhook ledger and sync state of the `memory` kind.
@Suite("Memory store kit conformance")
struct MemoryStoreKitConformanceTests {
    @Test("store kit conformance case", arguments: StoreKitConformance.caseNames)
    func conformance(_ name: String) async throws {
        try await StoreKitConformance.run(name) { precedence, softDelete in
            StoreKit.memory(precedence: precedence, softDelete: softDelete)
        }
    }

    @Test("the memory kind's built provider has every capability of the store contract")
    func builtProviderIsComplete() async throws {
        let instance = try await MemoryProviderFactory().make(
            .init(records: [], unavailable: false),
            context: ProviderContext(name: "m", precedence: PrecedencePolicy(), softDelete: SoftDeletePolicy(), attributes: Attribute.core, logger: .init(label: "t")))
        #expect(StoreKit(instance) != nil)
    }
}
