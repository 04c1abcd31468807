import Yams

/// A YAML mapping being decoded: typed accessors that report problems with
/// the value's line and column, and a check for keys nobody asked for.
/// Used on one task only, while a config is loaded.
public final class ConfigSection {
    public let path: String
    let mapping: Node.Mapping
    let mark: Mark?
    let diagnostics: ConfigDiagnostics
    private var consumed: Set<String> = []

    init(mapping: Node.Mapping, mark: Mark?, path: String, diagnostics: ConfigDiagnostics) {
        self.mapping = mapping
        self.mark = mark
        self.path = path
        self.diagnostics = diagnostics
    }

    /// Wrap `node` as a section, or report that it is not a mapping.
    static func make(_ node: Node, path: String, diagnostics: ConfigDiagnostics) -> ConfigSection? {
        guard let mapping = node.mapping else {
            report(diagnostics, node.mark, path, "expected a mapping")
            return nil
        }
        return ConfigSection(mapping: mapping, mark: node.mark, path: path, diagnostics: diagnostics)
    }

    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Report a problem at this section's position.
    public func problem(_ message: String) {
        Self.report(diagnostics, mark, path, message)
    }

    /// Report a problem at the value of `key` (or this section when absent).
    public func problem(at key: String, _ message: String) {
        Self.report(diagnostics, node(key)?.mark ?? mark, childPath(key), message)
    }

    static func report(_ diagnostics: ConfigDiagnostics, _ mark: Mark?, _ path: String, _ message: String) {
        diagnostics.report(line: mark?.line ?? 1, column: mark?.column ?? 1, path: path, message)
    }

    /// The raw node of `key`; marks the key as known.
    public func node(_ key: String) -> Node? {
        consumed.insert(key)
        guard let value = mapping[key] else { return nil }
        if value.null != nil { return nil }
        return value
    }

    /// The expanded text of a scalar node, or nil after reporting a problem.
    func scalarText(_ node: Node, path: String) -> String? {
        guard case .scalar(let scalar) = node else {
            Self.report(diagnostics, node.mark, path, "expected a scalar value")
            return nil
        }
        switch EnvironmentExpansion.expand(scalar.string, environment: diagnostics.environment) {
        case .success(let text): return text
        case .failure(.unset(let name)):
            Self.report(diagnostics, node.mark, path, "environment variable \(name) is not set")
        case .failure(.unterminated):
            Self.report(diagnostics, node.mark, path, "unterminated ${ in value")
        }
        return nil
    }

    /// Whether `key` is written at all (for keys whose default is computed).
    public func isPresent(_ key: String) -> Bool { node(key) != nil }

    public func string(_ key: String) -> String? {
        guard let node = node(key) else { return nil }
        return scalarText(node, path: childPath(key))
    }

    public func string(_ key: String, default fallback: String) -> String {
        string(key) ?? fallback
    }

    /// A string that must be present.
    public func requiredString(_ key: String) -> String? {
        guard node(key) != nil else {
            problem("missing required key '\(key)'")
            return nil
        }
        return string(key)
    }

    public func int(_ key: String, default fallback: Int, range: ClosedRange<Int> = 0...Int.max) -> Int {
        guard let node = node(key), let text = scalarText(node, path: childPath(key)) else { return fallback }
        guard let value = Int(text) else {
            Self.report(diagnostics, node.mark, childPath(key), "expected an integer, got '\(text)'")
            return fallback
        }
        guard range.contains(value) else {
            let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)"
                : range.upperBound == Int.max ? "an integer at least \(range.lowerBound)"
                : "an integer between \(range.lowerBound) and \(range.upperBound)"
            Self.report(diagnostics, node.mark, childPath(key), "expected \(expected), got \(value)")
            return fallback
        }
        return value
    }

    public func bool(_ key: String, default fallback: Bool) -> Bool {
        guard let node = node(key), let text = scalarText(node, path: childPath(key)) else { return fallback }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            Self.report(diagnostics, node.mark, childPath(key), "expected true or false, got '\(text)'")
            return fallback
        }
    }

    /// One of a fixed set of words.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, default fallback: T) -> T where T.RawValue == String {
        guard let node = node(key), let text = scalarText(node, path: childPath(key)) else { return fallback }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            Self.report(diagnostics, node.mark, childPath(key), "expected one of \(allowed), got '\(text)'")
            return fallback
        }
        return value
    }

    /// A sequence of nodes with their paths, or nil (reported) if not a sequence.
    public func list(_ key: String) -> [(node: Node, path: String)]? {
        guard let node = node(key) else { return nil }
        guard case .sequence(let sequence) = node else {
            Self.report(diagnostics, node.mark, childPath(key), "expected a list")
            return nil
        }
        return sequence.enumerated().map { ($0.element, "\(childPath(key))[\($0.offset)]") }
    }

    /// How many items `key` holds as written: 0 when absent or empty, 1 for a scalar.
    public func itemCount(_ key: String) -> Int {
        guard let node = node(key) else { return 0 }
        if case .sequence(let sequence) = node { return sequence.count }
        return 1
    }

    /// A list of strings.
    public func stringList(_ key: String) -> [String]? {
        guard let items = list(key) else { return nil }
        return items.compactMap { scalarText($0.node, path: $0.path) }
    }

    /// A list of strings, each with its node (for later positional checks).
    public func stringListWithNodes(_ key: String) -> [(value: String, node: Node, path: String)]? {
        guard let items = list(key) else { return nil }
        return items.compactMap { item in scalarText(item.node, path: item.path).map { ($0, item.node, item.path) } }
    }

    /// A mapping of string keys to string values, in document order.
    public func stringMap(_ key: String) -> [(key: String, value: String, node: Node)]? {
        guard let child = section(key) else { return nil }
        var pairs: [(String, String, Node)] = []
        for (keyNode, valueNode) in child.mapping {
            guard let name = keyNode.string else { continue }
            child.consumed.insert(name)
            if let text = child.scalarText(valueNode, path: child.childPath(name)) {
                pairs.append((name, text, keyNode))
            }
        }
        return pairs
    }

    /// A nested mapping, or nil when absent (a non-mapping is reported).
    public func section(_ key: String) -> ConfigSection? {
        guard let node = node(key) else { return nil }
        return Self.make(node, path: childPath(key), diagnostics: diagnostics)
    }

    /// The factory registered for `kind` in `table`; nil after reporting an
    /// unknown `what` kind at this section's `kind` key, with the known ones.
    public func registered<Factory>(_ kind: String, in table: [String: Factory], what: String) -> Factory? {
        if let factory = table[kind] { return factory }
        let known = table.isEmpty ? "none" : table.keys.sorted().joined(separator: ", ")
        problem(at: "kind", "unknown \(what) kind '\(kind)' (registered: \(known))")
        return nil
    }

    /// Report every key that no accessor asked for.
    public func rejectUnknownKeys() {
        for (keyNode, _) in mapping {
            let name = keyNode.string ?? "?"
            if !consumed.contains(name) {
                Self.report(diagnostics, keyNode.mark, childPath(name), "unknown key '\(name)'")
            }
        }
    }

    /// A problem at a node this section handed out.
    public func problem(at node: Node, path: String, _ message: String) {
        Self.report(diagnostics, node.mark, path, message)
    }
}
