/// What a CGI script's header block says (RFC 3875 §6): the response to send, or a redirect to follow.
struct CGIResponseHead {
    /// The three kinds of CGI response (RFC 3875 §6.2).
    enum Kind: Equatable {
        /// §6.2.1: a document; the bytes after the header block are its body.
        case document
        /// §6.2.2: a local path (with any query) the server serves instead, as a GET, without sending a body.
        case localRedirect(String)
        /// §6.2.3, §6.2.4: a redirect for the client; the Location also sits in `headers`.
        case clientRedirect(String)
    }

    var kind: Kind
    /// `Status:` as given, else 302 for a client redirect and 200 for a document.
    var status: Status
    var contentType: String?
    /// `Content-Length:` when the script announced one; otherwise the body ends at the script's EOF.
    var contentLength: Int?
    /// Fields to forward as written (Location included), without Status, Content-Type and Content-Length
    /// (given above), hop-by-hop fields, and Date and Server (the server writes its own).
    var headers: [(name: String, value: String)]
}

/// Resumable parser of a CGI script's header block (RFC 3875 §6): fed the script's stdout in whatever pieces
/// the pipe gives, it keeps only the line being read, so each piece may be dropped once fed.
struct CGIResponseParser {
    /// A header block past this many bytes (terminators and the empty line included) is a broken script.
    static let maxHeaderBlock = 65536
    /// The caller's error when the script's output ends before the header block does (or at once).
    static let endedEarly = HTTPError(.badGateway, "CGI output ended before the end of its header block")

    private var line: [UInt8] = []
    private var afterCR = false
    private var blockLength = 0
    private var lineCount = 0
    private var finished = false
    private var status: Status?
    private var contentType: String?
    private var location: String?
    private var contentLength: Int?
    /// Header lines other than Status and Location, forwarded or not: any of them makes a local-looking
    /// Location a client redirect (§6.2.2 allows nothing else).
    private var otherFieldCount = 0
    private var headers: [(name: String, value: String)] = []

    init() {}

    /// Scans `input[range]`; returns the head and the index in `input` where the body starts once the empty
    /// line has arrived, nil when more output is needed. Throws 502 for a block the script got wrong.
    mutating func parse(_ input: [UInt8], _ range: Range<Int>) throws(HTTPError) -> (head: CGIResponseHead, bodyStart: Int)? {
        precondition(range.lowerBound >= 0 && range.upperBound <= input.count)
        // withUnsafeBytes rethrows untyped errors, so the typed one travels out as a Result.
        let result = input.withUnsafeBytes { bytes in
            Result { () throws(HTTPError) in try parse(UnsafeRawBufferPointer(rebasing: bytes[range])) }
        }
        guard let parsed = try result.get() else { return nil }
        return (parsed.head, range.lowerBound + parsed.bodyStart)
    }

    /// The same over raw bytes (a read straight from the pipe); `bodyStart` is an index into `bytes`.
    mutating func parse(_ bytes: UnsafeRawBufferPointer) throws(HTTPError) -> (head: CGIResponseHead, bodyStart: Int)? {
        precondition(!finished, "a CGIResponseParser parses one header block")
        var p = 0
        while p < bytes.count {
            let byte = bytes[p]
            p += 1
            blockLength += 1
            guard blockLength <= CGIResponseParser.maxHeaderBlock else {
                throw HTTPError(.badGateway, "CGI header block larger than \(CGIResponseParser.maxHeaderBlock) bytes")
            }
            if afterCR {
                guard byte == lf else { throw HTTPError(.badGateway, "bare CR in CGI header block") }
                afterCR = false
            } else if byte == cr {
                afterCR = true
                continue
            } else if byte != lf {
                line.append(byte)
                continue
            }
            // §6.3: a line ends in NL, written CRLF or LF.
            if line.isEmpty {
                finished = true
                return (try makeHead(), p)
            }
            try takeLine()
            line.removeAll(keepingCapacity: true)
        }
        return nil
    }

    private mutating func takeLine() throws(HTTPError) {
        lineCount += 1
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw HTTPError(.badGateway, "CGI header line without \":\"")
        }
        // §6.3: field-name is a token; a space before the colon or a folded line (leading space) is not one.
        guard colon > 0, line[..<colon].allSatisfy(isTokenChar) else {
            throw HTTPError(.badGateway, "invalid CGI header name")
        }
        let value = Headers.trimmed(line[(colon + 1)...])
        for byte in value where (byte < 0x20 && byte != tab) || byte == 0x7F {
            throw HTTPError(.badGateway, "control character in CGI header value")
        }
        let name = String(decoding: line[..<colon], as: UTF8.self)
        let text = String(decoding: value, as: UTF8.self)
        let slice = line[..<colon]

