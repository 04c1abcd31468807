import Foundation

/// A push subscription as `/readyz` shows it: the stored subscription (shared
/// by every instance) and this instance's last check or read.
public struct PushStatus: Sendable, Encodable, Equatable {
    /// `active`, `starting`, `unavailable`, `gone`, `read_failed`.
    public var state: String
    public var id: String?
    public var expiration: String?
    public var cursor: Int?
    public var lastNotification: String?

    enum CodingKeys: String, CodingKey {
        case state, id, expiration, cursor
        case lastNotification = "last_notification"
    }
}

extension PushSync {
    public func status() async -> PushStatus {
        let condition = local.withLock { $0.condition }
        guard let stored = try? await subscriptions.subscription(source: source) else {
            return PushStatus(state: condition == "active" ? "unavailable" : condition)
        }
        return PushStatus(
            state: condition, id: stored.subscriptionID, expiration: stored.expiresAt?.formatted(.iso8601), cursor: stored.cursor,
            lastNotification: stored.lastNotifiedAt?.formatted(.iso8601))
    }
}
