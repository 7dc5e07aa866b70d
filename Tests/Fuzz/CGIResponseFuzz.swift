/// CGI response header parser (RFC 3875 §6). The first byte steers split points and spellings; the rest is a
/// script's stdout. Properties:
/// - parsed whole (through the array entry at an offset and through the raw-pointer entry), in two reads, in
///   three reads and one byte per read, the outcome is the same: head, status, fields, the index where the body
///   starts (so the body passed on is exactly the input's suffix from there), or failure, or "needs more";
/// - the outcome agrees with a plain second implementation (split at LF, validate each line, then decide);
/// - a head has a 2xx–5xx status, a reason and fields safe to write back (token names, no control bytes, none of
///   the fields the parser promises to take out), a kind consistent with its Location, and its block ends with
///   the first empty line: one byte less is still "needs more", anything appended after it changes nothing;
/// - every failure is a 502;
/// - a head written back as a header block (in varied legal spellings) parses to the same head.
/// One input in 64 is prefixed with a padding field that brings it to the 64 KiB block limit (such inputs cost
/// some 30 times more, so they are rarer and are only split once).
@_cdecl("LLVMFuzzerTestOneInput")
public func cgiResponseFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    var steer = Steer(data[0])
    var input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let padded = steer.next(below: 64) == 0
    if padded {
        // The block reaches the limit within the input (or just after it), wherever the fuzzer puts its end.
        let target = CGIResponseParser.maxHeaderBlock - steer.next(below: input.count + 16) + 8
        let padding = max(0, target - input.count - "X-Pad: \n".utf8.count)
        input = Array("X-Pad: ".utf8) + [UInt8](repeating: UInt8(ascii: "p"), count: padding) + [lf] + input
    }
    let context = { "input \(describe(input, limit: padded ? 80 : 400))" }

    let whole = parse(input, cuts: [])
    let raw = parseRaw(input)
    require(raw == whole, "raw-pointer parse differs:\n  whole \(whole)\n  raw \(raw)\n  \(context())")
    let a = steer.next(below: input.count + 1)
    let b = steer.next(below: input.count + 1)
    var ways: [(String, [Int])] = [("split at \(a)", [a])]
    if !padded { ways.append(("split at \(min(a, b)),\(max(a, b))", [min(a, b), max(a, b)])) }
    if input.count <= 4096 { ways.append(("byte by byte", Array(0..<input.count))) }
    for (name, cuts) in ways {
        let other = parse(input, cuts: cuts)
        require(other == whole, "\(name) differs from whole:\n  whole \(whole)\n  \(name) \(other)\n  \(context())")
    }

    let expected = referenceParse(input)
    require(whole == expected, "parse gives \(whole), the reference gives \(expected); \(context())")

    switch whole {
    case .failed(let code):
        require(code == 502, "failure answered \(code), not 502; \(context())")
    case .incomplete:
        require(input.count <= CGIResponseParser.maxHeaderBlock, "more than the block limit still incomplete; \(context())")
    case .head(let head, let bodyStart):
        check(head, bodyStart: bodyStart, input: input, context: context)
        if !padded { roundTrip(head, steer: &steer, context: context) }
    }
    return 0
}

/// The parse, flattened so that every way of feeding compares with `==`.
private enum Outcome: Equatable, CustomStringConvertible {
    /// `bodyStart` is an index into the whole input: the body passed on is `input[bodyStart...]`.
    case head(Head, bodyStart: Int)
    case failed(Int)
    case incomplete

    var description: String {
        switch self {
        case .head(let head, let bodyStart): return "\(head) body from \(bodyStart)"
        case .failed(let code): return "failed \(code)"
        case .incomplete: return "incomplete"
        }
    }
}

private struct Head: Equatable, CustomStringConvertible {
    var kind: CGIResponseHead.Kind
    var status: Status
    var contentType: String?
    var contentLength: Int?
    var names: [String]
    var values: [String]

    init(_ head: CGIResponseHead) {
        self.init(kind: head.kind, status: head.status, contentType: head.contentType,
                  contentLength: head.contentLength, fields: head.headers)
    }

