import Foundation

/// JSON text written by hand where JSONSerialization's cost shows (log lines,
/// the store's JSON columns): strings escaped per RFC 8259, `/` and non-ASCII
/// written as they are, object keys sorted.
public enum JSONText {
    private static let hexDigits = Array("0123456789abcdef")

    public static func append(string: String, to out: inout String) {
        out.append("\"")
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case _ where scalar.value < 0x20:
                out.append("\\u00")
                out.append(hexDigits[Int(scalar.value >> 4)])
                out.append(hexDigits[Int(scalar.value & 0x0f)])
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.append("\"")
    }

    /// `{"key":"value",...}`, keys sorted.
    public static func object(_ values: [String: String]) -> String {
        var out = "{"
        for (index, key) in values.keys.sorted().enumerated() {
            if index > 0 { out.append(",") }
            append(string: key, to: &out)
            out.append(":")
            append(string: values[key]!, to: &out)
        }
        out.append("}")
        return out
    }

    /// RFC 3339 in UTC, as `Date.ISO8601FormatStyle` writes it: whole
    /// seconds (`2026-11-26T05:17:12Z`) or with milliseconds (`…12.123Z`).
    public static func timestamp(_ date: Date, milliseconds: Bool) -> String {
        let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var seconds = time_t(totalMilliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        var remainder = Int32(totalMilliseconds - Int64(seconds) * 1000)
        if remainder < 0 {
            seconds -= 1
            remainder += 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var out = pad(parts.tm_year + 1900, 4) + "-" + pad(parts.tm_mon + 1, 2) + "-" + pad(parts.tm_mday, 2)
        out += "T" + pad(parts.tm_hour, 2) + ":" + pad(parts.tm_min, 2) + ":" + pad(parts.tm_sec, 2)
        if milliseconds { out += "." + pad(remainder, 3) }
        return out + "Z"
    }

    private static func pad(_ value: Int32, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
