/// Decoder of the chunked transfer coding (RFC 9112 §7.1) whose state survives between calls at every byte.
struct ChunkedDecoder: Sendable {
    /// Where the decoder stands within the chunk grammar; each call resumes here.
    private enum State: UInt8 {
        case size, sizeWhitespace, chunkExtension, sizeCR, data, dataEnd, dataCR
        case trailerStart, trailerLine, trailerCR, finalCR, done
    }

    /// A chunk-size line (size and extensions) may not exceed this many bytes.
    static let maxSizeLine = 4096
    /// Trailer field lines together may not exceed this many bytes.
    static let maxTrailer = 32768
    /// 16 hex digits is the most a 64-bit size can take.
    static let maxSizeDigits = 16

    /// Payload bytes allowed; 0 means unlimited.
    let limit: Int
    /// Payload bytes decoded so far.
    private(set) var received = 0
    private var state = State.size
    private var size = 0
    private var sizeDigits = 0
    private var sizeLineLength = 0
    private var remaining = 0
    private var trailerLength = 0

    init(limit: Int) {
        self.limit = limit
    }

    var isComplete: Bool { state == .done }

    /// Decodes `input[range]`, appending payload to `output`; returns the input bytes consumed, stopping right
    /// after the final empty line.
    mutating func decode(_ input: [UInt8], _ range: Range<Int>, into output: inout [UInt8]) throws(HTTPError) -> Int {
        var p = range.lowerBound
        let end = range.upperBound
        while p < end && state != .done {
            if state == .data {
                let take = min(remaining, end - p)
                output.append(contentsOf: input[p..<p + take])
                p += take
                remaining -= take
                received += take
                if remaining == 0 { state = .dataEnd }
                continue
            }
            let byte = input[p]
            p += 1
            switch state {
            case .size:
                try countSizeLineByte()
                if let digit = hexValue(byte) {
                    guard sizeDigits < ChunkedDecoder.maxSizeDigits, size <= Int.max >> 4 else {
                        throw HTTPError(.badRequest, "chunk size too large")
                    }
                    size = size << 4 | digit
                    sizeDigits += 1
                    continue
                }
                guard sizeDigits > 0 else { throw HTTPError(.badRequest, "chunk size is not hexadecimal") }
                switch byte {
                case semicolon: state = .chunkExtension
                case space, tab: state = .sizeWhitespace  // BWS before ';' (RFC 9112 §7.1.1)
                case cr: state = .sizeCR
                case lf: try finishSizeLine()
                default: throw HTTPError(.badRequest, "invalid byte after chunk size")
                }

            case .sizeWhitespace:
                try countSizeLineByte()
                if byte == semicolon {
                    state = .chunkExtension
                } else if byte != space && byte != tab {
                    throw HTTPError(.badRequest, "invalid byte after chunk size")
                }

            case .chunkExtension:
                // Extensions are ignored (RFC 9112 §7.1.1) but still bounded and free of control bytes.
                if byte == cr {
                    state = .sizeCR
                } else if byte == lf {
                    try finishSizeLine()
                } else {
                    try countSizeLineByte()
                    guard byte >= space && byte != 0x7F || byte == tab else {
                        throw HTTPError(.badRequest, "control character in chunk extension")
                    }
                }

            case .sizeCR:
                guard byte == lf else { throw HTTPError(.badRequest, "bare CR in chunk size line") }
                try finishSizeLine()

            case .dataEnd:
                if byte == cr {
                    state = .dataCR
                } else if byte == lf {
                    state = .size
                } else {
                    throw HTTPError(.badRequest, "chunk data longer than its size")
                }

            case .dataCR:
                guard byte == lf else { throw HTTPError(.badRequest, "bare CR after chunk data") }
                state = .size

            case .trailerStart:
                if byte == cr {
                    state = .finalCR
                } else if byte == lf {
                    state = .done
                } else {
                    try countTrailerByte()
                    state = .trailerLine
                }

            case .trailerLine:
                try countTrailerByte()
                if byte == cr {
                    state = .trailerCR
                } else if byte == lf {
                    state = .trailerStart
                }

            case .trailerCR:
                try countTrailerByte()
                guard byte == lf else { throw HTTPError(.badRequest, "bare CR in trailer") }
                state = .trailerStart

            case .finalCR:
                guard byte == lf else { throw HTTPError(.badRequest, "bare CR at end of chunked body") }
                state = .done

            case .data, .done:
                preconditionFailure("unreachable: handled before the switch")
            }
        }
        return p - range.lowerBound
    }

    @inline(__always)
    private mutating func countSizeLineByte() throws(HTTPError) {
        sizeLineLength += 1
        if sizeLineLength > ChunkedDecoder.maxSizeLine {
            throw HTTPError(.badRequest, "chunk size line longer than \(ChunkedDecoder.maxSizeLine) bytes")
        }
    }

    @inline(__always)
    private mutating func countTrailerByte() throws(HTTPError) {
        trailerLength += 1
        if trailerLength > ChunkedDecoder.maxTrailer {
            throw HTTPError(.badRequest, "trailer section larger than \(ChunkedDecoder.maxTrailer) bytes")
        }
    }

    private mutating func finishSizeLine() throws(HTTPError) {
        sizeLineLength = 0
        sizeDigits = 0
        if size == 0 {
            state = .trailerStart
            return
        }
        // Refuse as soon as the declared chunk would pass the limit, before reading its data.
        if limit > 0 && size > limit - received {
            throw HTTPError(.payloadTooLarge, "chunked body exceeds \(limit) bytes")
        }
        remaining = size
        size = 0
        state = .data
    }
}

private let cr: UInt8 = 0x0D
private let lf: UInt8 = 0x0A
private let space: UInt8 = 0x20
private let tab: UInt8 = 0x09
private let semicolon: UInt8 = 0x3B

@inline(__always)
private func hexValue(_ byte: UInt8) -> Int? {
    if byte &- UInt8(ascii: "0") < 10 { return Int(byte &- UInt8(ascii: "0")) }
    let lower = byte | 0x20
    if lower &- UInt8(ascii: "a") < 6 { return Int(lower &- UInt8(ascii: "a")) + 10 }
    return nil
}
