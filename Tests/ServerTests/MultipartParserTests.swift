import Testing
@testable import Server

/// A part as the parser reported it: its headers and all of its content, however it was sliced.
struct ParsedPart: Equatable, CustomStringConvertible {
    var part: MultipartPart
    var content: [UInt8]

    var description: String {
        "[\(part.name ?? "-") \(part.filename.map { "file=\($0)" } ?? "") \(part.contentType ?? "")"
            + " \(content.count)B \(String(decoding: content.prefix(24), as: UTF8.self).debugDescription)]"
    }
}

/// The whole of a multipart body's parse, comparable across whole, split and byte-wise runs.
enum MultipartOutcome: Equatable, CustomStringConvertible {
    /// Every part, and the close delimiter was seen (`finish()` succeeded).
    case parts([ParsedPart])
    case failed(Int)
    /// The events broke the grammar partBegin (data)* partEnd … end; the message says how.
    case misordered(String)

    var description: String {
        switch self {
        case .parts(let parts): return "\(parts.count) parts \(parts)"
        case .failed(let code): return "status \(code)"
        case .misordered(let why): return "misordered: \(why)"
        }
    }
}

/// Feeds `input` cut at `cuts`, each piece a slice of `input` itself (so slices start at non-zero indices),
/// then calls `finish()`; checks the event grammar on the way.
private func parse(_ input: [UInt8], boundary: String, cuts: [Int]) -> MultipartOutcome {
    do {
        var parser = try MultipartParser(boundary: boundary)
        var parts: [ParsedPart] = []
        var open = false
        var ended = false
        var start = 0
        for end in cuts + [input.count] {
            for event in try parser.feed(input[start..<end]) {
                guard !ended else { return .misordered("event after end") }
                switch event {
                case .partBegin(let part):
                    guard !open else { return .misordered("partBegin inside a part") }
                    parts.append(ParsedPart(part: part, content: []))
                    open = true
                case .data(let bytes):
                    guard open else { return .misordered("data outside a part") }
                    guard !bytes.isEmpty else { return .misordered("empty data event") }
                    parts[parts.count - 1].content.append(contentsOf: bytes)
                case .partEnd:
                    guard open else { return .misordered("partEnd outside a part") }
                    open = false
                case .end:
                    guard !open else { return .misordered("end inside a part") }
                    ended = true
                }
            }
            start = end
        }
        try parser.finish()
        guard ended else { return .misordered("finish() accepted a body without end") }
        return .parts(parts)
    } catch {
        return .failed(error.status.code)
    }
}

