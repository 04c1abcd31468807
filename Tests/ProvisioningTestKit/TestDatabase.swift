import Foundation
import Logging
import PostgresNIO
import Provisioning
import ProvisioningPostgres

/// A fresh database per test on the server that scripts/test.sh started.
/// A missing server is a failure, never a skip.
public enum TestDatabase {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "PG_ADMIN_URL is not set: run the tests through scripts/test.sh, which starts PostgreSQL" }
    }

    public static let logger = Logger(label: "test.postgres")

    /// A client on the admin database, shared by every test of the process.
    static let admin: PostgresClient? = {
        guard let url = ProcessInfo.processInfo.environment["PG_ADMIN_URL"],
              let configuration = try? PostgresProviderFactory.configuration(url: url, poolSize: 4) else { return nil }
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        Task { await client.run() }
        return client
    }()

    /// Create an empty database; returns its URL.
    public static func create() async throws -> String {
        guard let admin, let adminURL = ProcessInfo.processInfo.environment["PG_ADMIN_URL"] else { throw NotConfigured() }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        _ = try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        guard let slash = adminURL.lastIndex(of: "/") else { throw NotConfigured() }
        return adminURL[..<slash] + "/\(name)"
    }

    /// A running client on a fresh, migrated database. The client runs until
    /// the process ends (tests are short-lived).
    public static func makeClient(poolSize: Int = 4) async throws -> PostgresClient {
        let url = try await create()
        let client = PostgresClient(configuration: try PostgresProviderFactory.configuration(url: url, poolSize: poolSize), backgroundLogger: logger)
        Task { await client.run() }
        // On a session of its own, as `serve` does: the pool may not run yet.
        try await Migrations.apply(session: try PostgresProviderFactory.sessionConfiguration(url: url), logger: logger)
        return client
    }

    public static func makeStore(
        precedence: PrecedencePolicy = PrecedencePolicy(), softDelete: SoftDeletePolicy = SoftDeletePolicy(),
        attributes: [String] = Attribute.core + ["department"], poolSize: Int = 4, logger: Logger = TestDatabase.logger
    ) async throws -> PostgresIdentityStore {
        let client = try await makeClient(poolSize: poolSize)
        return PostgresIdentityStore(client: client, precedence: precedence, softDelete: softDelete, attributes: attributes, logger: logger)
    }

    /// Every capability of the `postgres` kind over a fresh, migrated
    /// database, wired as `PostgresProviderFactory` wires them.
    /// `beforeMigrating` runs first on the fresh database (an app's own tables, say).
    public static func makeKit(
        precedence: PrecedencePolicy, softDelete: SoftDeletePolicy, schema: PostgresSchema = .default,
        beforeMigrating: (PostgresConnection) async throws -> Void = { _ in }
    ) async throws -> StoreKit {
        let url = try await create()
        let configuration = try PostgresProviderFactory.configuration(url: url, poolSize: 2)
        let session = try await PostgresConnection.connect(configuration: try PostgresProviderFactory.sessionConfiguration(url: url), id: 1, logger: logger)
        try await beforeMigrating(session)
        try await session.close()
        try await Migrations.apply(session: try PostgresProviderFactory.sessionConfiguration(url: url), schema: schema, logger: logger)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        var leaseConfiguration = configuration
        leaseConfiguration.options.minimumConnections = 0
        leaseConfiguration.options.maximumConnections = 1
        let leaseClient = PostgresClient(configuration: leaseConfiguration, backgroundLogger: logger)
        Task { await client.run() }
        Task { await leaseClient.run() }
        let store = PostgresIdentityStore(
            client: client, precedence: precedence, softDelete: softDelete, attributes: Attribute.core + ["department"], logger: logger,
            schema: schema)
        let codes = PostgresSignInCodes(client: client, logger: logger, gate: store.gate, schema: schema)
        return StoreKit(
            store: store, refreshTokens: PostgresRefreshTokens(client: client, logger: logger, gate: store.gate, schema: schema),
            webhookLedger: PostgresWebhookLedger(store: store),
            syncState: PostgresSyncState(client: client, leaseClient: leaseClient, logger: logger, schema: schema),
            signInCodes: codes, externalIdentities: codes,
            sourceSubscriptions: PostgresSourceSubscriptions(client: client, logger: logger, gate: store.gate, schema: schema))
    }

    /// Count rows of a query returning one integer.
    public static func count(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int {
        var value = 0
        for try await count in try await client.query(query, logger: logger).decode(Int.self) { value = count }
        return value
    }
}
