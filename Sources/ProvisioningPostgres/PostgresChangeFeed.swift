import Foundation
import Logging
import PostgresNIO
import Provisioning

/// Changes between instances over `LISTEN/NOTIFY` on one channel per schema
/// (CONTRACT §8). A write's change is sent after it committed, through the
/// pool; the listener holds one session of its own (LISTEN needs a session,
/// not a transaction-pooled connection) and reconnects by itself, telling
/// its handler that everything may have changed while it was away.
final class PostgresChangeFeed: ChangeFeed {
    let client: PostgresClient
    let session: PostgresConnection.Configuration
    let channel: String
    let logger: Logger
    /// Who sent a change, so that an instance ignores its own.
    let origin = UUID().uuidString

    init(client: PostgresClient, session: PostgresConnection.Configuration, schema: PostgresSchema, logger: Logger) {
        self.client = client
        self.session = session
        self.channel = "provisiond_changes_\(schema.name)"
        self.logger = logger
    }

    private struct Message: Codable {
        var origin: String
        var change: UserChange
    }

    func publish(_ change: UserChange) async {
        guard let data = try? JSONEncoder().encode(Message(origin: origin, change: change)),
              let payload = String(data: data, encoding: .utf8) else { return }
        do {
            // Under pg_notify's 8000-byte limit by far: an id, an email and a few links.
            _ = try await client.query("SELECT pg_notify(\(channel), \(payload))", logger: logger)
        } catch {
            logger.warning("changes.publish_failed", metadata: ["event": "changes.publish_failed", "detail": "\(String(describing: error))"])
        }
    }

    func listen(_ handle: @escaping @Sendable (UserChange) -> Void) async {
        var delay: Duration = .milliseconds(250)
        var connectedBefore = false
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: session, id: 1, logger: logger)
                defer { Task { try? await connection.close() } }
                let reconnected = connectedBefore
                connectedBefore = true
                delay = .milliseconds(250)
                try await connection.listen(on: channel) { [origin, logger] notifications in
                    if reconnected {
                        // Changes made while we were away were not heard: drop everything.
                        handle(.everything)
                        logger.info("changes.reconnected", metadata: ["event": "changes.reconnected"])
                    }
                    for try await notification in notifications {
                        guard let message = try? JSONDecoder().decode(Message.self, from: Data(notification.payload.utf8)),
                              message.origin != origin else { continue }
                        handle(message.change)
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("changes.listener_lost", metadata: ["event": "changes.listener_lost", "detail": "\(String(describing: error))"])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}
