import Glibc

/// IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
public enum HTTPDate {
    /// A broken-down UTC time; `weekday` 0 is Sunday.
    struct Components: Equatable {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int
    }

    static let dayNames: [String] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let monthNames: [[UInt8]] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                        "Nov", "Dec"].map { Array($0.utf8) }
    private static let shortDayNames: [[UInt8]] = dayNames.map { Array($0.utf8.prefix(3)) }
    private static let longDayNames: [[UInt8]] = dayNames.map { Array($0.utf8) }

    /// Years 1 to 9999 keep every formatted date 29 bytes long; later or earlier instants are clamped.
    static let earliest = -62_135_596_800
    static let latest = 253_402_300_799

    /// Formats seconds since the epoch.
    public static func format(_ secondsSinceEpoch: Int) -> String {
        let c = components(secondsSinceEpoch)
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: shortDayNames[c.weekday])
        out.append(UInt8(ascii: ","))
        out.append(UInt8(ascii: " "))
        appendDigits(c.day, width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: monthNames[c.month - 1])
        out.append(UInt8(ascii: " "))
        appendDigits(c.year, width: 4, to: &out)
        out.append(UInt8(ascii: " "))
        appendDigits(c.hour, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(c.minute, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(c.second, width: 2, to: &out)
        out.append(contentsOf: " GMT".utf8)
        return String(decoding: out, as: UTF8.self)
    }

    /// Parses IMF-fixdate and the two obsolete forms (RFC 850, asctime); nil when invalid.
    /// The day name is checked for spelling, not against the date (as nginx and Apache do).
    public static func parse(_ text: String) -> Int? {
        parse(text, currentYear: components(Int(time(nil))).year)
    }

    /// `currentYear` decides the century of RFC 850's two-digit years (RFC 9110 §5.6.7).
    static func parse(_ text: String, currentYear: Int) -> Int? {
        var text = text
        return text.withUTF8 { all -> Int? in
            var start = 0, end = all.count
            while start < end && (all[start] == 0x20 || all[start] == 0x09) { start += 1 }
            while end > start && (all[end - 1] == 0x20 || all[end - 1] == 0x09) { end -= 1 }
            let b = UnsafeBufferPointer(rebasing: all[start..<end])
            if b.count == 29 && b[3] == UInt8(ascii: ",") { return parseIMFFixdate(b) }
            if b.count == 24 && b[3] == UInt8(ascii: " ") { return parseAsctime(b) }
            return parseRFC850(b, currentYear: currentYear)
        }
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT`
    private static func parseIMFFixdate(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard matches(b, at: 0, oneOf: shortDayNames) != nil, b[4] == UInt8(ascii: " "),
              let day = digits(b, at: 5, count: 2), b[7] == UInt8(ascii: " "),
              let month = matches(b, at: 8, oneOf: monthNames), b[11] == UInt8(ascii: " "),
              let year = digits(b, at: 12, count: 4), b[16] == UInt8(ascii: " "),
              let time = timeOfDay(b, at: 17), literal(" GMT", in: b, at: 25)
        else { return nil }
        return seconds(year: year, month: month + 1, day: day, timeOfDay: time)
    }

    /// `Sunday, 06-Nov-94 08:49:37 GMT`
    private static func parseRFC850(_ b: UnsafeBufferPointer<UInt8>, currentYear: Int) -> Int? {
        guard let weekday = matches(b, at: 0, oneOf: longDayNames) else { return nil }
        let p = longDayNames[weekday].count
        guard b.count == p + 24, literal(", ", in: b, at: p),
              let day = digits(b, at: p + 2, count: 2), b[p + 4] == UInt8(ascii: "-"),
              let month = matches(b, at: p + 5, oneOf: monthNames), b[p + 8] == UInt8(ascii: "-"),
              let shortYear = digits(b, at: p + 9, count: 2), b[p + 11] == UInt8(ascii: " "),
              let time = timeOfDay(b, at: p + 12), literal(" GMT", in: b, at: p + 20)
        else { return nil }
        // RFC 9110 §5.6.7: a two-digit year more than 50 years ahead belongs to the previous century.
        var year = currentYear - currentYear % 100 + shortYear
        if year > currentYear + 50 { year -= 100 } else if year <= currentYear - 50 { year += 100 }
        return seconds(year: year, month: month + 1, day: day, timeOfDay: time)
    }

    /// `Sun Nov  6 08:49:37 1994` (the day is space-padded)
    private static func parseAsctime(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard matches(b, at: 0, oneOf: shortDayNames) != nil,
              let month = matches(b, at: 4, oneOf: monthNames), b[7] == UInt8(ascii: " ")
        else { return nil }
        let day: Int
        if b[8] == UInt8(ascii: " "), let units = digits(b, at: 9, count: 1) {
            day = units
        } else if let both = digits(b, at: 8, count: 2) {
            day = both
        } else {
            return nil
        }
        guard b[10] == UInt8(ascii: " "), let time = timeOfDay(b, at: 11), b[19] == UInt8(ascii: " "),
              let year = digits(b, at: 20, count: 4)
        else { return nil }
        return seconds(year: year, month: month + 1, day: day, timeOfDay: time)
    }

    /// `hh:mm:ss` as seconds into the day; a leap second (60) is accepted as the grammar allows.
    private static func timeOfDay(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        guard let h = digits(b, at: i, count: 2), b[i + 2] == UInt8(ascii: ":"),
              let m = digits(b, at: i + 3, count: 2), b[i + 5] == UInt8(ascii: ":"),
              let s = digits(b, at: i + 6, count: 2), h < 24, m < 60, s <= 60
        else { return nil }
        return h * 3600 + m * 60 + s
    }

    private static func seconds(year: Int, month: Int, day: Int, timeOfDay: Int) -> Int? {
        guard year >= 1, day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + timeOfDay
    }

    private static func digits(_ b: UnsafeBufferPointer<UInt8>, at i: Int, count: Int) -> Int? {
        guard i + count <= b.count else { return nil }
        var value = 0
        for j in i..<(i + count) {
            let d = b[j] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            value = value * 10 + Int(d)
        }
        return value
    }

    /// The index of the name found at `i` (case-sensitive, as RFC 9110's %s"..." grammar says), or nil.
    private static func matches(_ b: UnsafeBufferPointer<UInt8>, at i: Int, oneOf names: [[UInt8]]) -> Int? {
        for (index, name) in names.enumerated()
        where i + name.count <= b.count && b[i..<(i + name.count)].elementsEqual(name) {
            return index
        }
        return nil
    }

    private static func literal(_ text: StaticString, in b: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        let count = text.utf8CodeUnitCount
        guard i + count <= b.count else { return false }
        return text.withUTF8Buffer { b[i..<(i + count)].elementsEqual($0) }
    }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        case 1...12: return 31
        default: return 0
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// UTC calendar fields of an instant (H. Hinnant's civil_from_days), clamped to years 1...9999.
    static func components(_ secondsSinceEpoch: Int) -> Components {
        let t = min(max(secondsSinceEpoch, earliest), latest)
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secondOfDay = t - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // 1970-01-01 was a Thursday (4).
        let weekday = ((days % 7) + 11) % 7
        return Components(year: year, month: month, day: day, hour: secondOfDay / 3600,
                          minute: secondOfDay % 3600 / 60, second: secondOfDay % 60, weekday: weekday)
    }

    static func appendDigits(_ value: Int, width: Int, to out: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
            rest %= divisor
            divisor /= 10
        }
    }
}
