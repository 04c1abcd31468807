import Foundation
import Logging
import Metrics
import Synchronization

/// Changes a source pushes (CONTRACT §9), taken into the store: a
/// notification is checked against the stored secret; then the changes are
/// read from the stored cursor, one instance at a time (the read lease),
/// applied through the one import write (precedence, stale guard, delete
/// policy), and the cursor saved after each page's effects commit, so a crash
/// re-reads and re-applies idempotently. `check` keeps the subscription
/// alive (`PushSync+Subscription.swift`).
public final class PushSync: Sendable {
    public let source: String
    let feed: any PushFeed
    let subscriptions: any SourceSubscriptionStore
    /// Its lease keeps reads and checks to one instance at a time.
    let state: any SyncStateStore
    let store: any IdentityStore
    /// A pass that covers what a re-created subscription missed; nil: none can run.
    let reconcile: (@Sendable () async throws -> Void)?
    let logger: Logger
    let metrics: any MetricsFactory
    let local = Mutex(Local())

    struct Local {
        var reading = false
        var readAgain = false
        var retryScheduled = false
        /// The subscription as last loaded, for checking notifications.
        var cached: SourceSubscription?
        var loadedAt: ContinuousClock.Instant?
        /// Whether this process has adopted or made the subscription yet.
        var established = false
        /// The outcome of the last check or read, for `/readyz`.
        var condition = "starting"
    }

    public init(
        source: String, feed: any PushFeed, subscriptions: any SourceSubscriptionStore, state: any SyncStateStore,
        store: any IdentityStore, reconcile: (@Sendable () async throws -> Void)?, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory
    ) {
        self.source = source
        self.feed = feed
        self.subscriptions = subscriptions
        self.state = state
        self.store = store
        self.reconcile = reconcile
        self.logger = logger
        self.metrics = metrics
    }

    var leaseName: String { "push:\(source)" }

    // MARK: Notifications

    /// A notification's body and headers: false (and nothing read) unless it
    /// is signed with the subscription's secret. An accepted one is counted
    /// in the store and a read starts in the background.
    public func notified(body: [UInt8], headers: HeaderLookup) async -> Bool {
        guard await isAuthentic(body: body, headers: headers) else {
            count("notifications_total", ("result", "rejected"))
            log(.info, "rejected", ["reason": "invalid_signature"])
            return false
        }
        count("notifications_total", ("result", "accepted"))
        log(.info, "notified")
        Task {
            do {
                try await subscriptions.markNotified(source: source, at: Date())
            } catch {
                log(.warning, "read_failed", ["error": .string(String(describing: error))])
            }
            await readSoon()
        }
        return true
    }

    /// Checked against the cached secret; a mismatch reloads it (at most
    /// once a second, so that forged pings cannot cost a query each).
    private func isAuthentic(body: [UInt8], headers: HeaderLookup) async -> Bool {
        let cached = local.withLock { $0.cached }
        if let cached, feed.isAuthentic(body: body, headers: headers, secret: cached.secret) { return true }
        // Claimed before the query, so that pings arriving meanwhile do not query too.
        let mayReload = local.withLock { local -> Bool in
            guard local.loadedAt.map({ ContinuousClock.now - $0 >= .seconds(1) }) ?? true else { return false }
            local.loadedAt = .now
            return true
        }
        guard mayReload, let fresh = await loadSubscription() else { return false }
        return fresh.subscriptionID != cached?.subscriptionID || fresh.secret != cached?.secret
            ? feed.isAuthentic(body: body, headers: headers, secret: fresh.secret) : false
    }

    @discardableResult
    func loadSubscription() async -> SourceSubscription? {
        let loaded = try? await subscriptions.subscription(source: source)
        local.withLock {
            $0.loadedAt = .now
            if let loaded { $0.cached = loaded }
        }
        return loaded
    }

    /// One background reader per process: a notification during a read only
    /// asks for another read afterwards.
    func readSoon() async {
        let start = local.withLock { local -> Bool in
            if local.reading {
                local.readAgain = true
                return false
            }
            local.reading = true
            return true
        }
        guard start else { return }
        var failed = false
        repeat {
            let result = await read()
            if result == .gone { await check() }
            failed = result == .failed
        } while local.withLock { local -> Bool in
            if local.readAgain { local.readAgain = false; return true }
            local.reading = false
            return false
        }
        if failed { retryLater() }
    }

    /// A read that failed (the source rate-limited or down, the store
    /// unreachable) is tried again in 10 s rather than at the next check:
    /// the pending changes would otherwise wait for the next ping.
    private func retryLater() {
        let first = local.withLock { local -> Bool in
            defer { local.retryScheduled = true }
            return !local.retryScheduled
        }
        guard first else { return }
        Task {
            try? await Task.sleep(for: Self.retryDelay)
            local.withLock { $0.retryScheduled = false }
            await readSoon()
        }
    }

    static let retryDelay: Duration = .seconds(10)
}
