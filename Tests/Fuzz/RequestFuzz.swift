/// Request head + body framing + body reader. The first input byte steers split points, limits and the body
/// size limit; the rest is used twice:
/// 1. As a stream of (up to four pipelined) requests. Every head is parsed whole, split in two, split with the
///    head moved inside its buffer between calls, and one byte at a time: all four must agree exactly (head or
///    error). The body after it is then decoded whole, split and byte by byte, which must agree too, and each
///    result is checked against what the bytes say it should be.
/// 2. As material for a valid request built here (token method, VCHAR target, fields with OWS, mixed CRLF/LF):
///    it must be accepted with exactly those parts, and with each limit set to exactly its size too, while one
///    byte (or field) less must be 414 or 431.
@_cdecl("LLVMFuzzerTestOneInput")
public func requestFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    var steer = Steer(data[0])
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limits = chooseLimits(&steer)
    let bodyLimit = [0, 0, 1, 7, 64, 1 << 20][steer.next(below: 6)]

    checkValidRequest(from: stream, steer: &steer)

    var offset = 0
    for _ in 0..<4 where offset < stream.count {
        let input = Array(stream[offset...])
        guard let parsed = parseHeadEveryWay(input, limits: limits, steer: &steer).head else { return 0 }
        let head = HeadSnapshot(parsed)
        checkHead(head, input, limits: limits)
        checkPlainGet(parsed, input, limits: limits)
        if limits.requestLine != RequestParser.Limits().requestLine {
            // Within smaller limits, the default limits must accept the same head.
            let relaxed = parseWhole(input, limits: RequestParser.Limits())
            require(relaxed == .head(head), "head accepted under small limits but not the defaults: \(relaxed)")
        }

        let framing: BodyFraming
        do {
            framing = try parsed.bodyFraming()
        } catch {
            return 0
        }
        checkFraming(framing, head)
        guard let consumed = decodeBodyEveryWay(input, from: head.headLength, framing: framing, limit: bodyLimit,
                                                steer: &steer) else { return 0 }
        offset += head.headLength + consumed
    }
    return 0
}

/// Small limits half of the time, so limit edges are reachable with short inputs.
private func chooseLimits(_ steer: inout Steer) -> RequestParser.Limits {
    var limits = RequestParser.Limits()
    if steer.next(below: 2) == 0 {
        limits.requestLine = 8 + steer.next(below: 40)
        limits.headerLine = 4 + steer.next(below: 40)
        limits.headerSection = 4 + steer.next(below: 120)
        limits.fieldCount = steer.next(below: 6)
    }
    return limits
}

// MARK: Head

/// Everything a parsed head carries, comparable.
private struct HeadSnapshot: Equatable {
    var method: Method?
    var methodToken: String
    var target: String
    var version: HTTPVersion
    var headLength: Int
    var fields: [[UInt8]]
    var headerBytes: [UInt8]
    var keepAlive: Bool
    var expectsContinue: Bool

    init(_ head: RequestHead) {
        method = head.method
        methodToken = head.methodToken
        target = head.target
        version = head.version
        headLength = head.headLength
        headerBytes = head.headers.bytes
        fields = head.headers.fields.map { field in
            Array(head.headers.bytes[field.name]) + [0] + Array(head.headers.bytes[field.value])
        }
        keepAlive = head.wantsKeepAlive
        expectsContinue = head.expectsContinue
    }
}

private enum HeadOutcome: Equatable {
    case head(HeadSnapshot)
    case incomplete
    case failed(HTTPError)

    var isFinal: Bool {
        if case .incomplete = self { return false }
        return true
    }
}

private extension HeadOutcome {
    var head: HeadSnapshot? {
        if case .head(let head) = self { return head }
        return nil
    }
}

private func step(_ parser: inout RequestParser, _ buffer: [UInt8], from start: Int) -> HeadOutcome {
    do {
        guard let head = try parser.parse(buffer, from: start) else { return .incomplete }
        return .head(HeadSnapshot(head))
    } catch {
        return .failed(error)
    }
}

private func parseWhole(_ input: [UInt8], limits: RequestParser.Limits) -> HeadOutcome {
    var parser = RequestParser(limits: limits)
    return step(&parser, input, from: 0)
}

