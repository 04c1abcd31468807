import Foundation

/// ISO 8601 timestamps as Airtable writes them (`2022-09-12T21:03:48.000Z`), and a lenient parser.
enum SimTime {
    /// Truncates to whole milliseconds, the precision Airtable reports.
    static func truncated(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    static func now() -> Date { truncated(Date()) }

    static func format(_ date: Date) -> String {
        let totalMs = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        var days = totalMs / 86_400_000
        var msOfDay = totalMs % 86_400_000
        if msOfDay < 0 {
            msOfDay += 86_400_000
            days -= 1
        }
        let (y, m, d) = civil(fromDays: days)
        let h = msOfDay / 3_600_000
        let mi = (msOfDay / 60_000) % 60
        let s = (msOfDay / 1000) % 60
        let ms = msOfDay % 1000
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(ms, 3))Z"
    }

    /// Accepts `YYYY-MM-DD`, optionally followed by `T` or a space, `HH:MM[:SS[.fff]]` and `Z` or `±HH[:]MM`.
    /// A time without a zone is read as UTC.
    static func parse(_ text: String) -> Date? {
        let chars = Array(text.trimmingCharacters(in: .whitespaces).utf8)
        var i = 0
        func number(_ count: Int) -> Int64? {
            guard i + count <= chars.count else { return nil }
            var v: Int64 = 0
            for k in i..<(i + count) {
                let c = chars[k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            i += count
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < chars.count, chars[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = number(4), expect(45), let mo = number(2), expect(45), let d = number(2) else { return nil }
        guard (1...12).contains(mo), (1...daysIn(month: mo, year: y)).contains(d) else { return nil }
        var h: Int64 = 0, mi: Int64 = 0, s: Int64 = 0, ms: Int64 = 0, offset: Int64 = 0
        if i < chars.count {
            guard chars[i] == 84 || chars[i] == 32 else { return nil }  // 'T' or ' '
            i += 1
            guard let hh = number(2), expect(58), let mm = number(2) else { return nil }
            h = hh
            mi = mm
            if expect(58) {
                guard let ss = number(2) else { return nil }
                s = ss
                if expect(46) {
                    var digits = 0
                    var frac: Int64 = 0
                    while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                        if digits < 3 { frac = frac * 10 + Int64(chars[i] - 48) }
                        digits += 1
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    if digits < 3 { for _ in digits..<3 { frac *= 10 } }
                    ms = frac
                }
            }
            guard h < 24, mi < 60, s < 60 else { return nil }
            if i < chars.count {
                if expect(90) {  // 'Z'
                } else if chars[i] == 43 || chars[i] == 45 {  // '+' / '-'
                    let sign: Int64 = chars[i] == 45 ? -1 : 1
                    i += 1
                    guard let oh = number(2) else { return nil }
                    _ = expect(58)
                    guard let om = number(2) else { return nil }
                    offset = sign * (oh * 60 + om)
                } else {
                    return nil
                }
            }
            guard i == chars.count else { return nil }
        }
        let days = daysFromCivil(y, mo, d)
        let totalMs = (((days * 24 + h) * 60 + mi - offset) * 60 + s) * 1000 + ms
        return Date(timeIntervalSince1970: Double(totalMs) / 1000)
    }

    private static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's days-from-civil algorithms.
    private static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
