import Foundation

/// JSON text in and out for `SimValue`, with stable (sorted) key order and integers printed without a fraction.
enum SimJSON {
    /// Parses JSON text; `nil` when it is not valid JSON.
    static func parse(_ data: Data) -> SimValue? {
        guard !data.isEmpty else { return nil }
        return try? JSONDecoder().decode(SimValue.self, from: data)
    }

    static func serialize(_ value: SimValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ value: SimValue, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += formatNumber(d)
        case .string(let s): writeString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, element) in a.enumerated() {
                if i > 0 { out += "," }
                write(element, into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, key) in o.keys.sorted(by: keyOrder).enumerated() {
                if i > 0 { out += "," }
                writeString(key, into: &out)
                out += ":"
                if let v = o[key] { write(v, into: &out) }
            }
            out += "}"
        }
    }

    /// Sorted keys, but `id` and `createdTime` first, as Airtable writes records.
    private static func keyOrder(_ a: String, _ b: String) -> Bool {
        let ra = leading[a] ?? Int.max, rb = leading[b] ?? Int.max
        return ra != rb ? ra < rb : a < b
    }

    private static let leading: [String: Int] = ["id": 0, "createdTime": 1]

    static func formatNumber(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d.rounded() == d, abs(d) < 9.0e15 { return String(Int(d)) }
        return String(d)
    }

    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                out += String(format: "\\u%04x", c.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