/// The outcome every way agreed on, and the head parsed whole when there is one.
private func parseHeadEveryWay(_ input: [UInt8], limits: RequestParser.Limits, steer: inout Steer)
    -> (outcome: HeadOutcome, head: RequestHead?) {
    var parser = RequestParser(limits: limits)
    let parsed = try? parser.parse(input, from: 0)
    let whole = parseWhole(input, limits: limits)

    // Two reads: the first ends at `cut`.
    let cut = steer.next(below: input.count + 1)
    parser = RequestParser(limits: limits)
    var split = step(&parser, Array(input[..<cut]), from: 0)
    if !split.isFinal { split = step(&parser, input, from: 0) }
    require(split == whole, "head split at \(cut) differs from whole:\n  whole \(whole)\n  split \(split)\n  input \(describe(input))")

    // Pipelined behind other bytes, then compacted to the front of a new buffer (offsets are head-relative).
    let junk = [UInt8](repeating: UInt8(ascii: "J"), count: 1 + steer.next(below: 9))
    parser = RequestParser(limits: limits)
    var moved = step(&parser, junk + input[..<cut], from: junk.count)
    if !moved.isFinal { moved = step(&parser, input, from: 0) }
    require(moved == whole, "head moved after \(cut) bytes differs from whole:\n  whole \(whole)\n  moved \(moved)\n  input \(describe(input))")

    // One byte per read.
    parser = RequestParser(limits: limits)
    var buffer: [UInt8] = []
    buffer.reserveCapacity(input.count)
    var bytewise = HeadOutcome.incomplete
    for byte in input {
        buffer.append(byte)
        bytewise = step(&parser, buffer, from: 0)
        if bytewise.isFinal { break }
    }
    require(bytewise == whole, "head fed byte by byte differs from whole:\n  whole \(whole)\n  bytewise \(bytewise)\n  input \(describe(input))")
    return (whole, parsed)
}

/// A head the parser calls a plain GET is one a ready answer may serve, and its positions name the bytes the
/// built head holds.
private func checkPlainGet(_ head: RequestHead, _ input: [UInt8], limits: RequestParser.Limits) {
    var parser = RequestParser(limits: limits)
    guard let length = try? input.withUnsafeBufferPointer({ try parser.scan($0) }) else {
        return require(false, "a head that parses fails to scan in place; input \(describe(input))")
    }
    require(length == head.headLength, "scanned in place: length \(length), parsed: \(head.headLength)")
    guard let get = parser.plainGet else { return }
    let excluded = ["content-length", "transfer-encoding", "if-none-match", "if-modified-since", "if-match",
                    "if-unmodified-since", "range", "if-range"]
    require(head.method == .get && !excluded.contains(where: head.headers.contains),
            "plain GET with a body, a condition or a range: \(describe(input))")
    require(Array(input[get.target]) == Array(head.target.utf8), "plain GET's target differs; input \(describe(input))")
    require(Array(input[get.host]) == Array(head.headers.rawValue(named: "host") ?? []), "plain GET's host differs; input \(describe(input))")
    require(get.wantsKeepAlive == head.wantsKeepAlive, "plain GET's keep-alive differs; input \(describe(input))")
    input.withUnsafeBytes { bytes in
        for name in ["referer", "user-agent", "authorization"] as [StaticString] {
            let found = get.value(named: name, in: bytes).map(Array.init)
            let expected = head.headers.rawValue(named: "\(name)").map(Array.init)
            require(found == expected, "plain GET's \(name) differs; input \(describe(input))")
        }
    }
}

