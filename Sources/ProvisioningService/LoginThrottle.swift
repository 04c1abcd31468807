import Foundation
import Synchronization

/// Counts failed logins per email and per client address in a fixed window;
/// past the limit, further attempts get 429 until the window ends.
/// Successful logins are never counted.
final class LoginThrottle: Sendable {
    private struct Window {
        var started: Date
        var failures: Int
    }

    private let perEmail: Int
    private let perAddress: Int
    private let window: TimeInterval
    private let windows = Mutex<[String: Window]>([:])
    private static let capacity = 100_000

    init(perEmail: Int, perAddress: Int, windowSeconds: Int) {
        self.perEmail = perEmail
        self.perAddress = perAddress
        self.window = TimeInterval(windowSeconds)
    }

    /// Seconds to wait when either key is over its limit; nil to go ahead.
    func retryAfter(email: String, address: String, now: Date = Date()) -> Int? {
        windows.withLock { windows in
            let waits = [("e:" + email, perEmail), ("a:" + address, perAddress)].compactMap { key, limit -> Int? in
                guard let entry = windows[key], now.timeIntervalSince(entry.started) < window, entry.failures >= limit else { return nil }
                return max(1, Int((entry.started.addingTimeInterval(window).timeIntervalSince(now)).rounded(.up)))
            }
            return waits.max()
        }
    }

    func recordFailure(email: String, address: String, now: Date = Date()) {
        windows.withLock { windows in
            if windows.count >= Self.capacity { windows = windows.filter { now.timeIntervalSince($0.value.started) < window } }
            for key in ["e:" + email, "a:" + address] {
                if var entry = windows[key], now.timeIntervalSince(entry.started) < window {
                    entry.failures += 1
                    windows[key] = entry
                } else {
                    windows[key] = Window(started: now, failures: 1)
                }
            }
        }
    }
}
