import Logging

extension BuiltPipeline {
    /// One `PushSync` per source that pushes, writing through this pipeline's
    /// store; empty when the store keeps no subscriptions or sync state (the
    /// reason is logged). A re-created subscription is followed by an
    /// incremental pass and a reconciliation of that source alone.
    public func pushSyncs(logger: Logger) -> [PushSync] {
        guard !pushFeeds.isEmpty else { return [] }
        guard let subscriptions = sourceSubscriptions, let state = syncState else {
            logger.warning("push.disabled", metadata: [
                "event": "push.disabled", "reason": "the store keeps no source subscriptions or sync state",
            ])
            return []
        }
        var syncs: [PushSync] = []
        for pushed in pushFeeds {
            var providerLogger = logger
            providerLogger[metadataKey: "provider"] = .string(pushed.name)
            syncs.append(PushSync(
                source: pushed.name, feed: pushed.feed, subscriptions: subscriptions, state: state, store: store,
                reconcile: reconciliation(of: pushed.name, state: state, logger: providerLogger), logger: providerLogger, metrics: metrics))
        }
        return syncs
    }

    /// An incremental pass and a reconciliation of one listable source; nil when it cannot be listed.
    private func reconciliation(of source: String, state: any SyncStateStore, logger: Logger) -> (@Sendable () async throws -> Void)? {
        let listable = listableSources.filter { $0.name == source }
        guard !listable.isEmpty else { return nil }
        let engine = SyncEngine(store: store, state: state, sources: listable, logger: logger, metrics: metrics)
        let plan = SyncEngine.CyclePlan(incremental: true, reconcileUnlessWithin: .zero)
        // Another instance's sync cycle holds the lease: wait for it to end
        // (at most an hour), since that cycle may have begun before the gap.
        return {
            let deadline = ContinuousClock.now + .seconds(3600)
            while try await engine.runCycle(plan) == nil {
                guard ContinuousClock.now < deadline else { throw SyncError.leaseBusy }
                try await Task.sleep(for: .seconds(5))
            }
        }
    }
}
