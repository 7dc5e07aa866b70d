/// Where a request body's decoded bytes go while it is read, and what follows once it is whole.
enum BodySink {
    /// Dropped: nothing consumes the body (a static resource or an error answers the request); then the
    /// response is sent.
    case discard(then: Box<Response>, ResponseTerms)
    /// Written to a temporary file first, as nginx buffers a FastCGI request: a chunked body's length must be
    /// known for CONTENT_LENGTH, and a slow client must not hold a running interpreter (a thousand slow
    /// uploads would otherwise be a thousand processes). Then the script runs on it.
    case spool(BodySpool, then: CGIJob)
    /// Stored as files; then the answer names them.
    case upload(UploadSink, then: UploadJob)

    /// Past this many bytes taken and not yet on disk, the body is not read further.
    static let highWater = 256 * 1024
    /// Room reserved for decoded body bytes before they are taken from the input.
    static let minimumRoom = 4096

    /// Bytes taken and not yet written to the sink's file.
    var backlog: Int {
        switch self {
        case .discard: return 0
        case .spool(let spool, _): return spool.queue.pending
        case .upload(let sink, _): return sink.pendingBytes
        }
    }

    /// How many input bytes may be taken now: a body bound for a file is taken only as far as the room
    /// reserved for it in the buffer pool, so what waits in memory stays small. nil when the pool has no room
    /// (the bytes wait in the kernel meanwhile).
    func reserveRoom() -> Int? {
        switch self {
        case .discard:
            return .max
        case .spool(let spool, _):
            guard spool.queue.reserveBulk(BodySink.minimumRoom) else { return nil }
            return spool.queue.tailRoom
        case .upload(let sink, _):
            guard sink.queue.reserveBulk(BodySink.minimumRoom) else { return nil }
            // A multipart boundary held back from an earlier read may come out with the next bytes.
            return sink.queue.tailRoom - UploadSink.heldBackBytes
        }
    }

    func take(_ decoded: [UInt8]) throws(HTTPError) {
        switch self {
        case .discard: break
        case .spool(let spool, _): spool.append(decoded)
        case .upload(let sink, _): try sink.take(decoded)
        }
    }

    /// The body has been read whole (a truncated multipart body is a 400).
    func finishInput() throws(HTTPError) {
        if case .upload(let sink, _) = self { try sink.finishInput() }
    }

    /// The file bytes wait for, to be watched for writing; nil when none wait.
    var fileToWrite: Descriptor? {
        switch self {
        case .discard: return nil
        case .spool(let spool, _): return spool.queue.isEmpty ? nil : spool.file
        case .upload(let sink, _): return sink.waitingDescriptor
        }
    }

    /// One write to the sink's file, which select() reported writable.
    func fileWritable() throws(HTTPError) {
        switch self {
        case .discard:
            break
        case .spool(let spool, _):
            // Disk full or a write error: the body cannot be kept.
            guard spool.flush() else { throw HTTPError(.insufficientStorage, "cannot write the spooled request body") }
        case .upload(let sink, _):
            try sink.writable()
        }
    }

    /// Every byte taken is where it belongs (for an upload: the files are published).
    var isDone: Bool {
        switch self {
        case .discard: return true
        case .spool(let spool, _): return spool.queue.isEmpty
        case .upload(let sink, _): return sink.isComplete
        }
    }

    /// The request will not complete: what the sink holds is given back, and an upload leaves nothing.
    func abandon() {
        switch self {
        case .discard(let response, _): response.value.releaseFile()
        case .spool(let spool, _): spool.file.close()
        case .upload(let sink, _): sink.abort()
        }
    }
}
