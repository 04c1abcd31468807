/// Cross-instance mutual exclusion of source lookups by key (CONTRACT §8:
/// concurrent first sign-ins of one email on different instances make one
/// lookup). In-process coalescing is the pipeline's singleflight; this is
/// the step after it, for stores shared by several processes.
public protocol LookupLocks: Sendable {
    /// Run `body` holding the lock of `key`, waiting at most `wait` for it;
    /// `body` looks in the store first (another holder may have provisioned
    /// the user since the caller missed it). When the lock cannot be had in
    /// time, or no lock is free here, `body` runs without it: coalescing is
    /// an optimisation, never a reason to refuse a sign-in.
    func withLock<T: Sendable>(key: String, wait: Duration, _ body: @Sendable () async throws -> T) async throws -> T
}
