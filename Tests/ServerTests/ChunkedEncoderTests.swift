import Testing
@testable import Server

@Suite struct ChunkedEncoderTests {
    /// The chunk-size line is the length in lower-case hex without leading zeros (RFC 9112 §7.1).
    @Test(arguments: [
        (1, "1"), (9, "9"), (10, "a"), (15, "f"), (16, "10"), (255, "ff"), (256, "100"), (4096, "1000"),
        (65535, "ffff"), (1 << 20, "100000"),
    ])
    func chunkIsFramedByItsHexLength(_ length: Int, _ hex: String) {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 % 26) &+ UInt8(ascii: "a") }
        var output: [UInt8] = []
        ChunkedEncoder.appendChunk(payload, to: &output)
        #expect(output == Array("\(hex)\r\n".utf8) + payload + Array("\r\n".utf8))
    }

    @Test(arguments: [(Int.max, "7fffffffffffffff"), (0x1234_5678_9abc, "123456789abc")])
    func chunkHeaderCoversEveryLength(_ length: Int, _ hex: String) {
        var output: [UInt8] = []
        ChunkedEncoder.forEachSizeDigit(length) { output.append($0) }
        #expect(output == Array(hex.utf8))
    }

    /// A zero-size chunk is the last chunk: an empty read from the script must not end the body early.
    @Test func emptyPieceAppendsNothing() {
        var output = Array("kept".utf8)
        ChunkedEncoder.appendChunk([UInt8](), to: &output)
        ChunkedEncoder.appendChunk(output[0..<0], to: &output)
        #expect(output == Array("kept".utf8))
    }

    @Test func chunksAppendAfterWhatIsQueued() {
        var output = Array("HTTP/1.1 200 OK\r\n\r\n".utf8)
        ChunkedEncoder.appendChunk(Array("hello".utf8)[1...3], to: &output)
        Array("world!".utf8).withUnsafeBytes { ChunkedEncoder.appendChunk($0, to: &output) }
        ChunkedEncoder.appendLastChunk(to: &output)
        #expect(String(decoding: output, as: UTF8.self)
            == "HTTP/1.1 200 OK\r\n\r\n3\r\nell\r\n6\r\nworld!\r\n0\r\n\r\n")
    }

    /// What the encoder writes, our own decoder reads back whole, however the pieces were sized.
    @Test(arguments: [
        [], [1], [0, 3, 0], [16, 255, 256], [4095, 4096, 4097], [1, 1, 1, 1, 1], [70000],
    ] as [[Int]])
    func encodedPiecesDecodeToTheSameBytes(_ sizes: [Int]) throws {
        var seed: UInt32 = 7
        let pieces = sizes.map { size in
            (0..<size).map { _ -> UInt8 in
                seed = seed &* 1_103_515_245 &+ 12345
                return UInt8(truncatingIfNeeded: seed >> 16)
            }
        }
        var wire: [UInt8] = []
        for piece in pieces { ChunkedEncoder.appendChunk(piece, to: &wire) }
        ChunkedEncoder.appendLastChunk(to: &wire)
        var decoder = ChunkedDecoder(limit: 0)
        var decoded: [UInt8] = []
        let consumed = try decoder.decode(wire, 0..<wire.count, into: &decoded)
        #expect(decoder.isComplete)
        #expect(consumed == wire.count)
        #expect(decoded == pieces.flatMap { $0 })
    }
}
