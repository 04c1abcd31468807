import Logging
import PostgresNIO
import Provisioning
import Synchronization

/// Cross-instance coalescing of source lookups (CONTRACT §8): a
/// transaction-level advisory lock on a hash of the key, held while the
/// holder's lookup and upsert run; a waiter then looks in the store again.
/// The lock dies with its session, so a killed instance frees its keys at
/// once. A holder keeps a pooled connection for the lookup's length, so at
/// most half the pool holds locks at a time; beyond that, and when the lock
/// does not come within `wait`, the lookup runs without it (one extra
/// source request at worst, never a refused sign-in).
final class PostgresLookupLocks: LookupLocks {
    let client: PostgresClient
    let logger: Logger
    let maxHolders: Int
    private let holders = Mutex(0)

    init(client: PostgresClient, poolSize: Int, logger: Logger) {
        self.client = client
        self.maxHolders = max(1, poolSize / 2)
        self.logger = logger
    }

    /// An error of `body`'s own, to tell it from a failure to get the lock.
    private struct BodyFailed: Error { let error: any Error }

    func withLock<T: Sendable>(key: String, wait: Duration, _ body: @Sendable () async throws -> T) async throws -> T {
        let admitted = holders.withLock { count in
            guard count < maxHolders else { return false }
            count += 1
            return true
        }
        guard admitted else { return try await body() }
        defer { holders.withLock { $0 -= 1 } }
        let waitMilliseconds = max(1, Int(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000))
        // The answer, kept in case the commit (which only frees the lock) fails after it.
        let answer = Mutex<T?>(nil)
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let lockKey = "provisiond.lookup:\(key)"
                var gotAtOnce = false
                for try await got in try await connection.query(
                    "SELECT pg_try_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: logger
                ).decode(Bool.self) { gotAtOnce = got }
                if !gotAtOnce {
                    // Wait for the holder, never longer than its lookup may take.
                    _ = try await connection.query("SELECT set_config('lock_timeout', \("\(waitMilliseconds)ms"), true)", logger: logger)
                    _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lockKey), 0))", logger: logger)
                }
                do {
                    let value = try await body()
                    answer.withLock { $0 = value }
                    return value
                } catch {
                    throw BodyFailed(error: error)
                }
            }
        } catch let failed as BodyFailed {
            throw failed.error
        } catch {
            if let value = answer.withLock({ $0 }) { return value }
            logger.debug("readthrough.lock_skipped", metadata: ["event": "readthrough.lock_skipped", "detail": "\(String(describing: error))"])
            return try await body()
        }
    }
}
