/// Who wins an attribute when the store and a source disagree (CONTRACT.md §2).
public enum PrecedenceRule: String, Sendable, Equatable, CaseIterable {
    /// The source value wins; a source never clears a value it does not send.
    case source
    /// A stored value is kept; a missing one is filled from the source.
    case store
    /// Three-way merge against the last imported values; when both sides
    /// changed the attribute, the later time wins.
    case newest
}

/// Per-attribute precedence, decoded from `precedence:`.
public struct PrecedencePolicy: Sendable, Equatable {
    public var defaultRule: PrecedenceRule
    public var attributeRules: [String: PrecedenceRule]

    public init(defaultRule: PrecedenceRule = .newest, attributeRules: [String: PrecedenceRule] = [
        Attribute.role: .source, Attribute.passwordHash: .store,
    ]) {
        self.defaultRule = defaultRule
        self.attributeRules = attributeRules
    }

    public func rule(for attribute: String) -> PrecedenceRule {
        attributeRules[attribute] ?? defaultRule
    }
}
