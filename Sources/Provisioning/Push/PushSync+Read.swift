import Foundation
import Logging
import Metrics

extension PushSync {
    public enum ReadResult: Sendable, Equatable {
        case done
        /// Another instance holds the lease: it reads again after releasing it.
        case held
        /// The subscription is gone at the source: a check re-creates it.
        case gone
        case failed
    }

    /// Read under the lease until no notification arrived meanwhile. Another
    /// instance's notification counts in the store before it asks for the
    /// lease, and the holder compares the count after releasing it: either
    /// the holder sees it and reads again, or the other gets the lease.
    @discardableResult
    public func read() async -> ReadResult {
        while !Task.isCancelled {
            guard let before = try? await subscriptions.subscription(source: source) else { return .failed }
            let result: ReadResult
            do {
                result = try await state.withLease(leaseName) { try await readAll() } ?? .held
            } catch {
                setCondition("read_failed")
                log(.warning, "read_failed", ["error": .string(String(describing: error))])
                return .failed
            }
            guard result == .done else { return result }
            // Unknown (the store did not answer): read again, which fails or finds nothing new.
            let after = try? await subscriptions.subscription(source: source)
            guard after == nil || after?.notifications != before.notifications else { return .done }
        }
        return .done
    }

    /// Every page from the stored cursor (inside the lease).
    private func readAll() async throws -> ReadResult {
        guard var subscription = try await subscriptions.subscription(source: source) else { return .gone }
        while !Task.isCancelled {
            let from = subscription.cursor
            let page: PushedPage
            do {
                page = try await feed.changes(subscription.subscriptionID, from: subscription.cursor)
            } catch {
                guard case .unavailable(let reason) = error else {
                    setCondition("gone")
                    return .gone
                }
                setCondition("read_failed")
                log(.warning, "read_failed", ["error": .string(reason)])
                return .failed
            }
            try await apply(page, subscriptionID: subscription.subscriptionID, cursor: subscription.cursor)
            if page.next > subscription.cursor {
                // False: the subscription was made anew meanwhile; its reader starts at its own cursor.
                guard try await subscriptions.advanceCursor(source: source, subscriptionID: subscription.subscriptionID, to: page.next) else {
                    return .done
                }
                subscription.cursor = page.next
            }
            setCondition("active")
            // A page that does not move the cursor ends the read, whatever it says.
            if !page.mightHaveMore || page.next <= from { break }
        }
        return .done
    }

    /// One page's effects, each a committed write of its own (counted as it
    /// commits); an unreachable store throws before the cursor moves.
    private func apply(_ page: PushedPage, subscriptionID: String, cursor: Int) async throws {
        var outcomes: [String: Int] = [:]
        func counted(_ outcome: String, _ number: Int = 1) {
            outcomes[outcome, default: 0] += number
            count("records_total", ("outcome", outcome), by: number)
        }
        for record in page.records {
            switch try await store.importRecord(record, source: source) {
            case .written(let outcome):
                counted(outcome.rawValue)
            case .rejected(let reason):
                counted("rejected")
                log(.warning, "record_rejected", ["record_id": .string(record.recordID ?? ""), "reason": .string(reason)])
            }
        }
        for gone in page.destroyed {
            counted(try await store.delete(source: source, recordID: gone.recordID, occurredAt: gone.modifiedAt).outcome.rawValue)
        }
        if page.invalid > 0 { counted("invalid", page.invalid) }
        guard !outcomes.isEmpty else { return }
        var metadata: Logger.Metadata = [
            "subscription_id": .string(subscriptionID), "cursor": .stringConvertible(cursor), "next_cursor": .stringConvertible(page.next),
        ]
        for (outcome, number) in outcomes { metadata[outcome] = .stringConvertible(number) }
        log(.info, "applied", metadata)
    }

    // MARK: Support

    func setCondition(_ condition: String) {
        local.withLock { $0.condition = condition }
    }

    func count(_ name: String, _ dimension: (String, String), by amount: Int = 1) {
        Counter(label: "\(feed.eventPrefix)_\(name)", dimensions: [dimension], factory: metrics).increment(by: amount)
    }

    func log(_ level: Logger.Level, _ name: String, _ metadata: Logger.Metadata = [:]) {
        let event = "\(feed.eventPrefix).\(name)"
        logger.log(level: level, "\(event)", metadata: metadata.merging(["event": .string(event), "source": .string(source)]) { $1 })
    }
}
