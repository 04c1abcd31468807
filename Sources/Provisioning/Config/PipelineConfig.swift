/// One declared provider: `providers[i]`, decoded by its kind's factory.
public struct ProviderDeclaration: Sendable {
    public var name: String
    public var kind: String
    public var roles: ProviderRoles
    public var settings: any Sendable
    public var mappedAttributes: [String]
    /// Attribute -> field name in this provider's records (empty: none declared).
    public var fieldMapping: [String: String] = [:]
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
    /// Concurrent lookups of one key share one source request (default true;
    /// false gives the naive read-through, for benchmarks).
    public var coalesce: Bool = true
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
    /// Failed sign-ins allowed per (email, client address) pair, per email
    /// from all addresses, and per address, in one window (CONTRACT.md §10).
    public var maxFailedLoginsPerEmailAndAddress: Int = 5
    public var maxFailedLoginsPerEmail: Int = 50
    public var maxFailedLoginsPerAddress: Int = 100
    public var failedLoginWindowSeconds: Int = 900
    /// Every 401 and 503 of a sign-in route leaves no earlier than this after
    /// arrival; nil: the largest source timeout plus one bcrypt verify,
    /// measured at start.
    public var minFailureMilliseconds: Int?
    /// How long `GET /api/auth/me` may answer from a user this process read
    /// by id (its own writes void it at once); 0 reads the store every time.
    public var meCacheMilliseconds: Int = 1000
    /// Proxies whose `X-Forwarded-For` is believed (exact IP addresses).
    public var trustedProxies: [String] = []
}

public struct ObservabilityConfig: Sendable, Equatable {
    /// Whether the public listener also answers `/metrics` (the management
    /// listener always does): off, so that probes cannot watch their effect.
    public var publicMetrics: Bool = false
}

extension AuthConfig {
    /// The contract's defaults.
    public static var defaults: AuthConfig { AuthConfig() }
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
    public var observability: ObservabilityConfig = ObservabilityConfig()
    /// `credentials:`, in declaration order (default: kind `password` alone).
    public var credentials: [CredentialDeclaration] = [PasswordCredentialFactory.defaultDeclaration]

    /// The settings of the declared credential kind `kind`, typed; nil when not declared.
    public func credential<S: Sendable>(_ kind: String, as type: S.Type = S.self) -> S? {
        credentials.first { $0.kind == kind }?.settings as? S
    }

    /// Every attribute a user can carry: the core ones and every mapped one.
    public var attributes: [String] {
        var seen = Set<String>()
        return (Attribute.core + providers.flatMap(\.mappedAttributes)).filter { seen.insert($0).inserted }
    }

    /// The first source of `resolution.order`: inbound `user.*` events speak
    /// for it (its provider name keys the links they write), and the user
    /// JSON's `airtable_record_id` is the record id of the link to it.
    public var firstSource: String {
        resolution.order.dropFirst().first ?? "webhook"
    }

    /// Attribute -> field name of the sources (`resolution.order` after the
    /// store), merged: the first source mapping an attribute wins. With no
    /// mapping declared, every attribute is its own field name.
    public var sourceFieldMapping: [String: String] {
        var merged: [String: String] = [:]
        for name in resolution.order.dropFirst() {
            guard let declaration = providers.first(where: { $0.name == name }) else { continue }
            merged.merge(declaration.fieldMapping) { first, _ in first }
        }
        guard merged.isEmpty else { return merged }
        return Dictionary(uniqueKeysWithValues: attributes.map { ($0, $0) })
    }
}
