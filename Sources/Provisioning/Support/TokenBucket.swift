import Synchronization

/// Requests-per-second budget of one remote service (an Airtable base), shared by every user of
/// the base. A sliding window, as Airtable (and airtable-sim) count: at most
/// `requestsPerSecond` requests in any second, so a burst never earns a 429
/// (which would close the base for 30 s). A request occupies its slot from
/// the grant until a window after it ends (`release`): Airtable counts it at
/// some moment in between that the client cannot see (a request granted
/// while the process is busy may leave late), and it cannot arrive after it
/// ended. Read-through reserves the next free slot ahead of background work,
/// which only takes a slot that leaves one spare in the window.
public final class TokenBucket: RequestSlots {
    public typealias Priority = RequestPriority

    /// Slightly over a second, so that clocks rounding at either end never
    /// put `limit + 1` requests in one of the server's windows.
    static let window: Duration = .milliseconds(1010)
    /// A slot never released (a caller that vanished) is freed after this.
    static let abandonedAfter: Duration = .seconds(60)

    private struct Grant {
        var id: UInt64
        /// The grant (or reserved) time; once released, the end of the request.
        var at: ContinuousClock.Instant
        var released: Bool
    }

    private struct State {
        var nextID: UInt64 = 0
        var grants: [Grant] = []
    }

    private enum Decision {
        case granted(UInt64)
        case wait(UInt64?, Duration)
        case refused
    }

    private let limit: Int
    private let state = Mutex(State())

    public init(requestsPerSecond: Int) {
        limit = max(requestsPerSecond, 1)
    }

    /// Wait for a slot; refused (and no slot taken) when it would come after
    /// `deadline`. Never paused: the caller's circuit keeps a 429's pause.
    public func acquire(priority: Priority, deadline: ContinuousClock.Instant) async -> SlotGrant {
        var reservation: UInt64?
        while true {
            let now = ContinuousClock.now
            let decision = state.withLock { state in
                decide(&state, priority: priority, deadline: deadline, now: now, replacing: reservation)
            }
            switch decision {
            case .granted(let id):
                return .granted(RequestSlot(index: 0, holder: Int64(bitPattern: id)))
            case .refused:
                return .refused
            case .wait(let reserved, let wait):
                reservation = reserved
                if priority == .background, now + wait > deadline || Task.isCancelled { return .refused }
                try? await Task.sleep(for: wait)
            }
        }
    }

    /// Grants and reservations not yet released (for tests).
    var unreleasedCount: Int { state.withLock { $0.grants.filter { !$0.released }.count } }

    /// The request of `slot` has ended: it occupies the window from now on.
    public func release(_ slot: RequestSlot) {
        let now = ContinuousClock.now
        let id = UInt64(bitPattern: slot.holder)
        state.withLock { state in
            guard let index = state.grants.firstIndex(where: { $0.id == id }) else { return }
            state.grants[index].at = max(state.grants[index].at, now)
            state.grants[index].released = true
        }
    }

    /// In-process, a 429's pause is the circuit breaker's alone.
    public func pause(for duration: Duration) {}

    /// One look at the window. An interactive caller's reservation, made
    /// while requests were still running, is checked again when it comes
    /// due: one of them may have ended later than reckoned.
    private func decide(
        _ state: inout State, priority: Priority, deadline: ContinuousClock.Instant, now: ContinuousClock.Instant,
        replacing reservation: UInt64?
    ) -> Decision {
        state.grants.removeAll { grant in
            grant.id == reservation || (grant.released ? grant.at + Self.window <= now : grant.at + Self.abandonedAfter <= now)
        }
        // A running request counts as ending now at the earliest.
        let ends = state.grants.map { $0.released ? $0.at : max($0.at, now) }.sorted()
        switch priority {
        case .interactive:
            let slot = ends.count < limit ? now : ends[ends.count - limit] + Self.window
            guard slot <= deadline else { return .refused }
            let id = state.nextID
            state.nextID += 1
            state.grants.append(Grant(id: id, at: slot, released: false))
            return slot <= now ? .granted(id) : .wait(id, slot - now)
        case .background:
            // Leave one slot of the window spare for a login (none can be
            // spared at one request per second: there the window must be
            // empty), and never go ahead of a reservation.
            let spare = limit >= 2 ? 1 : 0
            if ends.count + 1 + spare <= limit && (ends.last ?? now) <= now {
                let id = state.nextID
                state.nextID += 1
                state.grants.append(Grant(id: id, at: now, released: false))
                return .granted(id)
            }
            let freed = (ends.first ?? now) + Self.window
            return .wait(nil, max(freed - now, .milliseconds(1)))
        }
    }
}