/// What the bytes themselves say about an accepted head, checked independently of the parser's state.
private func checkHead(_ head: HeadSnapshot, _ input: [UInt8], limits: RequestParser.Limits) {
    let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
    let context = { "input \(describe(input))" }
    require(head.headLength >= 1 && head.headLength <= input.count, "headLength \(head.headLength) out of range; \(context())")
    require(input[head.headLength - 1] == lf, "head does not end with LF; \(context())")

    // At most one leading empty line, then `method SP target SP HTTP/d.d` and its line end.
    var p = 0
    if input[p] == cr { p += 1 }
    if input[p] == lf { p += 1 } else { p = 0 }
    let requestLine = Array(head.methodToken.utf8) + [0x20] + Array(head.target.utf8) + [0x20] + Array("HTTP/".utf8)
    require(input[p...].starts(with: requestLine), "request line is not method SP target SP HTTP/; \(context())")
    var q = p + requestLine.count + 3
    require(q < input.count && input[q - 2] == UInt8(ascii: "."), "version is not d.d; \(context())")
    let (major, minor) = (input[q - 3], input[q - 1])
    require(major == UInt8(ascii: "1") && isDigit(minor), "accepted version \(major).\(minor); \(context())")
    require((minor == UInt8(ascii: "0")) == (head.version == .http10), "minor version misread; \(context())")
    require(q - p <= limits.requestLine, "request line of \(q - p) bytes passed the limit \(limits.requestLine); \(context())")
    if input[q] == cr { q += 1 }
    require(input[q] == lf, "request line not ended by LF; \(context())")
    q += 1

    require(!head.methodToken.isEmpty && head.methodToken.utf8.allSatisfy(isTokenChar), "method is not a token; \(context())")
    require(head.method == nil || head.method!.rawValue == head.methodToken, "method \(String(describing: head.method)) ≠ token \(head.methodToken)")
    require(!head.target.isEmpty && head.target.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "target has non-VCHAR; \(context())")
    require(head.version == .http10 || head.version == .http11, "version \(head.version) is neither 1.0 nor 1.1")

    // The header bytes are the field lines exactly as sent, between the request line and the final empty line.
    let finalLine = head.headLength >= 2 && input[head.headLength - 2] == cr ? 2 : 1
    let section = Array(input[q..<(head.headLength - finalLine)])
    require(head.headerBytes == section, "header bytes are not the field lines as sent; \(context())")
    require(section.count <= limits.headerSection, "header section of \(section.count) bytes passed \(limits.headerSection); \(context())")
    require(head.fields.count <= limits.fieldCount, "\(head.fields.count) fields passed the limit \(limits.fieldCount)")

    var lines: [ArraySlice<UInt8>] = section.split(separator: lf, omittingEmptySubsequences: false).dropLast()
    lines = lines.map { $0.last == cr ? $0.dropLast() : $0 }
    require(lines.count == head.fields.count, "\(lines.count) field lines but \(head.fields.count) fields; \(context())")
    var hosts = 0
    for (line, field) in zip(lines, head.fields) {
        require(line.count <= limits.headerLine, "field line of \(line.count) bytes passed \(limits.headerLine); \(context())")
        let zero = field.firstIndex(of: 0)!
        let name = field[..<zero], value = field[(zero + 1)...]
        require(!name.isEmpty && name.allSatisfy(isTokenChar), "field name is not a token; \(context())")
        require(line.starts(with: name + [UInt8(ascii: ":")]), "field name not at the start of its line; \(context())")
        let expected = Headers.trimmed(line[(line.startIndex + name.count + 1)...])
        require(value.elementsEqual(expected), "field value is not the line's trimmed rest; \(context())")
        require(value.allSatisfy { $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }, "control byte in a field value; \(context())")
        if name.count == 4 && asciiCaseInsensitiveEqual(name, "Host") {
            hosts += 1
            // RFC 9112 §3.2: an accepted Host is host[:port]; none of these bytes can be in one.
            require(!value.contains { Array(" \t/\\@?#\"<>".utf8).contains($0) || $0 >= 0x80 },
                    "Host \(describe(Array(value))) accepted; \(context())")
            require(!value.isEmpty || head.version == .http10, "empty Host accepted in HTTP/1.1; \(context())")
        }
    }
    require(hosts <= 1 && (hosts == 1 || head.version == .http10), "\(hosts) Host fields accepted in \(head.version)")
}

private func checkFraming(_ framing: BodyFraming, _ head: HeadSnapshot) {
    let names = head.fields.map { field in Array(field[..<field.firstIndex(of: 0)!]) }
    let hasTE = names.contains { asciiCaseInsensitiveEqual($0[...], "Transfer-Encoding") }
    let hasCL = names.contains { asciiCaseInsensitiveEqual($0[...], "Content-Length") }
    switch framing {
    case .none: require(!hasTE && !hasCL, "no body framing despite TE/CL")
    case .length(let n): require(n >= 0 && hasCL && !hasTE, "length \(n) framing with TE \(hasTE) CL \(hasCL)")
    case .chunked: require(hasTE && !hasCL && head.version == .http11, "chunked framing with CL or in HTTP/1.0")
    }
}

