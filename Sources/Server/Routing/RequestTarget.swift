/// A request-target decoded for routing (RFC 9112 §3.2, RFC 3986 §5.2.4).
public struct RequestTarget: Equatable, Sendable {
    /// Percent-decoded once, dot segments removed; always starts with "/" (or is "*" for OPTIONS *).
    public var path: String
    /// Raw query, without the "?"; "" when absent.
    public var query: String
    /// The host of an absolute-form target (it overrides Host, RFC 9112 §3.2.2).
    public var authority: String?
    /// A segment contained an encoded "/" (%2F): such a path never names a file.
    public var hasEncodedSlash: Bool

    public init(path: String, query: String = "", authority: String? = nil, hasEncodedSlash: Bool = false) {
        self.path = path
        self.query = query
        self.authority = authority
        self.hasEncodedSlash = hasEncodedSlash
    }

    public static func parse(_ raw: String) throws(HTTPError) -> RequestTarget {
        RequestTarget(path: "/")
    }
}
