import NIOPosix
import Provisioning
import Synchronization

/// Bounds how long a caller waits for the store. PostgresNIO keeps a lease
/// request waiting while the server is unreachable (a minute or more), so the
/// caller gets `StoreDeadline.Expired` at the deadline instead; the operation
/// itself is left to finish or fail on its own (cancelling a running query
/// is not safe).
enum StoreDeadline {
    /// No answer in time (mapped to `StoreError.unavailable`).
    struct Expired: Error, CustomStringConvertible {
        let seconds: Double
        var description: String { "no answer from the store within \(seconds) s" }
    }

    /// Resumes a continuation once: by the operation or by the deadline.
    private final class Race<T: Sendable>: Sendable {
        let pending = Mutex<CheckedContinuation<T, any Error>?>(nil)

        func finish(_ result: Result<T, any Error>) {
            pending.withLock { continuation in
                continuation?.resume(with: result)
                continuation = nil
            }
        }
    }

    static func run<T: Sendable>(
        seconds: Double, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = Race<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.pending.withLock { $0 = continuation }
            // An event-loop timer: cheaper than a second task sleeping.
            let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
                race.finish(.failure(Expired(seconds: seconds)))
            }
            Task {
                do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
                timer.cancel()
            }
        }
    }
}
