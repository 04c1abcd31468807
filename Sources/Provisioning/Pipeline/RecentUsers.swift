import Foundation
import Synchronization

/// Users lately read by id, kept for `ttl` so `GET /api/auth/me` can answer
/// without a store round trip. Every write this process makes to the store
/// bumps a generation (see `WriteObservingStore`), which voids every entry
/// read before it: only another process's writes can be seen late, by at
/// most `ttl`. A `ttl` of zero keeps nothing.
public final class RecentUsers: Sendable {
    private struct Entry {
        var user: StoredUser
        var generation: UInt64
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var generation: UInt64 = 0
        var entries: [UUID: Entry] = [:]
    }

    private let state = Mutex(State())
    public let ttl: Duration
    let capacity: Int

    public init(ttl: Duration, capacity: Int = 10_000) {
        self.ttl = ttl
        self.capacity = capacity
    }

    public var isEnabled: Bool { ttl > .zero }

    /// Take this before reading the store; pass it to `remember`.
    public var generation: UInt64 { state.withLock { $0.generation } }

    public func user(id: UUID) -> StoredUser? {
        guard isEnabled else { return nil }
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[id], entry.generation == state.generation, entry.expires > now else { return nil }
            return entry.user
        }
    }

    /// Keep `user`, read from the store after `generation` was taken: kept
    /// only if no write happened since.
    public func remember(_ user: StoredUser, readAt generation: UInt64) {
        guard isEnabled else { return }
        let expires = ContinuousClock.now + ttl
        state.withLock { state in
            guard generation == state.generation else { return }
            if state.entries.count >= capacity, state.entries[user.id] == nil {
                state.entries.removeAll(keepingCapacity: true)
            }
            state.entries[user.id] = Entry(user: user, generation: generation, expires: expires)
        }
    }

    /// A write happened: nothing read before it may be served. O(1): the
    /// old entries stay until overwritten or dropped at capacity.
    public func invalidate() {
        state.withLock { $0.generation &+= 1 }
    }
}
