import Foundation

/// A source's push subscription (an Airtable webhook, CONTRACT §9): what
/// every instance needs to check a notification and to read on from where
/// the last read stopped. Kept by the store, since instances share it.
public struct SourceSubscription: Sendable, Equatable {
    /// The provider name of the source.
    public var source: String
    /// The source's id of the subscription (`ach…`).
    public var subscriptionID: String
    /// The secret notifications are signed with (Airtable's `macSecretBase64`): never logged.
    public var secret: String
    /// The next payload to read.
    public var cursor: Int
    public var expiresAt: Date?
    /// When the last notification was accepted.
    public var lastNotifiedAt: Date?
    /// How many notifications were accepted: a reader that sees it grow
    /// while it held the read lease reads again (no clock is compared).
    public var notifications: Int

    public init(
        source: String, subscriptionID: String, secret: String, cursor: Int = 1, expiresAt: Date? = nil, lastNotifiedAt: Date? = nil,
        notifications: Int = 0
    ) {
        self.notifications = notifications
        self.source = source
        self.subscriptionID = subscriptionID
        self.secret = secret
        self.cursor = cursor
        self.expiresAt = expiresAt
        self.lastNotifiedAt = lastNotifiedAt
    }
}

/// Source subscriptions, one per source. Provided by the store's provider.
public protocol SourceSubscriptionStore: Sendable {
    func subscription(source: String) async throws -> SourceSubscription?
    /// File `subscription` for its source, replacing any earlier one (a
    /// webhook made anew); the notification count carries on.
    func save(_ subscription: SourceSubscription) async throws
    /// Move the cursor of `subscriptionID` forward to `cursor`; false (and
    /// nothing written) when the source's subscription is another one now
    /// or its cursor is already there: a late reader never moves it back.
    func advanceCursor(source: String, subscriptionID: String, to cursor: Int) async throws -> Bool
    /// Record a new expiration (after a refresh).
    func extend(source: String, subscriptionID: String, until expiresAt: Date) async throws
    /// Count an accepted notification (`notifications` + 1, `lastNotifiedAt`).
    func markNotified(source: String, at time: Date) async throws
    func remove(source: String) async throws
}
