import Foundation
import Testing
@testable import Server

/// What feeding a request head produced, flattened so that whole, split and byte-wise runs compare with `==`.
enum ParseOutcome: Equatable, CustomStringConvertible {
    /// "METHOD TARGET HTTP/x.y | Name: value | … | length=N"; an unknown method is prefixed with "?".
    case head(String)
    case failed(Int)
    case incomplete

    var description: String {
        switch self {
        case .head(let summary): return summary
        case .failed(let code): return "status \(code)"
        case .incomplete: return "incomplete"
        }
    }

    init(_ head: RequestHead) {
        var parts = ["\(head.method == nil ? "?" : "")\(head.methodToken) \(head.target) "
            + "HTTP/\(head.version.major).\(head.version.minor)"]
        head.headers.forEach { name, value in parts.append("\(name): \(value)") }
        parts.append("length=\(head.headLength)")
        self = .head(parts.joined(separator: " | "))
    }
}

/// One row of the parser table: bytes in, expected outcome, limits it runs under.
struct ParserCase: Sendable, CustomTestStringConvertible {
    let input: [UInt8]
    let expected: ParseOutcome
    let limits: RequestParser.Limits
    let label: String

    /// A head expected to parse; `length` defaults to the whole input.
    static func head(_ input: [UInt8], _ line: String, _ fields: [String] = ["Host: a"], length: Int? = nil,
                     limits: RequestParser.Limits = .init(), _ label: String = "") -> ParserCase {
        let summary = ([line] + fields + ["length=\(length ?? input.count)"]).joined(separator: " | ")
        return ParserCase(input: input, expected: .head(summary), limits: limits, label: label)
    }

    static func head(_ input: String, _ line: String, _ fields: [String] = ["Host: a"], length: Int? = nil,
                     limits: RequestParser.Limits = .init()) -> ParserCase {
        head(Array(input.utf8), line, fields, length: length, limits: limits, escaped(input))
    }

    static func status(_ input: [UInt8], _ code: Int, limits: RequestParser.Limits = .init(),
                       _ label: String = "") -> ParserCase {
        ParserCase(input: input, expected: .failed(code), limits: limits, label: label)
    }

    static func status(_ input: String, _ code: Int, limits: RequestParser.Limits = .init()) -> ParserCase {
        status(Array(input.utf8), code, limits: limits, escaped(input))
    }

    static func incomplete(_ input: String, limits: RequestParser.Limits = .init()) -> ParserCase {
        ParserCase(input: Array(input.utf8), expected: .incomplete, limits: limits, label: escaped(input))
    }

    var testDescription: String {
        let outcome = "\(expected)"
        let shown = outcome.count > 80 ? outcome.prefix(80) + "…" : Substring(outcome)
        return "\(label.isEmpty ? "\(input.count) bytes" : label) → \(shown)"
    }

    static func escaped(_ text: String) -> String {
        let shown = text.count > 60 ? String(text.prefix(60)) + "…(\(text.utf8.count) bytes)" : text
        return shown.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }
}

/// Feeds `input` cut at `cuts`, moving the head to a different offset of a fresh buffer between calls as a
/// compacting caller would; returns at the first head or error.
func feedParser(_ input: [UInt8], cuts: [Int], limits: RequestParser.Limits) -> ParseOutcome {
    var parser = RequestParser(limits: limits)
    var buffer: [UInt8] = Array("GE".utf8)
    var start = buffer.count
    var offset = 0
    for (call, end) in (cuts + [input.count]).enumerated() {
        buffer += input[offset..<end]
        offset = end
        do {
            if let head = try parser.parse(buffer, from: start) { return ParseOutcome(head) }
        } catch {
            return .failed(error.status.code)
        }
        if call % 64 == 0 {
            let prefix = [UInt8](repeating: 0x20, count: call % 3)
            buffer = prefix + buffer[start...]
            start = prefix.count
        }
    }
    return .incomplete
}

