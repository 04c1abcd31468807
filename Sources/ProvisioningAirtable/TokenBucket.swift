import Synchronization

/// Requests-per-second budget of one Airtable base, shared by every user of
/// the base. Callers reserve a slot (tokens may go negative: that is the
/// queue); read-through reserves ahead of background work, which only takes
/// a slot while at least one spare token remains.
public final class TokenBucket: Sendable {
    public enum Priority: Sendable { case interactive, background }

    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }

    private let rate: Double
    private let capacity: Double
    private let state: Mutex<State>

    public init(requestsPerSecond: Int) {
        rate = Double(max(requestsPerSecond, 1))
        capacity = rate
        state = Mutex(State(tokens: rate, last: .now))
    }

    /// Wait for a slot; false (and no slot taken) when it would come after `deadline`.
    public func acquire(priority: Priority, deadline: ContinuousClock.Instant) async -> Bool {
        while true {
            let now = ContinuousClock.now
            let decision: (granted: Bool, wait: Duration) = state.withLock { state in
                state.tokens = min(capacity, state.tokens + rate * Self.seconds(now - state.last))
                state.last = now
                switch priority {
                case .interactive:
                    state.tokens -= 1
                    let wait = state.tokens >= 0 ? Duration.zero : Self.duration(-state.tokens / rate)
                    if now + wait > deadline {
                        state.tokens += 1
                        return (false, .zero)
                    }
                    return (true, wait)
                case .background:
                    // One spare token must remain; a bucket of one (1 request
                    // per second) can hold no spare, so there it must be full.
                    let needed = min(2, capacity)
                    if state.tokens >= needed {
                        state.tokens -= 1
                        return (true, .zero)
                    }
                    return (false, Self.duration((needed - state.tokens) / rate))
                }
            }
            switch priority {
            case .interactive:
                guard decision.granted else { return false }
                if decision.wait > .zero { try? await Task.sleep(for: decision.wait) }
                return true
            case .background:
                if decision.granted { return true }
                if now + decision.wait > deadline || Task.isCancelled { return false }
                try? await Task.sleep(for: decision.wait)
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func duration(_ seconds: Double) -> Duration {
        .nanoseconds(Int64((seconds * 1e9).rounded(.up)))
    }
}
