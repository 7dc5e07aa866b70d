/// Resumable byte-level parser of a request line and header section (RFC 9112 §2–5).
public struct RequestParser: Sendable {
    /// Sizes enforced on the byte that would exceed them (Apache's and nginx's defaults).
    public struct Limits: Sendable {
        public var requestLine = 8192
        public var headerLine = 8192
        public var headerSection = 32768
        public var fieldCount = 100
        public init() {}
    }

    /// Where the scan stands; each call resumes here.
    private enum State: UInt8 {
        case leadingLine, leadingCR, requestLineStart, method, targetStart, target, version, requestLineEnd
        case requestLineCR, fieldStart, name, value, valueCR, finalCR, done
    }

    private let limits: Limits
    private var state = State.leadingLine
    /// Every position below is an offset from the head's first byte, so the caller may move the head within
    /// its buffer between calls; `scanned` is where the next call resumes.
    @Offset32 private var scanned = 0
    @Offset32 private var requestLineStart = 0
    @Offset32 private var methodEnd = 0
    @Offset32 private var targetStart = 0
    @Offset32 private var targetEnd = 0
    @Offset32 private var versionIndex = 0
    @Offset32 private var major = 0
    @Offset32 private var minor = 0
    private var version = HTTPVersion.http11
    @Offset32 private var headersStart = 0
    @Offset32 private var lineStart = 0
    @Offset32 private var nameEnd = 0
    @Offset32 private var valueStart = -1
    @Offset32 private var valueEnd = -1
    @Offset32 private var hostCount = 0
    @Offset32 private var fieldCount = 0
    /// Where the Host field's value lies in the head (empty when the value is).
    private var hostValue = 0..<0
    private var connectionOptions: ConnectionOptions = []
    private var methodIsGet = false
    /// A field that makes a GET more than a plain one was seen: a body, a condition or a range.
    private var asksMoreThanPlainGet = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Scans `buffer[start...]`, where `start` is the first byte of this request's head. Only bytes not scanned
    /// by an earlier call are looked at. Returns the head once its final empty line has arrived, nil when more
    /// bytes are needed. A parser parses one head; the next request takes a new one.
    public mutating func parse(_ buffer: [UInt8], from start: Int) throws(HTTPError) -> RequestHead? {
        guard let length = try scan(buffer, from: start) else { return nil }
        return head(in: buffer, from: start, length: length)
    }

    /// The first step of `parse`: scans and checks the head without building it. Returns its length once its
    /// final empty line has arrived; `plainGet` and `head(in:from:length:)` may then be asked.
    public mutating func scan(_ buffer: [UInt8], from start: Int) throws(HTTPError) -> Int? {
        precondition(start >= 0 && start + scanned <= buffer.count, "the head's bytes must stay in the buffer")
        return try buffer.withUnsafeBufferPointer { (whole) throws(HTTPError) -> Int? in
            try scan(UnsafeBufferPointer(rebasing: whole[start...]))
        }
    }

    /// The same over bytes that start with the head, wherever they are (a read buffer the head is parsed in
    /// place from). Once the head is complete, a further call returns its length again.
    public mutating func scan(_ head: UnsafeBufferPointer<UInt8>) throws(HTTPError) -> Int? {
        if state == .done { return scanned }
        guard let length = try scanBytes(head) else { return nil }
        try check(head)
        return length
    }

    /// A complete head's request line and Host as positions, when it is a plain GET: no body, no condition and
    /// no range, the only request a ready answer may serve. Costs no allocation.
    public var plainGet: PlainGet? {
        guard state == .done, methodIsGet, !asksMoreThanPlainGet else { return nil }
        return PlainGet(target: targetStart..<targetEnd, host: hostCount == 1 ? hostValue : 0..<0,
                        fieldLines: headersStart..<lineStart, version: version,
                        connectionOptions: connectionOptions)
    }

