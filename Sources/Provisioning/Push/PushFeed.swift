import Foundation

/// A source that pushes its changes (an Airtable webhook, CONTRACT §9): the
/// kind speaks the source's API; `PushSync` owns what is done with it (the
/// read lease, the write path, the cursor, re-creation).
public protocol PushFeed: Sendable {
    /// The prefix of log events and counters (`airtable_webhook`).
    var eventPrefix: String { get }
    /// How often subscriptions are checked, refreshed, and how long one lives.
    var schedule: PushSchedule { get }
    /// The subscriptions at the source that notify this feed's URL.
    func subscriptions() async throws(PushFeedError) -> [RemoteSubscription]
    /// Make a subscription (its secret is returned only now).
    func create(source: String) async throws(PushFeedError) -> SourceSubscription
    func delete(_ subscriptionID: String) async throws(PushFeedError)
    /// Extend its life; the new expiration.
    func refresh(_ subscriptionID: String) async throws(PushFeedError) -> Date?
    /// The changes from `cursor` on (one page), records complete.
    func changes(_ subscriptionID: String, from cursor: Int) async throws(PushFeedError) -> PushedPage
    /// Whether a notification is signed with `secret` (constant time).
    func isAuthentic(body: [UInt8], headers: HeaderLookup, secret: String) -> Bool
}

/// A feed of a provider, by its name.
public struct NamedPushFeed: Sendable {
    public var name: String
    public var feed: any PushFeed
    public init(name: String, feed: any PushFeed) {
        self.name = name
        self.feed = feed
    }
}

public struct PushSchedule: Sendable, Equatable {
    /// How often the subscription is looked at (re-created when gone, refreshed when due).
    public var checkEvery: Duration
    /// Refresh once this long has passed since the last one.
    public var refreshEvery: Duration
    /// How long a subscription lives from its creation or last refresh.
    public var lifetime: Duration

    public init(checkEvery: Duration, refreshEvery: Duration, lifetime: Duration) {
        self.checkEvery = checkEvery
        self.refreshEvery = refreshEvery
        self.lifetime = lifetime
    }
}

/// A subscription as the source lists it.
public struct RemoteSubscription: Sendable, Equatable {
    public var id: String
    public var isEnabled: Bool
    public var expiresAt: Date?

    public init(id: String, isEnabled: Bool, expiresAt: Date?) {
        self.id = id
        self.isEnabled = isEnabled
        self.expiresAt = expiresAt
    }
}

/// One page of pushed changes.
public struct PushedPage: Sendable {
    /// Created and changed records, whole (what the write path upserts).
    public var records: [SourceRecord]
    /// Records the source destroyed, and when (the soft-delete policy and its stale guard apply).
    public var destroyed: [DeletedRecord]
    /// Records that could not be mapped (logged by the feed).
    public var invalid: Int
    /// The cursor after this page.
    public var next: Int
    public var mightHaveMore: Bool

    public init(records: [SourceRecord], destroyed: [DeletedRecord], invalid: Int, next: Int, mightHaveMore: Bool) {
        self.records = records
        self.destroyed = destroyed
        self.invalid = invalid
        self.next = next
        self.mightHaveMore = mightHaveMore
    }
}

public enum PushFeedError: Error, Equatable {
    /// The subscription is gone at the source (deleted, expired).
    case gone
    /// The source refused or did not answer; try again later.
    case unavailable(String)
}
