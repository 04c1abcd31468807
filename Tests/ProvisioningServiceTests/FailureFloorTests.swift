import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// CONTRACT.md §10: one time for every sign-in failure.
@Suite("Sign-in failure floor")
struct FailureFloorTests {
    /// A login's status and how long it took.
    static func timedLogin(_ client: HarnessClient, _ email: String, _ password: String = AuthFixtures.password) async throws -> (status: HTTPResponse.Status, took: Duration) {
        let started = ContinuousClock.now
        let status = try await AuthFixtures.login(client, email, password).status
        return (status, ContinuousClock.now - started)
    }

    static func failedLogin(_ client: HarnessClient, _ email: String, _ password: String) async throws -> Duration {
        let login = try await timedLogin(client, email, password)
        #expect(login.status == .unauthorized, "\(email)")
        return login.took
    }

    static func median(_ values: [Duration]) -> Duration { values.sorted()[values.count / 2] }

    @Test("with Airtable at 150 ms, unknown-email, wrong-password and Airtable-only wrong-password 401s take the same time")
    func indistinguishable() async throws {
        // No min_failure_ms: the default (largest source timeout + one bcrypt verify).
        var options = AuthFixtures.options(auth: ["max_failed_logins_per_address: 1000"])
        options.simLatencyMs = 150
        options.timeoutMilliseconds = 600
        try await ServiceHarness.run(options) { harness, client in
            try await AuthFixtures.storeUser(harness, email: "stored@example.com")
            var unknown: [Duration] = [], wrong: [Duration] = [], airtableOnly: [Duration] = []
            for index in 0..<5 {
                AuthFixtures.airtableUser(harness, email: "remote\(index)@example.com")
                unknown.append(try await Self.failedLogin(client, "nobody\(index)@example.com", "wrong"))
                wrong.append(try await Self.failedLogin(client, "stored@example.com", "wrong\(index)"))
                airtableOnly.append(try await Self.failedLogin(client, "remote\(index)@example.com", "wrong"))
            }
            let medians = [unknown, wrong, airtableOnly].map(Self.median)
            let low = try #require(medians.min()), high = try #require(medians.max())
            #expect(high - low <= low / 10, "medians \(medians)")
            // The floor, not the work, sets the time: at least the source timeout.
            #expect(low >= .milliseconds(600))
        }
    }

    @Test("a failure leaves no earlier than min_failure_ms after arrival; a success is not held back")
    func configuredFloor() async throws {
        // 30 s: far above a login's own time even when the whole suite's bcrypt
        // work queues on a loaded 2-core machine (16 s was seen with a parallel build).
        try await ServiceHarness.run(AuthFixtures.options(auth: ["min_failure_ms: 30000"])) { harness, client in
            try await AuthFixtures.storeUser(harness, email: "floor@example.com")
            let failure = try await Self.failedLogin(client, "floor@example.com", "wrong")
            #expect(failure >= .milliseconds(30_000))
            let success = try await Self.timedLogin(client, "floor@example.com")
            #expect(success.status == .ok)
            #expect(success.took < .milliseconds(30_000), "a success waited for the floor")
        }
    }
}
