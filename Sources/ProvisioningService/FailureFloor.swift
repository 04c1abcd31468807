import Provisioning

/// One time for every failure (CONTRACT.md §10): a 401 or 503 of a sign-in
/// route is sent no earlier than `duration` after the request arrived, so an
/// unknown email, an Airtable-only email and a wrong password cannot be told
/// apart by time, whatever the source's latency. Successes are not delayed.
struct FailureFloor: Sendable {
    let duration: Duration

    /// `auth.min_failure_ms`, or by default the largest source timeout plus
    /// one bcrypt verify at the configured cost, measured now.
    static func make(config: AuthConfig, sources: [any IdentitySource], passwords: PasswordVerifier) async throws -> FailureFloor {
        if let milliseconds = config.minFailureMilliseconds { return FailureFloor(duration: .milliseconds(milliseconds)) }
        let sourceTimeout = sources.map(\.lookupTimeoutMilliseconds).max() ?? 0
        return FailureFloor(duration: .milliseconds(sourceTimeout) + (try await passwords.measureVerify()))
    }

    func wait(since arrival: ContinuousClock.Instant) async {
        try? await Task.sleep(until: arrival + duration, clock: .continuous)
    }
}
