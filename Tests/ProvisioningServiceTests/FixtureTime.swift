import Foundation

/// Times for fixtures, relative to the test run: clock times on the day
/// before today (UTC). They keep the order their clock times give, always lie
/// in the past and are never older than two days, whatever the date, so no
/// fixture can be overtaken by the wall clock.
enum FixtureTime {
    static let yesterday: Date = {
        let now = Date().timeIntervalSince1970
        return Date(timeIntervalSince1970: (now / 86_400).rounded(.down) * 86_400 - 86_400)
    }()

    /// Before every fixture time: the source time of users made directly in the store.
    static var beforeAll: Date { yesterday.addingTimeInterval(-3_600) }

    /// `"HH:mm"` or `"HH:mm:ss.SSS"` yesterday.
    static func date(_ clock: String) -> Date {
        let parts = clock.split(separator: ":").map { Double($0)! }
        let seconds = parts[0] * 3_600 + parts[1] * 60 + (parts.count > 2 ? parts[2] : 0)
        return yesterday.addingTimeInterval(seconds)
    }

    /// `date(clock)` as RFC 3339 with milliseconds, as webhook senders write it.
    static func iso(_ clock: String) -> String { iso(date(clock)) }

    /// `seconds` from the moment of the call.
    static func fromNow(_ seconds: TimeInterval) -> String { iso(Date().addingTimeInterval(seconds)) }

    static func iso(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
