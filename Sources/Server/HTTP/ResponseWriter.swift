/// Serialises a response head (RFC 9112 §4, §6) into the bytes that go on the wire.
enum ResponseWriter {
    /// `HTTP/1.1 200 OK\r\n` for every status code from 100 to 599 with its standard reason, built once.
    private static let statusLines: [[UInt8]] = (100..<600).map {
        Array("HTTP/1.1 \($0) \(Status(code: $0).reason)\r\n".utf8)
    }

    static func statusLine(_ status: Status) -> [UInt8] {
        if (100..<600).contains(status.code) {
            let line = statusLines[status.code - 100]
            // A script's own reason phrase goes out as it gave it.
            if line.count == 15 + status.reason.utf8.count { return line }
        }
        return Array("HTTP/1.1 \(status.code) \(status.reason)\r\n".utf8)
    }

    /// Appends the head; `dateLine` is the preformatted `Date: …\r\n` of this second.
    /// `writesLength: false` for bodies of unknown length (chunked or close-delimited).
    static func writeHead(_ response: Response, keepAlive: Bool, requestVersion: HTTPVersion, dateLine: [UInt8],
                          writesLength: Bool = true, into queue: inout SendQueue) {
        queue.append(statusLine(response.status))
        queue.append(serverLine)
        queue.append(dateLine)
        appendFields(of: response, writesLength: writesLength, into: &queue)
        appendEnd(keepAlive: keepAlive, requestVersion: requestVersion, into: &queue)
    }

    /// The field lines after Date, rendered once for an answer sent many times (a ready answer).
    static func fieldLines(of response: Response) -> [UInt8] {
        var lines: [UInt8] = []
        appendFields(of: response, writesLength: true, into: &lines)
        return lines
    }

    /// The Connection field when one is due, then the empty line that ends the head.
    static func appendEnd(keepAlive: Bool, requestVersion: HTTPVersion, into queue: inout SendQueue) {
        if !keepAlive {
            queue.append(connectionClose)
        } else if requestVersion == .http10 {
            queue.append(connectionKeepAlive)
        }
        queue.append(crlf)
    }

    private static func appendFields(of response: Response, writesLength: Bool, into sink: inout some HeadSink) {
        // RFC 9110 §8.6: no Content-Length on 1xx and 204; a 304 may omit it.
        let hasLength = writesLength && response.status.code != 204 && response.status.code != 304
            && response.status.code >= 200
        if hasLength, let framing = response.framingLines, framing.describe(response) {
            sink.append(framing.bytes)
        } else {
            if let type = response.contentType {
                sink.append("Content-Type: ")
                sink.append(type)
                sink.append(crlf)
            }
            if hasLength {
                sink.append("Content-Length: ")
                sink.append(String(response.contentLength))
                sink.append(crlf)
            }
        }
        if let modified = response.lastModified {
            sink.append("Last-Modified: ")
            sink.append(HTTPDate.format(modified))
            sink.append(crlf)
        }
        for (name, value) in response.headers {
            sink.append(name)
            sink.append(": ")
            sink.append(value)
            sink.append(crlf)
        }
        if !response.headerLines.isEmpty { sink.append(response.headerLines) }
    }

    /// `HTTP/1.1 200 OK` and the Server line: how every ready answer begins.
    static let okLines = statusLine(.ok) + serverLine
    private static let crlf: [UInt8] = [13, 10]
    private static let serverLine = Array("Server: webserv\r\n".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
}

/// Where a head's lines are written: the send queue, or an array for a head prebuilt once.
protocol HeadSink {
    mutating func append(_ bytes: [UInt8])
    mutating func append(_ text: String)
}

extension SendQueue: HeadSink {}

extension Array: HeadSink where Element == UInt8 {
    mutating func append(_ bytes: [UInt8]) { append(contentsOf: bytes) }
    mutating func append(_ text: String) { append(contentsOf: text.utf8) }
}
