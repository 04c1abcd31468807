import Logging
import Metrics

/// A pipeline built from config: the providers, the resolution pipeline and
/// the webhook signature schemes, plus whatever must run alongside them.
public struct BuiltPipeline: Sendable {
    public var config: PipelineConfig
    public var store: any IdentityStore
    public var refreshTokens: any RefreshTokenRepository
    public var webhookLedger: any WebhookLedger
    /// Users lately read by id for `GET /api/auth/me`; `store` and
    /// `webhookLedger` void it on every write.
    public var recentUsers: RecentUsers
    /// The store's sync cursors and lease; nil when its kind cannot sync.
    public var syncState: (any SyncStateStore)?
    /// The store's sign-in codes and external identities; nil when its kind has none.
    public var signInCodes: (any SignInCodeStore)?
    public var externalIdentities: (any ExternalIdentityStore)?
    /// The store's source subscriptions; nil when its kind has none.
    public var sourceSubscriptions: (any SourceSubscriptionStore)?
    public var pipeline: ResolutionPipeline
    public var sources: [ResolutionPipeline.NamedSource]
    /// The sources in `resolution.order` whose kind declared them listable, in that order.
    public var listableSources: [NamedListableSource]
    /// The sources that push their changes (Airtable webhooks), in that order.
    public var pushFeeds: [NamedPushFeed]
    public var signatureVerifiers: [any SignatureVerifier]
    /// What the store shares with other instances on it.
    public var coordination: Coordination
    /// Hear other instances' changes (the pipeline's caches already do).
    public var changeObservers: ChangeObservers
    /// The factory every counter of this pipeline comes from.
    public var metrics: any MetricsFactory
    /// Long-running parts of providers (connection pools): run these for the
    /// life of the pipeline.
    public var runners: [@Sendable () async throws -> Void]

    /// The store as its provider built it, without the write observer (for
    /// tools that need the concrete type).
    public var providerStore: any IdentityStore {
        (store as? WriteObservingStore)?.base ?? store
    }
}

public enum PipelineBuildError: Error, CustomStringConvertible {
    case missingRole(provider: String, role: String)
    case unknownKind(String)

    public var description: String {
        switch self {
        case .missingRole(let provider, let role): "provider '\(provider)' did not build a \(role)"
        case .unknownKind(let kind): "kind '\(kind)' is not registered"
        }
    }
}

extension PipelineConfig {
    /// Build every declared provider and scheme through `registry`.
    public func build(registry: KindRegistry, logger: Logger, metrics: any MetricsFactory = MetricsSystem.factory) async throws -> BuiltPipeline {
        var instances: [String: ProviderInstance] = [:]
        var runners: [@Sendable () async throws -> Void] = []
        let storeName = resolution.order.first ?? "?"
        // The store first: the sources spend what it shares (request windows).
        let declared = providers.filter { $0.name == storeName } + providers.filter { $0.name != storeName && resolution.order.contains($0.name) }
        var coordination = Coordination.none
        for declaration in declared {
            guard let factory = registry.providers[declaration.kind] else { throw PipelineBuildError.unknownKind(declaration.kind) }
            var providerLogger = logger
            providerLogger[metadataKey: "provider"] = .string(declaration.name)
            let context = ProviderContext(
                name: declaration.name, precedence: precedence, softDelete: softDelete,
                attributes: attributes, logger: providerLogger, metrics: metrics, coalesce: resolution.coalesce, firstSource: firstSource,
                coordination: coordination)
            let instance = try await factory.make(declaration.settings, context)
            if declaration.name == storeName { coordination = instance.coordination }
            instances[declaration.name] = instance
            if let run = instance.run { runners.append(run) }
        }
        guard let builtStore = instances[storeName]?.store else { throw PipelineBuildError.missingRole(provider: storeName, role: "store") }
        guard let refreshTokens = instances[storeName]?.refreshTokens else {
            throw PipelineBuildError.missingRole(provider: storeName, role: "refresh-token repository")
        }
        guard let builtLedger = instances[storeName]?.webhookLedger else {
            throw PipelineBuildError.missingRole(provider: storeName, role: "webhook ledger")
        }
        let recentUsers = RecentUsers(ttl: .milliseconds(auth.meCacheMilliseconds))
        let changes = coordination.changes
        let didWrite: @Sendable (UserChange) async -> Void = { change in
            recentUsers.invalidate()
            await changes?.publish(change)
        }
        let store = WriteObservingStore(builtStore, didWrite: didWrite)
        let webhookLedger = WriteObservingLedger(builtLedger, didWrite: didWrite)
        let observedTokens = WriteObservingRefreshTokens(refreshTokens, didWrite: didWrite)
        var sources: [ResolutionPipeline.NamedSource] = []
        var listableSources: [NamedListableSource] = []
        var pushFeeds: [NamedPushFeed] = []
        for name in resolution.order.dropFirst() {
            guard let source = instances[name]?.source else { throw PipelineBuildError.missingRole(provider: name, role: "source") }
            sources.append(.init(name: name, source: source))
            if let listable = instances[name]?.listable { listableSources.append(.init(name: name, source: listable)) }
            if let feed = instances[name]?.pushFeed { pushFeeds.append(.init(name: name, feed: feed)) }
        }
        let verifiers = try webhook.schemes.map { scheme in
            guard let factory = registry.schemes[scheme.kind] else { throw PipelineBuildError.unknownKind(scheme.kind) }
            return try factory.make(scheme.settings)
        }
        let pipeline = ResolutionPipeline(
            store: store, sources: sources, negativeCacheSeconds: resolution.negativeCacheSeconds, logger: logger,
            metrics: metrics, coalesce: resolution.coalesce, lookupLocks: resolution.coalesce ? coordination.lookupLocks : nil)
        // Another instance's write voids what this one cached about the user.
        let observers = ChangeObservers()
        observers.add { [pipeline] change in
            recentUsers.invalidate()
            pipeline.forget(change)
        }
        if let changes { runners.append { await changes.listen { observers.notify($0) } } }
        return BuiltPipeline(
            config: self, store: store, refreshTokens: observedTokens, webhookLedger: webhookLedger, recentUsers: recentUsers,
            syncState: instances[storeName]?.syncState, signInCodes: instances[storeName]?.signInCodes,
            externalIdentities: instances[storeName]?.externalIdentities, sourceSubscriptions: instances[storeName]?.sourceSubscriptions,
            pipeline: pipeline, sources: sources, listableSources: listableSources, pushFeeds: pushFeeds,
            signatureVerifiers: verifiers, coordination: coordination, changeObservers: observers, metrics: metrics, runners: runners)
    }
}