// MARK: Valid requests

/// Builds a valid request from `material` and checks it is read back exactly, also at each limit's edge.
private func checkValidRequest(from material: [UInt8], steer: inout Steer) {
    var source = material[...]
    func take(_ count: Int) -> ArraySlice<UInt8> {
        let piece = source.prefix(count)
        source = source.dropFirst(piece.count)
        return piece
    }
    func eol() -> [UInt8] { steer.next(below: 2) == 0 ? [0x0D, 0x0A] : [0x0A] }
    func ows() -> [UInt8] { [[], [0x20], [0x09], [0x20, 0x09, 0x20]][steer.next(below: 4)] }

    let methods = ["GET", "HEAD", "POST", "DELETE", "BREW", "M-SEARCH", "!#$%&'*+-.^_`|~09azAZ"]
    var method = Array(methods[steer.next(below: methods.count)].utf8)
    if steer.next(below: 4) == 0 {
        let token = take(12).filter(isTokenChar)
        if !token.isEmpty { method = token }
    }
    let target = [UInt8(ascii: "/")] + take(steer.next(below: 64)).filter { $0 > 0x20 && $0 < 0x7F }
    let minors: [(UInt8, HTTPVersion)] = [(0x30, .http10), (0x31, .http11), (0x39, .http11)]
    let (minor, version) = minors[steer.next(below: 3)]

    var fields: [([UInt8], [UInt8])] = []
    if version == .http11 || steer.next(below: 2) == 0 {
        fields.append((Array("Host".utf8), Array("example.com:8080".utf8)))
    }
    for _ in 0..<steer.next(below: 6) {
        var name = take(1 + steer.next(below: 10)).filter(isTokenChar)
        if name.isEmpty || asciiCaseInsensitiveEqual(name[...], "Host") { name = Array("X-Name".utf8) }
        let raw = take(steer.next(below: 40)).filter { $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }
        fields.append((name, Array(raw)))
    }
    fields.shuffle(using: &steer)

    var bytes: [UInt8] = steer.next(below: 4) == 0 ? eol() : []
    let requestLineStart = bytes.count
    bytes += method + [0x20] + target + Array(" HTTP/1.".utf8) + [minor]
    let requestLineLength = bytes.count - requestLineStart
    bytes += eol()
    let sectionStart = bytes.count
    var longestLine = 0
    for (name, value) in fields {
        let line = name + [UInt8(ascii: ":")] + ows() + value + ows()
        longestLine = max(longestLine, line.count)
        bytes += line + eol()
    }
    let sectionLength = bytes.count - sectionStart
    bytes += eol()

    let context = { "built request \(describe(bytes, limit: 600))" }
    let (outcome, _) = parseHeadEveryWay(bytes, limits: RequestParser.Limits(), steer: &steer)
    guard case .head(let head) = outcome else {
        require(false, "valid request not accepted: \(outcome); \(context())")
        return
    }
    require(head.methodToken.utf8.elementsEqual(method), "method read as \(head.methodToken); \(context())")
    require(head.target.utf8.elementsEqual(target), "target read as \(head.target); \(context())")
    require(head.version == version, "version read as \(head.version); \(context())")
    require(head.headLength == bytes.count, "head length \(head.headLength) of \(bytes.count); \(context())")
    let expected = fields.map { name, value in name + [0] + Array(Headers.trimmed(value[...])) }
    require(head.fields == expected, "fields read as \(head.fields.map { describe($0) }); \(context())")

    // Each limit at exactly the request's size accepts it; one less refuses it with the limit's status.
    func atLimit(_ limit: WritableKeyPath<RequestParser.Limits, Int>, _ size: Int, _ status: Status) {
        var limits = RequestParser.Limits()
        limits[keyPath: limit] = size
        let exact = parseHeadEveryWay(bytes, limits: limits, steer: &steer).outcome
        require(exact == .head(head), "\(limit) = \(size), the request's own size, refused it: \(exact); \(context())")
        guard size > 0 else { return }
        limits[keyPath: limit] = size - 1
        let under = parseHeadEveryWay(bytes, limits: limits, steer: &steer).outcome
        guard case .failed(let error) = under, error.status == status else {
            require(false, "\(limit) = \(size - 1), under the request's \(size), gave \(under), not \(status.code); \(context())")
            return
        }
    }
    // One limit per input keeps the executions per second up; the first byte decides which.
    switch fields.isEmpty ? 0 : steer.next(below: 4) {
    case 0: atLimit(\.requestLine, requestLineLength, .uriTooLong)
    case 1: atLimit(\.headerLine, longestLine, .headerFieldsTooLarge)
    case 2: atLimit(\.headerSection, sectionLength, .headerFieldsTooLarge)
    default: atLimit(\.fieldCount, fields.count, .headerFieldsTooLarge)
    }
}

