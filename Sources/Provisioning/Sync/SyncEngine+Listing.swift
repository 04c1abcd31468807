import Foundation
import Logging

extension SyncEngine {
    /// Page through one listing, handing each page to `apply`, leaving the
    /// source's `listingInterval` between one answer and the next request.
    /// An expired offset restarts the listing from `from()` (evaluated
    /// again); an unavailable source is retried per page. Returns the restarts.
    func list(
        _ source: NamedListableSource, kind: String, from: () -> Date?, apply: (SourcePage) async throws -> Void
    ) async throws -> Int {
        var restarts = 0
        var after = from()
        var offset: String?
        // Paced from the previous answer, not the previous request: whatever
        // delayed that request, the source sees the two at least `interval` apart.
        var lastAnswer: ContinuousClock.Instant?
        let interval = source.source.listingInterval
        while true {
            if let lastAnswer, interval > .zero { try await Task.sleep(until: lastAnswer + interval, clock: .continuous) }
            let page: SourcePage
            do {
                page = try await fetch(source, kind: kind, modifiedAfter: after, offset: offset)
                lastAnswer = .now
            } catch SourceListingError.iteratorExpired {
                lastAnswer = .now
                restarts += 1
                guard restarts <= options.maxRestarts else { throw SyncError.tooManyRestarts }
                after = from()
                offset = nil
                logger.info("sync.restarted", metadata: [
                    "event": "sync.restarted", "kind": .string(kind), "source": .string(source.name),
                    "restarts": .stringConvertible(restarts),
                ])
                continue
            }
            try await apply(page)
            guard let next = page.nextOffset else { return restarts }
            offset = next
        }
    }

    /// One page, retried while the source is unavailable (up to `maxPageAttempts`).
    func fetch(_ source: NamedListableSource, kind: String, modifiedAfter: Date?, offset: String?) async throws -> SourcePage {
        var attempt = 1
        while true {
            try Task.checkCancellation()
            let retryAfter: Int
            do throws(SourceListingError) {
                return try await source.source.page(modifiedAfter: modifiedAfter, offset: offset)
            } catch {
                switch error {
                case .iteratorExpired: throw error
                case .unavailable(let seconds): retryAfter = seconds
                }
            }
            guard attempt < options.maxPageAttempts else { throw SyncError.sourceUnavailable(retryAfterSeconds: retryAfter) }
            attempt += 1
            let wait = min(Duration.seconds(max(retryAfter, 1)), options.maxRetryWait)
            logger.warning("sync.retry", metadata: [
                "event": "sync.retry", "kind": .string(kind), "source": .string(source.name),
                "attempt": .stringConvertible(attempt), "wait_ms": .stringConvertible(Int(Self.seconds(of: wait) * 1000)),
            ])
            try await Task.sleep(for: wait)
        }
    }
}
