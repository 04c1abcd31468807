import Provisioning
import ProvisioningAirtable
import ProvisioningPostgres
import ProvisioningSignatures

/// The one place that names the shipped kinds. A new kind is one file in its
/// module and one line here.
public enum BuiltinKinds {
    public static func registry() -> KindRegistry {
        var registry = KindRegistry()
        // Each kind is registered once; a duplicate would be a programming error caught by tests.
        try? registry.register(provider: PostgresProviderFactory())
        try? registry.register(provider: AirtableProviderFactory())
        try? registry.register(provider: MemoryProviderFactory())
        try? registry.register(scheme: HMACSignatureScheme())
        try? registry.register(scheme: SharedTokenScheme())
        return registry
    }
}
