/// A sliding one-second window per base: at most `perSecond` accepted requests in any second.
/// Rejected requests do not use up the window. With a `penalty` (Airtable's
/// is 30 s), a request over the limit also closes the base for that long:
/// every request until then gets 429 too.
struct RateLimiter: Sendable {
    var perSecond: Int
    var penalty: Duration
    private var windows: [String: [ContinuousClock.Instant]] = [:]
    private var closedUntil: [String: ContinuousClock.Instant] = [:]

    init(perSecond: Int, penalty: Duration = .zero) {
        self.perSecond = perSecond
        self.penalty = penalty
    }

    /// Records the request and returns true when it is within the limit.
    mutating func allow(key: String, now: ContinuousClock.Instant) -> Bool {
        guard perSecond > 0 else { return true }
        if let until = closedUntil[key], now < until { return false }
        var window = windows[key] ?? []
        window.removeAll { now - $0 >= .seconds(1) }
        guard window.count < perSecond else {
            windows[key] = window
            if penalty > .zero { closedUntil[key] = now + penalty }
            return false
        }
        window.append(now)
        windows[key] = window
        return true
    }

    mutating func reset() {
        windows = [:]
        closedUntil = [:]
    }
}
