import Foundation
import Synchronization

/// Source subscriptions of the `memory` store; lost at exit.
public final class MemorySourceSubscriptions: SourceSubscriptionStore {
    private let subscriptions = Mutex<[String: SourceSubscription]>([:])

    public init() {}

    public func subscription(source: String) async throws -> SourceSubscription? {
        subscriptions.withLock { $0[source] }
    }

    public func save(_ subscription: SourceSubscription) async throws {
        subscriptions.withLock { all in
            var saved = subscription
            saved.notifications = all[subscription.source]?.notifications ?? 0
            all[subscription.source] = saved
        }
    }

    public func advanceCursor(source: String, subscriptionID: String, to cursor: Int) async throws -> Bool {
        subscriptions.withLock { all in
            guard let current = all[source], current.subscriptionID == subscriptionID, current.cursor < cursor else { return false }
            all[source]?.cursor = cursor
            return true
        }
    }

    public func extend(source: String, subscriptionID: String, until expiresAt: Date) async throws {
        subscriptions.withLock { all in
            guard all[source]?.subscriptionID == subscriptionID else { return }
            all[source]?.expiresAt = expiresAt
        }
    }

    public func markNotified(source: String, at time: Date) async throws {
        subscriptions.withLock { all in
            all[source]?.lastNotifiedAt = time
            all[source]?.notifications += 1
        }
    }

    public func remove(source: String) async throws {
        subscriptions.withLock { _ = $0.removeValue(forKey: source) }
    }
}