    /// Advances the state machine over `head[scanned...]`; returns the head's length once complete.
    private mutating func scanBytes(_ head: UnsafeBufferPointer<UInt8>) throws(HTTPError) -> Int? {
        let end = head.count
        var p = scanned
        defer { scanned = p }
        while p < end {
            let byte = head[p]
            switch state {
            case .leadingLine:
                // RFC 9112 §2.2: one empty line before the request line is tolerated.
                if byte == cr {
                    state = .leadingCR
                    p += 1
                } else if byte == lf {
                    requestLineStart = p + 1
                    state = .requestLineStart
                    p += 1
                } else {
                    state = .method
                }

            case .leadingCR:
                guard byte == lf else { throw HTTPError(.badRequest, "bare CR before request line") }
                requestLineStart = p + 1
                state = .requestLineStart
                p += 1

            case .requestLineStart:
                if byte == cr || byte == lf {
                    throw HTTPError(.badRequest, "more than one empty line before request line")
                }
                state = .method

            case .method:
                let stop = min(end, requestLineStart + limits.requestLine)
                while p < stop && isTokenChar(head[p]) { p += 1 }
                guard p < end else { break }
                let byte = head[p]
                try checkRequestLineLength(p, byte)
                guard byte == space, p > requestLineStart else {
                    throw HTTPError(.badRequest, "invalid method token")
                }
                methodEnd = p
                methodIsGet = p - requestLineStart == 3 && head[p - 3] == UInt8(ascii: "G")
                    && head[p - 2] == UInt8(ascii: "E") && head[p - 1] == UInt8(ascii: "T")
                state = .targetStart
                p += 1

            case .targetStart:
                try checkRequestLineLength(p, byte)
                guard isVisible(byte) else { throw HTTPError(.badRequest, "missing or malformed request-target") }
                targetStart = p
                state = .target
                p += 1

            case .target:
                let stop = min(end, requestLineStart + limits.requestLine)
                while p < stop && isVisible(head[p]) { p += 1 }
                guard p < end else { break }
                let byte = head[p]
                try checkRequestLineLength(p, byte)
                guard byte == space else { throw HTTPError(.badRequest, "invalid byte in request-target") }
                targetEnd = p
                versionIndex = 0
                state = .version
                p += 1

            case .version:
                try checkRequestLineLength(p, byte)
                try scanVersion(byte)
                p += 1

            case .requestLineEnd:
                if byte == cr {
                    state = .requestLineCR
                } else if byte == lf {
                    try finishRequestLine(lf: p)
                } else {
                    try checkRequestLineLength(p, byte)
                    throw HTTPError(.badRequest, "malformed HTTP version")
                }
                p += 1

            case .requestLineCR:
                guard byte == lf else { throw HTTPError(.badRequest, "bare CR in request line") }
                try finishRequestLine(lf: p)
                p += 1

            case .fieldStart:
                if byte == cr {
                    state = .finalCR
                    p += 1
                    continue
                }
                if byte == lf {
                    state = .done
                    p += 1
                    return p
                }
                try checkSectionSize(p)
                if fieldCount >= limits.fieldCount {
                    throw HTTPError(.headerFieldsTooLarge, "more than \(limits.fieldCount) header fields")
                }
                // RFC 9112 §5.2: obs-fold is rejected in requests.
                if byte == space || byte == tab { throw HTTPError(.badRequest, "obsolete line folding") }
                guard isTokenChar(byte) else { throw HTTPError(.badRequest, "invalid field name") }
                lineStart = p
                state = .name
                p += 1

            case .name:
                let stop = min(end, lineStart + limits.headerLine, headersStart + limits.headerSection)
                while p < stop && isTokenChar(head[p]) { p += 1 }
                guard p < end else { break }
                let byte = head[p]
                try checkFieldLineLength(p, byte)
                if byte == colon {
                    nameEnd = p
                    valueStart = -1
                    state = .value
                    p += 1
                } else if byte == space || byte == tab {
                    // RFC 9112 §5.1: no whitespace between field name and colon.
                    throw HTTPError(.badRequest, "whitespace before colon in field line")
                } else if byte == cr || byte == lf {
                    throw HTTPError(.badRequest, "field line without colon")
                } else {
                    throw HTTPError(.badRequest, "invalid character in field name")
                }

            case .value:
                let stop = min(end, lineStart + limits.headerLine, headersStart + limits.headerSection)
                var first = valueStart
                var last = valueEnd
                while p < stop {
                    let c = head[p]
                    if c > space && c != del {
                        if first < 0 { first = p }
                        last = p + 1
                    } else if c != space && c != tab {
                        break
                    }
                    p += 1
                }
                valueStart = first
                valueEnd = last
                guard p < end else { break }
                let byte = head[p]
                try checkFieldLineLength(p, byte)
                if byte == cr {
                    state = .valueCR
                } else if byte == lf {
                    finishField(head, lf: p)
                } else {
                    throw HTTPError(.badRequest, "control character in field value")
                }
                p += 1

            case .valueCR:
                try checkSectionSize(p)
                guard byte == lf else { throw HTTPError(.badRequest, "bare CR in field line") }
                finishField(head, lf: p)
                p += 1

            case .finalCR:
                guard byte == lf else { throw HTTPError(.badRequest, "bare CR at end of header section") }
                state = .done
                p += 1
                return p

            case .done:
                preconditionFailure("unreachable: scanning stops at the end of the head")
            }
        }
        return nil
    }

