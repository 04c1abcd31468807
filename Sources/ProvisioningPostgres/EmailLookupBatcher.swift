import Provisioning
import Synchronization

/// Lookups by canonical email that arrive while others are running share one
/// query (`email_canonical = ANY($1)`): a burst of logins (a flood of unknown
/// emails, say) costs a few queries on a few pooled connections instead of
/// one each, and does not queue every other store call behind it. A lookup
/// while none runs is sent at once, alone. A lookup only joins a query that
/// starts after it was asked, so it sees every write finished before it.
final class EmailLookupBatcher: Sendable {
    typealias Waiter = CheckedContinuation<StoredUser?, any Error>
    typealias Query = @Sendable ([String]) async throws -> [StoredUser]

    private struct State {
        var waiters: [String: [Waiter]] = [:]
        /// Emails in the order they were first asked for.
        var order: [String] = []
        var running = 0
        var queries = 0
    }

    private let state = Mutex(State())
    private let query: Query
    /// Queries in flight at most; the rest of the pool stays free for other calls.
    let maxRunning: Int
    let maxBatch: Int

    init(maxRunning: Int = 2, maxBatch: Int = 500, query: @escaping Query) {
        self.maxRunning = maxRunning
        self.maxBatch = maxBatch
        self.query = query
    }

    /// Queries sent so far (for tests and benchmarks).
    var queriesSent: Int { state.withLock { $0.queries } }

    func user(canonicalEmail email: String) async throws -> StoredUser? {
        try await withCheckedThrowingContinuation { waiter in
            let batch = state.withLock { state -> [String: [Waiter]]? in
                if state.waiters[email] == nil { state.order.append(email) }
                state.waiters[email, default: []].append(waiter)
                guard state.running < maxRunning else { return nil }
                state.running += 1
                return take(&state)
            }
            if let batch { Task { await self.send(batch) } }
        }
    }

    /// Send `batch`, then whatever queued meanwhile, until nothing waits.
    private func send(_ first: [String: [Waiter]]) async {
        var batch = first
        while true {
            do {
                let users = try await query(Array(batch.keys))
                let byEmail = Dictionary(users.map { ($0.emailCanonical, $0) }, uniquingKeysWith: { first, _ in first })
                for (email, waiters) in batch { for waiter in waiters { waiter.resume(returning: byEmail[email]) } }
            } catch {
                for waiters in batch.values { for waiter in waiters { waiter.resume(throwing: error) } }
            }
            let next = state.withLock { state -> [String: [Waiter]]? in
                guard !state.order.isEmpty else {
                    state.running -= 1
                    return nil
                }
                return take(&state)
            }
            guard let next else { return }
            batch = next
        }
    }

    private func take(_ state: inout State) -> [String: [Waiter]] {
        let emails = state.order.prefix(maxBatch)
        var batch: [String: [Waiter]] = [:]
        for email in emails { batch[email] = state.waiters.removeValue(forKey: email) }
        state.order.removeFirst(emails.count)
        state.queries += 1
        return batch
    }
}
