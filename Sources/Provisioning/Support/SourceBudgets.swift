import Synchronization

/// The rate budget and circuit of one remote service (an Airtable base, a
/// SCIM endpoint): every HTTP source kind spends one of these per request.
/// The window is in-process or shared by every instance on the store
/// (`Coordination.requestSlots`); the circuit is this process's, and a 429
/// seen anywhere reaches it through the shared window's pause.
public struct SourceBudget: Sendable {
    public let slots: any RequestSlots
    public let breaker: CircuitBreaker

    public init(slots: any RequestSlots, breaker: CircuitBreaker) {
        self.slots = slots
        self.breaker = breaker
    }

    public init(requestsPerSecond: Int, failureThreshold: Int, openSeconds: Int, shared: Coordination = .none, key: String = "") {
        self.init(
            slots: shared.requestSlots?(key, requestsPerSecond) ?? TokenBucket(requestsPerSecond: requestsPerSecond),
            breaker: CircuitBreaker(failureThreshold: failureThreshold, openDuration: .seconds(openSeconds)))
    }
}

extension SourceBudget {
    /// How a request ended, for the circuit.
    public enum Outcome: Sendable {
        /// Answered (a 4xx included: the service is up).
        case answered
        /// Rate-limited: the circuit waits the service's penalty.
        case rateLimited
        /// Down, slow or failing.
        case failed
    }

    /// Why a request was not sent.
    public enum Refusal: Error, Sendable {
        case circuitOpen
        case budgetExhausted
    }

    /// How much longer a request that got no good answer keeps its slot.
    public static let unansweredHold: Duration = .seconds(1)

    /// Airtable's penalty after a 429: 30 seconds of quiet on the base.
    public static let rateLimitPause: Duration = .seconds(30)

    /// Send one request within `timeout`: circuit, then a token, then
    /// `request` with the time left; its outcome is recorded. A token is
    /// only worth taking if the round trip still fits after it: half the
    /// time (at most 100 ms) is kept for the request itself, so that a late
    /// token does not become a timeout that counts against the circuit.
    public func send<Response: Sendable>(
        priority: RequestPriority, timeout: Duration,
        _ request: (Duration) async -> Response, outcome: (Response) -> Outcome
    ) async -> Result<Response, Refusal> {
        let deadline = ContinuousClock.now + timeout
        if case .rejected = breaker.admit() { return .failure(.circuitOpen) }
        let reserve = min(timeout / 2, .milliseconds(100))
        let slot: RequestSlot
        switch await slots.acquire(priority: priority, deadline: deadline - reserve) {
        case .granted(let granted):
            slot = granted
        case .refused:
            breaker.releaseProbe()
            return .failure(.budgetExhausted)
        case .paused(let remaining):
            // Another instance saw the 429: keep quiet here too, without asking again.
            breaker.recordRateLimited(wait: remaining)
            return .failure(.circuitOpen)
        }
        let response = await request(deadline - ContinuousClock.now)
        let result = outcome(response)
        if result == .failed {
            // No answer (a timeout, a reset) or a server error: the request
            // may still reach the service later than we can see, so its slot
            // stays taken a while longer.
            Task {
                try? await Task.sleep(for: Self.unansweredHold)
                await slots.release(slot)
            }
        } else {
            await slots.release(slot)
        }
        switch result {
        case .answered: breaker.recordSuccess()
        case .rateLimited:
            breaker.recordRateLimited(wait: Self.rateLimitPause)
            await slots.pause(for: Self.rateLimitPause)
        case .failed: breaker.recordFailure()
        }
        return .success(response)
    }
}

/// One budget per key (a kind chooses it: Airtable's is API URL and base),
/// so that every provider on one remote spends the same budget. Owned by a
/// kind's factory value, not global. Budgets whose window lives in a store
/// are kept per store (`Coordination.scope`).
public final class SourceBudgets: Sendable {
    private let budgets = Mutex<[String: SourceBudget]>([:])

    public init() {}

    /// The budget of `key`, made by `make` the first time.
    public func budget(for key: String, shared: Coordination = .none, make: () -> SourceBudget) -> SourceBudget {
        let key = "\(shared.scope)|\(key)"
        return budgets.withLock { budgets in
            if let budget = budgets[key] { return budget }
            let budget = make()
            budgets[key] = budget
            return budget
        }
    }
}