    init(kind: CGIResponseHead.Kind, status: Status, contentType: String?, contentLength: Int?,
         fields: [(name: String, value: String)]) {
        self.kind = kind
        self.status = status
        self.contentType = contentType
        self.contentLength = contentLength
        names = fields.map(\.name)
        values = fields.map(\.value)
    }

    var description: String {
        let fields = zip(names, values).map { "\($0): \(describe($1.utf8))" }.joined(separator: " | ")
        return "\(kind) \(status.code) \(describe(status.reason.utf8)) type=\(contentType.map { describe($0.utf8) } ?? "-") "
            + "length=\(contentLength.map(String.init) ?? "-") [\(fields)]"
    }
}

/// Feeds `input` cut at `cuts` (increasing offsets; empty reads included) through the array entry, each read in
/// a fresh buffer between LF bytes (which would end a line if the parser read outside its range); one-byte reads
/// reuse a one-byte buffer so that ASan sees any read past it.
private func parse(_ input: [UInt8], cuts: [Int]) -> Outcome {
    var parser = CGIResponseParser()
    var start = 0
    var single: [UInt8] = [0]
    for (call, end) in (cuts + [input.count]).enumerated() {
        let buffer: [UInt8]
        let range: Range<Int>
        if end - start == 1 {
            single[0] = input[start]
            buffer = single
            range = 0..<1
        } else {
            let junk = [UInt8](repeating: lf, count: call % 3)
            buffer = junk + input[start..<end] + junk
            range = junk.count..<junk.count + (end - start)
        }
        do {
            if let parsed = try parser.parse(buffer, range) {
                require(parsed.bodyStart >= range.lowerBound && parsed.bodyStart <= range.upperBound,
                        "bodyStart \(parsed.bodyStart) outside the fed range \(range)")
                return .head(Head(parsed.head), bodyStart: start + parsed.bodyStart - range.lowerBound)
            }
        } catch {
            return .failed(error.status.code)
        }
        start = end
    }
    return .incomplete
}

/// The whole input through the raw-pointer entry, from an allocation of exactly its size.
private func parseRaw(_ input: [UInt8]) -> Outcome {
    var parser = CGIResponseParser()
    let result = input.withUnsafeBytes { bytes in
        Result { () throws(HTTPError) in try parser.parse(bytes) }
    }
    switch result {
    case .success(nil): return .incomplete
    case .success(let parsed?): return .head(Head(parsed.head), bodyStart: parsed.bodyStart)
    case .failure(let error): return .failed(error.status.code)
    }
}

private func check(_ head: Head, bodyStart: Int, input: [UInt8], context: () -> String) {
    // The block ends with the first empty line, within the limit.
    require(bodyStart >= 2 && bodyStart <= input.count && bodyStart <= CGIResponseParser.maxHeaderBlock,
            "bodyStart \(bodyStart) of \(input.count); \(context())")
    require(input[bodyStart - 1] == lf, "block does not end with LF; \(context())")
    let block = input[..<bodyStart]
    require(block.starts(with: [lf]) == false && block.starts(with: [cr, lf]) == false, "block starts empty; \(context())")
    require(parse(Array(input[..<(bodyStart - 1)]), cuts: []) == .incomplete,
            "the block minus its last byte is not incomplete; \(context())")
    let followed = Array(input[..<bodyStart]) + Array("Status: 500\r\n\r\n\u{0}garbage".utf8)
    require(parse(followed, cuts: [bodyStart - 1]) == .head(head, bodyStart: bodyStart),
            "bytes after the block changed the head; \(context())")

    // A status the server can send as final: 1xx would leave the client waiting.
    require((200...599).contains(head.status.code), "status \(head.status.code); \(context())")
    require(isFieldText(head.status.reason) && !head.status.reason.isEmpty, "reason \(describe(head.status.reason.utf8)); \(context())")

    let taken = ["status", "content-type", "content-length"] + dropped
    var locations: [String] = []
    for (name, value) in zip(head.names, head.values) {
        require(!name.isEmpty && name.utf8.allSatisfy(isTchar), "field name \(describe(name.utf8)); \(context())")
        require(!taken.contains(name.lowercased()), "\(name) forwarded; \(context())")
        require(isFieldText(value), "field value \(describe(value.utf8)); \(context())")
        if name.lowercased() == "location" { locations.append(value) }
    }
    for text in [head.contentType].compactMap({ $0 }) {
        require(isFieldText(text), "content type \(describe(text.utf8)); \(context())")
    }
    require(head.contentLength.map { $0 >= 0 } ?? true, "negative length; \(context())")

    switch head.kind {
    case .document:
        require(locations.isEmpty, "document with a Location; \(context())")
    case .localRedirect(let path):
        let bytes = Array(path.utf8)
        require(bytes.first == UInt8(ascii: "/") && bytes.dropFirst().first != UInt8(ascii: "/"),
                "local redirect to \(describe(path.utf8)); \(context())")
        require(head.names.isEmpty && head.contentType == nil && head.contentLength == nil && head.status == .ok,
                "local redirect carries a response: \(head); \(context())")
    case .clientRedirect(let url):
        require(locations == [url], "client redirect to \(describe(url.utf8)) with Location fields \(locations); \(context())")
        require(!url.isEmpty && isFieldText(url), "redirect target \(describe(url.utf8)); \(context())")
    }
}