/// Every offset for small inputs; for large ones a stride plus the neighbourhood of each limit.
func splitOffsets(_ count: Int) -> [Int] {
    guard count > 2048 else { return Array(1..<max(count, 1)) }
    var offsets = Set(stride(from: 1, to: count, by: 257))
    for edge in [1, 2, 3, 4096, 8190, 8191, 8192, 8193, 8194, 32766, 32767, 32768, 32769, count - 2, count - 1]
    where edge > 0 && edge < count {
        offsets.insert(edge)
    }
    return offsets.sorted()
}

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

private func limits(line: Int = 8192, field: Int = 8192, section: Int = 32768, count: Int = 100)
    -> RequestParser.Limits {
    var limits = RequestParser.Limits()
    limits.requestLine = line
    limits.headerLine = field
    limits.headerSection = section
    limits.fieldCount = count
    return limits
}

/// A request whose line is "GET /aaa… HTTP/1.1" of exactly `length` bytes.
private func requestLine(length: Int) -> String {
    "GET /" + String(repeating: "a", count: length - 14) + " HTTP/1.1"
}

/// Field lines ("Host: a" first) totalling exactly `bytes` with CRLFs, each line under 8192 bytes.
private func fieldSection(bytes: Int) -> (text: String, fields: [String]) {
    var text = "Host: a\r\n"
    var fields = ["Host: a"]
    var left = bytes - text.utf8.count
    var n = 0
    while left > 0 {
        let lineBytes = min(left, 8000)
        let value = String(repeating: "v", count: lineBytes - 5)
        text += "\(n): \(value)\r\n"
        fields.append("\(n): \(value)")
        left -= lineBytes
        n += 1
    }
    return (text, fields)
}

private func manyFields(_ count: Int) -> (text: String, fields: [String]) {
    var text = "Host: a\r\n"
    var fields = ["Host: a"]
    for i in 1..<count {
        text += "F\(i): \(i)\r\n"
        fields.append("F\(i): \(i)")
    }
    return (text, fields)
}

@Suite struct RequestParserTests {
    static let small = limits(line: 20, field: 16, section: 40, count: 3)

