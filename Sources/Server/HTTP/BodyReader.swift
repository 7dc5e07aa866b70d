/// How a request's body is delimited (RFC 9112 §6.3).
public enum BodyFraming: Equatable, Sendable {
    case none
    case length(Int)
    case chunked
}

extension BodyFraming {
    /// The declared length: nil without a body, or when chunked.
    var length: Int? {
        if case .length(let length) = self { return length }
        return nil
    }
}

extension RequestHead {
    /// The body framing the headers declare; throws 400 for conflicting or malformed framing and 501 for a
    /// transfer coding other than chunked.
    public func bodyFraming() throws(HTTPError) -> BodyFraming {
        let hasTransferEncoding = headers.contains("Transfer-Encoding")
        let hasContentLength = headers.contains("Content-Length")
        if hasTransferEncoding {
            // RFC 9112 §6.1: a request with both Transfer-Encoding and Content-Length is a smuggling vector.
            if hasContentLength { throw HTTPError(.badRequest, "both Transfer-Encoding and Content-Length") }
            // RFC 9112 §6.1: HTTP/1.0 has no transfer codings, so its framing is faulty.
            if version == .http10 { throw HTTPError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request") }
            return try transferCodingFraming()
        }
        if hasContentLength { return .length(try contentLength()) }
        return .none
    }

    /// Only `chunked`, exactly once, is understood (RFC 9112 §6.1, §7).
    private func transferCodingFraming() throws(HTTPError) -> BodyFraming {
        var chunked = 0
        var unknown = false
        var malformed = false
        headers.forEachListElement(named: "Transfer-Encoding") { element in
            var nameEnd = element.startIndex
            while nameEnd < element.endIndex && isTokenChar(element[nameEnd]) { nameEnd += 1 }
            let name = element[element.startIndex..<nameEnd]
            let rest = Headers.trimmed(element[nameEnd...])
            if name.isEmpty || !(rest.isEmpty || rest.first == UInt8(ascii: ";")) {
                malformed = true
            } else if asciiCaseInsensitiveEqual(name, "chunked") {
                // chunked takes no parameters.
                if rest.isEmpty { chunked += 1 } else { malformed = true }
            } else {
                unknown = true
            }
        }
        if malformed { throw HTTPError(.badRequest, "malformed Transfer-Encoding") }
        if unknown { throw HTTPError(.notImplemented, "transfer coding other than chunked") }
        if chunked == 0 { throw HTTPError(.badRequest, "empty Transfer-Encoding") }
        if chunked > 1 { throw HTTPError(.badRequest, "chunked applied more than once") }
        return .chunked
    }

    /// RFC 9112 §6.3: every Content-Length value, across fields and list elements, is 1*DIGIT and all agree.
    private func contentLength() throws(HTTPError) -> Int {
        var length: Int?
        var valid = true
        headers.forEachListElement(named: "Content-Length", keepingEmpty: true) { element in
            guard valid else { return }
            // 18 digits always fit in Int, which keeps the arithmetic free of overflow checks.
            guard !element.isEmpty, element.count <= 18 else { valid = false; return }
            var value = 0
            for byte in element {
                guard isDigit(byte) else { valid = false; return }
                value = value * 10 + Int(byte &- UInt8(ascii: "0"))
            }
            if let length, length != value { valid = false }
            length = value
        }
        guard valid, let length else { throw HTTPError(.badRequest, "invalid Content-Length") }
        return length
    }
}

/// Takes body bytes off the wire for either framing, enforcing the size limit as it goes.
public struct BodyReader: Sendable {
    /// What remains to be read.
    private enum Mode: Sendable {
        case finished
        case length(remaining: Int)
        case chunked
    }

    private var mode: Mode
    private var decoder: ChunkedDecoder
    private let limit: Int
    private var lengthReceived = 0

    /// `limit` in payload bytes; 0 means unlimited.
    public init(framing: BodyFraming, limit: Int) {
        self.limit = limit
        decoder = ChunkedDecoder(limit: limit)
        switch framing {
        case .none: mode = .finished
        case .length(let length): mode = length > 0 ? .length(remaining: length) : .finished
        case .chunked: mode = .chunked
        }
    }

    /// Decodes `input[range]`, appending payload bytes to `output`; returns how many input bytes were consumed
    /// (bytes past the end of the body are left for the next request).
    public mutating func read(_ input: [UInt8], _ range: Range<Int>, into output: inout [UInt8]) throws(HTTPError) -> Int {
        switch mode {
        case .finished:
            return 0
        case .length(let remaining):
            let take = min(remaining, range.count)
            if limit > 0 && lengthReceived + take > limit {
                throw HTTPError(.payloadTooLarge, "body exceeds \(limit) bytes")
            }
            output.append(contentsOf: input[range.lowerBound..<range.lowerBound + take])
            lengthReceived += take
            mode = take == remaining ? .finished : .length(remaining: remaining - take)
            return take
        case .chunked:
            let consumed = try decoder.decode(input, range, into: &output)
            if decoder.isComplete { mode = .finished }
            return consumed
        }
    }

    public var isComplete: Bool {
        if case .finished = mode { return true }
        return false
    }

    /// Payload bytes decoded so far.
    public var received: Int { lengthReceived + decoder.received }
}
