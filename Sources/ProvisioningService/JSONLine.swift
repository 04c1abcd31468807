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
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }
}
