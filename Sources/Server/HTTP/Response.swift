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
    var body: Body
    /// Set apart from the body: a HEAD response announces the length of a body it does not send.
    var contentLength: Int
    /// The connection must close after this response (framing trouble, unread body).
    var closesConnection = false

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
    init(status: Status, contentType: String?, announcedLength length: Int) {
        self.init(status: status, contentType: contentType)
        contentLength = length
    }
}

/// A file a response streams: its descriptor, length, and what to remember it by for the file cache.
struct FileBody {
    let descriptor: Descriptor
    let length: Int
    /// Where it was opened from and which version it was, so the bytes can fill the file cache.
    let path: String
    let identity: FileIdentity
}
