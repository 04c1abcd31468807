import Foundation
@testable import Provisioning
import Testing

@testable import ProvisioningAirtable

@Suite("Airtable client: error bodies, circuit breaker, token bucket (unit)")
struct ClientUnitTests {
    // MARK: AirtableErrorBody.type

    @Test("errorType reads all three error-body shapes of AIRTABLE.md")
    func errorShapes() {
        func type(_ json: String) -> String { AirtableErrorBody.type(Data(json.utf8)) }
        #expect(type(#"{"error": {"type": "AUTHENTICATION_REQUIRED", "message": "Authentication required"}}"#) == "AUTHENTICATION_REQUIRED")
        #expect(type(#"{"error": {"type": "INVALID_FILTER_BY_FORMULA"}}"#) == "INVALID_FILTER_BY_FORMULA")
        #expect(type(#"{"error": "NOT_FOUND"}"#) == "NOT_FOUND")
        #expect(type(#"{"errors": [{"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}]}"#) == "RATE_LIMIT_REACHED")
        #expect(type(#"{"errors": [{"type": "ROW_DOES_NOT_EXIST"}]}"#) == "ROW_DOES_NOT_EXIST")
        #expect(type(#"{"errors": []}"#) == "UNKNOWN")
        #expect(type(#"{"something": "else"}"#) == "UNKNOWN")
        #expect(type(#"{"error": {"message": "no type"}}"#) == "UNKNOWN")
        #expect(type(#"{"records":[{"id":"rec"#) == "UNPARSEABLE_BODY")
        #expect(type("") == "UNPARSEABLE_BODY")
        #expect(type("<html>Bad Gateway</html>") == "UNPARSEABLE_BODY")
    }

    // MARK: CircuitBreaker

    @Test("opens after failure_threshold consecutive failures, rejects until open_s, then admits one probe")
    func breakerOpensAndProbes() {
        let t0 = ContinuousClock.now
        let breaker = CircuitBreaker(failureThreshold: 3, openDuration: .seconds(5))
        breaker.recordFailure(now: t0)
        breaker.recordFailure(now: t0)
        #expect(breaker.admit(now: t0) == .allowed)
        #expect(!breaker.isOpen)
        breaker.recordFailure(now: t0)
        #expect(breaker.isOpen)
        #expect(breaker.admit(now: t0) == .rejected(retryAfterSeconds: 5))
        #expect(breaker.admit(now: t0 + .milliseconds(1_500)) == .rejected(retryAfterSeconds: 4))
        #expect(breaker.admit(now: t0 + .milliseconds(4_999)) == .rejected(retryAfterSeconds: 1))
        #expect(breaker.retryAfterSeconds(now: t0 + .seconds(2)) == 3)
        // Half-open: exactly one probe.
        #expect(breaker.admit(now: t0 + .seconds(5)) == .allowed)
        #expect(breaker.admit(now: t0 + .seconds(5)) == .rejected(retryAfterSeconds: 1))
        #expect(breaker.admit(now: t0 + .seconds(60)) == .rejected(retryAfterSeconds: 1))
        breaker.recordSuccess()
        #expect(!breaker.isOpen)
        #expect(breaker.admit(now: t0 + .seconds(6)) == .allowed)
        #expect(breaker.admit(now: t0 + .seconds(6)) == .allowed)
        // Closed again with a fresh count: two failures do not open it.
        breaker.recordFailure(now: t0 + .seconds(6))
        breaker.recordFailure(now: t0 + .seconds(6))
        #expect(!breaker.isOpen)
    }

    @Test("a failed probe opens the circuit for another open_s")
    func breakerProbeFails() {
        let t0 = ContinuousClock.now
        let breaker = CircuitBreaker(failureThreshold: 1, openDuration: .seconds(5))
        breaker.recordFailure(now: t0)
        #expect(breaker.admit(now: t0 + .seconds(5)) == .allowed)
        breaker.recordFailure(now: t0 + .seconds(5))
        #expect(breaker.admit(now: t0 + .seconds(6)) == .rejected(retryAfterSeconds: 4))
        #expect(breaker.admit(now: t0 + .seconds(10)) == .allowed)
    }

