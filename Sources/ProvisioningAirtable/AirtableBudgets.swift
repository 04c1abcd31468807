import Provisioning
import Synchronization

/// The rate budget and circuit of one base.
public struct AirtableBudget: Sendable {
    public let bucket: TokenBucket
    public let breaker: CircuitBreaker
}

/// One budget per (API URL, base), so that every provider on a base spends
/// the same 5 requests per second. Owned by the factory, not global.
final class AirtableBudgets: Sendable {
    private let budgets = Mutex<[String: AirtableBudget]>([:])

    func budget(for settings: AirtableSettings) -> AirtableBudget {
        budgets.withLock { budgets in
            let apiURL = settings.apiURL.hasSuffix("/") ? String(settings.apiURL.dropLast()) : settings.apiURL
            let key = "\(apiURL)|\(settings.base)"
            if let budget = budgets[key] { return budget }
            let budget = AirtableBudget(
                bucket: TokenBucket(requestsPerSecond: settings.requestsPerSecond),
                breaker: CircuitBreaker(failureThreshold: settings.failureThreshold, openDuration: .seconds(settings.openSeconds)))
            budgets[key] = budget
            return budget
        }
    }
}
