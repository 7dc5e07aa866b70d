import Testing
@testable import Server

/// The result of feeding a body: payload and consumed count when complete, else a status or "incomplete".
enum BodyOutcome: Equatable, CustomStringConvertible {
    case body([UInt8], consumed: Int)
    case failed(Int)
    case incomplete

    var description: String {
        switch self {
        case .body(let payload, let consumed):
            return "\(payload.count) payload bytes \(String(decoding: payload.prefix(40), as: UTF8.self).debugDescription), consumed \(consumed)"
        case .failed(let code): return "status \(code)"
        case .incomplete: return "incomplete"
        }
    }
}

/// Feeds `input` cut at `cuts` through a reader, passing on each call only the bytes not yet consumed, as a
/// connection does; the reader must stop at the body's end however the bytes arrive.
func feedBody(_ input: [UInt8], cuts: [Int], framing: BodyFraming, limit: Int) -> BodyOutcome {
    var reader = BodyReader(framing: framing, limit: limit)
    var payload: [UInt8] = []
    var consumed = 0
    do {
        for end in cuts + [input.count] {
            consumed += try reader.read(input, consumed..<end, into: &payload)
            if reader.isComplete {
                #expect(reader.received == payload.count)
                return .body(payload, consumed: consumed)
            }
        }
    } catch {
        return .failed(error.status.code)
    }
    return .incomplete
}

/// One row of the chunked table; the input is always followed by pipelined bytes that must not be consumed.
struct ChunkedCase: Sendable, CustomTestStringConvertible {
    let body: [UInt8]
    let expected: BodyOutcome
    let limit: Int
    let label: String

    static let pipelined = Array("GET /next HTTP/1.1\r\n".utf8)
    var input: [UInt8] { body + ChunkedCase.pipelined }

    static func decodes(_ body: String, _ payload: String, limit: Int = 0) -> ChunkedCase {
        ChunkedCase(body: Array(body.utf8), expected: .body(Array(payload.utf8), consumed: body.utf8.count),
                    limit: limit, label: ParserCase.escaped(body))
    }

    static func status(_ body: String, _ code: Int, limit: Int = 0) -> ChunkedCase {
        ChunkedCase(body: Array(body.utf8), expected: .failed(code), limit: limit, label: ParserCase.escaped(body))
    }

    /// The pipelined bytes are withheld: the body is cut short.
    static func incomplete(_ body: String) -> ChunkedCase {
        ChunkedCase(body: Array(body.utf8), expected: .incomplete, limit: 0, label: ParserCase.escaped(body))
    }

    var testDescription: String { "\(label) → \(expected)" }
}

private func headFor(_ fields: String, version: String = "HTTP/1.1") throws -> RequestHead {
    var parser = RequestParser()
    return try #require(try parser.parse(Array("POST / \(version)\r\nHost: a\r\n\(fields)\r\n".utf8), from: 0))
}

@Suite struct BodyReaderTests {
    /// A framing or the status `bodyFraming()` threw.
    enum Framing: Equatable, CustomStringConvertible {
        case framing(BodyFraming)
        case status(Int)
        var description: String {
            switch self {
            case .framing(let framing): return "\(framing)"
            case .status(let code): return "status \(code)"
            }
        }
    }