    @Test("a success between failures resets the count")
    func breakerConsecutive() {
        let t0 = ContinuousClock.now
        let breaker = CircuitBreaker(failureThreshold: 2, openDuration: .seconds(5))
        for _ in 0..<5 {
            breaker.recordFailure(now: t0)
            breaker.recordSuccess()
        }
        #expect(!breaker.isOpen)
        #expect(breaker.admit(now: t0) == .allowed)
    }

    @Test("a 429 opens the circuit for 30 s at once, whatever the threshold")
    func breakerRateLimited() {
        let t0 = ContinuousClock.now
        let breaker = CircuitBreaker(failureThreshold: 100, openDuration: .seconds(1))
        breaker.recordRateLimited(now: t0)
        #expect(breaker.admit(now: t0) == .rejected(retryAfterSeconds: 30))
        #expect(breaker.retryAfterSeconds(now: t0) == 30)
        #expect(breaker.admit(now: t0 + .milliseconds(29_500)) == .rejected(retryAfterSeconds: 1))
        // Failures while open do not shorten the wait.
        breaker.recordFailure(now: t0 + .seconds(1))
        #expect(breaker.admit(now: t0 + .seconds(10)) == .rejected(retryAfterSeconds: 20))
        #expect(breaker.admit(now: t0 + .seconds(30)) == .allowed)
    }

    @Test("a late success of a request sent before the circuit opened does not close it")
    func breakerLateSuccess() {
        let t0 = ContinuousClock.now
        let breaker = CircuitBreaker(failureThreshold: 1, openDuration: .seconds(5))
        breaker.recordRateLimited(now: t0)
        breaker.recordSuccess()
        #expect(breaker.isOpen)
        #expect(breaker.admit(now: t0 + .seconds(1)) == .rejected(retryAfterSeconds: 29))

        let other = CircuitBreaker(failureThreshold: 1, openDuration: .seconds(5))
        other.recordFailure(now: t0)
        other.recordSuccess()
        #expect(other.admit(now: t0 + .seconds(1)) == .rejected(retryAfterSeconds: 4))
    }

    @Test("a probe that could not be sent gives its turn back")
    func breakerReleaseProbe() {
        let breaker = CircuitBreaker(failureThreshold: 1, openDuration: .zero)
        breaker.recordFailure()
        #expect(breaker.admit() == .allowed)
        #expect(breaker.admit() == .rejected(retryAfterSeconds: 1))
        breaker.releaseProbe()
        #expect(breaker.admit() == .allowed)
        // Releasing while closed changes nothing.
        breaker.recordSuccess()
        breaker.releaseProbe()
        #expect(!breaker.isOpen)
    }

    @Test("retryAfterSeconds rounds up and is at least 1")
    func wholeSeconds() {
        #expect(CircuitBreaker.wholeSeconds(.zero) == 1)
        #expect(CircuitBreaker.wholeSeconds(.milliseconds(1)) == 1)
        #expect(CircuitBreaker.wholeSeconds(.seconds(2)) == 2)
        #expect(CircuitBreaker.wholeSeconds(.milliseconds(2_001)) == 3)
        #expect(CircuitBreaker(failureThreshold: 1, openDuration: .seconds(1)).retryAfterSeconds() == 1)
    }

    // MARK: TokenBucket

    /// A deadline a few milliseconds away: far shorter than one token's refill at the rates used here.
    static var soon: ContinuousClock.Instant { .now + .milliseconds(10) }

