/// A sliding one-second window per base: at most `perSecond` accepted requests in any second.
/// Rejected requests do not use up the window.
struct RateLimiter: Sendable {
    var perSecond: Int
    private var windows: [String: [ContinuousClock.Instant]] = [:]

    init(perSecond: Int) {
        self.perSecond = perSecond
    }

    /// Records the request and returns true when it is within the limit.
    mutating func allow(key: String, now: ContinuousClock.Instant) -> Bool {
        guard perSecond > 0 else { return true }
        var window = windows[key] ?? []
        window.removeAll { now - $0 >= .seconds(1) }
        guard window.count < perSecond else {
            windows[key] = window
            return false
        }
        window.append(now)
        windows[key] = window
        return true
    }

    mutating func reset() {
        windows = [:]
    }
}
