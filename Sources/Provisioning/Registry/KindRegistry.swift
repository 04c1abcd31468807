/// Maps provider, signature-scheme, credential and mailer kinds to their factories. A value,
/// built once at start-up and passed to whoever builds a pipeline; tests
/// pass a different one.
public struct KindRegistry: Sendable {
    public private(set) var providers: [String: AnyProviderFactory] = [:]
    public private(set) var schemes: [String: AnySignatureSchemeFactory] = [:]
    public private(set) var credentials: [String: AnyCredentialKindFactory] = [:]
    public private(set) var mailers: [String: AnyMailerFactory] = [:]

    public init() {}

    /// Register a provider kind; a kind registered twice is an error.
    public mutating func register<F: ProviderFactory>(provider factory: F) throws(RegistryError) {
        guard providers[factory.kind] == nil else { throw .duplicateKind(factory.kind) }
        providers[factory.kind] = AnyProviderFactory(factory)
    }

    /// Register a signature-scheme kind; a kind registered twice is an error.
    public mutating func register<F: SignatureSchemeFactory>(scheme factory: F) throws(RegistryError) {
        guard schemes[factory.kind] == nil else { throw .duplicateKind(factory.kind) }
        schemes[factory.kind] = AnySignatureSchemeFactory(factory)
    }

    /// Register a credential kind; a kind registered twice is an error.
    public mutating func register<F: CredentialKindFactory>(credential factory: F) throws(RegistryError) {
        guard credentials[factory.kind] == nil else { throw .duplicateKind(factory.kind) }
        credentials[factory.kind] = AnyCredentialKindFactory(factory)
    }

    /// Register a mailer kind; a kind registered twice is an error.
    public mutating func register<F: MailerFactory>(mailer factory: F) throws(RegistryError) {
        guard mailers[factory.kind] == nil else { throw .duplicateKind(factory.kind) }
        mailers[factory.kind] = AnyMailerFactory(factory)
    }
}

public enum RegistryError: Error, Equatable, CustomStringConvertible {
    case duplicateKind(String)
    case settingsMismatch(String)

    public var description: String {
        switch self {
        case .duplicateKind(let kind): "kind '\(kind)' is registered twice"
        case .settingsMismatch(let kind): "settings of kind '\(kind)' were decoded by another factory"
        }
    }
}
