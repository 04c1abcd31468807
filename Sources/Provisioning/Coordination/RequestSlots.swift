/// A remote service's requests-per-second window, shared by everyone who
/// sends to it: in-process (`TokenBucket`) or, with a PostgreSQL store, in
/// the database so that every instance spends one budget (CONTRACT §8).
public protocol RequestSlots: Sendable {
    /// Wait for a slot until `deadline`.
    func acquire(priority: RequestPriority, deadline: ContinuousClock.Instant) async -> SlotGrant
    /// The request of `slot` has ended: the slot stays taken for a window after now.
    func release(_ slot: RequestSlot) async
    /// The service answered 429: nobody sends for `duration`.
    func pause(for duration: Duration) async
}

/// Read-through (someone is waiting) goes ahead of background work (sync,
/// webhook payload reads), which leaves a slot of each window spare.
public enum RequestPriority: Sendable { case interactive, background }

/// A granted request's place in the window; hand it back to `release`.
public struct RequestSlot: Sendable, Equatable {
    public let index: Int
    public let holder: Int64

    public init(index: Int, holder: Int64) {
        self.index = index
        self.holder = holder
    }
}

public enum SlotGrant: Sendable, Equatable {
    case granted(RequestSlot)
    /// No slot before the deadline.
    case refused
    /// Another sender saw a 429: the service is closed for `remaining`.
    case paused(remaining: Duration)
}

extension SlotGrant {
    /// The slot, when granted.
    public var slot: RequestSlot? {
        if case .granted(let slot) = self { slot } else { nil }
    }
}
