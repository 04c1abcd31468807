import Foundation
import Logging
import Metrics

/// Resolves users through the declared providers: the store first, then each
/// source; a source hit is upserted into the store and the stored user
/// returned. Concurrent misses of one key share one lookup (singleflight);
/// keys no provider knew are remembered for a while (negative cache).
public struct ResolutionPipeline: Sendable {
    public struct NamedSource: Sendable {
        public var name: String
        public var source: any IdentitySource
        public init(name: String, source: any IdentitySource) {
            self.name = name
            self.source = source
        }
    }

    public let store: any IdentityStore
    public let sources: [NamedSource]
    public let negativeCache: ExpiringKeys
    /// Keys whose source lookup finished in the last few seconds: a caller
    /// that missed the store just before that lookup wrote the user looks in
    /// the store again instead of asking the source a second time.
    private let recentLookups = ExpiringKeys(ttlSeconds: 5)
    private let flights: Singleflight<Resolution>?
    /// Coalescing across instances on one store (after the singleflight).
    private let lookupLocks: (any LookupLocks)?
    /// The longest another instance's lookup and write take: a waiter for it waits no longer.
    private let lookupWait: Duration
    private let logger: Logger
    private let attempts: Counter
    private let successes: Counter
    private let latency: Timer

    /// `metrics` is the factory counters are made from (the bootstrapped one
    /// by default; tests pass their own).
    public init(
        store: any IdentityStore, sources: [NamedSource], negativeCacheSeconds: Int, logger: Logger,
        metrics: any MetricsFactory = MetricsSystem.factory, coalesce: Bool = true, lookupLocks: (any LookupLocks)? = nil
    ) {
        self.flights = coalesce ? Singleflight() : nil
        self.lookupLocks = lookupLocks
        // The holder asks every source (each within its timeout) and then
        // writes the store: a waiter allows for both, a second for the write.
        let timeouts = sources.map(\.source.lookupTimeoutMilliseconds)
        self.lookupWait = .milliseconds(timeouts.contains(0) || timeouts.isEmpty ? 5_000 : timeouts.reduce(0, +) + 1_000)
        self.store = store
        self.sources = sources
        self.negativeCache = ExpiringKeys(ttlSeconds: negativeCacheSeconds)
        self.logger = logger
        self.attempts = Counter(label: "auth_readthrough_attempts", factory: metrics)
        self.successes = Counter(label: "auth_readthrough_success", factory: metrics)
        self.latency = Timer(label: "auth_readthrough_duration_seconds", dimensions: [], factory: metrics)
    }

    /// Resolve by email (login). An invalid address is simply not found.
    public func resolve(email: String) async throws -> Resolution {
        guard let canonical = EmailAddress.canonical(email) else { return .notFound }
        let masked = EmailMask.mask(canonical)
        if let user = try await store.user(canonicalEmail: canonical) {
            log("readthrough.hit", ["email": .string(masked)])
            return .found(user, provisioned: false)
        }
        log("readthrough.miss", ["email": .string(masked)])
        return try await readThrough(
            key: "email:\(canonical)", masked: masked, sources: sources, recheck: { try await store.user(canonicalEmail: canonical) },
            lookup: { source in await source.lookup(canonicalEmail: canonical) })
    }

    /// Resolve by store id (refresh, me); a user missing from the store is
    /// looked up by each of its known links (provider name -> record id), in
    /// resolution order, until one answers.
    public func resolve(userID: UUID, links: [String: String]) async throws -> Resolution {
        if let user = try await store.user(id: userID) {
            return .found(user, provisioned: false)
        }
        // An unreachable source decides over another's "not found" (503, not 401).
        var unavailable: Resolution?
        for named in sources {
            guard let recordID = links[named.name] else { continue }
            let resolution = try await resolve(source: named.name, recordID: recordID)
            switch resolution {
            case .found: return resolution
            case .unavailable: unavailable = unavailable ?? resolution
            case .notFound: continue
            }
        }
        return unavailable ?? .notFound
    }

    /// Resolve by a record id of the source named `source` (only that source is asked).
    public func resolve(source: String, recordID: String) async throws -> Resolution {
        if let user = try await store.user(source: source, recordID: recordID) {
            log("readthrough.hit", ["source": .string(source), "record_id": .string(recordID)])
            return .found(user, provisioned: false)
        }
        log("readthrough.miss", ["source": .string(source), "record_id": .string(recordID)])
        return try await readThrough(
            key: Self.recordKey(source: source, recordID: recordID), masked: recordID,
            sources: sources.filter { $0.name == source },
            recheck: { try await store.user(source: source, recordID: recordID) },
            lookup: { source in await source.lookup(recordID: recordID) })
    }

