import Foundation

/// One delivery of an inbound user event, as the ledger keys it.
public struct WebhookDelivery: Sendable, Equatable {
    public var eventID: String
    /// Hex SHA-256 of the raw body: the same id with another body is a conflict.
    public var bodySHA256: String
    public init(eventID: String, bodySHA256: String) {
        self.eventID = eventID
        self.bodySHA256 = bodySHA256
    }
}

/// The store write an event asks for.
public enum WebhookEffect: Sendable, Equatable {
    case upsert(SourceRecord)
    /// `occurredAt`: the event's record time, for the stale check.
    case delete(source: String, recordID: String, occurredAt: Date? = nil)
}

/// The contract's `outcome` and the user it concerned.
public struct WebhookOutcome: Sendable, Equatable {
    public var outcome: String
    public var userID: UUID?
    public init(outcome: String, userID: UUID?) {
        self.outcome = outcome
        self.userID = userID
    }
}

public enum LedgerResult: Sendable, Equatable {
    /// First delivery: the effect and the event row committed together.
    case processed(WebhookOutcome)
    /// Same id, same body: the first outcome, no second effect.
    case replayed(WebhookOutcome)
    /// Same id, another body.
    case conflict
}

/// Idempotency by event id, in one transaction with the effect. Provided by
/// the store's provider, since the two must commit together.
public protocol WebhookLedger: Sendable {
    func apply(_ delivery: WebhookDelivery, effect: WebhookEffect) async throws -> LedgerResult
    /// Remove event rows received before `cutoff`; returns how many.
    func prune(receivedBefore cutoff: Date) async throws -> Int
}
