/// What a response must respect of its request: a HEAD answer carries no body, an HTTP/1.0 client gets no
/// chunks (and is told `keep-alive`), and whether the connection may stay open afterwards.
struct ResponseTerms {
    var keepAlive: Bool
    let isHead: Bool
    let version: HTTPVersion

    init(keepAlive: Bool, isHead: Bool, version: HTTPVersion) {
        self.keepAlive = keepAlive
        self.isHead = isHead
        self.version = version
    }

    /// The terms a request's head asks for.
    init(_ head: RequestHead) {
        self.init(keepAlive: head.wantsKeepAlive, isHead: head.method == .head, version: head.version)
    }

    /// An answer to a request that could not be understood: the connection ends with it.
    static let closing = ResponseTerms(keepAlive: false, isHead: false, version: .http11)

    func withoutKeepAlive() -> ResponseTerms { ResponseTerms(keepAlive: false, isHead: isHead, version: version) }
}
