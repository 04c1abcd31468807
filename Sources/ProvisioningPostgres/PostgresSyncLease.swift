import Logging
import PostgresNIO
import Provisioning

extension PostgresSyncState {
    /// An error of the leased body, kept apart from the driver's errors.
    private struct BodyFailure: Error {
        let error: any Error
    }

    public func withLease<T: Sendable>(_ name: String, _ body: () async throws -> T) async throws -> T? {
        // Another schema is another deployment: its own lock. `public` keeps
        // the key it always had, so old and new instances still exclude each other.
        let (space, key) = Self.lockKey(schema == .default ? name : "\(schema.name).\(name)")
        do {
            return try await leaseClient.withConnection { connection -> T? in
                let rows = try await connection.query("SELECT pg_try_advisory_lock(\(space), \(key))", logger: logger)
                var acquired = false
                for try await value in rows.decode(Bool.self) { acquired = value }
                guard acquired else { return nil }
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                await release(space, key, on: connection)
                return try result.mapError { BodyFailure(error: $0) }.get()
            }
        } catch let failure as BodyFailure {
            throw failure.error
        } catch {
            throw PostgresIdentityStore.storeError(error)
        }
    }

    /// Unlock; a connection that cannot say it did is closed, so that the
    /// pool never hands out a session still holding the lock.
    private func release(_ space: Int32, _ key: Int32, on connection: PostgresConnection) async {
        var released = false
        if let rows = try? await connection.query("SELECT pg_advisory_unlock(\(space), \(key))", logger: logger) {
            do {
                for try await value in rows.decode(Bool.self) { released = value }
            } catch {
                released = false
            }
        }
        if !released {
            logger.warning("sync.lease_release_failed", metadata: ["event": "sync.lease_release_failed"])
            try? await connection.close()
        }
    }

    /// The two-key advisory lock of a lease name: a fixed space ("sync") and
    /// the name's FNV-1a hash (stable across processes, unlike `hashValue`).
    static func lockKey(_ name: String) -> (Int32, Int32) {
        var hash: UInt32 = 0x811C_9DC5
        for byte in name.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        return (0x7379_6E63, Int32(bitPattern: hash))
    }
}