    /// Forget negative-cache entries for what an event names.
    public func forget(canonicalEmail: String?, source: String, recordID: String?) {
        forget(UserChange(canonicalEmail: canonicalEmail, links: recordID.map { [source: $0] } ?? [:]))
    }

    /// Forget negative-cache entries for what a write (here or on another instance) changed.
    public func forget(_ change: UserChange) {
        if change.everything {
            negativeCache.removeAll()
            return
        }
        if let email = change.canonicalEmail { negativeCache.forget("email:\(email)") }
        for (source, recordID) in change.links { negativeCache.forget(Self.recordKey(source: source, recordID: recordID)) }
    }

    private static func recordKey(source: String, recordID: String) -> String { "record:\(source):\(recordID)" }

    /// `recheck` runs first inside the flight when a lookup of the same key
    /// just finished: a caller that missed the store as that lookup
    /// provisioned the user finds it there (one source request per storm).
    private func readThrough(
        key: String, masked: String, sources: [NamedSource],
        recheck: @escaping @Sendable () async throws -> StoredUser?,
        lookup: @escaping @Sendable (any IdentitySource) async -> SourceLookup
    ) async throws -> Resolution {
        attempts.increment()
        if negativeCache.contains(key) {
            log("readthrough.not_found", ["key": .string(masked), "cached": "true"])
            return .notFound
        }
        let started = ContinuousClock.now
        let flight: @Sendable () async throws -> Resolution = { [self] in
            if recentLookups.contains(key), let user = try await recheck() { return .found(user, provisioned: true) }
            defer { recentLookups.remember(key) }
            guard let lookupLocks else { return try await walkSources(sources, key: key, masked: masked, recheck: recheck, lookup: lookup) }
            // Another instance may be looking this key up: wait for it, then
            // find its result in the store instead of asking the source again
            // (it may also have finished between our miss and the lock).
            return try await lookupLocks.withLock(key: key, wait: lookupWait) {
                if let user = try await recheck() { return .found(user, provisioned: true) }
                return try await walkSources(sources, key: key, masked: masked, recheck: recheck, lookup: lookup)
            }
        }
        let resolution: Resolution
        if let flights { resolution = try await flights.run(key: key, flight) } else { resolution = try await flight() }
        latency.record(duration: ContinuousClock.now - started)
        if case .found(_, provisioned: true) = resolution { successes.increment() }
        return resolution
    }

    private func walkSources(
        _ sources: [NamedSource], key: String, masked: String, recheck: @Sendable () async throws -> StoredUser?,
        lookup: @Sendable (any IdentitySource) async -> SourceLookup
    ) async throws -> Resolution {
        var retryAfter: Int?
        for named in sources {
            switch await lookup(named.source) {
            case .found(let record):
                if let problem = record.importProblem {
                    log("readthrough.record_rejected", [
                        "key": .string(masked), "source": .string(named.name), "record_id": .string(record.recordID ?? ""),
                        "reason": "invalid_password_hash", "detail": .string(problem),
                    ], level: .warning)
                    continue
                }
                let result = try await store.upsert(record.from(named.name))
                guard result.outcome != .staleIgnored else {
                    // The store holds newer data for this record; if that
                    // data answers the key (a webhook got there first), use it.
                    if let user = try await recheck() { return .found(user, provisioned: false) }
                    log("readthrough.not_found", ["key": .string(masked), "source": .string(named.name), "reason": "stale_record"])
                    return .notFound
                }
                log("readthrough.provisioned", [
                    "key": .string(masked), "source": .string(named.name),
                    "outcome": .string(result.outcome.rawValue), "user_id": .string(result.user.id.uuidString.lowercased()),
                ])
                return .found(result.user, provisioned: true)
            case .notFound:
                continue
            case .unavailable(let seconds):
                log("readthrough.unavailable", ["key": .string(masked), "source": .string(named.name), "retry_after_s": .stringConvertible(seconds)], level: .warning)
                retryAfter = max(retryAfter ?? 0, seconds)
            }
        }
        if let retryAfter { return .unavailable(retryAfterSeconds: max(retryAfter, 1)) }
        negativeCache.remember(key)
        log("readthrough.not_found", ["key": .string(masked)])
        return .notFound
    }

    private func log(_ event: String, _ metadata: Logger.Metadata, level: Logger.Level = .info) {
        var metadata = metadata
        metadata["event"] = .string(event)
        logger.log(level: level, "\(event)", metadata: metadata)
    }
}
