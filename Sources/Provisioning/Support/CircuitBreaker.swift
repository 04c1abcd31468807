import Synchronization

/// Opens after consecutive failures (for Airtable also at once on a 429, for its 30
/// seconds); while open, lookups answer `unavailable` without a request.
/// After the open period one probe is let through (half-open).
public final class CircuitBreaker: Sendable {
    public enum Admission: Sendable, Equatable {
        case allowed
        case rejected(retryAfterSeconds: Int)
    }

    private enum Phase {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        case halfOpen
    }

    private let failureThreshold: Int
    private let openDuration: Duration
    private let phase = Mutex(Phase.closed(failures: 0))

    public init(failureThreshold: Int, openDuration: Duration) {
        self.failureThreshold = failureThreshold
        self.openDuration = openDuration
    }

    public func admit(now: ContinuousClock.Instant = .now) -> Admission {
        phase.withLock { phase in
            switch phase {
            case .closed:
                return .allowed
            case .open(let until):
                guard now >= until else { return .rejected(retryAfterSeconds: Self.wholeSeconds(until - now)) }
                phase = .halfOpen
                return .allowed
            case .halfOpen:
                // One probe is in flight; the rest wait for its verdict.
                return .rejected(retryAfterSeconds: 1)
            }
        }
    }

    /// Closes the circuit. While it is open (a 429's 30 s, or the open
    /// period), a late success of a request admitted before it opened does
    /// not close it: only the half-open probe does.
    public func recordSuccess() {
        phase.withLock { phase in
            if case .open = phase { return }
            phase = .closed(failures: 0)
        }
    }

    public func recordFailure(now: ContinuousClock.Instant = .now) {
        phase.withLock { phase in
            switch phase {
            case .closed(let failures) where failures + 1 < failureThreshold:
                phase = .closed(failures: failures + 1)
            case .open:
                break
            default:
                phase = .open(until: now + openDuration)
            }
        }
    }

    /// A 429: Airtable asks for 30 seconds of quiet on the base.
    public func recordRateLimited(now: ContinuousClock.Instant = .now, wait: Duration = .seconds(30)) {
        phase.withLock { $0 = .open(until: now + wait) }
    }

    /// A probe that could not be sent (no token in time) gives its turn back.
    public func releaseProbe() {
        phase.withLock { phase in
            if case .halfOpen = phase { phase = .open(until: .now) }
        }
    }

    /// When a caller refused now should try again (1 s while closed).
    public func retryAfterSeconds(now: ContinuousClock.Instant = .now) -> Int {
        phase.withLock { phase in
            if case .open(let until) = phase, until > now { return Self.wholeSeconds(until - now) }
            return 1
        }
    }

    public var isOpen: Bool {
        phase.withLock { if case .closed = $0 { return false } else { return true } }
    }

    public static func wholeSeconds(_ duration: Duration) -> Int {
        max(1, Int(duration.components.seconds) + (duration.components.attoseconds > 0 ? 1 : 0))
    }
}
