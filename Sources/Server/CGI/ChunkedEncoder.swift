/// Frames a body of unknown length as HTTP/1.1 chunks (RFC 9112 §7.1), appending to the caller's bytes.
enum ChunkedEncoder {
    /// The last chunk and the empty trailer section: the end of the body.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// Appends `payload` as one chunk. An empty payload appends nothing: a zero-size chunk would end the body.
    static func appendChunk<Bytes: Collection>(_ payload: Bytes, to output: inout [UInt8])
    where Bytes.Element == UInt8 {
        let count = payload.count
        guard count > 0 else { return }
        output.reserveCapacity(output.count + count + 20)
        appendChunkHeader(length: count, to: &output)
        output.append(contentsOf: payload)
        output.append(contentsOf: crlf)
    }

    /// `hex-size CRLF`, for a caller that writes the chunk's data itself and then `crlf`; `length` > 0.
    static func appendChunkHeader(length: Int, to output: inout [UInt8]) {
        precondition(length > 0, "a zero-size chunk is the last chunk")
        var shift = (Int.bitWidth - length.leadingZeroBitCount - 1) / 4 * 4
        while shift >= 0 {
            output.append(hexDigits[(length >> shift) & 0xF])
            shift -= 4
        }
        output.append(contentsOf: crlf)
    }

    static func appendLastChunk(to output: inout [UInt8]) {
        output.append(contentsOf: lastChunk)
    }

    /// What ends each chunk's data.
    static let crlf: [UInt8] = [0x0D, 0x0A]

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}
