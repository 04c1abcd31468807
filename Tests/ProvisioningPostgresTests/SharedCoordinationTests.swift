import Foundation
import Logging
import PostgresNIO
import Provisioning
import Synchronization
import Testing
@testable import ProvisioningPostgres
import ProvisioningTestKit

/// Two "instances" (two pools) on one migrated database.
struct TwoInstances {
    let url: String
    let a: PostgresClient
    let b: PostgresClient

    static func make(poolSize: Int = 4) async throws -> TwoInstances {
        let url = try await TestDatabase.create()
        try await Migrations.apply(session: try PostgresProviderFactory.sessionConfiguration(url: url), logger: TestDatabase.logger)
        func client() throws -> PostgresClient {
            let client = PostgresClient(
                configuration: try PostgresProviderFactory.configuration(url: url, poolSize: poolSize), backgroundLogger: TestDatabase.logger)
            Task { await client.run() }
            return client
        }
        return TwoInstances(url: url, a: try client(), b: try client())
    }

    func budgets(_ client: PostgresClient) -> PostgresSharedBudgets {
        PostgresSharedBudgets(client: client, gate: StoreGate(deadlineSeconds: 30), schema: .default, logger: TestDatabase.logger)
    }

    func feed(_ client: PostgresClient) throws -> PostgresChangeFeed {
        PostgresChangeFeed(
            client: client, session: try PostgresProviderFactory.sessionConfiguration(url: url), schema: .default, logger: TestDatabase.logger)
    }
}

/// Values appended from concurrent tasks.
final class Recorded<Value: Sendable>: Sendable {
    private let values = Mutex<[Value]>([])
    func append(_ value: Value) { values.withLock { $0.append(value) } }
    var all: [Value] { values.withLock { $0 } }
}

@Suite("Instances sharing one database: request window, lookup locks, change feed")
struct SharedCoordinationTests {
    @Test("two instances together never start more than the limit in any second, and each request holds its slot until a window after it")
    func sharedWindow() async throws {
        let pair = try await TwoInstances.make(poolSize: 8)
        let windows = [pair.budgets(pair.a).slots(key: "base", requestsPerSecond: 5), pair.budgets(pair.b).slots(key: "base", requestsPerSecond: 5)]
        let clock = ContinuousClock()
        let grants = Recorded<ContinuousClock.Instant>()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<16 {
                group.addTask {
                    let window = windows[index % 2]
                    guard let slot = await window.acquire(priority: .interactive, deadline: .now + .seconds(20)).slot else { return }
                    grants.append(clock.now)
                    try? await Task.sleep(for: .milliseconds(30))  // the "HTTP request"
                    await window.release(slot)
                }
            }
        }
        let times = grants.all.sorted()
        #expect(times.count == 16)
        // Any 6 consecutive grants span more than a second.
        for i in 0..<(times.count - 5) { #expect(times[i + 5] - times[i] > .seconds(1), "grants \(i) and \(i + 5)") }
    }

    @Test("a 429 seen by one instance pauses the other, which is told how long")
    func pauseIsShared() async throws {
        let pair = try await TwoInstances.make()
        let a = pair.budgets(pair.a).slots(key: "base", requestsPerSecond: 5)
        let b = pair.budgets(pair.b).slots(key: "base", requestsPerSecond: 5)
        #expect(await b.acquire(priority: .interactive, deadline: .now + .seconds(5)).slot != nil)
        await a.pause(for: .seconds(30))
        guard case .paused(let remaining) = await b.acquire(priority: .interactive, deadline: .now + .seconds(5)) else {
            Issue.record("b should be told of the pause")
            return
        }
        #expect(remaining > .seconds(25) && remaining <= .seconds(30))
        guard case .paused = await b.acquire(priority: .background, deadline: .now + .seconds(5)) else {
            Issue.record("background work is paused too")
            return
        }
    }

