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
