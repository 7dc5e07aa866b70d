import Testing
@testable import Server

@Suite struct ByteRangeTests {
    static let resolveCases: [(field: String, length: Int, expected: ByteRange)] = [
        ("bytes=0-499", 10000, .ranges([0...499])),
        ("bytes=500-999", 10000, .ranges([500...999])),
        ("bytes=-500", 10000, .ranges([9500...9999])),
        ("bytes=9500-", 10000, .ranges([9500...9999])),
        ("bytes=0-0,-1", 10000, .ranges([0...0, 9999...9999])),
        ("bytes=0-99999", 10000, .ranges([0...9999])),
        ("bytes=-20000", 10000, .ranges([0...9999])),
        ("BYTES=0-1", 10000, .ranges([0...1])),
        ("Bytes=0-1", 10000, .ranges([0...1])),
        ("bytes= 0-1 ,\t5-6 ,", 10000, .ranges([0...1, 5...6])),
        ("bytes=,0-1", 10000, .ranges([0...1])),
        // Coalescing: overlapping and touching ranges merge, in order of first appearance.
        ("bytes=500-600,601-999", 10000, .ranges([500...999])),
        ("bytes=500-700,601-999", 10000, .ranges([500...999])),
        ("bytes=900-999,0-99,50-149", 10000, .ranges([900...999, 0...149])),
        ("bytes=50-149,900-999,0-99", 10000, .ranges([0...149, 900...999])),
        ("bytes=0-1,0-1", 10000, .ranges([0...1])),
        ("bytes=0-1,3-4", 10000, .ranges([0...1, 3...4])),
        ("bytes=0-,-1", 10000, .ranges([0...9999])),
        // Unsatisfiable ranges are dropped when another one is satisfiable.
        ("bytes=10000-,0-1", 10000, .ranges([0...1])),
        ("bytes=-0,0-1", 10000, .ranges([0...1])),
        ("bytes=0-99999999999999999999999", 10000, .ranges([0...9999])),
        ("bytes=-99999999999999999999999", 10000, .ranges([0...9999])),
        ("bytes=10000-", 10000, .unsatisfiable),
        ("bytes=10000-10001, 20000-", 10000, .unsatisfiable),
        ("bytes=-0", 10000, .unsatisfiable),
        ("bytes=99999999999999999999999-", 10000, .unsatisfiable),
        ("bytes=1-0", 10000, .ignored),
        ("bytes=0-1,1-0", 10000, .ignored),
        ("bytes=abc", 10000, .ignored),
        ("bytes=", 10000, .ignored),
        ("bytes=,", 10000, .ignored),
        ("bytes", 10000, .ignored),
        ("items=0-1", 10000, .ignored),
        ("bytes = 0-1", 10000, .ignored),
        ("bytes=0 - 1", 10000, .ignored),
        ("bytes=0-1-2", 10000, .ignored),
        ("bytes=--1", 10000, .ignored),
        ("bytes=-", 10000, .ignored),
        ("bytes=+1-2", 10000, .ignored),
        ("bytes=0x1-2", 10000, .ignored),
        ("bytes=1-2;x", 10000, .ignored),
        ("bytes=0-1 2-3", 10000, .ignored),
        ("", 10000, .ignored),
        // An empty representation has no satisfiable int-range, and a suffix of it selects nothing to send.
        ("bytes=0-", 0, .unsatisfiable),
        ("bytes=0-0", 0, .unsatisfiable),
        ("bytes=-5", 0, .ignored),
        ("bytes=0-0", 1, .ranges([0...0])),
        ("bytes=-1", 1, .ranges([0...0])),
        ("bytes=1-", 1, .unsatisfiable),
    ]

    @Test(arguments: resolveCases)
    func rangeFieldsResolveAgainstTheLength(_ field: String, _ length: Int, _ expected: ByteRange) {
        #expect(ByteRange.resolve(field, length: length) == expected)
    }

    @Test func moreThanTheMaximumNumberOfRangesIsIgnored() {
        let sixteen = "bytes=" + (0..<16).map { "\($0 * 10)-\($0 * 10 + 1)" }.joined(separator: ",")
        let seventeen = sixteen + ",500-501"
        #expect(ByteRange.resolve(sixteen, length: 1000) == .ranges((0..<16).map { ($0 * 10)...($0 * 10 + 1) }))
        #expect(ByteRange.resolve(seventeen, length: 1000) == .ignored)
        #expect(ByteRange.resolve(seventeen, length: 1000, maxRanges: 17) != .ignored)
        let thousandOverlapping = "bytes=" + Array(repeating: "0-", count: 1000).joined(separator: ",")
        #expect(ByteRange.resolve(thousandOverlapping, length: 1000) == .ignored)
    }

    @Test func contentRangeValuesFollowRFC9110() {
        #expect(ByteRange.contentRange(0...499, length: 1234) == "bytes 0-499/1234")
        #expect(ByteRange.contentRange(5...5, length: 6) == "bytes 5-5/6")
        #expect(ByteRange.unsatisfiedContentRange(length: 1234) == "bytes */1234")
    }

    @Test func multipartByterangesFramingHasAnExactLengthAndParsesBack() throws {
        let file = (0..<100).map { UInt8($0) }
        let layout = ByteRangesBody(ranges: [0...1, 50...59, 99...99], length: 100, contentType: "text/plain",
                                    boundary: "B0UND")
        #expect(layout.contentType == "multipart/byteranges; boundary=B0UND")
        #expect(String(decoding: layout.partHead(0), as: UTF8.self)
            == "\r\n--B0UND\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-1/100\r\n\r\n")
        #expect(String(decoding: layout.closing, as: UTF8.self) == "\r\n--B0UND--\r\n")

        var body: [UInt8] = []
        for (index, range) in layout.ranges.enumerated() {
            body += layout.partHead(index) + file[range]
        }
        body += layout.closing
        #expect(layout.contentLength == body.count)

        var parser = try MultipartParser(boundary: "B0UND")
        let events = try parser.feed(body)
        try parser.finish()
        var contents: [[UInt8]] = []
        for event in events {
            switch event {
            case .partBegin(let part):
                #expect(part.contentType == "text/plain")
                contents.append([])
            case .data(let bytes): contents[contents.count - 1] += bytes
            case .partEnd, .end: break
            }
        }
        #expect(contents == [[0, 1], Array(50...59), [99]])
    }

    @Test func partsWithoutATypeOmitContentType() {
        let layout = ByteRangesBody(ranges: [0...0, 2...2], length: 3, contentType: nil, boundary: "b")
        #expect(String(decoding: layout.partHead(1), as: UTF8.self) == "\r\n--b\r\nContent-Range: bytes 2-2/3\r\n\r\n")
        #expect(layout.contentLength == 2 * (layout.partHead(0).count + 1) + layout.closing.count)
    }

    @Test func defaultBoundariesAreRandomHex() {
        let first = ByteRangesBody(ranges: [0...0], length: 1, contentType: nil).boundary
        let second = ByteRangesBody(ranges: [0...0], length: 1, contentType: nil).boundary
        #expect(first.utf8.count == 24 && first.utf8.allSatisfy { PercentEncoding.hexValue($0) != nil })
        #expect(first != second)
    }
}
