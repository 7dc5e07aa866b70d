import Testing
@testable import Server

/// What parsing a script's output produced, flattened so that whole, split and byte-wise runs compare with `==`.
enum CGIOutcome: Equatable, CustomStringConvertible {
    /// "kind | status | type=… | length=… | Name: value …", and the bytes after the header block.
    case head(String, body: String)
    case failed(Int)
    case incomplete

    var description: String {
        switch self {
        case .head(let summary, let body): return "\(summary) + body \(body.debugDescription)"
        case .failed(let code): return "status \(code)"
        case .incomplete: return "incomplete"
        }
    }

    init(_ head: CGIResponseHead, body: [UInt8]) {
        var parts: [String]
        switch head.kind {
        case .document: parts = ["document"]
        case .localRedirect(let path): parts = ["local \(path)"]
        case .clientRedirect(let url): parts = ["client \(url)"]
        }
        parts.append("\(head.status.code) \(head.status.reason)")
        parts.append("type=\(head.contentType ?? "-")")
        parts.append("length=\(head.contentLength.map { String($0) } ?? "-")")
        parts += head.headers.map { "\($0.name): \($0.value)" }
        self = .head(parts.joined(separator: " | "), body: String(decoding: body, as: UTF8.self))
    }
}

/// One row: the script's output and what it must parse to.
struct CGIResponseCase: Sendable, CustomTestStringConvertible {
    let input: [UInt8]
    let expected: CGIOutcome
    let label: String

    static func head(_ input: String, _ summary: String, body: String = "") -> CGIResponseCase {
        CGIResponseCase(input: Array(input.utf8), expected: .head(summary, body: body),
                        label: ParserCase.escaped(input))
    }

    static func badGateway(_ input: String) -> CGIResponseCase {
        CGIResponseCase(input: Array(input.utf8), expected: .failed(502), label: ParserCase.escaped(input))
    }

    static func incomplete(_ input: String) -> CGIResponseCase {
        CGIResponseCase(input: Array(input.utf8), expected: .incomplete, label: ParserCase.escaped(input))
    }

    var testDescription: String { "\(label) → \(expected)" }
}

/// Feeds `input` cut at `cuts`, each piece in a fresh buffer between junk bytes as a pipe read would land, and
/// alternating between the array and the raw-pointer entry points; the parser must keep nothing of a piece
/// but what it copied, and point at the first body byte within the piece where the block ends.
func feedCGIParser(_ input: [UInt8], cuts: [Int]) -> CGIOutcome {
    var parser = CGIResponseParser()
    var start = 0
    let ends = cuts + [input.count]
    for (call, end) in ends.enumerated() {
        let junk = [UInt8](repeating: UInt8(ascii: "#"), count: call % 3)
        let piece = junk + input[start..<end] + junk
        let range = junk.count..<(junk.count + end - start)
        start = end
        do {
            let parsed: (head: CGIResponseHead, bodyStart: Int)?
            if call % 2 == 0 {
                parsed = try parser.parse(piece, range)
            } else {
                let result = piece[range].withUnsafeBytes { bytes in
                    Result { () throws(HTTPError) in try parser.parse(bytes) }
                }
                parsed = try result.get().map { ($0.head, $0.bodyStart + range.lowerBound) }
            }
            if let parsed {
                #expect(range.contains(parsed.bodyStart) || parsed.bodyStart == range.upperBound)
                return CGIOutcome(parsed.head, body: Array(piece[parsed.bodyStart..<range.upperBound] + input[end...]))
            }
        } catch {
            return .failed(error.status.code)
        }
    }
    return .incomplete
}