    /// `HTTP/` DIGIT `.` DIGIT, one byte at a time (RFC 9112 §2.3).
    private mutating func scanVersion(_ byte: UInt8) throws(HTTPError) {
        let ok: Bool
        switch versionIndex {
        case 0: ok = byte == UInt8(ascii: "H")
        case 1, 2: ok = byte == UInt8(ascii: "T")
        case 3: ok = byte == UInt8(ascii: "P")
        case 4: ok = byte == UInt8(ascii: "/")
        case 5:
            ok = isDigit(byte)
            major = Int(byte &- UInt8(ascii: "0"))
        case 6: ok = byte == UInt8(ascii: ".")
        default:
            ok = isDigit(byte)
            minor = Int(byte &- UInt8(ascii: "0"))
            state = .requestLineEnd
        }
        guard ok else { throw HTTPError(.badRequest, "malformed HTTP version") }
        versionIndex += 1
    }

    private mutating func finishRequestLine(lf: Int) throws(HTTPError) {
        switch major {
        case 1:
            // RFC 9110 §2.5: a later 1.x minor version is answered as 1.1.
            version = minor == 0 ? .http10 : .http11
        case 2...9:
            throw HTTPError(.httpVersionNotSupported, "HTTP major version \(major)")
        default:
            throw HTTPError(.badRequest, "HTTP version 0.x")
        }
        headersStart = lf + 1
        lineStart = lf + 1
        state = .fieldStart
    }

    /// Notes what the request's answer depends on before any field is looked up: Host, Connection, and
    /// whether a field rules out a ready answer. The field list itself is built only with the head.
    private mutating func finishField(_ head: UnsafeBufferPointer<UInt8>, lf: Int) {
        fieldCount += 1
        let nameLength = nameEnd - lineStart
        if nameLength == 4
            && asciiLowercased(head[lineStart]) == UInt8(ascii: "h")
            && asciiLowercased(head[lineStart + 1]) == UInt8(ascii: "o")
            && asciiLowercased(head[lineStart + 2]) == UInt8(ascii: "s")
            && asciiLowercased(head[lineStart + 3]) == UInt8(ascii: "t") {
            hostCount += 1
            hostValue = valueStart < 0 ? 0..<0 : valueStart..<valueEnd
        } else if nameLength == 10 && valueStart >= 0 && Headers.isConnection(head[lineStart..<nameEnd]) {
            connectionOptions.formUnion(ConnectionOptions(value: UnsafeBufferPointer(rebasing: head[valueStart..<valueEnd])))
        } else if !asksMoreThanPlainGet {
            asksMoreThanPlainGet = RequestParser.rulesOutReadyAnswer(head[lineStart..<nameEnd])
        }
        lineStart = lf + 1
        state = .fieldStart
    }

    /// 414 when a byte other than the line terminator would make the request line longer than the limit.
    @inline(__always)
    private func checkRequestLineLength(_ p: Int, _ byte: UInt8) throws(HTTPError) {
        if p >= requestLineStart + limits.requestLine && byte != cr && byte != lf {
            throw HTTPError(.uriTooLong, "request line longer than \(limits.requestLine) bytes")
        }
    }

    @inline(__always)
    private func checkFieldLineLength(_ p: Int, _ byte: UInt8) throws(HTTPError) {
        if p >= lineStart + limits.headerLine && byte != cr && byte != lf {
            throw HTTPError(.headerFieldsTooLarge, "header line longer than \(limits.headerLine) bytes")
        }
        try checkSectionSize(p)
    }

    /// The section counts every byte of every field line, terminators included, but not the final empty line.
    @inline(__always)
    private func checkSectionSize(_ p: Int) throws(HTTPError) {
        if p >= headersStart + limits.headerSection {
            throw HTTPError(.headerFieldsTooLarge, "header section larger than \(limits.headerSection) bytes")
        }
    }

    /// Whole-head rules checked once the head is complete.
    private func check(_ head: UnsafeBufferPointer<UInt8>) throws(HTTPError) {
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1, never more than one.
        if hostCount > 1 { throw HTTPError(.badRequest, "more than one Host field") }
        if hostCount == 0 && version == .http11 { throw HTTPError(.badRequest, "HTTP/1.1 request without Host") }
        // RFC 9112 §3.2: an invalid Host is a 400; an empty one only stands for a target with no authority,
        // which an HTTP/1.1 origin server never has.
        if hostCount == 1 && (version == .http11 || !hostValue.isEmpty)
            && !HostSyntax.isValid(UnsafeBufferPointer(rebasing: head[hostValue])) {
            throw HTTPError(.badRequest, "invalid Host field")
        }
    }

    /// Content-Length, Transfer-Encoding, Range and every `If-…` field: a GET carrying one is answered by the
    /// full path. Unknown `If-` names are counted in too, which costs only speed.
    private static func rulesOutReadyAnswer(_ name: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        let first = asciiLowercased(name[name.startIndex])
        switch name.count {
        case 5: return first == UInt8(ascii: "r")
        case 14, 17: return first == UInt8(ascii: "c") || first == UInt8(ascii: "t") || first == UInt8(ascii: "i")
        default:
            return name.count > 3 && first == UInt8(ascii: "i")
                && asciiLowercased(name[name.startIndex + 1]) == UInt8(ascii: "f")
                && name[name.startIndex + 2] == UInt8(ascii: "-")
        }
    }

