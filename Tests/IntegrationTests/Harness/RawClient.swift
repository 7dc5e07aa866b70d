import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client on 127.0.0.1 for exact bytes: what is sent is what the server gets, and every
/// received byte is kept, so pipelined responses and trailing garbage are seen.
final class RawClient {
    private(set) var fd: Int32
    /// Received and not yet consumed.
    private var pending: [UInt8] = []

    enum Received: Equatable {
        case bytes(Int)
        case closed
        case reset
        case timedOut
    }

    /// `receiveBufferSize` is set before connecting, so the window the kernel advertises is small from the
    /// start (set later, the already advertised window still lets data trickle in).
    init(port: UInt16, receiveTimeout: Double = 10, receiveBufferSize: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed: errno \(errno)") }
        if var size = receiveBufferSize {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let error = errno
            Glibc.close(fd)
            fd = -1
            throw HarnessError("connect(127.0.0.1:\(port)) failed: errno \(error)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setReceiveTimeout(receiveTimeout)
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Closes with an RST instead of a FIN (SO_LINGER 0): the server's next write fails.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    func setReceiveTimeout(_ seconds: Double) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ text: String) throws { try send([UInt8](text)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw HarnessError("send failed after \(offset) of \(bytes.count) bytes: errno \(errno)") }
            offset += n
        }
    }

    /// One recv() into `pending`.
    @discardableResult
    func receive(max: Int = 65_536) -> Received {
        var chunk = [UInt8](repeating: 0, count: max)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, max, 0) }
        if n > 0 {
            pending.append(contentsOf: chunk[0..<n])
            return .bytes(n)
        }
        if n == 0 { return .closed }
        switch errno {
        case EAGAIN, EWOULDBLOCK: return .timedOut
        case EINTR: return .bytes(0)
        default: return .reset
        }
    }

    /// Takes everything received so far.
    func takePending() -> [UInt8] {
        defer { pending.removeAll() }
        return pending
    }

    /// Reads until the server closes (FIN or RST) or `timeout` passes with nothing new.
    func readUntilClosed(timeout: Double = 10) -> (bytes: [UInt8], closed: Bool) {
        setReceiveTimeout(timeout)
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            switch receive() {
            case .bytes: continue
            case .closed, .reset: return (takePending(), true)
            case .timedOut: return (takePending(), false)
            }
        }
        return (takePending(), false)
    }

    private func fill(_ what: @autoclosure () -> String) throws {
        switch receive() {
        case .bytes: return
        case .closed: throw HarnessError("connection closed while reading \(what()); received: \(pending.prefix(300).text)")
        case .reset: throw HarnessError("connection reset while reading \(what()); received: \(pending.prefix(300).text)")
        case .timedOut: throw HarnessError("timed out reading \(what()); received: \(pending.prefix(300).text)")
        }
    }

    /// Reads one response. `toHead`: the request was HEAD, so no body follows whatever the headers say.
    func readResponse(toHead: Bool = false) throws -> HTTPResponse {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var end: Range<Int>?
        while true {
            end = pending.firstRange(of: separator)
            if end != nil { break }
            try fill("the response head")
        }
        let headBytes = Array(pending[0..<end!.lowerBound])
        pending.removeSubrange(0..<end!.upperBound)
        var response = try HTTPResponse(head: headBytes)

        if toHead || response.status / 100 == 1 || response.status == 204 || response.status == 304 {
            return response
        }
        if let coding = response.header("Transfer-Encoding") {
            guard coding.lowercased() == "chunked" else { throw HarnessError("unexpected Transfer-Encoding: \(coding)") }
            response.body = try readChunkedBody()
            response.wasChunked = true
        } else if let lengthText = response.header("Content-Length") {
            guard let length = Int(lengthText), length >= 0 else { throw HarnessError("bad Content-Length: \(lengthText)") }
            while pending.count < length { try fill("a \(length)-byte body (have \(pending.count))") }
            response.body = Array(pending[0..<length])
            pending.removeSubrange(0..<length)
        } else {
            let rest = readUntilClosed()
            guard rest.closed else { throw HarnessError("a response without length did not end with a close") }
            response.body = rest.bytes
            response.wasCloseDelimited = true
        }
        return response
    }

    private func readLine() throws -> [UInt8] {
        let crlf: [UInt8] = [13, 10]
        while true {
            if let r = pending.firstRange(of: crlf) {
                let line = Array(pending[0..<r.lowerBound])
                pending.removeSubrange(0..<r.upperBound)
                return line
            }
            try fill("a chunk line")
        }
    }

    private func readChunkedBody() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine().text
            let sizeText = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw HarnessError("bad chunk size line: \(line)")
            }
            if size == 0 {
                while try !readLine().isEmpty {}
                return body
            }
            while pending.count < size + 2 { try fill("a \(size)-byte chunk") }
            body.append(contentsOf: pending[0..<size])
            guard pending[size] == 13, pending[size + 1] == 10 else { throw HarnessError("chunk not followed by CRLF") }
            pending.removeSubrange(0..<(size + 2))
        }
    }
}
