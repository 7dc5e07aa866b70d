import Foundation
import Testing
@testable import Server

@Suite struct AccessLogEntryTests {
    private func head(_ text: String) throws -> RequestHead {
        var parser = RequestParser()
        return try #require(try parser.parse(Array(text.utf8), from: 0))
    }

    private let time = Array("21/Nov/2026:13:55:36 +0000".utf8)

    @Test func combinedFormatWithEveryField() throws {
        var entry = AccessLogEntry(head: try head(
            "POST /a?b=c HTTP/1.0\r\nReferer: http://r/\r\nUser-Agent: ua/1\r\nAuthorization: Basic Ym9iOnB3\r\n\r\n"))
        entry.status = 201
        #expect(entry.line(remoteAddress: "::1", time: time, bodyBytes: 42).text
                == #"::1 - bob [21/Nov/2026:13:55:36 +0000] "POST /a?b=c HTTP/1.0" 201 42 "http://r/" "ua/1""#)
    }

    @Test func absentFieldsAreDashesAndNoStatusIs499() throws {
        let entry = AccessLogEntry(head: try head("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(entry.line(remoteAddress: "1.2.3.4", time: time, bodyBytes: 0).text
                == #"1.2.3.4 - - [21/Nov/2026:13:55:36 +0000] "GET / HTTP/1.1" 499 0 "-" "-""#)
    }

    /// Quotes, backslashes, controls and non-ASCII bytes cannot end a field or forge a line.
    @Test func clientBytesAreEscaped() throws {
        var entry = AccessLogEntry(head: try head("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\"b\\cé\r\n\r\n"))
        entry.status = 200
        let line = entry.line(remoteAddress: "h", time: time, bodyBytes: 1).text
        #expect(line.hasSuffix(#" "-" "a\x22b\x5Cc\xC3\xA9""#), "\(line)")
        var unparsed = AccessLogEntry(unparsed: ArraySlice(Array("BAD \"x\u{1}\r\nHost: y\r\n\r\n".utf8)))
        unparsed.status = 400
        #expect(unparsed.line(remoteAddress: "h", time: time, bodyBytes: 0).text
                == #"h - - [21/Nov/2026:13:55:36 +0000] "BAD \x22x\x01" 400 0 "-" "-""#)
    }

    @Test func unparsedLineIsCutAtOneKibibyte() {
        let entry = AccessLogEntry(unparsed: ArraySlice(Array(repeating: UInt8(ascii: "a"), count: 5000)))
        #expect(entry.line(remoteAddress: "h", time: time, bodyBytes: 0).text.filter { $0 == "a" }.count == 1024)
    }

    @Test func localTimeIsNginxTimeLocal() {
        let text = LogTime.accessLog(0).text
        #expect(text.range(of: #"^\d\d/[A-Z][a-z]{2}/19(69|70):\d\d:\d\d:\d\d [+-]\d{4}$"#, options: .regularExpression) != nil,
                "\(text)")
    }
}

private extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}

@Suite struct AccessLogExactBytesTests {
    @Test func invalidUTF8InAFieldIsLoggedAsItsBytes() throws {
        var parser = RequestParser()
        let bytes = [UInt8]("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: ".utf8) + [0xFF, 0xC3, 0x28] + [UInt8]("\r\n\r\n".utf8)
        var entry = AccessLogEntry(head: try #require(try parser.parse(bytes, from: 0)))
        entry.status = 200
        let line = String(decoding: entry.line(remoteAddress: "h", time: [], bodyBytes: 0), as: UTF8.self)
        #expect(line.hasSuffix(#""-" "\xFF\xC3(""#), "\(line)")
    }
}
