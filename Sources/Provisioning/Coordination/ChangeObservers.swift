import Synchronization

/// Who hears other instances' changes in this process: the pipeline's own
/// caches, and whatever an embedding service adds (its verified tokens).
public final class ChangeObservers: Sendable {
    private let observers = Mutex<[@Sendable (UserChange) -> Void]>([])

    public init() {}

    public func add(_ observer: @escaping @Sendable (UserChange) -> Void) {
        observers.withLock { $0.append(observer) }
    }

    public func notify(_ change: UserChange) {
        for observer in observers.withLock({ $0 }) { observer(change) }
    }
}