    @Test("background work leaves a slot spare for a sign-in; interactive takes it")
    func backgroundSpares() async throws {
        let pair = try await TwoInstances.make()
        let a = pair.budgets(pair.a).slots(key: "base", requestsPerSecond: 2)
        let b = pair.budgets(pair.b).slots(key: "base", requestsPerSecond: 2)
        let held = try #require(await a.acquire(priority: .interactive, deadline: .now + .seconds(5)).slot)
        #expect(await b.acquire(priority: .background, deadline: .now + .milliseconds(200)).slot == nil)
        let last = try #require(await b.acquire(priority: .interactive, deadline: .now + .milliseconds(200)).slot)
        await a.release(held)
        await b.release(last)
    }

    @Test("a waiter for another instance's lookup of the key runs after it; another key is not held up; a short wait runs without the lock")
    func lookupLocks() async throws {
        let pair = try await TwoInstances.make()
        let a = PostgresLookupLocks(client: pair.a, poolSize: 4, logger: TestDatabase.logger)
        let b = PostgresLookupLocks(client: pair.b, poolSize: 4, logger: TestDatabase.logger)
        let (entered, enteredSignal) = AsyncStream.makeStream(of: Void.self)
        let (finish, finishSignal) = AsyncStream.makeStream(of: Void.self)
        let order = Recorded<String>()
        let holder = Task {
            try await a.withLock(key: "email:ada@example.com", wait: .seconds(5)) {
                enteredSignal.yield()
                for await _ in finish { break }
                order.append("a")
            }
        }
        for await _ in entered { break }
        // Another key is not held up; a short wait gives up and runs without the lock.
        try await b.withLock(key: "email:grace@example.com", wait: .seconds(20)) { order.append("other key") }
        try await b.withLock(key: "email:ada@example.com", wait: .milliseconds(100)) { order.append("impatient") }
        let waiter = Task {
            try await b.withLock(key: "email:ada@example.com", wait: .seconds(20)) { order.append("b") }
        }
        // b is waiting on the lock in PostgreSQL before a finishes.
        while try await TestDatabase.count(pair.a, "SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        finishSignal.yield()
        try await holder.value
        try await waiter.value
        #expect(order.all == ["other key", "impatient", "a", "b"])
    }

    @Test("a change published on one instance reaches the other's listener, not its own; a lost listener reconnects and hears 'everything'")
    func changeFeed() async throws {
        let pair = try await TwoInstances.make()
        let a = try pair.feed(pair.a)
        let b = try pair.feed(pair.b)
        let (heardByB, toB) = AsyncStream.makeStream(of: UserChange.self)
        let (heardByA, toA) = AsyncStream.makeStream(of: UserChange.self)
        let listeners = [Task { await b.listen { toB.yield($0) } }, Task { await a.listen { toA.yield($0) } }]
        defer { listeners.forEach { $0.cancel() } }
        let id = UUID()
        let change = UserChange(userID: id, canonicalEmail: "ada@example.com", links: ["airtable": "recAda"])
        var iterator = heardByB.makeAsyncIterator()
        #expect(await Self.publish(change, on: a, until: &iterator) == change)
        // a's own change never reached a: the first thing a hears is b's.
        var aIterator = heardByA.makeAsyncIterator()
        #expect(await Self.publish(UserChange(canonicalEmail: "from-b@example.com"), on: b, until: &aIterator)?.canonicalEmail == "from-b@example.com")
        // Kill b's listening session: it reconnects and reports `everything`.
        _ = try await pair.a.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid() AND datname = current_database()")
        var sawEverything = false
        while let next = await iterator.next() {
            if next.everything {
                sawEverything = true
                break
            }
        }
        #expect(sawEverything)
    }

    /// Publish `change` every 50 ms until the listener hears something (it may not be connected yet).
    static func publish(
        _ change: UserChange, on feed: PostgresChangeFeed, until iterator: inout AsyncStream<UserChange>.Iterator
    ) async -> UserChange? {
        let publisher = Task {
            while !Task.isCancelled {
                await feed.publish(change)
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        defer { publisher.cancel() }
        return await iterator.next()
    }
}