    static let framingCases: [(fields: String, version: String, expected: Framing)] = [
        ("", "HTTP/1.1", .framing(.none)),
        ("Content-Length: 5\r\n", "HTTP/1.1", .framing(.length(5))),
        ("Content-Length: 0\r\n", "HTTP/1.1", .framing(.length(0))),
        ("content-length:  0005 \r\n", "HTTP/1.1", .framing(.length(5))),
        ("Content-Length: 5, 5\r\n", "HTTP/1.1", .framing(.length(5))),
        ("Content-Length: 5\r\nContent-Length: 5\r\n", "HTTP/1.1", .framing(.length(5))),
        ("Content-Length: 999999999999999999\r\n", "HTTP/1.1", .framing(.length(999_999_999_999_999_999))),
        ("Content-Length: 5\r\n", "HTTP/1.0", .framing(.length(5))),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: 5, 6\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: 5,\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length:\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: -1\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: +5\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: 5a\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: 0x5\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: 1 2\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: 1000000000000000000\r\n", "HTTP/1.1", .status(400)),
        ("Transfer-Encoding: chunked\r\n", "HTTP/1.1", .framing(.chunked)),
        ("transfer-encoding: Chunked\r\n", "HTTP/1.1", .framing(.chunked)),
        ("Transfer-Encoding: , chunked\r\n", "HTTP/1.1", .framing(.chunked)),
        ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "HTTP/1.1", .status(400)),
        ("Content-Length: 5\r\nTransfer-Encoding: gzip\r\n", "HTTP/1.1", .status(400)),
        ("Transfer-Encoding: chunked\r\n", "HTTP/1.0", .status(400)),
        ("Transfer-Encoding: chunked, chunked\r\n", "HTTP/1.1", .status(400)),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "HTTP/1.1", .status(400)),
        ("Transfer-Encoding:\r\n", "HTTP/1.1", .status(400)),
        ("Transfer-Encoding: chunked;x=1\r\n", "HTTP/1.1", .status(400)),
        ("Transfer-Encoding: chun ked\r\n", "HTTP/1.1", .status(400)),
        ("Transfer-Encoding: gzip\r\n", "HTTP/1.1", .status(501)),
        ("Transfer-Encoding: identity\r\n", "HTTP/1.1", .status(501)),
        ("Transfer-Encoding: gzip, chunked\r\n", "HTTP/1.1", .status(501)),
        ("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", "HTTP/1.1", .status(501)),
        ("Transfer-Encoding: chunked, gzip\r\n", "HTTP/1.1", .status(501)),
    ]

    @Test(arguments: framingCases)
    func framingFollowsRFC9112Section6(_ c: (fields: String, version: String, expected: Framing)) throws {
        let head = try headFor(c.fields, version: c.version)
        let result: Framing
        do {
            result = .framing(try head.bodyFraming())
        } catch {
            result = .status(error.status.code)
        }
        #expect(result == c.expected)
    }

    static let largeExtension = "5;" + String(repeating: "e", count: 4094)
    static let trailerLine = "X: " + String(repeating: "t", count: 8187) + "\r\n"  // 8192 bytes

    static let chunkedCases: [ChunkedCase] = [
        .decodes("5\r\nhello\r\n0\r\n\r\n", "hello"),
        .decodes("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world"),
        .decodes("a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n", "0123456789abcdefghij"),
        .decodes("5\nhello\n0\n\n", "hello"),
        .decodes("5\r\nhello\n0\r\n\n", "hello"),
        .decodes("0\r\n\r\n", ""),
        .decodes("0005\r\nhello\r\n000\r\n\r\n", "hello"),
        .decodes("0000000000000005\r\nhello\r\n0\r\n\r\n", "hello"),
        .decodes("5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello"),
        .decodes("5 ;a=\"q\\\"x\"\r\nhello\r\n0\t; b\r\n\r\n", "hello"),
        .decodes("5\r\nhello\r\n0\r\nX-Trailer: 1\r\nY: 2\n\r\n", "hello"),
        .decodes("5\r\n\r\n\r\n\r\r\n0\r\n\r\n", "\r\n\r\n\r"),
        .decodes(largeExtension + "\r\nhello\r\n0\r\n\r\n", "hello"),
        .status(largeExtension + "e\r\nhello\r\n0\r\n\r\n", 400),
        .decodes("0\r\n" + String(repeating: trailerLine, count: 4) + "\r\n", ""),
        .status("0\r\n" + String(repeating: trailerLine, count: 3) + "X: " + String(repeating: "t", count: 8188)
                + "\r\n\r\n", 400),
        .status("00000000000000005\r\nhello\r\n0\r\n\r\n", 400),
        .status("FFFFFFFFFFFFFFFF\r\n", 400),
        .status("\r\nhello\r\n0\r\n\r\n", 400),
        .status("g\r\n", 400),
        .status("-5\r\nhello\r\n0\r\n\r\n", 400),
        .status("0x5\r\nhello\r\n0\r\n\r\n", 400),
        .status("5 \r\nhello\r\n0\r\n\r\n", 400),
        .status("5 x\r\nhello\r\n0\r\n\r\n", 400),
        .status("5;a\u{1}\r\nhello\r\n0\r\n\r\n", 400),
        .status("5\rhello\r\n0\r\n\r\n", 400),
        .status("5\r\nhelloX\r\n0\r\n\r\n", 400),
        .status("5\r\nhelloX0\r\n\r\n", 400),
        .status("5\r\nhello\rX0\r\n\r\n", 400),
        .status("5\r\nhello\r\n0\r\n\rX", 400),
        .status("5\r\nhello\r\n0\r\nX: a\rb\r\n\r\n", 400),
        .decodes("5\r\nhello\r\n0\r\n\r\n", "hello", limit: 5),
        .status("5\r\nhello\r\n0\r\n\r\n", 413, limit: 4),
        .status("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", 413, limit: 5),
        .incomplete("5\r\nhel"),
        .incomplete("5\r\nhello\r\n0\r\n"),
        .incomplete("7FFFFFFFFFFFFFFF\r\nabc"),
    ]

    @Test(arguments: chunkedCases)
    func chunkedDecodesTheSameWholeSplitAndByteByByte(_ c: ChunkedCase) {
        // Incomplete cases get no pipelined bytes: whatever follows would be read as more body.
        let input = c.expected == .incomplete ? c.body : c.input
        #expect(feedBody(input, cuts: [], framing: .chunked, limit: c.limit) == c.expected)

        let splitMismatches = splitOffsets(input.count).filter {
            feedBody(input, cuts: [$0], framing: .chunked, limit: c.limit) != c.expected
        }
        #expect(splitMismatches.isEmpty, "differs when split at offsets \(splitMismatches.prefix(10))")

        let byteByByte = feedBody(input, cuts: Array(1..<input.count), framing: .chunked, limit: c.limit)
        #expect(byteByByte == c.expected)
    }

    static let lengthCases: [(framing: BodyFraming, limit: Int, input: String, expected: BodyOutcome)] = [
        (.length(5), 0, "helloGET /", .body(Array("hello".utf8), consumed: 5)),
        (.length(5), 5, "hello", .body(Array("hello".utf8), consumed: 5)),
        (.length(5), 4, "hello", .failed(413)),
        (.length(5), 0, "hel", .incomplete),
        (.length(0), 0, "GET /", .body([], consumed: 0)),
        (.none, 0, "GET /", .body([], consumed: 0)),
    ]

    @Test(arguments: lengthCases)
    func lengthBodyStopsAtItsEndHoweverSplit(_ c: (framing: BodyFraming, limit: Int, input: String,
                                                   expected: BodyOutcome)) {
        let input = Array(c.input.utf8)
        #expect(feedBody(input, cuts: [], framing: c.framing, limit: c.limit) == c.expected)
        for cut in splitOffsets(input.count) {
            #expect(feedBody(input, cuts: [cut], framing: c.framing, limit: c.limit) == c.expected, "cut at \(cut)")
        }
        #expect(feedBody(input, cuts: Array(1..<max(input.count, 1)), framing: c.framing, limit: c.limit)
            == c.expected)
    }

    @Test func readerStartedOnANonZeroRangeReadsOnlyThatRange() throws {
        let input = Array("xxxx3\r\nabc\r\n0\r\n\r\nyy".utf8)
        var reader = BodyReader(framing: .chunked, limit: 0)
        var payload: [UInt8] = []
        let consumed = try reader.read(input, 4..<input.count, into: &payload)
        #expect(consumed == input.count - 6)
        #expect(payload == Array("abc".utf8))
        #expect(reader.isComplete)
        #expect(try reader.read(input, 4 + consumed..<input.count, into: &payload) == 0)
    }
}
