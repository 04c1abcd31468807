import Synchronization

/// Concurrent calls with the same key share one execution: 50 first logins
/// of one email make one source request and one upsert.
public final class Singleflight<Value: Sendable>: Sendable {
    private let inflight = Mutex<[String: Task<Value, any Error>]>([:])

    public init() {}

    public func run(key: String, _ operation: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let (task, isLeader) = inflight.withLock { tasks -> (Task<Value, any Error>, Bool) in
            if let running = tasks[key] { return (running, false) }
            let task = Task { try await operation() }
            tasks[key] = task
            return (task, true)
        }
        guard isLeader else { return try await task.value }
        let result = await task.result
        inflight.withLock { _ = $0.removeValue(forKey: key) }
        return try result.get()
    }
}
