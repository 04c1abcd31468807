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