        if asciiCaseInsensitiveEqual(slice, "Status") {
            guard status == nil else { throw HTTPError(.badGateway, "more than one CGI Status field") }
            status = try CGIResponseParser.status(value)
            return
        }
        if asciiCaseInsensitiveEqual(slice, "Location") {
            guard location == nil else { throw HTTPError(.badGateway, "more than one CGI Location field") }
            guard !value.isEmpty else { throw HTTPError(.badGateway, "empty CGI Location field") }
            location = text
            headers.append((name, text))
            return
        }
        otherFieldCount += 1
        if asciiCaseInsensitiveEqual(slice, "Content-Type") {
            guard contentType == nil else { throw HTTPError(.badGateway, "more than one CGI Content-Type field") }
            contentType = text
        } else if asciiCaseInsensitiveEqual(slice, "Content-Length") {
            // Two lengths, or one that is not a plain number, would make the response's framing a guess.
            guard contentLength == nil else { throw HTTPError(.badGateway, "more than one CGI Content-Length field") }
            contentLength = try CGIResponseParser.length(value)
        } else if !CGIResponseParser.dropped.contains(where: { asciiCaseInsensitiveEqual(slice, $0) }) {
            headers.append((name, text))
        }
    }

    private func makeHead() throws(HTTPError) -> CGIResponseHead {
        guard lineCount > 0 else { throw HTTPError(.badGateway, "CGI output has no header block") }
        guard let location else {
            return CGIResponseHead(kind: .document, status: status ?? .ok, contentType: contentType,
                                   contentLength: contentLength, headers: headers)
        }
        // §6.2.2: a local redirect is an abs-path and nothing else but a Status. "//host/x" is a network-path
        // reference (RFC 3986 §4.2) naming another host, so it goes to the client.
        let bytes = Array(location.utf8)
        let isLocalPath = bytes.first == UInt8(ascii: "/") && (bytes.count == 1 || bytes[1] != UInt8(ascii: "/"))
        if isLocalPath && otherFieldCount == 0 {
            return CGIResponseHead(kind: .localRedirect(location), status: .ok, contentType: nil,
                                   contentLength: nil, headers: [])
        }
        // §6.2.3: a redirect without Status is a 302; a relative Location (RFC 9110 §10.2.2) goes along too.
        return CGIResponseHead(kind: .clientRedirect(location), status: status ?? .found, contentType: contentType,
                               contentLength: contentLength, headers: headers)
    }

    /// §6.3.3: `Status: 404 Not Found` or `Status: 404`; a missing phrase gets the standard one. 1xx is refused:
    /// an interim status would leave the client waiting for a final one that never comes.
    private static func status(_ value: ArraySlice<UInt8>) throws(HTTPError) -> Status {
        let invalid = HTTPError(.badGateway, "invalid CGI Status field")
        guard value.count >= 3 else { throw invalid }
        let digits = value.prefix(3)
        guard digits.allSatisfy(isDigit) else { throw invalid }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard (200...599).contains(code) else { throw invalid }
        let rest = value.dropFirst(3)
        if rest.isEmpty { return Status(code: code) }
        guard rest.first == UInt8(ascii: " ") else { throw invalid }
        let reason = Headers.trimmed(rest)
        return reason.isEmpty ? Status(code: code) : Status(code, String(decoding: reason, as: UTF8.self))
    }

    /// A decimal length, bounded so that it cannot overflow.
    private static func length(_ value: ArraySlice<UInt8>) throws(HTTPError) -> Int {
        guard !value.isEmpty, value.count <= 18, value.allSatisfy(isDigit) else {
            throw HTTPError(.badGateway, "invalid CGI Content-Length field")
        }
        return value.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// Hop-by-hop fields (RFC 9110 §7.6.1) describe the script's pipe, not our connection; Date and Server are
    /// written by the server and may appear once.
    private static let dropped = ["Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade",
                                  "Proxy-Connection", "Date", "Server"]
}

private let cr: UInt8 = 0x0D
private let lf: UInt8 = 0x0A
private let tab: UInt8 = 0x09
