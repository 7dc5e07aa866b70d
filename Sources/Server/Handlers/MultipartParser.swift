/// What a `multipart/form-data` body holds, in the order the parser meets it.
public enum MultipartEvent: Equatable, Sendable {
    /// A part's header section is complete; its content follows as `.data` events.
    case partBegin(MultipartPart)
    /// Content bytes of the current part: a slice of the bytes fed, or of the parser's own copy of the
    /// delimiter when bytes it held back turned out not to be one. Never empty.
    case data(ArraySlice<UInt8>)
    /// The current part's content is complete.
    case partEnd
    /// The close delimiter was read; the epilogue and anything after it are ignored.
    case end
}

/// The fields of one part's header section that uploads use (RFC 7578 §4.2, §4.4).
public struct MultipartPart: Equatable, Sendable {
    /// The `name` parameter of `Content-Disposition`.
    public var name: String?
    /// `filename*` (RFC 5987) when present and decodable, else `filename`, as sent (not yet made safe).
    /// An empty string is what browsers send for a file input left empty.
    public var filename: String?
    /// The part's `Content-Type`, trimmed; nil when absent (RFC 7578 §4.4: text/plain by default).
    public var contentType: String?

    public init(name: String? = nil, filename: String? = nil, contentType: String? = nil) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
    }
}

/// Streaming `multipart/form-data` parser (RFC 7578, RFC 2046 §5.1): content is returned as slices of the
/// input as soon as it cannot be the start of a delimiter, so memory is one delimiter plus one header section.
public struct MultipartParser: Sendable {
    /// A part's header section may not exceed this many bytes.
    public static let maxHeaderBytes = 8192
    /// RFC 2046 §5.1.1: a boundary has 1 to 70 characters.
    static let maxBoundaryLength = 70

    private enum State: Sendable {
        /// Before the first delimiter: bytes are discarded.
        case preamble
        /// Inside a part's content.
        case content
        /// After a delimiter: optional transport padding, then CRLF.
        case boundaryPadding
        case boundaryLF
        /// In a part's header section.
        case headers
        /// After the close delimiter.
        case done
    }

    /// `CRLF "--" boundary "-"`: the delimiter (RFC 2046 §5.1.1) and the first byte of a close delimiter's
    /// `--`. A boundary holds no CR, so CR occurs only at index 0, which keeps the matching simple: after a
    /// mismatch the only place a new delimiter can start is the mismatching byte itself.
    private let pattern: [UInt8]
    private var delimiterLength: Int { pattern.count - 1 }
    private var state = State.preamble
    /// Bytes of `pattern` matched so far, not yet given out as content.
    /// The body starts as if preceded by CRLF, so a first boundary on the very first line is a delimiter.
    private var matched = 2
    private var headerBytes = 0
    private var line: [UInt8] = []
    private var part = MultipartPart()

