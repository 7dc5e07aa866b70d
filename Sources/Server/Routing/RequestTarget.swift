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

    /// Decodes origin-form, absolute-form and asterisk-form; authority-form (CONNECT) and anything else is 400.
    /// A decoded control character (%00–%1F, %7F) is 400 too: no file name needs one, and a decoded path
    /// travels into logs, CGI variables and Location headers.
    public static func parse(_ raw: String) throws(HTTPError) -> RequestTarget {
        var bytes = raw
        let result = bytes.withUTF8 { parse(bytes: $0, whole: raw) }
        return try result.get()
    }

    private static func badRequest(_ reason: String) -> Result<RequestTarget, HTTPError> {
        .failure(HTTPError(.badRequest, reason))
    }

    /// `whole`: the String of `bytes`, reused as the path when the target is a clean path with no query.
    private static func parse(bytes: UnsafeBufferPointer<UInt8>, whole: String) -> Result<RequestTarget, HTTPError> {
        let count = bytes.count
        guard count > 0 else { return badRequest("empty request-target") }

        // RFC 9112 §3.2: no whitespace or controls in a request-target; RFC 9110 §7.1: no fragment.
        // The same pass finds where the query starts; the bytes after it need only the first two checks.
        var queryStart = -1
        var i = 0
        while i < count {
            let byte = bytes[i]
            if byte <= 0x20 || byte == 0x7F { return badRequest("control or space in request-target") }
            if byte == UInt8(ascii: "#") { return badRequest("fragment in request-target") }
            if byte == UInt8(ascii: "?") {
                queryStart = i
                break
            }
            i += 1
        }
        while i < count {
            let byte = bytes[i]
            if byte <= 0x20 || byte == 0x7F { return badRequest("control or space in request-target") }
            if byte == UInt8(ascii: "#") { return badRequest("fragment in request-target") }
            i += 1
        }
        let pathEnd = queryStart < 0 ? count : queryStart
        let query = queryStart < 0 ? "" : String(decoding: UnsafeBufferPointer(rebasing: bytes[(queryStart + 1)...]),
                                                  as: UTF8.self)

        if count == 1 && bytes[0] == UInt8(ascii: "*") {
            return .success(RequestTarget(path: "*"))  // RFC 9112 §3.2.4
        }

        var pathStart = 0
        var authority: String?
        if bytes[0] != UInt8(ascii: "/") {
            // RFC 9112 §3.2.2: absolute-form; a server must accept it even though clients send it to proxies.
            guard let authorityStart = schemeLength(bytes) else { return badRequest("unsupported request-target form") }
            var end = authorityStart
            while end < pathEnd && bytes[end] != UInt8(ascii: "/") { end += 1 }
            guard end > authorityStart else { return badRequest("empty authority in absolute-form target") }
            guard HostSyntax.isValid(UnsafeBufferPointer(rebasing: bytes[authorityStart..<end])) else {
                return badRequest("invalid authority in request-target")
            }
            authority = String(decoding: UnsafeBufferPointer(rebasing: bytes[authorityStart..<end]), as: UTF8.self)
            pathStart = end
        }

        if isClean(bytes, from: pathStart, to: pathEnd) {
            // Nearly every target: decoding would rebuild the same bytes.
            let path = pathStart == 0 && pathEnd == count ? whole
                : String(decoding: UnsafeBufferPointer(rebasing: bytes[pathStart..<pathEnd]), as: UTF8.self)
            return .success(RequestTarget(path: path, query: query, authority: authority))
        }
        switch decodePath(bytes, from: pathStart, to: pathEnd) {
        case .success(let (path, hasEncodedSlash)):
            return .success(RequestTarget(path: path, query: query, authority: authority,
                                          hasEncodedSlash: hasEncodedSlash))
        case .failure(let error):
            return .failure(error)
        }
    }

    /// The length of a leading `http://` or `https://` (scheme case-insensitive, RFC 3986 §3.1), or nil.
    private static func schemeLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count >= 7, bytes[0] | 0x20 == UInt8(ascii: "h"), bytes[1] | 0x20 == UInt8(ascii: "t"),
              bytes[2] | 0x20 == UInt8(ascii: "t"), bytes[3] | 0x20 == UInt8(ascii: "p") else { return nil }
        var i = 4
        if bytes[i] | 0x20 == UInt8(ascii: "s") { i += 1 }
        guard i + 3 <= bytes.count, bytes[i] == UInt8(ascii: ":"), bytes[i + 1] == UInt8(ascii: "/"),
              bytes[i + 2] == UInt8(ascii: "/") else { return nil }
        return i + 3
    }

    /// True when `decodePath` would return these very bytes: a path starting with "/" with no "%", no "//" and
    /// no "." or ".." segment. (Bytes at or above 0x80 come from a valid String, so they stay valid UTF-8.)
    static func isClean(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        guard start < end, bytes[start] == slash else { return false }
        // Bytes since the last "/", and whether they were all dots: a segment of one or two dots is a dot segment.
        var segmentLength = 0
        var dotsOnly = true
        var i = start + 1
        while i < end {
            let byte = bytes[i]
            if byte == slash {
                if segmentLength == 0 || (dotsOnly && segmentLength <= 2) { return false }
                segmentLength = 0
                dotsOnly = true
            } else {
                if byte == UInt8(ascii: "%") { return false }
                if byte != dot { dotsOnly = false }
                segmentLength += 1
            }
            i += 1
        }
        return !(dotsOnly && segmentLength > 0 && segmentLength <= 2)
    }

    /// One pass over the path: slashes merged, each segment percent-decoded once into the output, and a
    /// segment that decodes to "." or ".." removed on the spot (RFC 3986 §5.2.4), never climbing above "/".
    /// A decoded "/" is written as 0 (impossible otherwise: %00 is refused) so that walking back to the
    /// previous separator sees only real ones; the zeros become "/" at the end.
    static func decodePath(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int)
        -> Result<(String, Bool), HTTPError>
    {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var out: [UInt8] = []
        out.reserveCapacity(end - start + 1)
        out.append(slash)
        var decodedSomething = false
        var hasEncodedSlash = false
        var i = start
        while i < end {
            while i < end && bytes[i] == slash { i += 1 }
            let segmentStart = out.count
            while i < end && bytes[i] != slash {
                var byte = bytes[i]
                if byte == UInt8(ascii: "%") {
                    guard i + 2 < end, let high = PercentEncoding.hexValue(bytes[i + 1]),
                          let low = PercentEncoding.hexValue(bytes[i + 2]) else {
                        return .failure(HTTPError(.badRequest, "malformed percent-escape in path"))
                    }
                    byte = high << 4 | low
                    guard byte >= 0x20 && byte != 0x7F else {
                        return .failure(HTTPError(.badRequest, "encoded control character in path"))
                    }
                    if byte == slash {
                        hasEncodedSlash = true
                        byte = 0
                    }
                    decodedSomething = true
                    i += 3
                } else {
                    i += 1
                }
                out.append(byte)
            }
            let length = out.count - segmentStart
            if length == 1 && out[segmentStart] == dot {
                out.removeLast()
            } else if length == 2 && out[segmentStart] == dot && out[segmentStart + 1] == dot {
                out.removeLast(2)
                if out.count > 1 {
                    out.removeLast()
                    while out[out.count - 1] != slash { out.removeLast() }
                }
            } else if i < end {
                out.append(slash)
            }
        }
        if hasEncodedSlash {
            for j in out.indices where out[j] == 0 { out[j] = slash }
        }
        if decodedSomething {
            guard let path = String(validating: out, as: UTF8.self) else {
                return .failure(HTTPError(.badRequest, "path is not valid UTF-8 once decoded"))
            }
            return .success((path, hasEncodedSlash))
        }
        return .success((String(decoding: out, as: UTF8.self), hasEncodedSlash))
    }
}
