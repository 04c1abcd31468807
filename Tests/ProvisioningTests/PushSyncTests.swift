import Foundation
import Logging
import Provisioning
import Synchronization
import Testing

/// `PushSync`'s rules with the memory store and a scripted feed: what two
/// instances do when a ping reaches one while the other reads.
@Suite("Pushed changes (PushSync)")
struct PushSyncTests {
    @Test("a ping that finds another instance reading is read by that instance after it releases the lease")
    func pingDuringAnotherRead() async throws {
        let store = MemoryStore()
        let state = MemorySyncState(store: store)
        let subscriptions = MemorySourceSubscriptions()
        let feed = ScriptedFeed()
        try await subscriptions.save(SourceSubscription(source: "airtable", subscriptionID: "achOne", secret: ScriptedFeed.secret))
        let first = PushSync.make(feed: feed, subscriptions: subscriptions, state: state, store: store)
        let second = PushSync.make(feed: feed, subscriptions: subscriptions, state: state, store: store)

        feed.add("one@example.com")
        feed.holdNextRead()
        async let firstRead = first.read()
        await feed.waitUntilHeld()
        // Meanwhile a change and its ping reach the second instance: counted, then refused the lease.
        feed.add("two@example.com")
        try await subscriptions.markNotified(source: "airtable", at: Date())
        #expect(await second.read() == .held)
        feed.release()

        #expect(await firstRead == .done)
        #expect(try await store.user(source: "airtable", recordID: "rec1")?.email == "one@example.com")
        #expect(try await store.user(source: "airtable", recordID: "rec2")?.email == "two@example.com", "read again by the holder")
        #expect(try await subscriptions.subscription(source: "airtable")?.cursor == 3)
        #expect(feed.reads() == 2)
    }

    @Test("a notification is checked against the stored secret; a forged one starts nothing")
    func authenticity() async throws {
        let store = MemoryStore()
        let subscriptions = MemorySourceSubscriptions()
        let feed = ScriptedFeed()
        try await subscriptions.save(SourceSubscription(source: "airtable", subscriptionID: "achOne", secret: ScriptedFeed.secret))
        let sync = PushSync.make(feed: feed, subscriptions: subscriptions, state: MemorySyncState(store: store), store: store)
        #expect(await sync.notified(body: Array("ping".utf8), headers: HeaderLookup(["X-Signature": "forged"])) == false)
        #expect(try await subscriptions.subscription(source: "airtable")?.notifications == 0)
        feed.add("one@example.com")
        #expect(await sync.notified(body: Array("ping".utf8), headers: HeaderLookup(["X-Signature": ScriptedFeed.secret])))
        let stored = try await Self.eventually { try await store.user(source: "airtable", recordID: "rec1") }
        #expect(stored?.email == "one@example.com")
        #expect(try await subscriptions.subscription(source: "airtable")?.notifications == 1)
    }

