import Foundation
import Provisioning

/// Filter expressions of RFC 7644 §3.4.2.2, with values escaped as JSON
/// strings (the grammar's `compValue` is a JSON string: `"` and `\` and
/// control characters escaped), so that an email cannot end the string.
enum SCIMFilter {
    static func quoted(_ value: String) -> String {
        var out = ""
        JSONText.append(string: value, to: &out)
        return out
    }

    static func emailEquals(_ canonicalEmail: String) -> String {
        "emails.value eq \(quoted(canonicalEmail))"
    }

    static func modifiedAfter(_ time: Date) -> String {
        "meta.lastModified gt \(quoted(SCIMTime.format(time)))"
    }
}

/// SCIM's `dateTime` (RFC 3339, any number of fractional digits).
enum SCIMTime {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// nil when `text` is not an RFC 3339 time.
    static func parse(_ text: String) -> Date? {
        // Foundation takes exactly three fractional digits: parse the whole
        // seconds and add the fraction by hand.
        guard let dot = text.firstIndex(of: ".") else { return whole(text) }
        let digitsEnd = text[text.index(after: dot)...].firstIndex { !$0.isNumber } ?? text.endIndex
        let digits = text[text.index(after: dot)..<digitsEnd]
        guard !digits.isEmpty, let fraction = Double("0." + digits), let seconds = whole(String(text[..<dot] + text[digitsEnd...])) else { return nil }
        return seconds.addingTimeInterval(fraction)
    }

    private static func whole(_ text: String) -> Date? {
        ISO8601DateFormatter().date(from: text)
    }
}
