/// The request line and header section of one request, as parsed.
public struct RequestHead: Sendable {
    /// nil when the token is not a method webserv knows (answered 501).
    public var method: Method?
    /// The method token as sent (for logs and REQUEST_METHOD).
    public var methodToken: String
    /// The request-target exactly as sent (REQUEST_URI).
    public var target: String
    public var version: HTTPVersion
    public var headers: Headers
    /// Bytes the head occupied in the input, including any leading empty line and the final empty line.
    public var headLength: Int

    public init(method: Method?, methodToken: String, target: String, version: HTTPVersion, headers: Headers,
                headLength: Int) {
        self.method = method
        self.methodToken = methodToken
        self.target = target
        self.version = version
        self.headers = headers
        self.headLength = headLength
    }
}

extension RequestHead {
    /// Whether the connection may stay open after this request (RFC 9112 §9.3): HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    public var wantsKeepAlive: Bool {
        // One pass over the Connection fields for both tokens.
        var close = false
        var keepAlive = false
        headers.forEachListElement(named: "Connection") { element in
            if asciiCaseInsensitiveEqual(element, "close") {
                close = true
            } else if asciiCaseInsensitiveEqual(element, "keep-alive") {
                keepAlive = true
            }
        }
        if close { return false }
        return version == .http11 || keepAlive
    }

    /// Whether the client waits for `100 Continue` before sending its body (RFC 9110 §10.1.1; HTTP/1.1 only).
    public var expectsContinue: Bool {
        version == .http11 && headers.contains("Expect", token: "100-continue")
    }
}

/// The protocol version of a request line; 1.x beyond 1.1 is recorded as 1.1 (RFC 9110 §2.5).
public struct HTTPVersion: Equatable, Sendable {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static let http10 = HTTPVersion(major: 1, minor: 0)
    public static let http11 = HTTPVersion(major: 1, minor: 1)
}
