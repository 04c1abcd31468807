import Foundation
import Logging

extension PushSync {
    /// Keep the subscription alive for the life of the service: a check at
    /// start and every `checkEvery` (sooner again after a failure), each
    /// followed by a read, which also covers a notification that was lost.
    public func run() async {
        let schedule = feed.schedule
        while !Task.isCancelled {
            let healthy = await check()
            try? await Task.sleep(for: healthy ? schedule.checkEvery : min(schedule.checkEvery, .seconds(10)))
        }
    }

    enum CheckResult {
        case kept
        case created
        /// Made anew after it expired, was disabled or deleted: reconcile the gap.
        case recreated
    }

    /// Adopt, refresh or (re)create the subscription under the lease, then
    /// reconcile after a re-creation and read what is pending; false when
    /// the source or the store could not be reached.
    @discardableResult
    public func check() async -> Bool {
        let result: CheckResult?
        do {
            result = try await state.withLease(leaseName) { try await maintain() }
        } catch {
            setCondition("unavailable")
            log(.warning, "check_failed", ["error": .string(String(describing: error))])
            return false
        }
        if result == nil { log(.debug, "check_skipped", ["reason": "another instance holds the lease"]) }
        await loadSubscription()
        if result == .recreated, let reconcile {
            do {
                try await reconcile()
            } catch {
                log(.error, "reconcile_failed", ["error": .string(String(describing: error))])
            }
        }
        return await read() != .failed
    }

    /// Inside the lease. Subscriptions of ours that are not the stored one
    /// (made by a process that died before saving it) are deleted first, so
    /// that there is never a second one.
    private func maintain() async throws -> CheckResult {
        let schedule = feed.schedule
        let stored = try await subscriptions.subscription(source: source)
        let remote = try await feed.subscriptions()
        for orphan in remote where orphan.id != stored?.subscriptionID {
            try await feed.delete(orphan.id)
            log(.warning, "orphan_deleted", ["subscription_id": .string(orphan.id)])
        }
        let now = Date()
        let live = stored.flatMap { stored in remote.first { $0.id == stored.subscriptionID } }
        if let stored, let live, live.isEnabled, (live.expiresAt ?? .distantFuture) > now {
            let firstTime = local.withLock { local in
                defer { local.established = true }
                return !local.established
            }
            if firstTime { log(.info, "adopted", ["subscription_id": .string(stored.subscriptionID), "cursor": .stringConvertible(stored.cursor)]) }
            let sinceRefresh = SyncEngine.seconds(of: schedule.lifetime) - (live.expiresAt ?? .distantFuture).timeIntervalSince(now)
            if sinceRefresh >= SyncEngine.seconds(of: schedule.refreshEvery), let until = try await feed.refresh(stored.subscriptionID) {
                try await subscriptions.extend(source: source, subscriptionID: stored.subscriptionID, until: until)
                log(.info, "refreshed", ["subscription_id": .string(stored.subscriptionID), "expiration": .string(until.formatted(.iso8601))])
            } else if live.expiresAt != stored.expiresAt, let expiresAt = live.expiresAt {
                try await subscriptions.extend(source: source, subscriptionID: stored.subscriptionID, until: expiresAt)
            }
            setCondition("active")
            return .kept
        }
        if let stored, live != nil {
            // Disabled or expired but still listed: it will never notify again.
            do {
                try await feed.delete(stored.subscriptionID)
            } catch {
                if error != .gone { throw error }
            }
        }
        let made = try await feed.create(source: source)
        try await subscriptions.save(made)
        local.withLock { $0.established = true }
        setCondition("active")
        var metadata: Logger.Metadata = [
            "subscription_id": .string(made.subscriptionID), "expiration": .string(made.expiresAt?.formatted(.iso8601) ?? ""),
        ]
        if let stored {
            metadata["previous_id"] = .string(stored.subscriptionID)
            metadata["reason"] = .string(live == nil ? "gone" : live?.isEnabled == false ? "disabled" : "expired")
            log(.warning, "recreated", metadata)
            return .recreated
        }
        log(.info, "created", metadata)
        return .created
    }
}
