/// Bytes waiting to go out on a socket: appended at the back, sent from the front with one send() per pass.
struct SendQueue {
    private var bytes: [UInt8] = []
    private var sent = 0
    /// Bytes appended before the last reset; with `bytes.count`, a running total for the access log.
    private var dropped = 0

    /// Every byte ever appended: the difference between two readings is what was queued in between.
    var appended: Int { dropped + bytes.count }

    var pending: Int { bytes.count - sent }
    var isEmpty: Bool { sent == bytes.count }

    mutating func append(_ more: [UInt8]) { bytes.append(contentsOf: more) }

    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }

    mutating func append(byte: UInt8) { bytes.append(byte) }

    /// One send() of everything pending (call only when select() reported the socket writable).
    /// Returns send()'s count: > 0 progress, otherwise the peer is gone.
    mutating func send(to socket: Descriptor) -> Int {
        let count = withPending { socket.send($0) }
        if count > 0 { consume(count) }
        return count
    }

    /// One write() to a pipe (select() reported it writable); same count semantics as `send(to:)`.
    mutating func send(toPipe pipe: Descriptor) -> Int {
        let count = withPending { pipe.write($0) }
        if count > 0 { consume(count) }
        return count
    }

    /// Appends `bytes` as one HTTP/1.1 chunk (RFC 9112 §7.1); empty input appends nothing, since an empty
    /// chunk would end the body.
    mutating func appendChunk(_ payload: UnsafeRawBufferPointer) {
        guard !payload.isEmpty else { return }
        ChunkedEncoder.appendChunkHeader(length: payload.count, to: &bytes)
        bytes.append(contentsOf: payload)
        bytes.append(contentsOf: ChunkedEncoder.crlf)
    }

    mutating func appendLastChunk() { ChunkedEncoder.appendLastChunk(to: &bytes) }

    /// Lends the pending bytes (for descriptors written with write() rather than send()).
    func withPending<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[sent...])) }
    }

    /// Marks `count` pending bytes as gone.
    mutating func consume(_ count: Int) {
        sent += count
        if sent == bytes.count { reset() }
    }

    /// Frees the buffer of an empty queue (an idle connection keeps none).
    mutating func releaseStorage() {
        guard isEmpty else { return }
        dropped += bytes.count
        bytes = []
        sent = 0
    }

    /// Drops everything; small buffers keep their capacity for the next response, large ones are freed so an
    /// idle keep-alive connection costs little memory.
    mutating func reset() {
        dropped += bytes.count
        if bytes.capacity > 64 * 1024 {
            bytes = []
        } else {
            bytes.removeAll(keepingCapacity: true)
        }
        sent = 0
    }
}
