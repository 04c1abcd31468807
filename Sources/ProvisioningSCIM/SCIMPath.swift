/// An attribute path in RFC 7644 §3.10 notation, as far as a user's
/// attributes need: `userName`, `name.formatted`, `emails[primary eq
/// true].value`, `emails[type eq "work"].value`, and any of them behind a
/// schema URN (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`).
/// Names compare case-insensitively (RFC 7643 §2.1).
struct SCIMPath: Sendable, Equatable {
    /// A `[sub eq value]` filter on a multi-valued attribute.
    struct ValueFilter: Sendable, Equatable {
        var attribute: String
        /// `true`, `false`, or a string (quotes removed).
        var value: String
        var isString: Bool
    }

    struct Step: Sendable, Equatable {
        var name: String
        var filter: ValueFilter?
    }

    /// The extension schema URN, when the path names one.
    var urn: String?
    var steps: [Step]

    /// nil when `text` is not a path of this form.
    init?(_ text: String) {
        var rest = Substring(text)
        if text.lowercased().hasPrefix("urn:") {
            // The URN ends at its last ':' before the attribute path.
            guard let colon = text.lastIndex(of: ":") else { return nil }
            urn = String(text[..<colon])
            rest = text[text.index(after: colon)...]
        }
        var steps: [Step] = []
        while !rest.isEmpty {
            let nameEnd = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
            let name = String(rest[..<nameEnd])
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0 == "$" }) else { return nil }
            var step = Step(name: name, filter: nil)
            rest = rest[nameEnd...]
            if rest.first == "[" {
                guard let close = rest.firstIndex(of: "]") else { return nil }
                guard let filter = Self.filter(rest[rest.index(after: rest.startIndex)..<close]) else { return nil }
                step.filter = filter
                rest = rest[rest.index(after: close)...]
            }
            steps.append(step)
            if rest.first == "." { rest = rest.dropFirst(); if rest.isEmpty { return nil } }
            else if !rest.isEmpty { return nil }
        }
        guard !steps.isEmpty else { return nil }
        self.steps = steps
    }

    private static func filter(_ text: Substring) -> ValueFilter? {
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count == 3, parts[1].lowercased() == "eq" else { return nil }
        let value = parts[2]
        if value.count >= 2, value.first == "\"", value.last == "\"" {
            return ValueFilter(attribute: String(parts[0]), value: String(value.dropFirst().dropLast()), isString: true)
        }
        guard value == "true" || value == "false" else { return nil }
        return ValueFilter(attribute: String(parts[0]), value: String(value), isString: false)
    }

    /// The value at this path in a resource, as text; nil when absent.
    /// A filter that matches nothing falls back to the first element (the
    /// "primary email, else the first" rule of CONTRACT.md §11).
    func value(in resource: [String: Any]) -> String? {
        var current: Any = resource
        if let urn {
            guard let object = current as? [String: Any], let inner = Self.member(urn, of: object) else { return nil }
            current = inner
        }
        for step in steps {
            guard let object = current as? [String: Any], var next = Self.member(step.name, of: object) else { return nil }
            if let filter = step.filter {
                guard let elements = next as? [Any], !elements.isEmpty else { return nil }
                next = elements.first { element in
                    guard let object = element as? [String: Any], let found = Self.member(filter.attribute, of: object) else { return false }
                    return Self.text(found).map { filter.isString ? $0.lowercased() == filter.value.lowercased() : $0 == filter.value } ?? false
                } ?? elements[0]
            } else if let elements = next as? [Any], let first = elements.first {
                next = first
            }
            current = next
        }
        return Self.text(current)
    }

    private static func member(_ name: String, of object: [String: Any]) -> Any? {
        if let exact = object[name] { return exact }
        let lowered = name.lowercased()
        return object.first { $0.key.lowercased() == lowered }?.value
    }

    private static func text(_ value: Any) -> String? {
        switch value {
        case let string as String: return string.isEmpty ? nil : string
        case let bool as Bool: return bool ? "true" : "false"
        case let number as Int: return String(number)
        case let number as Double: return String(number)
        default: return nil
        }
    }
}
