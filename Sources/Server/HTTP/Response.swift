/// What the server answers to one request: a status, headers and where the body comes from.
struct Response {
    enum Body {
        case empty
        case bytes([UInt8])
        /// An open regular file streamed through the select loop; the response owns the descriptor.
        case file(FileBody)
    }

    var status: Status
    var contentType: String?
    /// Seconds since the epoch, for Last-Modified.
    var lastModified: Int?
    /// Further headers, written as given.
    var headers: [(name: String, value: String)] = []
    /// Header lines already rendered (`Name: value\r\n`…), written after the others: a cached file's.
    var headerLines: [UInt8] = []
    var body: Body
    /// Set apart from the body: a HEAD response announces the length of a body it does not send.
    var contentLength: Int
    /// The connection must close after this response (framing trouble, unread body).
    var closesConnection = false
    /// Type and length lines rendered in advance (a built-in page's), written in place of rendering them.
    var framingLines: FramingLines?

    init(status: Status, contentType: String? = nil, body: Body = .empty) {
        self.status = status
        self.contentType = contentType
        self.body = body
        switch body {
        case .empty: contentLength = 0
        case .bytes(let bytes): contentLength = bytes.count
        case .file(let file): contentLength = file.length
        }
    }

    /// A head-only answer announcing `length` bytes (HEAD of a file).
    /// A response that will not be sent still owns its file descriptor: this closes it.
    func releaseFile() {
        if case .file(let file) = body { file.descriptor.close() }
    }

    init(status: Status, contentType: String?, announcedLength length: Int) {
        self.init(status: status, contentType: contentType)
        contentLength = length
    }
}

/// A file a response streams: its descriptor, the parts of it that are sent, and what to remember it by
/// for the file cache.
struct FileBody {
    /// Bytes sent before a range of the file (a multipart/byteranges part head), then the range itself.
    struct Segment {
        var prefix: [UInt8] = []
        var offset: Int
        var length: Int
    }

    let descriptor: Descriptor
    let segments: [Segment]
    /// Bytes after the last segment (the multipart close delimiter).
    let trailer: [UInt8]
    /// Which file it was (its path, or the file cache's key for it) and which version, so the bytes can fill
    /// the file cache.
    let path: String
    let identity: FileIdentity

    init(descriptor: Descriptor, segments: [Segment], trailer: [UInt8] = [], path: String, identity: FileIdentity) {
        self.descriptor = descriptor
        self.segments = segments
        self.trailer = trailer
        self.path = path
        self.identity = identity
    }

    /// Bytes on the wire.
    var length: Int { segments.reduce(trailer.count) { $0 + $1.prefix.count + $1.length } }

    /// The whole file, from its start: the only shape worth caching.
    var isWholeFile: Bool {
        segments.count == 1 && segments[0].offset == 0 && segments[0].length == identity.size && trailer.isEmpty
    }
}
