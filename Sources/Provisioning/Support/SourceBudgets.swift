import Synchronization

/// The rate budget and circuit of one remote service (an Airtable base, a
/// SCIM endpoint): every HTTP source kind spends one of these per request.
public struct SourceBudget: Sendable {
    public let bucket: TokenBucket
    public let breaker: CircuitBreaker

    public init(bucket: TokenBucket, breaker: CircuitBreaker) {
        self.bucket = bucket
        self.breaker = breaker
    }

    public init(requestsPerSecond: Int, failureThreshold: Int, openSeconds: Int) {
        self.init(
            bucket: TokenBucket(requestsPerSecond: requestsPerSecond),
            breaker: CircuitBreaker(failureThreshold: failureThreshold, openDuration: .seconds(openSeconds)))
    }
}

/// One budget per key (a kind chooses it: Airtable's is API URL and base),
/// so that every provider on one remote spends the same budget. Owned by a
/// kind's factory value, not global.
public final class SourceBudgets: Sendable {
    private let budgets = Mutex<[String: SourceBudget]>([:])

    public init() {}

    /// The budget of `key`, made by `make` the first time.
    public func budget(for key: String, make: () -> SourceBudget) -> SourceBudget {
        budgets.withLock { budgets in
            if let budget = budgets[key] { return budget }
            let budget = make()
            budgets[key] = budget
            return budget
        }
    }
}
