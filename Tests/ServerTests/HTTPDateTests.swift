import Testing
@testable import Server

@Suite struct HTTPDateTests {
    static let known: [(Int, String)] = [
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
        (1_078_012_800, "Sun, 29 Feb 2004 00:00:00 GMT"),
        (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
        (2_147_483_647, "Tue, 19 Jan 2038 03:14:07 GMT"),
        (2_147_483_648, "Tue, 19 Jan 2038 03:14:08 GMT"),
        (1_700_000_000, "Tue, 14 Nov 2023 22:13:20 GMT"),
        (946_684_799, "Fri, 31 Dec 1999 23:59:59 GMT"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
        (-86_400 * 365, "Wed, 01 Jan 1969 00:00:00 GMT"),
        (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
    ]

    @Test(arguments: known)
    func formatsIMFFixdate(_ seconds: Int, _ text: String) {
        #expect(HTTPDate.format(seconds) == text)
        #expect(HTTPDate.format(seconds).utf8.count == 29)
    }

    @Test(arguments: known)
    func parsesWhatItFormats(_ seconds: Int, _ text: String) {
        #expect(HTTPDate.parse(text) == seconds)
    }

    @Test func outOfRangeInstantsAreClampedToFourDigitYears() {
        #expect(HTTPDate.format(Int.max) == "Fri, 31 Dec 9999 23:59:59 GMT")
        #expect(HTTPDate.format(Int.min) == "Mon, 01 Jan 0001 00:00:00 GMT")
    }

    @Test func everyDayAcrossThreeCenturyBoundariesRoundTrips() {
        var seconds = HTTPDate.daysFromCivil(year: 1896, month: 1, day: 1) * 86_400 + 45_296
        var previousDay = -1
        while seconds < HTTPDate.daysFromCivil(year: 2104, month: 1, day: 1) * 86_400 {
            let day = HTTPDate.components(seconds).day
            let text = HTTPDate.format(seconds)
            guard day == previousDay + 1 || day == 1, HTTPDate.parse(text) == seconds else {
                Issue.record("calendar broken at \(seconds): \(text)")
                return
            }
            previousDay = day
            seconds += 86_400
        }
    }

    static let obsolete: [(String, Int)] = [
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("Thu Jan  1 00:00:00 1970", 0),
        ("Tue Feb 29 12:00:00 2000", 951_825_600),
        ("Wednesday, 19-Jan-28 03:14:07 GMT", 1_831_864_447),
        ("  Sun, 06 Nov 1994 08:49:37 GMT\t", 784_111_777),
    ]

    @Test(arguments: obsolete)
    func parsesObsoleteForms(_ text: String, _ seconds: Int) {
        #expect(HTTPDate.parse(text, currentYear: 2025) == seconds)
    }

    @Test func twoDigitYearsFarAheadBelongToThePreviousCentury() {
        // RFC 9110 §5.6.7: more than 50 years in the future means the most recent matching past year.
        #expect(HTTPDate.parse("Sunday, 06-Nov-94 08:49:37 GMT", currentYear: 2025) == 784_111_777)
        #expect(HTTPDate.parse("Thursday, 01-Jan-76 00:00:00 GMT", currentYear: 2025) == 189_302_400)
        #expect(HTTPDate.parse("Tuesday, 01-Jan-75 00:00:00 GMT", currentYear: 2025) == 3_313_526_400)
        #expect(HTTPDate.parse("Saturday, 01-Jan-50 00:00:00 GMT", currentYear: 2025)
                == HTTPDate.daysFromCivil(year: 2050, month: 1, day: 1) * 86_400)
        #expect(HTTPDate.parse("Wednesday, 01-Jan-10 00:00:00 GMT", currentYear: 2090)
                == HTTPDate.daysFromCivil(year: 2110, month: 1, day: 1) * 86_400)
        #expect(HTTPDate.parse("Thursday, 01-Jan-70 00:00:00 GMT", currentYear: 2060)
                == HTTPDate.daysFromCivil(year: 2070, month: 1, day: 1) * 86_400)
    }

    static let invalid: [String] = [
        "", "garbage", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 29 Feb 1900 00:00:00 GMT", "Sun, 29 Feb 2001 00:00:00 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 06 Nov 1994 08:49:61 GMT", "Sun, 06 Nov 1994 08-49-37 GMT", "Sun, 06 Nov 0000 00:00:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT extra", "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37", "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94",
        "Sun Nov 0x 08:49:37 1994", "Sun, 06 Nov 1994 +8:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMTX",
    ]

    @Test(arguments: invalid)
    func invalidDatesAreNil(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}
