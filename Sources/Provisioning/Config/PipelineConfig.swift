/// One declared provider: `providers[i]`, decoded by its kind's factory.
public struct ProviderDeclaration: Sendable {
    public var name: String
    public var kind: String
    public var roles: ProviderRoles
    public var settings: any Sendable
    public var mappedAttributes: [String]
}

/// One declared signature scheme: `webhook.schemes[i]`.
public struct SchemeDeclaration: Sendable {
    public var kind: String
    public var settings: any Sendable
}

public struct ResolutionConfig: Sendable, Equatable {
    /// Provider names; the first is the store.
    public var order: [String]
    public var negativeCacheSeconds: Int
}

public struct WebhookConfig: Sendable {
    public var path: String = "/api/sync/users/inbound"
    public var maxBodyBytes: Int = 65536
    public var idempotencyRetentionHours: Int = 72
    public var schemes: [SchemeDeclaration] = []
}

public struct SyncConfig: Sendable, Equatable {
    public var intervalSeconds: Int = 60
    public var reconcileIntervalSeconds: Int = 3600
}

public struct AuthConfig: Sendable, Equatable {
    public var bcryptCost: Int = 12
    public var issuer: String = "provisiond"
    public var audience: String = "app"
    public var accessTokenTTLSeconds: Int = 900
    public var refreshTokenTTLSeconds: Int = 2_592_000
    /// Base64 Ed25519 private key; empty: generate at start (dev only).
    public var signingKey: String = ""
}

/// The whole of providers.yaml, typed and validated.
public struct PipelineConfig: Sendable {
    public var file: String
    public var version: Int
    public var providers: [ProviderDeclaration]
    public var resolution: ResolutionConfig
    public var precedence: PrecedencePolicy
    public var softDelete: SoftDeletePolicy
    public var webhook: WebhookConfig
    public var sync: SyncConfig
    public var auth: AuthConfig

    /// Every attribute a user can carry: the core ones and every mapped one.
    public var attributes: [String] {
        var seen = Set<String>()
        return (Attribute.core + providers.flatMap(\.mappedAttributes)).filter { seen.insert($0).inserted }
    }
}
