import Foundation
import Logging
import Provisioning

/// One log line as JSON text, keys sorted, strings as `JSONText` writes them
/// (what JSONSerialization wrote with `.withoutEscapingSlashes`, at a
/// fraction of its cost per line).
enum JSONLine {
    static func encode(_ object: [String: Logger.Metadata.Value]) -> String {
        var out = ""
        out.reserveCapacity(256)
        append(object, to: &out)
        return out
    }

    private static func append(_ object: [String: Logger.Metadata.Value], to out: inout String) {
        out.append("{")
        for (index, key) in object.keys.sorted().enumerated() {
            if index > 0 { out.append(",") }
            append(string: key, to: &out)
            out.append(":")
            append(object[key]!, to: &out)
        }
        out.append("}")
    }

    private static func append(_ value: Logger.Metadata.Value, to out: inout String) {
        switch value {
        case .string(let text): append(string: text, to: &out)
        case .stringConvertible(let convertible): append(string: convertible.description, to: &out)
        case .dictionary(let object): append(object, to: &out)
        case .array(let values):
            out.append("[")
            for (index, element) in values.enumerated() {
                if index > 0 { out.append(",") }
                append(element, to: &out)
            }
            out.append("]")
        }
    }

    private static func append(string: String, to out: inout String) {
        JSONText.append(string: string, to: &out)
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-26T05:17:12.123Z`.
    static func timestamp(_ date: Date = Date()) -> String {
        JSONText.timestamp(date, milliseconds: true)
    }
}