    /// Fails with 400 when the boundary is empty, longer than 70 bytes, ends in a space, or holds a byte
    /// outside printable ASCII (RFC 2046 §5.1.1 allows fewer characters; senders never use the others).
    public init(boundary: String) throws(HTTPError) {
        let bytes = Array(boundary.utf8)
        guard !bytes.isEmpty, bytes.count <= MultipartParser.maxBoundaryLength,
              bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }), bytes.last != UInt8(ascii: " ")
        else { throw HTTPError(.badRequest, "invalid multipart boundary") }
        pattern = Array("\r\n--".utf8) + bytes + [UInt8(ascii: "-")]
    }

    /// True once the close delimiter has been read.
    public var isComplete: Bool {
        if case .done = state { return true }
        return false
    }

    /// Whether a Content-Type names `multipart/form-data` (RFC 7578 §4), whatever its parameters.
    public static func isFormData(contentType: String) -> Bool {
        guard let parsed = HeaderParameters(contentType) else { return false }
        return parsed.value.lowercased() == "multipart/form-data"
    }

    /// The `boundary` parameter of a `multipart/form-data` Content-Type (quoted or not, among other
    /// parameters); nil when the type is another one or the boundary is missing or invalid.
    public static func boundary(fromContentType contentType: String) -> String? {
        guard let parsed = HeaderParameters(contentType), parsed.value.lowercased() == "multipart/form-data",
              let boundary = parsed["boundary"], (try? MultipartParser(boundary: boundary)) != nil
        else { return nil }
        return boundary
    }

    /// Consumes every byte of `input` and returns what it completed. Content slices share `input`'s storage.
    public mutating func feed(_ input: ArraySlice<UInt8>) throws(HTTPError) -> [MultipartEvent] {
        var events: [MultipartEvent] = []
        var p = input.startIndex
        let end = input.endIndex
        // Content in `input[runStart..<p]` not yet emitted, and where a delimiter match began if it began in
        // this input (nil: in an earlier one, so its bytes are only in `pattern`).
        var runStart = p
        var matchStart: Int? = nil
        let delimiterLength = self.delimiterLength

        func flushRun(upTo index: Int) {
            if case .content = state, index > runStart { events.append(.data(input[runStart..<index])) }
            runStart = index
        }

        while p < end {
            switch state {
            case .preamble, .content:
                if matched == 0 {
                    guard let cr = input[p..<end].firstIndex(of: UInt8(ascii: "\r")) else {
                        p = end
                        continue
                    }
                    matched = 1
                    matchStart = cr
                    p = cr + 1
                    continue
                }
                let byte = input[p]
                let continues: Bool
                if matched < delimiterLength {
                    continues = byte == pattern[matched]
                } else if matched == delimiterLength {
                    // RFC 2046 §5.1.1: a delimiter is followed by "--", or by padding and CRLF. A boundary
                    // followed by anything else is content (as Go's mime/multipart reads it).
                    if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") {
                        flushRun(upTo: matchStart ?? runStart)
                        if case .content = state { events.append(.partEnd) }
                        matched = 0
                        matchStart = nil
                        state = .boundaryPadding
                        continue
                    }
                    continues = byte == UInt8(ascii: "-")
                } else {
                    if byte == UInt8(ascii: "-") {
                        flushRun(upTo: matchStart ?? runStart)
                        if case .content = state { events.append(.partEnd) }
                        events.append(.end)
                        matched = 0
                        matchStart = nil
                        state = .done
                        continue
                    }
                    continues = false
                }
                if continues {
                    matched += 1
                    p += 1
                    continue
                }
                // Not a delimiter: what was held back is content. Held bytes in this input simply stay in the
                // run; held bytes from an earlier input are given out from `pattern`.
                if matchStart == nil {
                    if case .content = state { events.append(.data(pattern[0..<matched])) }
                    runStart = p
                }
                matched = 0
                matchStart = nil

            case .boundaryPadding:
                let byte = input[p]
                p += 1
                if byte == UInt8(ascii: "\r") {
                    state = .boundaryLF
                } else if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") {
                    throw HTTPError(.badRequest, "multipart boundary line has trailing bytes")
                }

            case .boundaryLF:
                guard input[p] == UInt8(ascii: "\n") else {
                    throw HTTPError(.badRequest, "multipart boundary line not ended by CRLF")
                }
                p += 1
                state = .headers
                headerBytes = 0
                line.removeAll(keepingCapacity: true)
                part = MultipartPart()

            case .headers:
                let lineEnd = input[p..<end].firstIndex(of: UInt8(ascii: "\n"))
                let stop = lineEnd.map { $0 + 1 } ?? end
                headerBytes += stop - p
                guard headerBytes <= MultipartParser.maxHeaderBytes else {
                    throw HTTPError(.badRequest,
                                    "multipart part headers exceed \(MultipartParser.maxHeaderBytes) bytes")
                }
                line.append(contentsOf: input[p..<(lineEnd ?? end)])
                p = stop
                guard lineEnd != nil else { continue }
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                if line.isEmpty {
                    events.append(.partBegin(part))
                    state = .content
                    runStart = p
                    matched = 0
                    matchStart = nil
                } else {
                    try readHeaderLine()
                    line.removeAll(keepingCapacity: true)
                }

            case .done:
                p = end
            }
        }
        // Content up to a possible delimiter start is given out now; the held bytes wait for more input.
        flushRun(upTo: matchStart ?? (matched > 0 ? runStart : end))
        return events
    }

    /// Convenience for whole arrays (tests, small bodies).
    public mutating func feed(_ input: [UInt8]) throws(HTTPError) -> [MultipartEvent] {
        try feed(input[...])
    }

    /// Called when the body ends: a body without its close delimiter is malformed (RFC 2046 §5.1.1).
    public func finish() throws(HTTPError) {
        guard isComplete else { throw HTTPError(.badRequest, "multipart body ends before its close delimiter") }
    }

    /// One header line of a part (RFC 7578 §4.8: only Content-Disposition, Content-Type and
    /// Content-Transfer-Encoding are meaningful; the last is deprecated and ignored).
    private mutating func readHeaderLine() throws(HTTPError) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
            throw HTTPError(.badRequest, "malformed multipart part header")
        }
        // A line starting with whitespace is obs-fold; like whitespace before ':', it is refused as in
        // request heads (RFC 9112 §5.1, §5.2).
        for byte in line[..<colon] where !isTokenChar(byte) {
            throw HTTPError(.badRequest, "malformed multipart part header name")
        }
        for byte in line[(colon + 1)...] where byte < 0x20 && byte != UInt8(ascii: "\t") || byte == 0x7F {
            throw HTTPError(.badRequest, "control character in multipart part header")
        }
        let name = line[..<colon]
        let value = Headers.trimmed(line[(colon + 1)...])
        if asciiCaseInsensitiveEqual(name, "Content-Disposition") {
            guard let disposition = HeaderParameters(MultipartParser.text(value)) else {
                throw HTTPError(.badRequest, "malformed Content-Disposition in multipart part")
            }
            part.name = disposition["name"]
            part.filename = disposition.extendedValue("filename*") ?? disposition["filename"]
        } else if asciiCaseInsensitiveEqual(name, "Content-Type") {
            part.contentType = MultipartParser.text(value)
        }
    }

    /// Browsers send raw UTF-8 in part headers; bytes that are not UTF-8 become U+FFFD rather than failing.
    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// Reduces a client-supplied file name to a safe base name, or nil when nothing safe remains:
    /// the path up to the last `/` or `\` is dropped, leading dots are dropped (no hidden files, no `.`
    /// or `..`), control characters refuse the name, and the UTF-8 length is capped at `maxBytes`
    /// (keeping a short extension and never splitting a character).
    public static func safeFileName(_ raw: String, maxBytes: Int = 255) -> String? {
        var scalars = Substring(raw).unicodeScalars
        if let separator = scalars.lastIndex(where: { $0 == "/" || $0 == "\\" }) {
            scalars = scalars[scalars.index(after: separator)...]
        }
        while scalars.first == "." { scalars = scalars.dropFirst() }
        guard !scalars.isEmpty else { return nil }
        for scalar in scalars where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
            return nil
        }
        let name = String(scalars)
        guard name.utf8.count > maxBytes else { return name }
        // Keep the extension when it is short, so the stored file keeps its type.
        var stem = Substring(name).unicodeScalars
        var suffix = Substring("").unicodeScalars
        if let dot = stem.lastIndex(of: "."), stem.distance(from: dot, to: stem.endIndex) <= 16 {
            suffix = stem[dot...]
            stem = stem[..<dot]
        }
        let budget = maxBytes - String(suffix).utf8.count
        var kept = String.UnicodeScalarView()
        var used = 0
        for scalar in stem {
            let size = UTF8.width(scalar)
            if used + size > budget { break }
            kept.append(scalar)
            used += size
        }
        kept.append(contentsOf: suffix)
        let result = String(kept)
        return result.isEmpty || result.hasPrefix(".") || result.utf8.count > maxBytes ? nil : result
    }
}

