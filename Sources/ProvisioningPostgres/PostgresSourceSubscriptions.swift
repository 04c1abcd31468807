import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Source subscriptions in `source_subscriptions` (migrations 6 and 7), one row per source.
public struct PostgresSourceSubscriptions: SourceSubscriptionStore {
    let client: PostgresClient
    let logger: Logger
    let gate: StoreGate
    let schema: PostgresSchema

    public init(client: PostgresClient, logger: Logger, gate: StoreGate = StoreGate(deadlineSeconds: 5), schema: PostgresSchema = .default) {
        self.client = client
        self.logger = logger
        self.gate = gate
        self.schema = schema
    }

    private var table: String { schema.sourceSubscriptions }

    public func subscription(source: String) async throws -> SourceSubscription? {
        try await gate.guarded { [self] in
            let rows = try await client.query("""
                SELECT subscription_id, secret, cursor, expires_at, last_notified_at, notifications
                FROM \(unescaped: table) WHERE source = \(source)
                """, logger: logger)
            for try await (id, secret, cursor, expires, notified, count) in rows.decode((String, String, Int, Date?, Date?, Int).self) {
                return SourceSubscription(
                    source: source, subscriptionID: id, secret: secret, cursor: cursor, expiresAt: expires, lastNotifiedAt: notified,
                    notifications: count)
            }
            return nil
        }
    }

    public func save(_ subscription: SourceSubscription) async throws {
        try await gate.guarded { [self] in
            _ = try await client.query("""
                INSERT INTO \(unescaped: table) (source, subscription_id, secret, cursor, expires_at, last_notified_at)
                VALUES (\(subscription.source), \(subscription.subscriptionID), \(subscription.secret), \(subscription.cursor),
                        \(subscription.expiresAt), \(subscription.lastNotifiedAt))
                ON CONFLICT (source) DO UPDATE SET subscription_id = EXCLUDED.subscription_id, secret = EXCLUDED.secret,
                    cursor = EXCLUDED.cursor, expires_at = EXCLUDED.expires_at, last_notified_at = EXCLUDED.last_notified_at,
                    updated_at = now()
                """, logger: logger)
        }
    }

    public func advanceCursor(source: String, subscriptionID: String, to cursor: Int) async throws -> Bool {
        try await gate.guarded { [self] in
            var moved = false
            let rows = try await client.query("""
                UPDATE \(unescaped: table) SET cursor = \(cursor), updated_at = now()
                WHERE source = \(source) AND subscription_id = \(subscriptionID) AND cursor < \(cursor)
                RETURNING cursor
                """, logger: logger)
            for try await _ in rows.decode(Int.self) { moved = true }
            return moved
        }
    }

    public func extend(source: String, subscriptionID: String, until expiresAt: Date) async throws {
        try await gate.guarded { [self] in
            _ = try await client.query("""
                UPDATE \(unescaped: table) SET expires_at = \(expiresAt), updated_at = now()
                WHERE source = \(source) AND subscription_id = \(subscriptionID)
                """, logger: logger)
        }
    }

    public func markNotified(source: String, at time: Date) async throws {
        try await gate.guarded { [self] in
            _ = try await client.query("""
                UPDATE \(unescaped: table) SET last_notified_at = \(time), notifications = notifications + 1 WHERE source = \(source)
                """, logger: logger)
        }
    }

    public func remove(source: String) async throws {
        try await gate.guarded { [self] in
            _ = try await client.query("DELETE FROM \(unescaped: table) WHERE source = \(source)", logger: logger)
        }
    }
}