    @Test("a subscription gone at the source is made anew and the gap reconciled; a live one is adopted")
    func recreate() async throws {
        let store = MemoryStore()
        let subscriptions = MemorySourceSubscriptions()
        let feed = ScriptedFeed()
        let reconciled = Mutex(0)
        let sync = PushSync(
            source: "airtable", feed: feed, subscriptions: subscriptions, state: MemorySyncState(store: store), store: store,
            reconcile: { reconciled.withLock { $0 += 1 } }, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(await sync.check())
        let made = try #require(try await subscriptions.subscription(source: "airtable"))
        #expect(reconciled.withLock { $0 } == 0, "a first webhook needs no reconciliation")
        #expect(await sync.check())
        #expect(try await subscriptions.subscription(source: "airtable")?.subscriptionID == made.subscriptionID)
        feed.dropSubscriptions()
        #expect(await sync.check())
        let remade = try #require(try await subscriptions.subscription(source: "airtable"))
        #expect(remade.subscriptionID != made.subscriptionID && remade.cursor == 1)
        #expect(reconciled.withLock { $0 } == 1)
    }

    @Test("a webhook is refreshed once refresh_interval_s has passed since its last refresh, not before")
    func refresh() async throws {
        let store = MemoryStore()
        let subscriptions = MemorySourceSubscriptions()
        let feed = ScriptedFeed()
        let sync = PushSync.make(feed: feed, subscriptions: subscriptions, state: MemorySyncState(store: store), store: store)
        #expect(await sync.check())
        #expect(await sync.check())
        #expect(feed.refreshes() == 0, "made a moment ago")
        // Its last refresh was 25 hours ago: 6 days less an hour left of its 7.
        feed.setExpirations(Date().addingTimeInterval(6 * 86_400 - 3600))
        #expect(await sync.check())
        #expect(feed.refreshes() == 1)
        let extended = try #require(try await subscriptions.subscription(source: "airtable")?.expiresAt)
        #expect(extended > Date().addingTimeInterval(7 * 86_400 - 60))
    }

    static func eventually<T>(_ value: () async throws -> T?) async throws -> T? {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let found = try await value() { return found }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

extension PushSync {
    static func make(feed: ScriptedFeed, subscriptions: MemorySourceSubscriptions, state: MemorySyncState, store: MemoryStore) -> PushSync {
        PushSync(
            source: "airtable", feed: feed, subscriptions: subscriptions, state: state, store: store, reconcile: nil,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }
}

/// A source whose changes are a list (cursor n is change n); a read can be
/// held until the test releases it. A notification is authentic when its
/// `X-Signature` header is the secret.
final class ScriptedFeed: PushFeed {
    static let secret = "c2VjcmV0"
    private struct State {
        var changes: [SourceRecord] = []
        var hold = false
        var held: CheckedContinuation<Void, Never>?
        var heldWaiter: CheckedContinuation<Void, Never>?
        var reads = 0
        var remote: [RemoteSubscription] = []
        var made = 0
        var refreshes = 0
    }
    private let state = Mutex(State())

    let eventPrefix = "scripted"
    let schedule = PushSchedule(checkEvery: .seconds(600), refreshEvery: .seconds(86_400), lifetime: .seconds(7 * 86_400))

    func add(_ email: String) {
        state.withLock { state in
            let number = state.changes.count + 1
            state.changes.append(SourceRecord(recordID: "rec\(number)", values: ["email": email], modifiedAt: Date()))
        }
    }

    func holdNextRead() { state.withLock { $0.hold = true } }
    func reads() -> Int { state.withLock { $0.reads } }
    func dropSubscriptions() { state.withLock { $0.remote = [] } }
    func refreshes() -> Int { state.withLock { $0.refreshes } }
    func setExpirations(_ time: Date) {
        state.withLock { state in
            for index in state.remote.indices { state.remote[index].expiresAt = time }
        }
    }

    func waitUntilHeld() async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool in
                if state.held != nil { return true }
                state.heldWaiter = continuation
                return false
            }
            if ready { continuation.resume() }
        }
    }

    func release() {
        let held = state.withLock { state -> CheckedContinuation<Void, Never>? in
            defer { state.held = nil }
            return state.held
        }
        held?.resume()
    }

    func subscriptions() async throws(PushFeedError) -> [RemoteSubscription] { state.withLock { $0.remote } }

    func create(source: String) async throws(PushFeedError) -> SourceSubscription {
        let id = state.withLock { state -> String in
            state.made += 1
            let id = "achMade\(state.made)"
            state.remote.append(RemoteSubscription(id: id, isEnabled: true, expiresAt: Date().addingTimeInterval(7 * 86_400)))
            return id
        }
        return SourceSubscription(source: source, subscriptionID: id, secret: Self.secret, expiresAt: Date().addingTimeInterval(7 * 86_400))
    }

    func delete(_ subscriptionID: String) async throws(PushFeedError) {
        state.withLock { $0.remote.removeAll { $0.id == subscriptionID } }
    }

    func refresh(_ subscriptionID: String) async throws(PushFeedError) -> Date? {
        let until = Date().addingTimeInterval(7 * 86_400)
        state.withLock { state in
            state.refreshes += 1
            for index in state.remote.indices where state.remote[index].id == subscriptionID { state.remote[index].expiresAt = until }
        }
        return until
    }

    func changes(_ subscriptionID: String, from cursor: Int) async throws(PushFeedError) -> PushedPage {
        // What exists when the read is asked for: a change made while it is held is not in it.
        let snapshot = state.withLock { state -> [SourceRecord] in
            state.reads += 1
            return state.changes
        }
        let mustHold = state.withLock { state -> Bool in
            defer { state.hold = false }
            return state.hold
        }
        if mustHold {
            await withCheckedContinuation { continuation in
                let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                    state.held = continuation
                    defer { state.heldWaiter = nil }
                    return state.heldWaiter
                }
                waiter?.resume()
            }
        }
        let page = Array(snapshot.dropFirst(cursor - 1))
        return PushedPage(records: page, destroyed: [], invalid: 0, next: snapshot.count + 1, mightHaveMore: false)
    }

    func isAuthentic(body: [UInt8], headers: HeaderLookup, secret: String) -> Bool {
        headers["X-Signature"] == secret
    }
}