    @Test("interactive: a full bucket grants requests_per_second at once, then refuses what would come after the deadline")
    func bucketBurst() async {
        let bucket = TokenBucket(requestsPerSecond: 3)
        for _ in 0..<3 { #expect(await bucket.granted(priority: .interactive, deadline: Self.soon)) }
        #expect(await bucket.granted(priority: .interactive, deadline: Self.soon) == false)
        #expect(await bucket.granted(priority: .interactive, deadline: .now + .milliseconds(100)) == false)
    }

    @Test("background never takes the last token; interactive does")
    func bucketBackgroundSpares() async {
        let bucket = TokenBucket(requestsPerSecond: 2)
        #expect(await bucket.granted(priority: .interactive, deadline: Self.soon))
        // One token left.
        #expect(await bucket.granted(priority: .background, deadline: .now) == false)
        #expect(await bucket.granted(priority: .interactive, deadline: Self.soon))
        #expect(await bucket.granted(priority: .background, deadline: .now) == false)
    }

    @Test("background takes a token while at least one spare remains")
    func bucketBackgroundWithSpare() async {
        let bucket = TokenBucket(requestsPerSecond: 5)
        var granted = 0
        for _ in 0..<5 where await bucket.granted(priority: .background, deadline: .now) { granted += 1 }
        #expect(granted == 4)
        #expect(await bucket.granted(priority: .interactive, deadline: Self.soon))
    }

    @Test("at 1 request per second background work still gets the (full) bucket's token")
    func bucketBackgroundAtOne() async {
        let bucket = TokenBucket(requestsPerSecond: 1)
        #expect(await bucket.granted(priority: .background, deadline: .now))
        #expect(await bucket.granted(priority: .background, deadline: .now) == false)
        #expect(await bucket.granted(priority: .interactive, deadline: Self.soon) == false)
    }

    @Test("a refused interactive acquire takes no slot; a later one waits for its turn within the deadline")
    func bucketWaits() async {
        let bucket = TokenBucket(requestsPerSecond: 10)
        let clock = ContinuousClock()
        let beforeFirst = clock.now
        for _ in 0..<10 { #expect(await bucket.granted(priority: .interactive, deadline: Self.soon)) }
        for _ in 0..<20 { #expect(await bucket.granted(priority: .interactive, deadline: Self.soon) == false) }
        // The refusals hold nothing: had they reserved slots, 20 would be
        // waiting here, and the next caller would be 3 s away.
        #expect(bucket.unreleasedCount == 0)
        // The next one waits for the window's first slot (a window after
        // the first request ended) and gets it; a loaded machine only makes it later.
        #expect(await bucket.granted(priority: .interactive, deadline: .now + .seconds(30)))
        #expect(clock.now - beforeFirst >= .seconds(1))
    }

    @Test("a running request holds its slot, and a released one holds it for a window after it ended")
    func bucketCountsFromTheEnd() async throws {
        let bucket = TokenBucket(requestsPerSecond: 1)
        let clock = ContinuousClock()
        let running = try #require(await bucket.acquire(priority: .interactive, deadline: Self.soon).slot)
        // Still running after a whole window: no second slot (it would be granted at 1.01 s if
        // the window counted from the grant).
        #expect(await bucket.acquire(priority: .interactive, deadline: .now + .milliseconds(1_300)).slot == nil)
        bucket.release(running)
        let ended = clock.now
        #expect(await bucket.acquire(priority: .background, deadline: .now + .seconds(3)).slot != nil)
        #expect(clock.now - ended >= TokenBucket.window)
    }

    @Test("interactive work waiting for the same empty bucket is served before background work")
    func bucketInteractiveFirst() async throws {
        let bucket = TokenBucket(requestsPerSecond: 2)
        // Two requests in flight hold the window while both waiters arrive,
        // background first; the waiters are in place (the interactive one has
        // reserved) before the window frees, however the machine schedules them.
        let held = [
            try #require(await bucket.acquire(priority: .interactive, deadline: Self.soon).slot),
            try #require(await bucket.acquire(priority: .interactive, deadline: Self.soon).slot),
        ]
        let clock = ContinuousClock()
        let background = Task { await bucket.granted(priority: .background, deadline: .now + .seconds(30)) ? clock.now : nil }
        let interactive = Task { await bucket.granted(priority: .interactive, deadline: .now + .seconds(30)) ? clock.now : nil }
        while bucket.unreleasedCount < 3 { await Task.yield() }
        for slot in held { bucket.release(slot) }
        guard let b = await background.value, let i = await interactive.value else {
            Issue.record("both should be granted within 30 s")
            return
        }
        #expect(i < b)
    }
}

extension TokenBucket {
    /// Whether a slot was granted; its request ends at once.
    func granted(priority: Priority, deadline: ContinuousClock.Instant) async -> Bool {
        guard let slot = await acquire(priority: priority, deadline: deadline).slot else { return false }
        release(slot)
        return true
    }
}
