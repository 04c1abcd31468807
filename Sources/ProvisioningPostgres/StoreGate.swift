import PostgresNIO
import Provisioning

/// The one way every call reaches PostgreSQL: it waits at most the deadline,
/// and once the last `failureThreshold` calls failed by connection error (or
/// got no answer in time) the store is known to be down: calls are refused
/// at once with `unavailable` instead of each waiting the full deadline.
/// Every `probeInterval` one call goes through as a probe (half-open), so the
/// first call after the server is back succeeds and closes the circuit.
public final class StoreGate: Sendable {
    public let deadlineSeconds: Double
    let breaker: CircuitBreaker

    public init(deadlineSeconds: Double, failureThreshold: Int = 3, probeInterval: Duration = .milliseconds(500)) {
        self.deadlineSeconds = deadlineSeconds
        self.breaker = CircuitBreaker(failureThreshold: failureThreshold, openDuration: probeInterval)
    }

    /// A refusal while the store is known to be down.
    struct KnownDown: Error, CustomStringConvertible {
        var description: String { "the store is down (its last calls failed); a probe goes through every moment" }
    }

    public var isKnownDown: Bool { breaker.isOpen }

    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard breaker.admit() == .allowed else { throw KnownDown() }
        do {
            let value = try await StoreDeadline.run(seconds: deadlineSeconds, body)
            breaker.recordSuccess()
            return value
        } catch is CancellationError {
            breaker.releaseProbe()
            throw CancellationError()
        } catch {
            // A server that answered, even with an error, is up.
            if Self.isConnectionFailure(error) { breaker.recordFailure() } else { breaker.recordSuccess() }
            throw error
        }
    }

    /// How `PostgresIdentityStore.storeError` words an unreachable store, so
    /// that a failure already mapped deep inside a call still counts here.
    /// `run`, with the error turned into the store contract's `StoreError`.
    func guarded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await run(body)
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }

    static let unreachablePrefix = "unreachable: "

    /// No answer in time, no connection, or a server shutting down or
    /// starting up (SQLSTATE classes 08 and 57, but for a cancelled statement).
    static func isConnectionFailure(_ error: any Error) -> Bool {
        switch error {
        case is StoreDeadline.Expired, is KnownDown, is IOError, is ChannelError:
            return true
        case StoreError.unavailable(let why):
            return why.hasPrefix(unreachablePrefix)
        case let error as PSQLError:
            guard let state = error.serverInfo?[.sqlState] else { return true }
            return state.hasPrefix("08") || (state.hasPrefix("57") && state != "57014")
        case let error as PostgresTransactionError:
            return (error.beginError ?? error.closureError ?? error.commitError).map(isConnectionFailure) ?? false
        default:
            return false
        }
    }
}
