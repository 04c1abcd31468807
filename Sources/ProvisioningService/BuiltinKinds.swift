import Provisioning
import ProvisioningAirtable
import ProvisioningMail
import ProvisioningPostgres
import ProvisioningSCIM
import ProvisioningSignatures

/// The one place that names the shipped kinds. A new kind is one file in its
/// module and one line here.
public enum BuiltinKinds {
    /// Register every shipped kind; a kind already registered (by the caller,
    /// or twice here) is `RegistryError.duplicateKind`.
    public static func register(into registry: inout KindRegistry) throws {
        try registry.register(provider: PostgresProviderFactory())
        try registry.register(provider: AirtableProviderFactory())
        try registry.register(provider: MemoryProviderFactory())
        try registry.register(provider: SCIMProviderFactory())
        try registry.register(scheme: HMACSignatureScheme())
        try registry.register(scheme: SharedTokenScheme())
        try registry.register(credential: PasswordCredentialFactory())
        try registry.register(credential: EmailCodeCredentialFactory())
        try registry.register(credential: OIDCCredentialFactory())
        try registry.register(mailer: SMTPMailerFactory())
        try registry.register(mailer: FileMailerFactory())
    }

    /// A registry of the shipped kinds. A duplicate here is a programming
    /// error, and stops the process with the registry's message.
    public static func registry() -> KindRegistry {
        var registry = KindRegistry()
        do {
            try register(into: &registry)
        } catch {
            fatalError("built-in kinds: \(error)")
        }
        return registry
    }
}