@Suite struct CGIResponseParserTests {
    static let cases: [CGIResponseCase] = [
        // §6.2.1 documents; lines end in CRLF or bare LF, mixed.
        .head("Content-Type: text/html\r\n\r\n<p>hi</p>", "document | 200 OK | type=text/html | length=-",
              body: "<p>hi</p>"),
        .head("Content-Type: text/plain\n\nhi\n", "document | 200 OK | type=text/plain | length=-", body: "hi\n"),
        .head("Content-type: a/b\nX-A: 1\r\n\nz", "document | 200 OK | type=a/b | length=- | X-A: 1", body: "z"),
        .head("X-Only: 1\n\n", "document | 200 OK | type=- | length=- | X-Only: 1"),
        // The block ends at the first empty line: what follows is body, however header-like.
        .head("X: 1\n\nA: b\n\n", "document | 200 OK | type=- | length=- | X: 1", body: "A: b\n\n"),
        .head("X: 1\r\n\r\n\r\nbody", "document | 200 OK | type=- | length=- | X: 1", body: "\r\nbody"),
        // §6.3.3 Status, with or without a phrase.
        .head("Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n",
              "document | 404 Not Found | type=text/html | length=-"),
        .head("Status: 404\n\n", "document | 404 Not Found | type=- | length=-"),
        .head("status: 418 I'm a teapot\n\n", "document | 418 I'm a teapot | type=- | length=-"),
        .head("Status:    503   Busy now  \n\n", "document | 503 Busy now | type=- | length=-"),
        .head("Status: 204 \n\n", "document | 204 No Content | type=- | length=-"),
        .head("Status: 299\n\n", "document | 299 Unknown | type=- | length=-"),
        .head("Content-Type: x/y\nStatus: 500\n\n", "document | 500 Internal Server Error | type=x/y | length=-"),
        .badGateway("Status: 20\n\n"),
        .badGateway("Status: abc\n\n"),
        .badGateway("Status: 2000\n\n"),
        .badGateway("Status: 200OK\n\n"),
        .badGateway("Status: 200\tOK\n\n"),
        .badGateway("Status: 099\n\n"),
        .badGateway("Status: 100 Continue\n\n"),
        .badGateway("Status: 600\n\n"),
        .badGateway("Status:\n\n"),
        .badGateway("Status: 200\nStatus: 404\n\n"),
        // §6.2.2 local redirect: a path and nothing but Status.
        .head("Location: /other?x=1\n\nignored", "local /other?x=1 | 200 OK | type=- | length=-", body: "ignored"),
        .head("Status: 200\r\nLocation: /\r\n\r\n", "local / | 200 OK | type=- | length=-"),
        // §6.2.3, §6.2.4 client redirects: 302 unless Status says otherwise; Location is forwarded.
        .head("Location: http://example.com/x\n\n",
              "client http://example.com/x | 302 Found | type=- | length=- | Location: http://example.com/x"),
        .head("Status: 301 Moved\nLocation: https://e.org/\n\n",
              "client https://e.org/ | 301 Moved | type=- | length=- | Location: https://e.org/"),
        .head("Location: /x\nContent-Type: text/html\n\n<a>",
              "client /x | 302 Found | type=text/html | length=- | Location: /x", body: "<a>"),
        .head("Set-Cookie: s=1\nLocation: /login\n\n",
              "client /login | 302 Found | type=- | length=- | Set-Cookie: s=1 | Location: /login"),
        .head("Location: //evil.example/\n\n",
              "client //evil.example/ | 302 Found | type=- | length=- | Location: //evil.example/"),
        .head("Location: next.php\n\n", "client next.php | 302 Found | type=- | length=- | Location: next.php"),
        .head("Location: /a\nConnection: close\n\n", "client /a | 302 Found | type=- | length=- | Location: /a"),
        .badGateway("Location:\n\n"),
        .badGateway("Location: /a\nLocation: /b\n\n"),
        // Content-Length frames the body; anything but one plain number is refused.
        .head("Content-Length: 5\nContent-Type: t/p\n\nhello", "document | 200 OK | type=t/p | length=5", body: "hello"),
        .head("Content-Length: 0\n\n", "document | 200 OK | type=- | length=0"),
        .head("Content-Length:   12  \n\n", "document | 200 OK | type=- | length=12"),
        .badGateway("Content-Length: -1\n\n"),
        .badGateway("Content-Length: +1\n\n"),
        .badGateway("Content-Length: 1e3\n\n"),
        .badGateway("Content-Length: 1 2\n\n"),
        .badGateway("Content-Length:\n\n"),
        .badGateway("Content-Length: 99999999999999999999\n\n"),
        .badGateway("Content-Length: 5\nContent-Length: 5\n\n"),
        .badGateway("Content-Type: a/b\nContent-Type: c/d\n\n"),
        // Hop-by-hop fields and the server's own Date and Server are not forwarded; others keep order and spelling.
        .head("Connection: close\nKeep-Alive: 5\nTransfer-Encoding: chunked\nTE: x\nTrailer: y\nUpgrade: z\n"
              + "Proxy-Connection: k\nDate: yesterday\nServer: evil\nx-powered-by: PHP\n\n",
              "document | 200 OK | type=- | length=- | x-powered-by: PHP"),
        .head("Set-Cookie: a=1\nSet-Cookie: b=2\n\n", "document | 200 OK | type=- | length=- | Set-Cookie: a=1 | Set-Cookie: b=2"),
        .head("X-A:   spaced out \t\n\n", "document | 200 OK | type=- | length=- | X-A: spaced out"),
        .head("X-Tab: a\tb\nX-Empty:\n\n", "document | 200 OK | type=- | length=- | X-Tab: a\tb | X-Empty: "),
        .head("X-Utf: été\n\n", "document | 200 OK | type=- | length=- | X-Utf: été"),
        .head("X-Colon: a: b\n\n", "document | 200 OK | type=- | length=- | X-Colon: a: b"),
        // Broken blocks.
        .badGateway("\n\nbody"),
        .badGateway("\r\n\r\n"),
        .badGateway("HTTP/1.1 200 OK\r\n\r\n"),
        .badGateway("garbage\n\n"),
        .badGateway(": no name\n\n"),
        .badGateway("Content Type: x\n\n"),
        .badGateway("X-A : 1\n\n"),
        .badGateway("X-A: 1\n folded\n\n"),
        .badGateway("X-A: 1\rX-B: 2\n\n"),
        .badGateway("X-A: 1\r\r\n\n"),
        .badGateway("X-A: a\u{01}b\n\n"),
        .badGateway("X-A: a\u{7F}\n\n"),
        .badGateway("X-A: a\u{00}\n\n"),
        .badGateway("Ünï: 1\n\n"),
        // Not finished yet.
        .incomplete(""),
        .incomplete("Content-Type: text/html"),
        .incomplete("Content-Type: text/html\r\n"),
        .incomplete("Content-Type: text/html\r\n\r"),
        .incomplete("Status: 200\n"),
    ]