/// `value; name=token; name="quoted"` as in Content-Type (RFC 9110 §5.6.6, §8.3.1) and Content-Disposition
/// (RFC 6266 §4.1); parameter names compare case-insensitively.
struct HeaderParameters {
    let value: String
    private var parameters: [(name: String, value: String)] = []

    /// Nil when the text does not follow the grammar.
    init?(_ text: String) {
        let bytes = Array(text.utf8)
        var i = 0
        func skipWhitespace() {
            while i < bytes.count && Headers.isOWS(bytes[i]) { i += 1 }
        }
        skipWhitespace()
        let valueStart = i
        while i < bytes.count && bytes[i] != UInt8(ascii: ";") { i += 1 }
        let head = Headers.trimmed(bytes[valueStart..<i])
        guard !head.isEmpty else { return nil }
        value = String(decoding: head, as: UTF8.self)
        while i < bytes.count {
            i += 1  // the ';'
            skipWhitespace()
            if i == bytes.count { break }
            if bytes[i] == UInt8(ascii: ";") { continue }
            let nameStart = i
            while i < bytes.count && isTokenChar(bytes[i]) { i += 1 }
            let name = bytes[nameStart..<i]
            skipWhitespace()
            guard !name.isEmpty, i < bytes.count, bytes[i] == UInt8(ascii: "=") else { return nil }
            i += 1
            skipWhitespace()
            var parameter: [UInt8] = []
            if i < bytes.count && bytes[i] == UInt8(ascii: "\"") {
                i += 1
                var closed = false
                while i < bytes.count {
                    let byte = bytes[i]
                    i += 1
                    if byte == UInt8(ascii: "\"") {
                        closed = true
                        break
                    }
                    // Browsers escape `"` as %22 and leave `\` alone (WHATWG HTML, multipart/form-data
                    // encoding), so a backslash escapes only `"` and `\`: `C:\dir\a.txt` keeps its separators.
                    if byte == UInt8(ascii: "\\") && i < bytes.count
                        && (bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "\\")) {
                        parameter.append(bytes[i])
                        i += 1
                    } else {
                        parameter.append(byte)
                    }
                }
                guard closed else { return nil }
            } else {
                let start = i
                while i < bytes.count && bytes[i] != UInt8(ascii: ";") { i += 1 }
                parameter.append(contentsOf: Headers.trimmed(bytes[start..<i]))
                guard !parameter.isEmpty else { return nil }
            }
            skipWhitespace()
            guard i == bytes.count || bytes[i] == UInt8(ascii: ";") else { return nil }
            parameters.append((String(decoding: name, as: UTF8.self), String(decoding: parameter, as: UTF8.self)))
        }
    }

    /// The first parameter of that name.
    subscript(name: String) -> String? {
        parameters.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// An RFC 5987 / RFC 8187 `charset'language'pct-encoded` value, decoded; nil when absent, of another
    /// charset than UTF-8 or ISO-8859-1, or not decodable.
    func extendedValue(_ name: String) -> String? {
        guard let raw = self[name] else { return nil }
        let parts = raw.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        var bytes: [UInt8] = []
        var utf8 = Array(parts[2].utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let high = PercentEncoding.hexValue(utf8.popFirst()!),
                      let low = PercentEncoding.hexValue(utf8.popFirst()!)
                else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        switch parts[0].lowercased() {
        case "utf-8":
            return String(validating: bytes, as: UTF8.self)
        case "iso-8859-1":
            return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
        default:
            return nil
        }
    }
}
