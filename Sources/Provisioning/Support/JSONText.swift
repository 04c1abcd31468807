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
}
