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
    /// The `close` and `keep-alive` options of the Connection fields: noted by the parser as it passes them,
    /// since every request asks.
    public var connectionOptions: ConnectionOptions

    /// `connectionOptions` nil: read from `headers`.
    public init(method: Method?, methodToken: String, target: String, version: HTTPVersion, headers: Headers,
                headLength: Int, connectionOptions: ConnectionOptions? = nil) {
        self.method = method
        self.methodToken = methodToken
        self.target = target
        self.version = version
        self.headers = headers
        self.headLength = headLength
        self.connectionOptions = connectionOptions ?? ConnectionOptions(headers)
    }
}

/// The Connection options that decide persistence (RFC 9112 §9.3).
public struct ConnectionOptions: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let close = ConnectionOptions(rawValue: 1)
    public static let keepAlive = ConnectionOptions(rawValue: 2)

    /// HTTP/1.1 persists unless `close`; HTTP/1.0 only with `keep-alive` (RFC 9112 §9.3).
    public func allowKeepAlive(in version: HTTPVersion) -> Bool {
        if contains(.close) { return false }
        return version == .http11 || contains(.keepAlive)
    }

    /// From every Connection field of `headers`.
    init(_ headers: Headers) {
        self = []
        headers.forEachListElement(named: "Connection") { element in
            element.withUnsafeBufferPointer { formUnion(ConnectionOptions(element: $0)) }
        }
    }

    /// From one field value: a comma-separated list, elements trimmed of OWS.
    init(value: UnsafeBufferPointer<UInt8>) {
        self = []
        var start = 0
        for i in 0...value.count where i == value.count || value[i] == UInt8(ascii: ",") {
            var lower = start, upper = i
            while lower < upper && Headers.isOWS(value[lower]) { lower += 1 }
            while upper > lower && Headers.isOWS(value[upper - 1]) { upper -= 1 }
            formUnion(ConnectionOptions(element: UnsafeBufferPointer(rebasing: value[lower..<upper])))
            start = i + 1
        }
    }

    private init(element: UnsafeBufferPointer<UInt8>) {
        if element.count == 5 && ConnectionOptions.equal(element, "close") {
            self = .close
        } else if element.count == 10 && ConnectionOptions.equal(element, "keep-alive") {
            self = .keepAlive
        } else {
            self = []
        }
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercase: StaticString) -> Bool {
        let text = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for i in 0..<text.count where asciiLowercased(bytes[i]) != text[i] { return false }
        return true
    }
}

extension RequestHead {
    /// Whether the connection may stay open after this request (RFC 9112 §9.3): HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    public var wantsKeepAlive: Bool { connectionOptions.allowKeepAlive(in: version) }

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
