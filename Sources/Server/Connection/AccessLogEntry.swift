/// One request's line in the access log, in nginx's `combined` format:
/// `addr - user [time] "request line" status body-bytes "referer" "user-agent"`.
/// Filled as the request goes (head, then status and the queue position where the body starts) and written
/// once the response is queued or the connection ends, so even a cut-off response leaves its line.
struct AccessLogEntry {
    private let requestLine: [UInt8]
    private let user: [UInt8]?
    private let referer: [UInt8]?
    private let userAgent: [UInt8]?
    /// The status sent; nil until a response head is queued (logged as 499 if the client left first, as nginx does).
    var status: Int?
    /// `SendQueue.appended` right after the head: body bytes are counted from there.
    var bodyStart = 0

    init(head: RequestHead) {
        var line = Array(head.methodToken.utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: head.target.utf8)
        line.append(contentsOf: head.version == .http10 ? AccessLogEntry.http10 : AccessLogEntry.http11)
        requestLine = line
        // nginx logs the user name sent, whether or not it was accepted.
        user = head.headers["authorization"].flatMap { BasicAuth.credentials(fromAuthorization: $0) }
            .map { Array($0.user.utf8) }
        // The bytes as sent: a String would turn invalid UTF-8 into U+FFFD.
        referer = head.headers.rawValue(named: "referer").map(Array.init)
        userAgent = head.headers.rawValue(named: "user-agent").map(Array.init)
    }

    /// A plain GET answered before its head was built, from the bytes it was scanned in.
    init(_ get: PlainGet, in head: UnsafeRawBufferPointer) {
        var line = Array("GET ".utf8)
        line.append(contentsOf: head[get.target])
        line.append(contentsOf: get.version == .http10 ? AccessLogEntry.http10 : AccessLogEntry.http11)
        requestLine = line
        user = get.value(named: "authorization", in: head)
            .flatMap { BasicAuth.credentials(fromAuthorization: String(decoding: $0, as: UTF8.self)) }
            .map { Array($0.user.utf8) }
        referer = get.value(named: "referer", in: head).map(Array.init)
        userAgent = get.value(named: "user-agent", in: head).map(Array.init)
    }

    /// A request that could not be parsed: its first line as received, cut at 1 KiB.
    init(unparsed input: ArraySlice<UInt8>) {
        let end = input.firstIndex { $0 == 13 || $0 == 10 } ?? input.endIndex
        requestLine = Array(input[input.startIndex..<min(end, input.startIndex + 1024)])
        user = nil
        referer = nil
        userAgent = nil
    }

    /// The log line (without its newline). `bodyBytes` is what the response queued after its head.
    func line(remoteAddress: String, time: [UInt8], bodyBytes: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + requestLine.count + (userAgent?.count ?? 0))
        out.append(contentsOf: remoteAddress.utf8)
        out.append(contentsOf: " - ".utf8)
        AccessLogEntry.appendField(user, quoted: false, to: &out)
        out.append(contentsOf: " [".utf8)
        out.append(contentsOf: time)
        out.append(contentsOf: "] ".utf8)
        AccessLogEntry.appendField(requestLine, quoted: true, to: &out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: String(status ?? 499).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: String(bodyBytes).utf8)
        out.append(UInt8(ascii: " "))
        AccessLogEntry.appendField(referer, quoted: true, to: &out)
        out.append(UInt8(ascii: " "))
        AccessLogEntry.appendField(userAgent, quoted: true, to: &out)
        return out
    }

    /// `-` when absent; otherwise the bytes escaped as nginx does.
    private static func appendField(_ value: [UInt8]?, quoted: Bool, to out: inout [UInt8]) {
        guard let value, !value.isEmpty else {
            out.append(contentsOf: quoted ? Array("\"-\"".utf8) : [UInt8(ascii: "-")])
            return
        }
        if quoted { out.append(UInt8(ascii: "\"")) }
        LogEscaping.append(value, to: &out)
        if quoted { out.append(UInt8(ascii: "\"")) }
    }

    private static let http10 = Array(" HTTP/1.0".utf8)
    private static let http11 = Array(" HTTP/1.1".utf8)
}
