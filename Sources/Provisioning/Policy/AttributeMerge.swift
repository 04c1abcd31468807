import Foundation

/// The precedence rules applied in Swift: the reference semantics that the
/// memory store uses and the Postgres store compiles into SQL. The shared
/// conformance suite checks both agree.
public struct AttributeMerge: Sendable {
    public var policy: PrecedencePolicy

    public init(policy: PrecedencePolicy) {
        self.policy = policy
    }

    /// Whether a record is older than the last import from its source and
    /// must change nothing.
    public static func isStale(_ record: SourceRecord, against user: StoredUser) -> Bool {
        guard let imported = user.links[record.source]?.modifiedAt else { return false }
        return record.modifiedAt < imported
    }

    /// What the rule decides for one attribute, and why (`provisiond explain`).
    public struct Decision: Sendable, Equatable {
        public var value: String?
        /// The source's value differs from the one last imported.
        public var sourceChanged: Bool
        /// The stored value differs from the one last imported.
        public var storeChanged: Bool
        /// The rule's reasoning, in words.
        public var reason: String
    }

    /// The merged value of one attribute.
    /// - stored: the store's current value; snapshot: the source value last
    ///   imported; incoming: the record's value (nil: the source has none).
    public func merge(
        attribute: String, stored: String?, snapshot: String?, incoming: String?,
        incomingModifiedAt: Date, storeUpdatedAt: Date?
    ) -> String? {
        decide(
            attribute: attribute, stored: stored, snapshot: snapshot, incoming: incoming,
            incomingModifiedAt: incomingModifiedAt, storeUpdatedAt: storeUpdatedAt
        ).value
    }

    /// The rule of `attribute` applied, with its reasoning.
    public func decide(
        attribute: String, stored: String?, snapshot: String?, incoming: String?,
        incomingModifiedAt: Date, storeUpdatedAt: Date?
    ) -> Decision {
        let sourceChanged = incoming != nil && incoming != snapshot
        let storeChanged = stored != snapshot
        func decided(_ value: String?, _ reason: String) -> Decision {
            Decision(value: value, sourceChanged: sourceChanged, storeChanged: storeChanged, reason: reason)
        }
        switch policy.rule(for: attribute) {
        case .source:
            return incoming != nil
                ? decided(incoming, "rule source: the source's value is written")
                : decided(stored, "rule source, but the source has no value: the stored one stays")
        case .store:
            return stored != nil
                ? decided(stored, "rule store: the stored value stays")
                : decided(incoming, "rule store, but the store has no value: the source's is written")
        case .newest:
            guard sourceChanged else {
                return decided(stored, incoming == nil
                    ? "rule newest: the source has no value: the stored one stays"
                    : "rule newest: the source has not changed it since the last import: the stored value stays")
            }
            guard storeChanged else { return decided(incoming, "rule newest: only the source changed it since the last import: its value is written") }
            guard let storeTime = storeUpdatedAt else {
                return decided(incoming, "rule newest: both sides changed it and the app's write time is unknown: the source's value is written")
            }
            let times = "source \(incomingModifiedAt.formatted(.iso8601)), app \(storeTime.formatted(.iso8601))"
            return incomingModifiedAt > storeTime
                ? decided(incoming, "rule newest: both sides changed it; the source's change is later (\(times)): its value is written")
                : decided(stored, "rule newest: both sides changed it; the app's change is later (\(times)): the stored value stays")
        }
    }

    /// Merge every attribute of `record` into `user`'s values.
    public func merge(_ record: SourceRecord, into user: StoredUser) -> [String: String] {
        var merged = user.values
        let snapshot = user.links[record.source]?.snapshot ?? [:]
        for attribute in Set(record.values.keys).union(user.values.keys) {
            merged[attribute] = merge(
                attribute: attribute, stored: user.values[attribute], snapshot: snapshot[attribute],
                incoming: record.values[attribute], incomingModifiedAt: record.modifiedAt,
                storeUpdatedAt: user.storeUpdatedAt)
        }
        return merged
    }
}
