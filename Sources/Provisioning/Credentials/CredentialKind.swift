/// A credential kind (`password`, `email_code`, `oidc`): how a user proves
/// who they are. Declared in `credentials:` and registered by `kind` like
/// providers. The core only decodes its section; the service module builds
/// its routes from the settings (a kind not declared has no routes).
public protocol CredentialKindFactory: Sendable {
    associatedtype Settings: Sendable
    var kind: String { get }
    /// A commented YAML sample of one `credentials:` entry.
    var sampleConfig: String { get }
    /// Read the entry; problems are reported on it (file:line:column).
    /// `registry` gives the mailer kinds, for kinds that send mail.
    func decode(_ section: ConfigSection, registry: KindRegistry) -> Settings?
}

public struct AnyCredentialKindFactory: Sendable {
    public let kind: String
    public let sampleConfig: String
    /// The factory as registered, for the module that builds the kind's
    /// routes (it casts to its own refinement of `CredentialKindFactory`).
    public let factory: any CredentialKindFactory
    let decode: @Sendable (ConfigSection, KindRegistry) -> (any Sendable)?

    public init<F: CredentialKindFactory>(_ factory: F) {
        kind = factory.kind
        sampleConfig = factory.sampleConfig
        self.factory = factory
        decode = { factory.decode($0, registry: $1) }
    }
}

/// One declared credential kind: `credentials[i]`, decoded by its factory.
public struct CredentialDeclaration: Sendable {
    public var kind: String
    public var settings: any Sendable
    public var factory: AnyCredentialKindFactory
}

/// The settings of kind `password` (it has none yet): the default
/// `credentials:` list is this kind alone.
public struct PasswordCredentialSettings: Sendable, Equatable {
    public init() {}
}

/// Kind `password`: `POST /api/auth/login` with a bcrypt hash.
public struct PasswordCredentialFactory: CredentialKindFactory {
    public init() {}
    public let kind = "password"
    public let sampleConfig = """
        - kind: password               # POST /api/auth/login (bcrypt $2a$/$2b$/$2y$)
        """
    public func decode(_ section: ConfigSection, registry: KindRegistry) -> PasswordCredentialSettings? {
        PasswordCredentialSettings()
    }

    /// `credentials:` when the key is absent: this kind alone, as before credential kinds.
    static var defaultDeclaration: CredentialDeclaration {
        let factory = AnyCredentialKindFactory(PasswordCredentialFactory())
        return CredentialDeclaration(kind: factory.kind, settings: PasswordCredentialSettings(), factory: factory)
    }
}
