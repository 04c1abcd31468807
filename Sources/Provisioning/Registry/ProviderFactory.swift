import Logging
import Metrics

/// What a provider kind can be in `resolution.order`.
public struct ProviderRoles: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Writable system of record: the first entry.
    public static let store = ProviderRoles(rawValue: 1)
    /// Read-through source: any later entry.
    public static let source = ProviderRoles(rawValue: 2)
}

/// Everything a provider is built with besides its own section.
public struct ProviderContext: Sendable {
    public var name: String
    public var precedence: PrecedencePolicy
    public var softDelete: SoftDeletePolicy
    /// Every attribute any declared provider maps (core ones included).
    public var attributes: [String]
    public var logger: Logger
    public var metrics: any MetricsFactory
    /// Whether concurrent lookups of one key should share one request.
    public var coalesce: Bool
    /// The first source of `resolution.order` (a store files the record
    /// ids of its earlier single-source schema under this name).
    public var firstSource: String
    /// What the store shares with other instances (sources spend its
    /// request windows); `.none` for the store itself and without one.
    public var coordination: Coordination

    public init(
        name: String, precedence: PrecedencePolicy, softDelete: SoftDeletePolicy, attributes: [String], logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory, coalesce: Bool = true, firstSource: String = "",
        coordination: Coordination = .none
    ) {
        self.coordination = coordination
        self.firstSource = firstSource
        self.metrics = metrics
        self.coalesce = coalesce
        self.name = name
        self.precedence = precedence
        self.softDelete = softDelete
        self.attributes = attributes
        self.logger = logger
    }
}

/// A built provider: a store, a source, or both, and what must run while it is used.
public struct ProviderInstance: Sendable {
    public var store: (any IdentityStore)?
    public var source: (any IdentitySource)?
    /// The source, when it can also be listed (background sync, reconciliation):
    /// declared by the kind, never discovered by a cast.
    public var listable: (any ListableSource)?
    /// A store's refresh-token storage.
    public var refreshTokens: (any RefreshTokenRepository)?
    /// A store's webhook idempotency ledger (commits with the store's writes).
    public var webhookLedger: (any WebhookLedger)?
    /// A store's sync cursors and lease (background sync); nil: cannot sync.
    public var syncState: (any SyncStateStore)?
    /// A store's emailed sign-in codes (credential kind `email_code`).
    public var signInCodes: (any SignInCodeStore)?
    /// A store's identities at external identity providers (kind `oidc`).
    public var externalIdentities: (any ExternalIdentityStore)?
    /// A store's source subscriptions (Airtable webhooks' ids, secrets, cursors).
    public var sourceSubscriptions: (any SourceSubscriptionStore)?
    /// A source's pushed changes (an Airtable webhook), when configured.
    public var pushFeed: (any PushFeed)?
    /// What a store shares with every instance on it (budgets, lookup locks, change feed).
    public var coordination: Coordination
    /// Runs for the life of the service (a connection pool, say); nil if none.
    public var run: (@Sendable () async throws -> Void)?

    public init(
        store: (any IdentityStore)? = nil, source: (any IdentitySource)? = nil, listable: (any ListableSource)? = nil,
        refreshTokens: (any RefreshTokenRepository)? = nil, webhookLedger: (any WebhookLedger)? = nil,
        syncState: (any SyncStateStore)? = nil, signInCodes: (any SignInCodeStore)? = nil,
        externalIdentities: (any ExternalIdentityStore)? = nil, sourceSubscriptions: (any SourceSubscriptionStore)? = nil,
        pushFeed: (any PushFeed)? = nil, coordination: Coordination = .none, run: (@Sendable () async throws -> Void)? = nil
    ) {
        self.pushFeed = pushFeed
        self.sourceSubscriptions = sourceSubscriptions
        self.coordination = coordination
        self.signInCodes = signInCodes
        self.externalIdentities = externalIdentities
        self.store = store
        self.source = source
        self.listable = listable
        self.refreshTokens = refreshTokens
        self.webhookLedger = webhookLedger
        self.syncState = syncState
        self.run = run
    }
}

/// A provider kind: decodes and validates its own config section and builds
/// the provider. Registered by `kind` in a `KindRegistry`; nothing else names it.
public protocol ProviderFactory: Sendable {
    associatedtype Settings: Sendable
    /// The `kind:` value.
    var kind: String { get }
    var roles: ProviderRoles { get }
    /// A commented `providers:` entry for this kind; tests decode it.
    var sampleConfig: String { get }
    /// Read this kind's keys (`name` and `kind` are read already); report
    /// problems on the section; nil when the section is unusable.
    func decode(_ section: ConfigSection) -> Settings?
    /// The attributes this provider maps, beyond the core ones.
    func mappedAttributes(_ settings: Settings) -> [String]
    /// Attribute -> the source's field name, for events that carry the
    /// source's fields (the inbound webhook). Empty: no mapping declared.
    func fieldMapping(_ settings: Settings) -> [String: String]
    func make(_ settings: Settings, context: ProviderContext) async throws -> ProviderInstance
}

extension ProviderFactory {
    public func mappedAttributes(_ settings: Settings) -> [String] { [] }
    public func fieldMapping(_ settings: Settings) -> [String: String] { [:] }
}

/// A provider factory with its settings type erased, as the registry keeps it.
public struct AnyProviderFactory: Sendable {
    public let kind: String
    public let roles: ProviderRoles
    public let sampleConfig: String
    let decode: @Sendable (ConfigSection) -> (any Sendable)?
    let mappedAttributes: @Sendable (any Sendable) -> [String]
    let fieldMapping: @Sendable (any Sendable) -> [String: String]
    let make: @Sendable (any Sendable, ProviderContext) async throws -> ProviderInstance

    public init<F: ProviderFactory>(_ factory: F) {
        kind = factory.kind
        roles = factory.roles
        sampleConfig = factory.sampleConfig
        decode = { factory.decode($0) }
        mappedAttributes = { ($0 as? F.Settings).map(factory.mappedAttributes) ?? [] }
        fieldMapping = { ($0 as? F.Settings).map(factory.fieldMapping) ?? [:] }
        make = { settings, context in
            guard let typed = settings as? F.Settings else { throw RegistryError.settingsMismatch(factory.kind) }
            return try await factory.make(typed, context: context)
        }
    }
}
