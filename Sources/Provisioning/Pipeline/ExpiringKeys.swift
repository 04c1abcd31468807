import Foundation
import Synchronization

/// Keys remembered for a while. The pipeline keeps two: the negative cache
/// (canonical emails and record ids no provider knew, for
/// `resolution.negative_cache_s`, so a flood of unknown emails does not spend
/// the source's rate budget; webhook events naming a key forget it), and the
/// keys of recently finished lookups.
public final class ExpiringKeys: Sendable {
    private let ttl: TimeInterval
    private let capacity: Int
    private let entries = Mutex<[String: Date]>([:])

    public init(ttlSeconds: Int, capacity: Int = 100_000) {
        self.ttl = TimeInterval(ttlSeconds)
        self.capacity = capacity
    }

    public func contains(_ key: String, now: Date = Date()) -> Bool {
        guard ttl > 0 else { return false }
        return entries.withLock { map in
            guard let expiry = map[key] else { return false }
            if expiry > now { return true }
            map[key] = nil
            return false
        }
    }

    public func remember(_ key: String, now: Date = Date()) {
        guard ttl > 0 else { return }
        entries.withLock { map in
            if map.count >= capacity { map = map.filter { $0.value > now } }
            if map.count < capacity { map[key] = now.addingTimeInterval(ttl) }
        }
    }

    public func forget(_ key: String) {
        entries.withLock { _ = $0.removeValue(forKey: key) }
    }

    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