    @Test(arguments: cases)
    func headerBlockParsesWhole(_ row: CGIResponseCase) {
        #expect(feedCGIParser(row.input, cuts: []) == row.expected)
    }

    @Test(arguments: cases)
    func headerBlockParsesSplitAtEveryOffset(_ row: CGIResponseCase) {
        for offset in splitOffsets(row.input.count) {
            let outcome = feedCGIParser(row.input, cuts: [offset])
            #expect(outcome == row.expected, "split at \(offset)")
            if outcome != row.expected { return }
        }
    }

    @Test(arguments: cases)
    func headerBlockParsesByteByByte(_ row: CGIResponseCase) {
        #expect(feedCGIParser(row.input, cuts: Array(0..<row.input.count)) == row.expected)
    }

    /// The limit counts every byte of the block, the terminating empty line included.
    @Test(arguments: [
        (CGIResponseParser.maxHeaderBlock, false), (CGIResponseParser.maxHeaderBlock + 1, true),
    ])
    func headerBlockIsLimitedTo64KiB(_ blockSize: Int, _ refused: Bool) {
        let padding = String(repeating: "p", count: blockSize - "X-Pad: \r\n\r\n".utf8.count)
        let input = Array(("X-Pad: " + padding + "\r\n\r\nbody").utf8)
        let expected: CGIOutcome = refused
            ? .failed(502) : .head("document | 200 OK | type=- | length=- | X-Pad: \(padding)", body: "body")
        for cuts in [[]] + splitOffsets(input.count).map({ [$0] }) {
            let outcome = feedCGIParser(input, cuts: cuts)
            #expect(outcome == expected, "cut at \(cuts)")
            if outcome != expected { return }
        }
    }

    /// A script that never ends its block is refused as soon as it passes the limit, not when it stops.
    @Test func endlessHeaderLineIsRefusedAtTheLimit() throws {
        var parser = CGIResponseParser()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 4096)
        var fed = 0
        do {
            while fed <= 10 * CGIResponseParser.maxHeaderBlock {
                _ = try parser.parse(piece, 0..<piece.count)
                fed += piece.count
            }
            Issue.record("never refused")
        } catch {
            #expect(error.status.code == 502)
            #expect(fed == CGIResponseParser.maxHeaderBlock)
        }
    }

    @Test func bodyStartIsAnIndexIntoTheFedBuffer() throws {
        var parser = CGIResponseParser()
        let buffer = Array("junkX: 1\n\nbody!tail".utf8)
        let parsed = try #require(try parser.parse(buffer, 4..<15))
        #expect(parsed.bodyStart == 10)
        #expect(String(decoding: buffer[parsed.bodyStart..<15], as: UTF8.self) == "body!")
    }
}
