import Logging
import PostgresNIO
import Provisioning

/// Kind `postgres`: the store, from a libpq-style URL and a pool size.
public struct PostgresProviderFactory: ProviderFactory {
    public struct Settings: Sendable {
        public var configuration: PostgresClient.Configuration
        /// One session of its own, for migrations (made from the same URL).
        public var session: PostgresConnection.Configuration
        /// How long a request waits for the store before answering 503.
        public var timeoutSeconds: Double
        /// Where the tables are; `public` unless `schema:` says otherwise.
        public var schema: PostgresSchema = .default
        public var poolSize: Int = 10
    }

    public init() {}

    public let kind = "postgres"
    public let roles: ProviderRoles = .store
    public let sampleConfig = """
        - name: app_db
          kind: postgres          # the system of record
          url: postgres://provision@127.0.0.1:5432/provision   # ?sslmode=require|verify-full turns TLS on
          pool_size: 10
          timeout_ms: 5000        # a request waits this long for the store, then gets 503
          schema: provisiond      # where provisiond's tables live (created if missing); default public
        """

    public func decode(_ section: ConfigSection) -> Settings? {
        let url = section.requiredString("url")
        let poolSize = section.int("pool_size", default: 10, range: 1...1000)
        let timeout = section.int("timeout_ms", default: 5000, range: 1...600_000)
        let schemaName = section.string("schema", default: PostgresSchema.default.name)
        let schema = PostgresSchema(schemaName)
        if schema == nil {
            section.problem(at: "schema", "must be a lower-case identifier (a-z, 0-9, _; not starting with a digit; at most 63 bytes), got '\(schemaName)'")
        }
        guard let url, let schema else { return nil }
        do {
            return Settings(
                configuration: try PostgresURL.configuration(from: url, poolSize: poolSize),
                session: try PostgresURL.connectionConfiguration(from: url), timeoutSeconds: Double(timeout) / 1000, schema: schema,
                poolSize: poolSize)
        } catch {
            section.problem(at: "url", "\(error)")
            return nil
        }
    }

    public func make(_ settings: Settings, context: ProviderContext) async throws -> ProviderInstance {
        let client = PostgresClient(configuration: settings.configuration, backgroundLogger: context.logger)
        let store = PostgresIdentityStore(
            client: client, precedence: context.precedence, softDelete: context.softDelete,
            attributes: context.attributes, logger: context.logger, deadlineSeconds: settings.timeoutSeconds,
            migrationSession: settings.session, schema: settings.schema,
            legacySource: context.firstSource.isEmpty ? Migrations.defaultLegacySource : context.firstSource)
        // A lease holds one session for a whole run: a pool of its own, with
        // room for the sync lease and a webhook's read lease at once.
        var leaseConfiguration = settings.configuration
        leaseConfiguration.options.minimumConnections = 0
        leaseConfiguration.options.maximumConnections = 2
        let leaseClient = PostgresClient(configuration: leaseConfiguration, backgroundLogger: context.logger)
        let codes = PostgresSignInCodes(client: client, logger: context.logger, gate: store.gate, schema: settings.schema)
        // What every instance on this database shares (CONTRACT §8).
        let budgets = PostgresSharedBudgets(client: client, gate: store.gate, schema: settings.schema, logger: context.logger)
        let coordination = Coordination(
            requestSlots: { key, requestsPerSecond in budgets.slots(key: key, requestsPerSecond: requestsPerSecond) },
            lookupLocks: PostgresLookupLocks(client: client, poolSize: settings.poolSize, logger: context.logger),
            changes: PostgresChangeFeed(client: client, session: settings.session, schema: settings.schema, logger: context.logger))
        return ProviderInstance(
            store: store,
            refreshTokens: PostgresRefreshTokens(client: client, logger: context.logger, gate: store.gate, schema: settings.schema),
            webhookLedger: PostgresWebhookLedger(store: store),
            syncState: PostgresSyncState(client: client, leaseClient: leaseClient, logger: context.logger, schema: settings.schema),
            signInCodes: codes, externalIdentities: codes,
            sourceSubscriptions: PostgresSourceSubscriptions(client: client, logger: context.logger, gate: store.gate, schema: settings.schema),
            coordination: coordination,
            run: {
                await withDiscardingTaskGroup { group in
                    group.addTask { await client.run() }
                    group.addTask { await leaseClient.run() }
                }
            })
    }
}

extension PostgresProviderFactory {
    /// A client configuration from a libpq-style URL (tools and benchmarks).
    public static func configuration(url: String, poolSize: Int) throws -> PostgresClient.Configuration {
        try PostgresURL.configuration(from: url, poolSize: poolSize)
    }

    /// A one-session configuration from the same URL (migrations, tools).
    public static func sessionConfiguration(url: String) throws -> PostgresConnection.Configuration {
        try PostgresURL.connectionConfiguration(from: url)
    }
}