/// No control byte but HTAB, no DEL, no OWS at either end: what a header line may carry once written back.
private func isFieldText(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    if let first = bytes.first, first == space || first == tab { return false }
    if let last = bytes.last, last == space || last == tab { return false }
    return bytes.allSatisfy { ($0 >= 0x20 || $0 == tab) && $0 != 0x7F }
}

/// Writes the head back as a header block, spelled as the steer says, and parses it whole and split.
private func roundTrip(_ head: Head, steer: inout Steer, context: () -> String) {
    let eol: [UInt8] = steer.next(below: 2) == 0 ? [cr, lf] : [lf]
    func spell(_ name: String) -> String {
        switch steer.next(below: 3) {
        case 0: return name.lowercased()
        case 1: return name.uppercased()
        default: return name
        }
    }
    func ows() -> String { ["", " ", "\t", "  \t "][steer.next(below: 4)] }
    var lines: [String] = []
    var counted = 0  // fields besides Status and Location: they make a local-looking Location a client redirect
    if case .localRedirect(let path) = head.kind {
        lines.append("\(spell("Location")):\(ows())\(path)\(ows())")
    } else {
        if steer.next(below: 2) == 0 || head.status != (head.kind == .document ? .ok : .found) {
            lines.append("\(spell("Status")):\(ows())\(head.status.code) \(head.status.reason)\(ows())")
        }
        if let type = head.contentType {
            lines.append("\(spell("Content-Type")):\(ows())\(type)\(ows())")
            counted += 1
        }
        if let length = head.contentLength {
            let digits = String(length)
            let zeros = min(steer.next(below: 3), 18 - digits.count)
            lines.append("\(spell("Content-Length")):\(ows())\(String(repeating: "0", count: zeros))\(digits)")
            counted += 1
        }
        for (name, value) in zip(head.names, head.values) {
            lines.append("\(name):\(ows())\(value)\(ows())")
            if name.lowercased() != "location" { counted += 1 }
        }
        if case .clientRedirect = head.kind, counted == 0 {
            // Only dropped fields made it a client redirect: one of them keeps it one.
            lines.append("\(spell("Connection")): close")
        } else if lines.isEmpty {
            // A block of dropped fields only: one of them keeps the block from being empty.
            lines.append("\(spell("Server")): x")
        }
    }
    var block: [UInt8] = []
    for line in lines { block += Array(line.utf8) + eol }
    block += eol
    let body = Array("body".utf8)
    let cut = steer.next(below: block.count + 1)
    for cuts in [[], [cut]] {
        let again = parse(block + body, cuts: cuts)
        require(again == .head(head, bodyStart: block.count),
                "written back as \(describe(block)) it parses to \(again), not \(head); \(context())")
    }
}

