#if canImport(Glibc)
import Glibc
#endif

/// Local-time stamps for the logs, as nginx writes them. The time zone is read once at start-up
/// (`Server.init` calls tzset()), so localtime_r() opens no file behind select().
enum LogTime {
    /// `21/Nov/2026:13:55:36 +0100`: the access log's `$time_local`.
    static func accessLog(_ seconds: time_t) -> [UInt8] {
        let t = local(seconds)
        var out: [UInt8] = []
        HTTPDate.appendDigits(Int(t.tm_mday), width: 2, to: &out)
        out.append(UInt8(ascii: "/"))
        out.append(contentsOf: HTTPDate.monthNames[Int(t.tm_mon)])
        out.append(UInt8(ascii: "/"))
        HTTPDate.appendDigits(Int(t.tm_year) + 1900, width: 4, to: &out)
        out.append(UInt8(ascii: ":"))
        appendClock(t, to: &out)
        let offset = t.tm_gmtoff / 60
        out.append(UInt8(ascii: offset < 0 ? "-" : "+"))
        HTTPDate.appendDigits(abs(offset) / 60, width: 2, to: &out)
        HTTPDate.appendDigits(abs(offset) % 60, width: 2, to: &out)
        return out
    }

    /// `2026/11/21 13:55:36 `: the error log's line prefix.
    static func errorLog(_ seconds: time_t) -> [UInt8] {
        let t = local(seconds)
        var out: [UInt8] = []
        HTTPDate.appendDigits(Int(t.tm_year) + 1900, width: 4, to: &out)
        out.append(UInt8(ascii: "/"))
        HTTPDate.appendDigits(Int(t.tm_mon) + 1, width: 2, to: &out)
        out.append(UInt8(ascii: "/"))
        HTTPDate.appendDigits(Int(t.tm_mday), width: 2, to: &out)
        out.append(UInt8(ascii: " "))
        appendClock(t, to: &out)
        return out
    }

    /// `13:55:36 `
    private static func appendClock(_ t: tm, to out: inout [UInt8]) {
        HTTPDate.appendDigits(Int(t.tm_hour), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        HTTPDate.appendDigits(Int(t.tm_min), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        HTTPDate.appendDigits(Int(t.tm_sec), width: 2, to: &out)
        out.append(UInt8(ascii: " "))
    }

    private static func local(_ seconds: time_t) -> tm {
        var clock = seconds
        var parts = tm()
        localtime_r(&clock, &parts)
        return parts
    }
}
