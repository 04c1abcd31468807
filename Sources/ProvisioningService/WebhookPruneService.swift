import Foundation
import Logging
import Provisioning
import ServiceLifecycle

/// Removes webhook event rows older than `webhook.idempotency_retention_hours`,
/// every `interval`; the first pass waits `initialDelay` (the store is
/// migrated meanwhile). Stops on graceful shutdown.
struct WebhookPruneService: Service {
    let ledger: any WebhookLedger
    let retention: Duration
    let interval: Duration
    let initialDelay: Duration
    let logger: Logger
    static let maxRetentionHours = 100 * 365 * 24

    init(
        pipeline: BuiltPipeline, logger: Logger, interval: Duration = .seconds(600), initialDelay: Duration = .seconds(30)
    ) {
        self.ledger = pipeline.webhookLedger
        // Capped at about a century: any longer is "keep forever" and must not overflow.
        self.retention = .seconds(min(pipeline.config.webhook.idempotencyRetentionHours, Self.maxRetentionHours) * 3600)
        self.interval = interval
        self.initialDelay = initialDelay
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            try? await Task.sleep(for: initialDelay)
            while !Task.isCancelled {
                await pruneOnce()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass; failures are logged, never thrown (the next pass retries).
    @discardableResult
    func pruneOnce(now: Date = Date()) async -> Int? {
        let cutoff = now.addingTimeInterval(-Double(retention.components.seconds))
        do {
            let removed = try await ledger.prune(receivedBefore: cutoff)
            if removed > 0 {
                logger.info("webhook.pruned", metadata: ["event": "webhook.pruned", "removed": .stringConvertible(removed)])
            }
            return removed
        } catch {
            logger.warning("webhook.prune_failed", metadata: [
                "event": "webhook.prune_failed", "error": .string(String(describing: error)),
            ])
            return nil
        }
    }
}