/// RFC 3875 §6 written the plain way, as a second opinion: cut the input into lines at LF, stop at the first
/// empty one, check every complete line on its own and the fields together (a wrong line is wrong before the
/// block ends), then decide what the response is.
private func referenceParse(_ input: [UInt8]) -> Outcome {
    let limit = CGIResponseParser.maxHeaderBlock
    var fields: [(name: [UInt8], value: [UInt8])] = []
    var start = 0
    var end: Int?
    for (i, byte) in input.enumerated() where byte == lf {
        guard i < limit else { return .failed(502) }
        var line = Array(input[start..<i])
        start = i + 1
        if line.last == cr { line.removeLast() }
        guard !line.contains(cr) else { return .failed(502) }
        if line.isEmpty {
            end = i + 1
            break
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              line[..<colon].allSatisfy(isTchar) else { return .failed(502) }
        var value = Array(line[(colon + 1)...])
        while let first = value.first, first == space || first == tab { value.removeFirst() }
        while let last = value.last, last == space || last == tab { value.removeLast() }
        guard value.allSatisfy({ ($0 >= 0x20 || $0 == tab) && $0 != 0x7F }) else { return .failed(502) }
        fields.append((Array(line[..<colon]), value))
    }
    func named(_ name: String) -> [[UInt8]] {
        fields.filter { String(decoding: $0.name, as: UTF8.self).lowercased() == name }.map(\.value)
    }
    let text = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self) }
    let statuses = named("status"), locations = named("location"), types = named("content-type"),
        lengths = named("content-length")
    guard statuses.count <= 1, locations.count <= 1, types.count <= 1, lengths.count <= 1 else { return .failed(502) }

    var status: Status?
    if let value = statuses.first {
        guard value.count >= 3, value[..<3].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .failed(502) }
        let code = Int(text(Array(value[..<3])))!
        guard code >= 200 && code < 600 else { return .failed(502) }
        if value.count == 3 {
            status = Status(code: code)
        } else {
            guard value[3] == space else { return .failed(502) }
            var reason = Array(value[4...])
            while let first = reason.first, first == space || first == tab { reason.removeFirst() }
            status = reason.isEmpty ? Status(code: code) : Status(code, text(reason))
        }
    }
    var length: Int?
    if let value = lengths.first {
        guard !value.isEmpty, value.count <= 18, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return .failed(502) }
        length = Int(text(value))!
    }
    if let location = locations.first, location.isEmpty { return .failed(502) }
    // Every complete line has been judged, alone and with the others, whether the block has ended or not.
    guard let end else {
        // Unfinished: only a CR followed by something else than LF is already wrong in the partial line.
        let partial = input[start...]
        if let bare = partial.firstIndex(of: cr), bare + 1 < input.count { return .failed(502) }
        return input.count > limit ? .failed(502) : .incomplete
    }
    guard !fields.isEmpty else { return .failed(502) }

    let forwarded = fields.filter {
        let name = text($0.name).lowercased()
        return !["status", "content-type", "content-length"].contains(name) && !dropped.contains(name)
    }.map { (name: text($0.name), value: text($0.value)) }
    let type = types.first.map(text)

    guard let location = locations.first.map(text) else {
        return .head(Head(kind: .document, status: status ?? .ok, contentType: type, contentLength: length,
                          fields: forwarded), bodyStart: end)
    }
    let bytes = Array(location.utf8)
    let others = fields.count - statuses.count - locations.count
    if bytes.first == UInt8(ascii: "/") && bytes.dropFirst().first != UInt8(ascii: "/") && others == 0 {
        return .head(Head(kind: .localRedirect(location), status: .ok, contentType: nil, contentLength: nil, fields: []),
                     bodyStart: end)
    }
    return .head(Head(kind: .clientRedirect(location), status: status ?? .found, contentType: type,
                      contentLength: length, fields: forwarded), bodyStart: end)
}

/// Fields the parser promises not to forward (hop-by-hop, and the server's own Date and Server), lowercased.
private let dropped = ["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection",
                       "date", "server"]

/// tchar (RFC 9110 §5.6.2), spelled out rather than taken from the parser.
private func isTchar(_ byte: UInt8) -> Bool {
    switch byte {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
    default: return "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

private let cr: UInt8 = 0x0D
private let lf: UInt8 = 0x0A
private let tab: UInt8 = 0x09
private let space: UInt8 = 0x20
