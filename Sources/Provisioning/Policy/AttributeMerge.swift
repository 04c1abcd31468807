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

    /// The merged value of one attribute.
    /// - stored: the store's current value; snapshot: the source value last
    ///   imported; incoming: the record's value (nil: the source has none).
    public func merge(
        attribute: String, stored: String?, snapshot: String?, incoming: String?,
        incomingModifiedAt: Date, storeUpdatedAt: Date?
    ) -> String? {
        switch policy.rule(for: attribute) {
        case .source:
            return incoming ?? stored
        case .store:
            return stored ?? incoming
        case .newest:
            let sourceChanged = incoming != nil && incoming != snapshot
            guard sourceChanged else { return stored }
            let storeChanged = stored != snapshot
            guard storeChanged else { return incoming }
            guard let storeTime = storeUpdatedAt else { return incoming }
            return incomingModifiedAt > storeTime ? incoming : stored
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
