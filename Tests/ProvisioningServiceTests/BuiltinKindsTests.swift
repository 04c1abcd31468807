import Provisioning
import ProvisioningService
import Testing

@Suite("Built-in kinds")
struct BuiltinKindsTests {
    @Test("the shipped kinds are registered once each")
    func shippedKinds() {
        let registry = BuiltinKinds.registry()
        #expect(Set(registry.providers.keys) == ["postgres", "airtable", "memory", "scim"])
        #expect(Set(registry.schemes.keys) == ["hmac-sha256", "shared-token"])
    }

    @Test("registering a kind that is already there fails loudly instead of being skipped")
    func duplicateFails() throws {
        var registry = KindRegistry()
        try registry.register(provider: MemoryProviderFactory())
        #expect(throws: RegistryError.duplicateKind("memory")) { try BuiltinKinds.register(into: &registry) }
        var twice = KindRegistry()
        try BuiltinKinds.register(into: &twice)
        #expect(throws: RegistryError.duplicateKind("postgres")) { try BuiltinKinds.register(into: &twice) }
    }
}