private func b(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Every offset of a short input; for a long one (the header-limit rows) every offset near either end and
/// every 61st between, which keeps the debug-build run in seconds.
private func cutOffsets(_ count: Int) -> [Int] {
    guard count > 2048 else { return Array(1..<max(count, 1)) }
    return Array(1..<512) + Array(stride(from: 512, to: count - 512, by: 61)) + Array((count - 512)..<count)
}

private func disposition(_ name: String, filename: String? = nil) -> String {
    "Content-Disposition: form-data; name=\"\(name)\"" + (filename.map { "; filename=\"\($0)\"" } ?? "")
}

/// One table row: a body, its boundary, and what parsing it must give.
struct MultipartCase: Sendable, CustomTestStringConvertible {
    let input: [UInt8]
    let boundary: String
    let expected: MultipartOutcome
    let label: String

    var testDescription: String { label }

    static func parts(_ label: String, _ input: [UInt8], _ parts: [ParsedPart],
                      boundary: String = "XyZ") -> MultipartCase {
        MultipartCase(input: input, boundary: boundary, expected: .parts(parts), label: label)
    }

    static func status(_ label: String, _ input: [UInt8], _ code: Int, boundary: String = "XyZ") -> MultipartCase {
        MultipartCase(input: input, boundary: boundary, expected: .failed(code), label: label)
    }
}

private func field(_ name: String, _ value: String) -> ParsedPart {
    ParsedPart(part: MultipartPart(name: name), content: b(value))
}

@Suite struct MultipartParserTests {
    static let binary: [UInt8] = (0..<512).map { UInt8($0 % 256) }
    static let trickyContent = b("a\r\n--Xy\r\n--XyZa\r\n--XyZ-b\r\r\n--\n--XyZ\r\n-\r--XyZ\r\n\r\n--XY") + [0, 13]
    static let twentyParts: (input: [UInt8], parts: [ParsedPart]) = {
        var input: [UInt8] = []
        var parts: [ParsedPart] = []
        for i in 0..<20 {
            let content = b(String(repeating: "\(i)-", count: i))
            input += b("--XyZ\r\n\(disposition("f\(i)", filename: "f\(i).txt"))\r\nContent-Type: text/plain\r\n\r\n")
            input += content + b("\r\n")
            let part = MultipartPart(name: "f\(i)", filename: "f\(i).txt", contentType: "text/plain")
            parts.append(ParsedPart(part: part, content: content))
        }
        return (input + b("--XyZ--\r\n"), parts)
    }()
    /// "X: " value CRLF CRLF is exactly the header limit.
    static let longHeaderValue = String(repeating: "h", count: MultipartParser.maxHeaderBytes - 7)

    static let cases: [MultipartCase] = [
        .parts("one field",
               b("--XyZ\r\n\(disposition("a"))\r\n\r\nhello\r\n--XyZ--\r\n"), [field("a", "hello")]),
        .parts("a file with its type",
               b("--XyZ\r\n\(disposition("up", filename: "a.txt"))\r\nContent-Type: text/plain\r\n\r\nline\r\n--XyZ--"),
               [ParsedPart(part: MultipartPart(name: "up", filename: "a.txt", contentType: "text/plain"),
                           content: b("line"))]),
        .parts("preamble and epilogue are ignored, even boundary-like",
               b("preamble --XyZ\r\n\r\n--XyZx\r\n--XyZ\r\n\(disposition("a"))\r\n\r\nv\r\n--XyZ--\r\n"
                 + "epilogue\r\n--XyZ\r\n\r\nx"),
               [field("a", "v")]),
        .parts("empty content", b("--XyZ\r\n\(disposition("e", filename: ""))\r\n\r\n\r\n--XyZ--\r\n"),
               [ParsedPart(part: MultipartPart(name: "e", filename: ""), content: [])]),
        .parts("a part without headers", b("--XyZ\r\n\r\nbare\r\n--XyZ--\r\n"),
               [ParsedPart(part: MultipartPart(), content: b("bare"))]),
        .parts("two parts",
               b("--XyZ\r\n\(disposition("a"))\r\n\r\n1\r\n--XyZ\r\n\(disposition("b"))\r\n\r\n2\r\n--XyZ--"),
               [field("a", "1"), field("b", "2")]),
        .parts("twenty files", twentyParts.input, twentyParts.parts),
        .parts("boundary-like bytes inside content",
               b("--XyZ\r\n\(disposition("t"))\r\n\r\n") + trickyContent + b("\r\n--XyZ--\r\n"),
               [ParsedPart(part: MultipartPart(name: "t"), content: trickyContent)]),
        .parts("content ending in CR before the delimiter",
               b("--XyZ\r\n\(disposition("c"))\r\n\r\nabc\r\r\n--XyZ--"), [field("c", "abc\r")]),
        .parts("binary content",
               b("--XyZ\r\n\(disposition("bin", filename: "b.bin"))\r\n\r\n") + binary + b("\r\n--XyZ--\r\n"),
               [ParsedPart(part: MultipartPart(name: "bin", filename: "b.bin"), content: binary)]),
        .parts("transport padding after boundaries",
               b("--XyZ \t \r\n\(disposition("p"))\r\n\r\nv\r\n--XyZ\t\r\n\r\nw\r\n--XyZ--  \r\n"),
               [field("p", "v"), ParsedPart(part: MultipartPart(), content: b("w"))]),
        .parts("a close delimiter only", b("--XyZ--"), []),
        .parts("names and files non-ASCII, RFC 5987 filename* preferred",
               b("--XyZ\r\nContent-Disposition: form-data; name=\"ü\"; filename=\"euro.txt\"; "
                 + "filename*=UTF-8''%E2%82%AC%20rates.txt\r\n\r\n€\r\n"
                 + "--XyZ\r\nContent-Disposition: form-data; name=\"l\"; filename*=iso-8859-1''%A3%20rates\r\n\r\n\r\n"
                 + "--XyZ\r\nContent-Disposition: form-data; name=\"r\"; filename=\"résumé.pdf\"\r\n\r\n\r\n"
                 + "--XyZ\r\nContent-Disposition: form-data; name=\"bad\"; filename=\"fallback\"; "
                 + "filename*=UTF-8''%E2%8\r\n\r\n\r\n--XyZ--"),
               [ParsedPart(part: MultipartPart(name: "ü", filename: "€ rates.txt"), content: b("€")),
                ParsedPart(part: MultipartPart(name: "l", filename: "£ rates"), content: []),
                ParsedPart(part: MultipartPart(name: "r", filename: "résumé.pdf"), content: []),
                ParsedPart(part: MultipartPart(name: "bad", filename: "fallback"), content: [])]),
        .parts("quoted-string escapes only quote and backslash",
               b("--XyZ\r\ncontent-disposition: form-data; NAME=\"a\\\"b\"; FileName=\"C:\\dir\\f.txt\"\r\n"
                 + "CONTENT-TYPE:  image/png \r\n\r\n\r\n--XyZ--"),
               [ParsedPart(part: MultipartPart(name: "a\"b", filename: "C:\\dir\\f.txt", contentType: "image/png"),
                           content: [])]),
        .parts("unquoted parameters and other headers",
               b("--XyZ\r\nX-Other: 1\r\nContent-Disposition: form-data;name=plain ; filename=f.bin\r\n\r\n"
                 + "z\r\n--XyZ--"),
               [ParsedPart(part: MultipartPart(name: "plain", filename: "f.bin"), content: b("z"))]),
        .parts("bare LF ends part header lines",
               b("--XyZ\r\n\(disposition("lf"))\n\nq\r\n--XyZ--"), [field("lf", "q")]),
        .parts("part headers at exactly the limit",
               b("--XyZ\r\nX: \(longHeaderValue)\r\n\r\nok\r\n--XyZ--"),
               [ParsedPart(part: MultipartPart(), content: b("ok"))]),
        .parts("a long boundary with every allowed kind of character",
               b("--" + "'()+_,-./:=? az" + String(repeating: "9", count: 55) + "\r\n\r\nx\r\n--"
                 + "'()+_,-./:=? az" + String(repeating: "9", count: 55) + "--"),
               [ParsedPart(part: MultipartPart(), content: b("x"))],
               boundary: "'()+_,-./:=? az" + String(repeating: "9", count: 55)),
        .status("no final boundary", b("--XyZ\r\n\(disposition("a"))\r\n\r\nhello"), 400),
        .status("ends inside a delimiter", b("--XyZ\r\n\(disposition("a"))\r\n\r\nhello\r\n--Xy"), 400),
        .status("ends inside headers", b("--XyZ\r\n\(disposition("a"))\r\n"), 400),
        .status("no boundary at all", b("just some text\r\nwithout a delimiter"), 400),
        .status("empty body", [], 400),
        .status("part headers over the limit", b("--XyZ\r\nX: \(longHeaderValue)h\r\n\r\nok\r\n--XyZ--"), 400),
        .status("bytes after a boundary's padding", b("--XyZ  x\r\n\r\nv\r\n--XyZ--"), 400),
        .status("CR without LF after a boundary", b("--XyZ\rX\r\n\r\nv\r\n--XyZ--"), 400),
        .status("header line without colon", b("--XyZ\r\nContent-Disposition form-data\r\n\r\nv\r\n--XyZ--"), 400),
        .status("whitespace before a header colon", b("--XyZ\r\nContent-Type : a/b\r\n\r\nv\r\n--XyZ--"), 400),
        .status("folded header line", b("--XyZ\r\n\(disposition("a"))\r\n more\r\n\r\nv\r\n--XyZ--"), 400),
        .status("control character in a header", b("--XyZ\r\nContent-Type: a\u{1}b\r\n\r\nv\r\n--XyZ--"), 400),
        .status("unclosed quote in Content-Disposition",
                b("--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nv\r\n--XyZ--"), 400),
    ]

    @Test(arguments: cases)
    func parsesTheSameWholeSplitAndByteByByte(_ c: MultipartCase) {
        #expect(parse(c.input, boundary: c.boundary, cuts: []) == c.expected)

        let splitMismatches = cutOffsets(c.input.count).filter {
            parse(c.input, boundary: c.boundary, cuts: [$0]) != c.expected
        }
        #expect(splitMismatches.first == nil, "differs when split at offsets \(splitMismatches.prefix(10))")

        let byteByByte = parse(c.input, boundary: c.boundary, cuts: Array(1..<max(c.input.count, 1)))
        #expect(byteByByte == c.expected)
    }

    @Test func contentIsGivenOutAsItArrivesHoldingBackOnlyAPossibleDelimiter() throws {
        var parser = try MultipartParser(boundary: "XyZ")
        _ = try parser.feed(b("--XyZ\r\n\(disposition("big", filename: "big.bin"))\r\n\r\n"))
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 65536)
        for _ in 0..<16 {
            let events = try parser.feed(chunk)
            #expect(events == [.data(chunk[...])], "a chunk without CR is given out whole, at once")
        }
        // "\r\n--Xy" may begin a delimiter: exactly those bytes wait.
        #expect(try parser.feed(b("tail\r\n--Xy")) == [.data(b("tail")[...])])
        #expect(try parser.feed(b("!")) == [.data(b("\r\n--Xy")[...]), .data(b("!")[...])])
        #expect(try parser.feed(b("\r\n--XyZ--")) == [.partEnd, .end])
        try parser.finish()
    }

    @Test func dataSlicesShareTheFedBuffer() throws {
        var parser = try MultipartParser(boundary: "XyZ")
        let input = b("--XyZ\r\n\r\n") + [UInt8](repeating: 7, count: 1000) + b("\r\n--XyZ--")
        let events = try parser.feed(input[...])
        guard case .data(let slice) = events[1] else {
            Issue.record("expected data, got \(events)")
            return
        }
        #expect(slice.startIndex == 9 && slice.count == 1000)
        let sliceStart = slice.withUnsafeBufferPointer { $0.baseAddress }
        #expect(sliceStart == input.withUnsafeBufferPointer { $0.baseAddress! + 9 })
    }

    @Test func bytesAfterTheEndAreIgnored() throws {
        var parser = try MultipartParser(boundary: "XyZ")
        #expect(try parser.feed(b("--XyZ--")) == [.end])
        #expect(parser.isComplete)
        #expect(try parser.feed(b("\r\n--XyZ\r\n\r\nmore\r\n--XyZ--")) == [])
        try parser.finish()
    }

    /// Random parts whose content is drawn from the delimiter's own bytes, cut at random places: the parts
    /// must come back byte-exact. Seeded, so a failure reproduces.
    @Test func randomBoundaryLikeContentRoundTrips() {
        var random = SplitMix64(seed: 0x5eed)
        let boundary = "a-b"
        let alphabet = b("\r\n-ab") + [0, 0xFF]
        for round in 0..<400 {
            var input = b(random.next() % 2 == 0 ? "" : "pre\r\n--a-\r\n")
            var expected: [ParsedPart] = []
            for i in 0..<random.below(4) {
                var content: [UInt8]
                repeat {
                    content = (0..<random.below(40)).map { _ in alphabet[random.below(alphabet.count)] }
                } while (content + b("\r\n")).firstRange(of: b("\r\n--a-b")) != nil
                input += b("--a-b\r\n\(disposition("p\(i)"))\r\n\r\n") + content + b("\r\n")
                expected.append(ParsedPart(part: MultipartPart(name: "p\(i)"), content: content))
            }
            input += b("--a-b--")
            let cuts = (0..<random.below(6)).map { _ in random.below(input.count + 1) }.sorted()
            let outcome = parse(input, boundary: boundary, cuts: cuts)
            #expect(outcome == .parts(expected), "round \(round), cuts \(cuts)")
            if outcome != .parts(expected) { return }
        }
    }

    @Test func arbitraryBytesNeverTrapAndKeepTheEventGrammar() {
        var random = SplitMix64(seed: 42)
        let alphabet = b("\r\n-XyZ: ;=\"\\") + [0, 0x80]
        for _ in 0..<2000 {
            let input = b("--XyZ\r\n") + (0..<random.below(120)).map { _ in alphabet[random.below(alphabet.count)] }
            let cuts = (0..<random.below(4)).map { _ in random.below(input.count + 1) }.sorted()
            let outcome = parse(input, boundary: "XyZ", cuts: cuts)
            if case .misordered(let why) = outcome { Issue.record("\(why) for \(input)") }
            #expect(outcome == parse(input, boundary: "XyZ", cuts: []), "split at \(cuts) differs for \(input)")
        }
    }

    @Test(arguments: [
        ("multipart/form-data; boundary=abc", "abc"),
        ("Multipart/Form-Data; BOUNDARY=abc", "abc"),
        ("multipart/form-data;boundary=abc", "abc"),
        ("multipart/form-data; boundary=abc ", "abc"),
        ("multipart/form-data; charset=utf-8; boundary=\"a b:c\"", "a b:c"),
        ("multipart/form-data; boundary=\"----WebKitFormBoundary7MA4YWxkTrZu0gW\"",
         "----WebKitFormBoundary7MA4YWxkTrZu0gW"),
        ("multipart/form-data; boundary=" + String(repeating: "b", count: 70), String(repeating: "b", count: 70)),
    ] as [(String, String)])
    func boundaryIsTakenFromTheContentType(_ contentType: String, _ boundary: String) {
        #expect(MultipartParser.boundary(fromContentType: contentType) == boundary)
        #expect(MultipartParser.isFormData(contentType: contentType))
    }

    @Test(arguments: [
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "multipart/form-data; boundary=\"\"",
        "multipart/form-data; boundary=\"abc",
        "multipart/form-data; boundary=\"abc \"",
        "multipart/form-data; boundary=" + String(repeating: "b", count: 71),
        "multipart/form-data; boundary=\"a\u{7F}b\"",
        "multipart/mixed; boundary=abc",
        "text/plain; boundary=abc",
        "",
    ])
    func contentTypesWithoutAUsableFormDataBoundaryGiveNil(_ contentType: String) {
        #expect(MultipartParser.boundary(fromContentType: contentType) == nil)
    }

    @Test func formDataIsRecognisedWithoutABoundary() {
        #expect(MultipartParser.isFormData(contentType: "multipart/form-data"))
        #expect(!MultipartParser.isFormData(contentType: "application/x-www-form-urlencoded"))
        #expect(!MultipartParser.isFormData(contentType: "multipart/form-datax; boundary=a"))
    }

    @Test func invalidBoundariesAreRefusedWith400() {
        for boundary in ["", "a\r\nb", String(repeating: "x", count: 71), "é", "trailing "] {
            #expect(throws: HTTPError.self, "\(boundary.debugDescription)") { try MultipartParser(boundary: boundary) }
        }
    }

    @Test(arguments: [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\a.txt", "a.txt"),
        ("a/../b", "b"),
        ("a..b", "a..b"),
        (".bashrc", "bashrc"),
        ("..hidden", "hidden"),
        ("dir/.env", "env"),
        ("résumé €.pdf", "résumé €.pdf"),
        ("name with spaces.txt", "name with spaces.txt"),
        (String(repeating: "a", count: 300) + ".txt", String(repeating: "a", count: 251) + ".txt"),
        (String(repeating: "é", count: 200), String(repeating: "é", count: 127)),
        ("a." + String(repeating: "b", count: 300), "a." + String(repeating: "b", count: 253)),
        (String(repeating: "€", count: 100) + ".tar.gz", String(repeating: "€", count: 84) + ".gz"),
    ] as [(String, String)])
    func fileNamesAreReducedToASafeBaseName(_ raw: String, _ safe: String) {
        let result = MultipartParser.safeFileName(raw)
        #expect(result == safe)
        #expect((result?.utf8.count ?? 0) <= 255)
    }

    @Test(arguments: ["", ".", "..", "...", "/", "dir/", "x/..", "a\\..", "a\u{0}b", "a\nb", "tab\there", "del\u{7F}",
                      "c1\u{85}", "../\u{1}"])
    func unsafeFileNamesGiveNil(_ raw: String) {
        #expect(MultipartParser.safeFileName(raw) == nil)
    }

    @Test func fileNameCapLeavesRoomWhenAskedFor() {
        #expect(MultipartParser.safeFileName("abcdef.txt", maxBytes: 8) == "abcd.txt")
        #expect(MultipartParser.safeFileName("abcdef.txt", maxBytes: 10) == "abcdef.txt")
    }
}

/// A small seeded generator (Steele et al.'s SplitMix64) so random tests reproduce.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in 0..<bound.
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