    static let cases: [ParserCase] = [
        // Request line and framing of lines.
        .head("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1"),
        .head("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /next HTTP/1.1\r\n", "GET / HTTP/1.1", length: 27),
        .head("GET / HTTP/1.1\nHost: a\n\n", "GET / HTTP/1.1"),
        .head("GET / HTTP/1.1\r\nHost: a\n\r\n", "GET / HTTP/1.1"),
        .head("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1"),
        .head("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1"),
        .status("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1\rHost: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a b/c\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: user@h\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400),
        .head("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", "GET / HTTP/1.1", ["Host: [::1]:80"]),
        .status("GET / HTTP/1.1\r\nHost: a\r\n\rX", 400),
        // Methods: any tchar token parses; only known ones get a Method.
        .head("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", "DELETE /x HTTP/1.1"),
        .head("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", "?BREW /pot HTTP/1.1"),
        .head("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n", "?M-SEARCH * HTTP/1.1"),
        .head("get / HTTP/1.1\r\nHost: a\r\n\r\n", "?get / HTTP/1.1"),
        .status("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET\r\nHost: a\r\n\r\n", 400),
        // Exactly one SP around the target.
        .status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
        .status("GET \r\nHost: a\r\n\r\n", 400),
        // Targets: visible ASCII only.
        .head("GET http://example.com/x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n", "GET http://example.com/x?y=1 HTTP/1.1"),
        .head("GET /~!$&'()*+,;=:@%20[]{}|\\^`\"<> HTTP/1.1\r\nHost: a\r\n\r\n",
              "GET /~!$&'()*+,;=:@%20[]{}|\\^`\"<> HTTP/1.1"),
        .status("GET /a\u{7F}b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET /caf\u{E9} HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status(b("GET /") + [0xFF] + b(" HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "GET /\\xFF"),
        .status("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET /a\u{0}b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        // Versions (RFC 9112 §2.3, RFC 9110 §2.5).
        .head("GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.0", []),
        .head("GET / HTTP/1.0\r\nHost: a\r\n\r\n", "GET / HTTP/1.0"),
        .head("GET / HTTP/1.2\r\nHost: a\r\n\r\n", "GET / HTTP/1.1"),
        .head("GET / HTTP/1.9\r\nHost: a\r\n\r\n", "GET / HTTP/1.1"),
        .status("GET / HTTP/1.2\r\n\r\n", 400),
        .status("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        .status("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
        .status("GET / HTTP/9.9\r\nHost: a\r\n\r\n", 505),
        .status("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 400),
        .status("GET /\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400),
        .status("GET / http/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTP/1\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTP/2\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTP/11\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTP/a.1\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", 400),
        // Field lines (RFC 9112 §5).
        .head("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n", "GET / HTTP/1.1", ["Host: a", "X-A: 1", "x-a: 2"]),
        .head("GET / HTTP/1.1\r\nHost:a\r\nX:   a b \t\r\n\r\n", "GET / HTTP/1.1", ["Host: a", "X: a b"]),
        .head("GET / HTTP/1.1\r\nHost: a\r\nX:\r\nY:  \t \r\n\r\n", "GET / HTTP/1.1", ["Host: a", "X: ", "Y: "]),
        .head("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n", "GET / HTTP/1.1", ["Host: a", "X: a\tb"]),
        .head("GET / HTTP/1.1\r\nHost: a\r\nX: caf\u{E9}\r\n\r\n", "GET / HTTP/1.1", ["Host: a", "X: caf\u{E9}"]),
        .head("GET / HTTP/1.1\r\nHOST: a\r\n\r\n", "GET / HTTP/1.1", ["HOST: a"]),
        .status("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n folded\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\tfolded\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nH\u{E9}st: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7F}\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1F}\r\n\r\n", 400),
        // Host (RFC 9112 §3.2).
        .status("GET / HTTP/1.1\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHostx: a\r\n\r\n", 400),
        .status("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400),
        .status("GET / HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", 400),
        // Not finished yet.
        .incomplete("GET / HTTP/1.1\r\nHost: a\r\n"),
        .incomplete("GET / HTTP/1.1\r\nHost: a\r\n\r"),
        .incomplete("\r\n"),
        // Limits, scaled down: line 20, field line 16, section 40, 3 fields.
        .head("GET /123456 HTTP/1.1\r\nHost: a\r\n\r\n", "GET /123456 HTTP/1.1", limits: small),
        .head("\r\nGET /123456 HTTP/1.1\nHost: a\n\n", "GET /123456 HTTP/1.1", limits: small),
        .status("GET /1234567 HTTP/1.1\r\nHost: a\r\n\r\n", 414, limits: small),
        .status("GET /12345678901234567", 414, limits: small),
        .status("ABCDEFGHIJKLMNOPQRSTU", 414, limits: small),
        .incomplete("GET /123456 HTTP/1.1", limits: small),
        .head("GET / HTTP/1.1\r\nHost: a\r\nX: 1234567890123\r\n\r\n", "GET / HTTP/1.1",
              ["Host: a", "X: 1234567890123"], limits: small),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: 12345678901234\r\n\r\n", 431, limits: small),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: 123456789012   \r\n\r\n", 431, limits: small),
        .status("GET / HTTP/1.1\r\nHost: a\r\nXxxxxxxxxxxxxxxxx: 1\r\n\r\n", 431, limits: small),
        .head("GET / HTTP/1.1\r\nHost: a\r\nX: 12345678901\r\nY: 1234567890\r\n\r\n", "GET / HTTP/1.1",
              ["Host: a", "X: 12345678901", "Y: 1234567890"], limits: small),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: 12345678901\r\nY: 12345678901\r\n\r\n", 431, limits: small),
        .head("GET / HTTP/1.1\nHost: a\nX: 12345678901\nY: 1234567890123\n\n", "GET / HTTP/1.1",
              ["Host: a", "X: 12345678901", "Y: 1234567890123"], limits: small),
        .status("GET / HTTP/1.1\nHost: a\nX: 123456789012\nY: 1234567890123\n\n", 431, limits: small),
        .head("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\n\r\n", "GET / HTTP/1.1", ["Host: a", "X: 1", "Y: 2"],
              limits: small),
        .status("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nY: 2\r\nZ: 3\r\n\r\n", 431, limits: small),
    ]

    /// The brief's limits at full size: exactly at each limit, and one byte past it.
    static let thresholdCases: [ParserCase] = {
        let atLine = requestLine(length: 8192)
        let pastLine = requestLine(length: 8193)
        let longValue = String(repeating: "v", count: 8189)
        let atSection = fieldSection(bytes: 32768)
        let pastSection = fieldSection(bytes: 32769)
        let hundred = manyFields(100)
        let hundredAndOne = manyFields(101)
        return [
            .head(b(atLine + "\r\nHost: a\r\n\r\n"), atLine, limits: .init(), "request line of 8192 bytes"),
            .status(b(pastLine + "\r\nHost: a\r\n\r\n"), 414, "request line of 8193 bytes"),
            .status(b(String(pastLine.prefix(8193))), 414, "8193 request-line bytes, no line end yet"),
            ParserCase(input: b(String(atLine.prefix(8192))), expected: .incomplete, limits: .init(),
                       label: "8192 request-line bytes, no line end yet"),
            .head(b("GET / HTTP/1.1\r\nHost: a\r\nX: \(longValue)\r\n\r\n"), "GET / HTTP/1.1",
                  ["Host: a", "X: \(longValue)"], limits: .init(), "field line of 8192 bytes"),
            .status(b("GET / HTTP/1.1\r\nHost: a\r\nX: \(longValue)v\r\n\r\n"), 431, "field line of 8193 bytes"),
            .head(b("GET / HTTP/1.1\r\n" + atSection.text + "\r\n"), "GET / HTTP/1.1", atSection.fields,
                  limits: .init(), "header section of 32768 bytes"),
            .status(b("GET / HTTP/1.1\r\n" + pastSection.text + "\r\n"), 431, "header section of 32769 bytes"),
            .head(b("GET / HTTP/1.1\r\n" + hundred.text + "\r\n"), "GET / HTTP/1.1", hundred.fields,
                  limits: .init(), "100 fields"),
            .status(b("GET / HTTP/1.1\r\n" + hundredAndOne.text + "\r\n"), 431, "101 fields"),
        ]
    }()

    @Test(arguments: cases + thresholdCases)
    func parsesTheSameWholeSplitAndByteByByte(_ c: ParserCase) {
        let whole = feedParser(c.input, cuts: [], limits: c.limits)
        #expect(whole == c.expected)

        let splitMismatches = splitOffsets(c.input.count).filter {
            feedParser(c.input, cuts: [$0], limits: c.limits) != c.expected
        }
        #expect(splitMismatches.isEmpty, "differs when split at offsets \(splitMismatches.prefix(10))")

        let byteByByte = feedParser(c.input, cuts: Array(1..<max(c.input.count, 1)), limits: c.limits)
        #expect(byteByByte == c.expected)
    }

    @Test func tokenCharactersAreExactlyRFC9110Tchar() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        let wrong = (0...255).map(UInt8.init).filter { isTokenChar($0) != tchar.contains($0) }
        #expect(wrong.isEmpty)
    }

    @Test func knownMethodsAreRecognisedAndTargetKeptVerbatim() throws {
        for method in Method.allCases {
            var parser = RequestParser()
            let head = try #require(try parser.parse(b("\(method.name) /a%20b?c HTTP/1.1\r\nHost: h\r\n\r\n"),
                                                     from: 0))
            #expect(head.method == method)
            #expect(head.methodToken == method.name)
            #expect(head.target == "/a%20b?c")
        }
    }

    @Test func headEndsExactlyBeforePipelinedBytes() throws {
        let first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
        let buffer = b(first + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n")
        var parser = RequestParser()
        let head = try #require(try parser.parse(buffer, from: 0))
        #expect(head.headLength == first.utf8.count)
        var next = RequestParser()
        let second = try #require(try next.parse(buffer, from: head.headLength))
        #expect(second.target == "/2")
        #expect(second.headLength == buffer.count - first.utf8.count)
    }

    /// Which heads may be served a ready answer before their head is built: a GET with no body, condition or
    /// range (`If-` names the server does not know count as conditions: that costs only speed).
    static let plainGetCases: [(head: String, plain: Bool)] = [
        ("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", true),
        ("GET /a HTTP/1.0\r\n\r\n", true),
        ("GET /a HTTP/1.1\r\nHost: h\r\nUser-Agent: u\r\nAccept: */*\r\nReferer: r\r\nConnection: close\r\n\r\n", true),
        ("GET /a HTTP/1.1\r\nHost: h\r\nAuthorization: Basic eDp5\r\nRefresh: 1\r\n\r\n", true),
        ("HEAD /a HTTP/1.1\r\nHost: h\r\n\r\n", false),
        ("get /a HTTP/1.1\r\nHost: h\r\n\r\n", false),
        ("GETS /a HTTP/1.1\r\nHost: h\r\n\r\n", false),
        ("POST /a HTTP/1.1\r\nHost: h\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\ntransfer-encoding: chunked\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\nIf-None-Match: \"x\"\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\nIF-MODIFIED-SINCE: x\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\nIf-Match: *\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\nIf-Unmodified-Since: x\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\nIf-Range: x\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\n\r\n", false),
        ("GET /a HTTP/1.1\r\nHost: h\r\nIf-Schedule-Tag-Match: x\r\n\r\n", false),
    ]

    @Test(arguments: plainGetCases)
    func plainGetIsAGetWithNoBodyConditionOrRange(_ text: String, _ plain: Bool) throws {
        let bytes = b(text)
        var parser = RequestParser()
        let length = try bytes.withUnsafeBufferPointer { try parser.scan($0) }
        #expect(length == bytes.count)
        let get = parser.plainGet
        #expect((get != nil) == plain)
        let head = parser.head(in: bytes, from: 0, length: bytes.count)
        #expect(HotResponses.mayAnswer(head) || !plain)
        guard let get else { return }
        #expect(Array(bytes[get.target]) == Array(head.target.utf8))
        #expect(Array(bytes[get.host]) == Array(head.headers.rawValue(named: "host") ?? []))
        #expect(get.wantsKeepAlive == head.wantsKeepAlive)
        bytes.withUnsafeBytes { raw in
            #expect(get.value(named: "referer", in: raw).map(Array.init) == head.headers.rawValue(named: "referer").map(Array.init))
            #expect(get.value(named: "authorization", in: raw).map { String(decoding: $0, as: UTF8.self) } == head.headers["authorization"])
        }
    }

    @Test func scanInPlaceResumesOnTheSameBytesAndRepeatsItsLength() throws {
        let bytes = b("GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
        var parser = RequestParser()
        #expect(try bytes.withUnsafeBufferPointer { try parser.scan(UnsafeBufferPointer(rebasing: $0[..<9])) } == nil)
        #expect(parser.plainGet == nil)
        #expect(try parser.scan(bytes, from: 0) == bytes.count)
        #expect(try parser.scan(bytes, from: 0) == bytes.count)
        #expect(parser.plainGet?.target == 4..<6)
    }
}