    /// The complete head as a value: the field lines copied once, and each field's place in them found by a
    /// second pass over lines the scan already checked.
    public func head(in buffer: [UInt8], from start: Int, length: Int) -> RequestHead {
        buffer.withUnsafeBufferPointer { whole in head(in: UnsafeBufferPointer(rebasing: whole[start...]), length: length) }
    }

    /// The same from bytes that start with the head, wherever they are.
    public func head(in head: UnsafeBufferPointer<UInt8>, length: Int) -> RequestHead {
        precondition(state == .done, "the head is built once scanned")
        let fieldBytes = lineStart > headersStart ? Array(head[headersStart..<lineStart]) : []
        let headers = Headers(bytes: fieldBytes, fields: fieldBytes.withUnsafeBufferPointer(fieldPositions))

        let methodBytes = UnsafeBufferPointer(rebasing: head[requestLineStart..<methodEnd])
        let method = Method(token: methodBytes)
        return RequestHead(
            method: method,
            methodToken: method?.rawValue ?? String(decoding: methodBytes, as: UTF8.self),
            target: String(decoding: UnsafeBufferPointer(rebasing: head[targetStart..<targetEnd]), as: UTF8.self),
            version: version,
            headers: headers,
            headLength: length,
            connectionOptions: connectionOptions)
    }

    /// Name and value bounds of each line of a checked field section.
    private func fieldPositions(_ lines: UnsafeBufferPointer<UInt8>) -> [Headers.Field] {
        var fields: [Headers.Field] = []
        fields.reserveCapacity(fieldCount)
        RequestParser.forEachField(in: lines) { name, value in
            fields.append(Headers.Field(nameStart: Int32(name.lowerBound), nameEnd: Int32(name.upperBound),
                                        valueStart: Int32(value.lowerBound), valueEnd: Int32(value.upperBound)))
            return true
        }
        return fields
    }

    /// Walks field lines the scan has checked (`name:` OWS value OWS, then CRLF or LF), giving each name's and
    /// trimmed value's bounds in `lines` until `body` returns false.
    static func forEachField(in lines: UnsafeBufferPointer<UInt8>, _ body: (_ name: Range<Int>, _ value: Range<Int>) -> Bool) {
        var p = 0
        while p < lines.count {
            let nameStart = p
            while lines[p] != colon { p += 1 }
            let nameEnd = p
            while lines[p] != lf { p += 1 }
            let next = p + 1
            var valueStart = nameEnd + 1
            var valueEnd = p
            while valueStart < valueEnd && (lines[valueStart] == space || lines[valueStart] == tab) { valueStart += 1 }
            while valueEnd > valueStart && (lines[valueEnd - 1] == space || lines[valueEnd - 1] == tab
                                            || lines[valueEnd - 1] == cr) {
                valueEnd -= 1
            }
            guard body(nameStart..<nameEnd, valueStart..<valueEnd) else { return }
            p = next
        }
    }
}

/// A position in a head kept in 32 bits: a head is at most tens of KiB, and every connection, idle ones too,
/// holds a parser (fourteen of these save 56 bytes per connection).
@propertyWrapper
private struct Offset32: Sendable {
    private var stored: Int32

    init(wrappedValue: Int) { stored = Int32(truncatingIfNeeded: wrappedValue) }

    var wrappedValue: Int {
        @inline(__always) get { Int(stored) }
        @inline(__always) set { stored = Int32(truncatingIfNeeded: newValue) }
    }
}

private let cr: UInt8 = 0x0D
private let lf: UInt8 = 0x0A
private let space: UInt8 = 0x20
private let tab: UInt8 = 0x09
private let colon: UInt8 = 0x3A
private let del: UInt8 = 0x7F

/// tchar (RFC 9110 §5.6.2) as two 64-bit masks over ASCII, so the test costs no table load.
@inline(__always)
func isTokenChar(_ byte: UInt8) -> Bool {
    if byte < 64 { return (0x03FF_6CFA_0000_0000 as UInt64) >> UInt64(byte) & 1 != 0 }
    if byte < 128 { return (0x57FF_FFFF_C7FF_FFFE as UInt64) >> UInt64(byte &- 64) & 1 != 0 }
    return false
}

/// VCHAR: the only bytes allowed in a request-target.
@inline(__always)
private func isVisible(_ byte: UInt8) -> Bool {
    byte &- 0x21 < 0x5E
}

@inline(__always)
func isDigit(_ byte: UInt8) -> Bool {
    byte &- UInt8(ascii: "0") < 10
}