extension Steer: RandomNumberGenerator {
    mutating func next() -> UInt64 {
        UInt64(next(below: Int.max)) << 1 ^ UInt64(next(below: 2))
    }
}

// MARK: Body

private struct BodyOutcome: Equatable {
    var output: [UInt8] = []
    var consumed = 0
    var complete = false
    var received = 0
    var error: HTTPError?
}

/// Decodes the bytes after the head every way; returns the body's length on the wire once complete.
private func decodeBodyEveryWay(_ input: [UInt8], from start: Int, framing: BodyFraming, limit: Int,
                                steer: inout Steer) -> Int? {
    let available = input.count - start
    let context = { "framing \(framing) limit \(limit) body \(describe(input[start...]))" }

    var whole = BodyOutcome()
    var reader = BodyReader(framing: framing, limit: limit)
    feed(&reader, input, start..<input.count, &whole)

    let cut = steer.next(below: available + 1)
    var split = BodyOutcome()
    reader = BodyReader(framing: framing, limit: limit)
    feed(&reader, Array(input[..<(start + cut)]), start..<start + cut, &split)
    if split.error == nil && !split.complete {
        feed(&reader, input, start + split.consumed..<input.count, &split)
    }

    var bytewise = BodyOutcome()
    reader = BodyReader(framing: framing, limit: limit)
    feed(&reader, [], 0..<0, &bytewise)
    for byte in input[start...] where bytewise.error == nil && !bytewise.complete {
        feed(&reader, [byte], 0..<1, &bytewise)
    }

    for (name, other) in [("split at \(cut)", split), ("byte by byte", bytewise)] {
        if whole.error != nil || other.error != nil {
            // A length body over the limit fails once enough bytes arrive, whichever way they came.
            require(whole.error == other.error, "body \(name): error \(String(describing: other.error)) vs whole \(String(describing: whole.error)); \(context())")
        } else {
            require(whole == other, "body \(name) differs from whole:\n  whole \(whole)\n  other \(other)\n  \(context())")
        }
    }
    guard whole.error == nil else { return nil }

    require(whole.received == whole.output.count, "received \(whole.received) ≠ output \(whole.output.count); \(context())")
    require(whole.consumed <= available, "consumed \(whole.consumed) of \(available) bytes; \(context())")
    require(whole.complete || whole.consumed == available, "incomplete body left \(available - whole.consumed) bytes unread; \(context())")
    require(limit == 0 || whole.output.count <= limit, "body of \(whole.output.count) bytes passed the limit \(limit); \(context())")
    switch framing {
    case .none:
        require(whole.complete && whole.consumed == 0 && whole.output.isEmpty, "no-body request read a body; \(context())")
    case .length(let n):
        let expected = input[start..<start + min(n, available)]
        require(whole.output.elementsEqual(expected), "length body is not the bytes that followed; \(context())")
        require(whole.complete == (n <= available), "length \(n) with \(available) bytes: complete \(whole.complete)")
    case .chunked:
        if whole.complete {
            require(input[start + whole.consumed - 1] == UInt8(ascii: "\n"), "chunked body did not end at an LF; \(context())")
            require(whole.output.count < whole.consumed, "chunked payload not shorter than its encoding; \(context())")
        }
    }
    return whole.complete ? whole.consumed : nil
}

private func feed(_ reader: inout BodyReader, _ buffer: [UInt8], _ range: Range<Int>, _ outcome: inout BodyOutcome) {
    do {
        let consumed = try reader.read(buffer, range, into: &outcome.output)
        require(consumed >= 0 && consumed <= range.count, "read consumed \(consumed) of \(range.count)")
        outcome.consumed += consumed
        outcome.complete = reader.isComplete
        outcome.received = reader.received
    } catch {
        outcome.error = error
    }
}
