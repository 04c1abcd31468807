import Synchronization

/// Requests-per-second budget of one Airtable base, shared by every user of
/// the base. A sliding one-second window, as Airtable (and airtable-sim)
/// count: at most `requestsPerSecond` requests start in any second, so a
/// burst never earns a 429 (which would close the base for 30 s). Callers
/// reserve the next free slot and wait for it; read-through reserves ahead of
/// background work, which only takes a slot that leaves one spare in the window.
public final class TokenBucket: Sendable {
    public enum Priority: Sendable { case interactive, background }

    /// Slightly over a second, so that clocks rounding at either end never
    /// put `limit + 1` requests in one of the server's windows.
    static let window: Duration = .milliseconds(1010)

    private let limit: Int
    /// Start times of the requests in the current window, and reservations
    /// ahead of now; ascending.
    private let grants = Mutex<[ContinuousClock.Instant]>([])

    public init(requestsPerSecond: Int) {
        limit = max(requestsPerSecond, 1)
    }

    /// Wait for a slot; false (and no slot taken) when it would come after `deadline`.
    public func acquire(priority: Priority, deadline: ContinuousClock.Instant) async -> Bool {
        while true {
            let now = ContinuousClock.now
            let decision: (granted: Bool, wait: Duration) = grants.withLock { grants in
                grants.removeAll { $0 + Self.window <= now }
                switch priority {
                case .interactive:
                    let slot = grants.count < limit ? now : grants[grants.count - limit] + Self.window
                    guard slot <= deadline else { return (false, .zero) }
                    grants.append(slot)
                    return (true, slot - now)
                case .background:
                    // Leave one slot of the window spare for a login (none can
                    // be spared at one request per second: there the window must be empty).
                    let spare = limit >= 2 ? 1 : 0
                    if grants.count + 1 + spare <= limit && (grants.last ?? now) <= now {
                        grants.append(now)
                        return (true, .zero)
                    }
                    let freed = (grants.first ?? now) + Self.window
                    return (false, max(freed - now, .milliseconds(1)))
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
}
