/// A request body written to an unlinked temporary file through select(), for a CGI that must be told
/// CONTENT_LENGTH before it starts (php-cgi ignores a body without it); memory stays flat whatever the size.
final class BodySpool {
    let file: Descriptor
    /// Decoded bytes not yet written, in bulk blocks of the buffer pool.
    var queue: SendQueue
    /// Payload bytes taken so far.
    private(set) var length = 0

    static let highWater = 256 * 1024

    init(file: Descriptor, pool: BufferPool) {
        self.file = file
        queue = SendQueue(pool: pool)
    }

    deinit { queue.discardAll() }

    func append(_ bytes: [UInt8]) {
        queue.append(bytes)
        length += bytes.count
    }

    /// Back to the first byte, for the script that reads the file as its stdin.
    func rewind() { file.seek(to: 0) }

    /// One write() of the queue (select() reported the file writable); false when the file refused bytes.
    func flush() -> Bool {
        queue.send(toPipe: file) > 0
    }
}
