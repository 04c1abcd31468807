import Hummingbird
import Logging
import Metrics
import Provisioning
import ServiceLifecycle

/// How the HTTP service is reached and what it exports.
public struct ServiceOptions: Sendable {
    public var host: String
    public var port: Int
    /// The Prometheus text for `/metrics`.
    public var metricsText: @Sendable () -> String
    /// Where the service's own counters are made (the pipeline's come from `build`).
    public var metrics: any MetricsFactory
    /// The management listener's port on `host` (`/metrics`, `/healthz`,
    /// `/readyz`); nil: none. Port 0 picks a free one.
    public var managementPort: Int?
    /// Told each listener's port once it accepts connections.
    public var onListening: @Sendable (Listener, Int) async -> Void

    public enum Listener: String, Sendable { case `public`, management }

    /// Idle client connections are closed after this (CONTRACT.md §10).
    public var idleTimeoutSeconds: Int64 = 60

    public init(
        host: String = "127.0.0.1", port: Int = 8080, metricsText: @escaping @Sendable () -> String = { "" },
        metrics: any MetricsFactory = MetricsSystem.factory, managementPort: Int? = nil,
        onListening: @escaping @Sendable (Listener, Int) async -> Void = { _, _ in }
    ) {
        self.host = host
        self.port = port
        self.metricsText = metricsText
        self.metrics = metrics
        self.managementPort = managementPort
        self.onListening = onListening
    }
}

/// Compose the HTTP application over a built pipeline. The pipeline's
/// long-running parts (pools) are added as services; the store is migrated
/// once they run, before the server accepts requests.
public func buildApplication(
    pipeline: BuiltPipeline, options: ServiceOptions, logger: Logger
) async throws -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    let pushSyncs = pipeline.pushSyncs(logger: logger)
    let health = HealthRoutes(
        store: pipeline.store, sourceNames: pipeline.sources.map(\.name), pushSyncs: pushSyncs, metricsText: options.metricsText)
    health.register(on: router, metrics: pipeline.config.observability.publicMetrics)
    let auth = pipeline.config.auth
    let passwords = try await PasswordVerifier(cost: auth.bcryptCost)
    let tokens = try await TokenIssuer(config: auth, logger: logger)
    // Another instance changed a user: its tokens are verified afresh here.
    pipeline.changeObservers.add { change in
        if change.everything { tokens.verified.removeAll() } else if let id = change.userID { tokens.verified.forget(userID: id) }
    }
    let signIn = SignInContext(
        resolver: pipeline.pipeline, store: pipeline.store, refreshTokens: pipeline.refreshTokens, recentUsers: pipeline.recentUsers,
        auth: auth, softDelete: pipeline.config.softDelete, firstSource: pipeline.config.firstSource, tokens: tokens,
        passwords: passwords,
        throttle: LoginThrottle(limits: .init(
            perPair: auth.maxFailedLoginsPerEmailAndAddress, perEmail: auth.maxFailedLoginsPerEmail,
            perAddress: auth.maxFailedLoginsPerAddress, windowSeconds: auth.failedLoginWindowSeconds)),
        failureFloor: try await FailureFloor.make(config: auth, sources: pipeline.sources.map(\.source), passwords: passwords),
        clientAddress: ClientAddress(trustedProxies: Set(auth.trustedProxies)), logger: logger)
    AuthRoutes(signIn: signIn).register(on: router)
    try await pipeline.config.registerCredentialRoutes(
        on: router, context: CredentialRouteContext(signIn: signIn, pipeline: pipeline, options: options))
    WebhookRoutes(
        config: pipeline.config.webhook, verifiers: pipeline.signatureVerifiers, ledger: pipeline.webhookLedger,
        mapper: WebhookEventMapper(source: pipeline.config.firstSource, mapping: pipeline.config.sourceFieldMapping),
        resolver: pipeline.pipeline, metrics: options.metrics, logger: logger
    ).register(on: router)
    SourceNotifyRoutes(
        syncs: Dictionary(uniqueKeysWithValues: pushSyncs.map { ($0.source, $0) }), maxBodyBytes: pipeline.config.webhook.maxBodyBytes
    ).register(on: router)
    var app = Application(
        router: router, server: HeadLimitHandler.server(idleSeconds: options.idleTimeoutSeconds),
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "provisiond"),
        onServerRunning: { channel in await options.onListening(.public, channel.localAddress?.port ?? 0) },
        logger: logger)
    if let port = options.managementPort {
        app.addServices(managementApplication(
            health: health, explain: ExplainRoutes(explainer: Explainer(pipeline: pipeline)), options: options, port: port, logger: logger))
    }
    for run in pipeline.runners { app.addServices(ClosureService(body: run)) }
    app.addServices(WebhookPruneService(pipeline: pipeline, logger: logger))
    if !pushSyncs.isEmpty { app.addServices(PushSyncService(syncs: pushSyncs, store: pipeline.store, logger: logger)) }
    if pipeline.config.sync.intervalSeconds > 0 || pipeline.config.sync.reconcileIntervalSeconds > 0 { app.addServices(SyncService(pipeline: pipeline, logger: logger)) }
    app.beforeServerStarts {
        try await pipeline.store.migrate()
    }
    return app
}

/// The management listener: `/metrics`, `/healthz`, `/readyz` and
/// `/admin/users/explain` only, on its own port, so that neither metrics nor
/// explanations need be public (CONTRACT.md §10).
func managementApplication(
    health: HealthRoutes, explain: ExplainRoutes, options: ServiceOptions, port: Int, logger: Logger
) -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    health.register(on: router, metrics: true)
    explain.register(on: router)
    return Application(
        router: router, server: HeadLimitHandler.server(idleSeconds: options.idleTimeoutSeconds),
        configuration: .init(address: .hostname(options.host, port: port), serverName: "provisiond-management"),
        onServerRunning: { channel in await options.onListening(.management, channel.localAddress?.port ?? 0) },
        logger: logger)
}
