import Crypto
import Foundation
import Synchronization

/// Failed sign-ins per (email, client address) pair, per email and per
/// address, in a fixed window (CONTRACT.md §10). An attempt is reserved when
/// it starts, checked and counted under one lock: failures plus attempts in
/// flight never pass a limit, so parallel guesses cannot either. An attempt
/// that would pass it only because of others in flight waits for one of them
/// to settle (concurrent correct logins all go through, a few at a time);
/// one that meets a limit of settled failures gets 429. A success gives its
/// reservation back, a 401 keeps it, a 503 keeps it on the address only.
/// Public so that an auth service embedding the pipeline can throttle its
/// own sign-in routes the same way.
public final class LoginThrottle: Sendable {
    public struct Limits: Sendable {
        public var perPair: Int
        public var perEmail: Int
        public var perAddress: Int
        public var windowSeconds: Int
        public init(perPair: Int, perEmail: Int, perAddress: Int, windowSeconds: Int) {
            self.perPair = perPair
            self.perEmail = perEmail
            self.perAddress = perAddress
            self.windowSeconds = windowSeconds
        }
    }

    /// A started attempt's hold on its three counters.
    public struct Reservation: Sendable {
        fileprivate let keys: [Key]
    }

    public struct RetryAfter: Error {
        public let seconds: Int
    }

    public enum Outcome: Sendable { case succeeded, failed, unavailable }

    /// 16 bytes of SHA-256: every key is the same small size, whatever the email.
    fileprivate struct Key: Hashable, Sendable {
        let high: UInt64
        let low: UInt64

        init(_ kind: String, _ parts: String...) {
            let digest = Array(SHA256.hash(data: Data((kind + "\u{0}" + parts.joined(separator: "\u{0}")).utf8)))
            high = digest[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
            low = digest[8..<16].reduce(0) { $0 << 8 | UInt64($1) }
        }
    }

    private struct Counter {
        var started: Date
        var failures = 0
        var inFlight = 0
    }

    private enum Check: Sendable {
        case reserved(Reservation)
        case refused(RetryAfter)
        /// Held back by attempts in flight on this key.
        case wait(Key)
    }

    private struct State {
        var counters: [Key: Counter] = [:]
        /// Keys in the order their windows started: expired ones are
        /// dropped from the front, so eviction is amortised O(1) per insert.
        var order: [(key: Key, started: Date)] = []
        var head = 0
        /// Attempts waiting for one in flight on the key to settle: a settle
        /// wakes only those, never every waiter.
        var waiters: [Key: [CheckedContinuation<Check, Never>]] = [:]
    }

    private let limits: Limits
    private let window: TimeInterval
    private let state = Mutex(State())
    static let capacity = 100_000

    public init(limits: Limits) {
        self.limits = limits
        self.window = TimeInterval(limits.windowSeconds)
    }

    /// Reserve an attempt (waiting while only attempts in flight stand in
    /// the way), or the seconds to wait when a limit of failures is reached.
    public func reserve(email: String, address: String, now: @Sendable () -> Date = Date.init) async -> Result<Reservation, RetryAfter> {
        let network = Self.network(of: address)
        let keys = [Key("p", email, network), Key("e", email), Key("a", network)]
        while true {
            let outcome = await withCheckedContinuation { (waiter: CheckedContinuation<Check, Never>) in
                state.withLock { state in
                    let outcome = check(&state, keys: keys, now: now())
                    if case .wait(let key) = outcome {
                        state.waiters[key, default: []].append(waiter)
                    } else {
                        waiter.resume(returning: outcome)
                    }
                }
            }
            switch outcome {
            case .reserved(let reservation): return .success(reservation)
            case .refused(let wait): return .failure(wait)
            case .wait: continue
            }
        }
    }

    private func check(_ state: inout State, keys: [Key], now: Date) -> Check {
        evict(&state, now: now)
        let limits = [limits.perPair, limits.perEmail, limits.perAddress]
        var counters = keys.map { key -> Counter in
            guard var counter = state.counters[key] else { return Counter(started: now) }
            if now.timeIntervalSince(counter.started) >= window {
                counter.started = now
                counter.failures = 0
            }
            return counter
        }
        let waits = zip(counters, limits).compactMap { counter, limit -> Int? in
            guard counter.failures >= limit else { return nil }
            return max(1, Int(counter.started.addingTimeInterval(window).timeIntervalSince(now).rounded(.up)))
        }
        if let wait = waits.max() { return .refused(RetryAfter(seconds: wait)) }
        if let blocked = zip(keys, zip(counters, limits)).first(where: { $1.0.failures + $1.0.inFlight >= $1.1 }) { return .wait(blocked.0) }
        for index in keys.indices {
            if state.counters[keys[index]]?.started != counters[index].started { state.order.append((keys[index], counters[index].started)) }
            counters[index].inFlight += 1
            state.counters[keys[index]] = counters[index]
        }
        return .reserved(Reservation(keys: keys))
    }

    public func settle(_ reservation: Reservation, _ outcome: Outcome) {
        // Failed: all three count a failure. Unavailable: only the address does.
        let failing: Set<Int> = switch outcome {
        case .failed: [0, 1, 2]
        case .unavailable: [2]
        case .succeeded: []
        }
        let waiters = state.withLock { state in
            for (index, key) in reservation.keys.enumerated() {
                guard var counter = state.counters[key] else { continue }
                counter.inFlight = max(0, counter.inFlight - 1)
                if failing.contains(index) { counter.failures += 1 }
                state.counters[key] = counter
            }
            return reservation.keys.flatMap { state.waiters.removeValue(forKey: $0) ?? [] }
        }
        // Each rechecks (and may wait again on the same or another key).
        for waiter in waiters { waiter.resume(returning: .wait(reservation.keys[0])) }
    }

    private func evict(_ state: inout State, now: Date) {
        while state.head < state.order.count {
            let (key, started) = state.order[state.head]
            guard now.timeIntervalSince(started) >= window || state.counters.count > Self.capacity else { break }
            if let counter = state.counters[key], counter.started == started {
                if counter.inFlight == 0 {
                    state.counters[key] = nil
                } else {
                    // Still in use: keep it, behind the newer windows.
                    state.counters[key]?.started = now
                    state.counters[key]?.failures = 0
                    state.order.append((key, now))
                }
            }
            state.head += 1
        }
        // Compact the queue once its consumed part is most of it.
        if state.head > 1_024, state.head * 2 > state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }
    }

    /// The throttled unit of a client: an IPv4 address, or an IPv6 /64
    /// (one host usually holds a whole /64).
    static func network(of address: String) -> String {
        guard address.contains(":") else { return address }
        var bytes = in6_addr()
        guard inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        return withUnsafeBytes(of: &bytes) { raw in
            "v6:" + raw.prefix(8).map { String($0, radix: 16) }.joined(separator: ".")
        } + "/64"
    }
}
