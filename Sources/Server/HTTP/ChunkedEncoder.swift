/// Frames a body of unknown length as HTTP/1.1 chunks (RFC 9112 §7.1), into a send queue or an array.
enum ChunkedEncoder {
    /// The last chunk and the empty trailer section: the end of the body.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// Appends `payload` as one chunk, framed in place. An empty payload appends nothing: a zero-size chunk
    /// would end the body.
    static func appendChunk(_ payload: UnsafeRawBufferPointer, to queue: inout SendQueue) {
        guard !payload.isEmpty else { return }
        forEachSizeDigit(payload.count) { queue.append(byte: $0) }
        queue.append(crlf)
        queue.append(payload)
        queue.append(crlf)
    }

    /// The same framing into an array.
    static func appendChunk<Bytes: Collection>(_ payload: Bytes, to output: inout [UInt8])
    where Bytes.Element == UInt8 {
        let count = payload.count
        guard count > 0 else { return }
        output.reserveCapacity(output.count + count + 20)
        forEachSizeDigit(count) { output.append($0) }
        output.append(contentsOf: crlf)
        output.append(contentsOf: payload)
        output.append(contentsOf: crlf)
    }

    static func appendLastChunk(to output: inout [UInt8]) {
        output.append(contentsOf: lastChunk)
    }

    /// The chunk size in lowercase hex, without leading zeros; `length` > 0.
    static func forEachSizeDigit(_ length: Int, _ emit: (UInt8) -> Void) {
        var shift = (Int.bitWidth - length.leadingZeroBitCount - 1) / 4 * 4
        while shift >= 0 {
            emit(hexDigits[(length >> shift) & 0xF])
            shift -= 4
        }
    }

    /// What ends each chunk's size line and data.
    static let crlf: [UInt8] = [0x0D, 0x0A]

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
