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
        // RFC 9110 §8.6: no Content-Length on 1xx and 204; a 304 may omit it.
        let hasLength = writesLength && response.status.code != 204 && response.status.code != 304
            && response.status.code >= 200
        if hasLength, let framing = response.framingLines, framing.describe(response) {
            queue.append(framing.bytes)
        } else {
            if let type = response.contentType {
                queue.append("Content-Type: ")
                queue.append(type)
                queue.append(crlf)
            }
            if hasLength {
                queue.append("Content-Length: ")
                queue.append(String(response.contentLength))
                queue.append(crlf)
            }
        }
        if let modified = response.lastModified {
            queue.append("Last-Modified: ")
            queue.append(HTTPDate.format(modified))
            queue.append(crlf)
        }
        for (name, value) in response.headers {
            queue.append(name)
            queue.append(": ")
            queue.append(value)
            queue.append(crlf)
        }
        if !response.headerLines.isEmpty { queue.append(response.headerLines) }
        if !keepAlive {
            queue.append(connectionClose)
        } else if requestVersion == .http10 {
            queue.append(connectionKeepAlive)
        }
        queue.append(crlf)
    }

    private static let crlf: [UInt8] = [13, 10]
    private static let serverLine = Array("Server: webserv\r\n".utf8)
    private static let connectionClose = Array("Connection: close\r\n".utf8)
    private static let connectionKeepAlive = Array("Connection: keep-alive\r\n".utf8)
}
