#if canImport(Glibc)
import Glibc
#endif

/// A running CGI child owned by one connection: its stdin is the spooled request body (a file, so nothing
/// is written to it from here and a script that writes before reading cannot deadlock against us), its
/// stdout becomes the HTTP response (head parsed per RFC 3875 §6, body streamed with backpressure), its
/// stderr goes to the error log. Both pipes are watched by the one select().
final class CGIProcess {
    /// What the connection does after an event.
    enum Outcome {
        case running
        /// The response is complete in the send queue; the connection may be kept alive.
        case finished
        /// Nothing was sent yet: answer with this error instead.
        case failed(HTTPError)
        /// The head is already out and the body cannot be completed: the connection must close.
        case broken
        /// RFC 3875 §6.2.2: the script named a local resource to serve instead.
        case localRedirect(String)
    }

    /// How the body is delimited on the wire.
    private enum Framing {
        case length(remaining: Int)
        case chunked
        /// HTTP/1.0 without Content-Length: the end of the connection ends the body.
        case untilClose
        /// HEAD, 204, 304: nothing is sent, output is drained and dropped.
        case bodyless
    }

    let pid: pid_t
    private var stdout: Descriptor?
    private var stderr: Descriptor?
    private var parser = CGIResponseParser()
    private var framing: Framing?
    private var errorLine: [UInt8] = []
    let scriptName: String
    /// cgi_timeout: the child's whole run ends by then.
    let deadline: ContinuousClock.Instant
    /// The child was already waited for: its pid may belong to another process now, never signal it.
    private(set) var reaped = false
    /// Handed back to the server (its slot accounted for); set once.
    var released = false

    /// What was asked of select() in this pass.
    private var watchingStdout = false
    private var watchingStderr = false
    /// For the access log: the status the script's head gave, and where its body began in the send queue.
    private(set) var sentStatus: Int?
    private(set) var bodyStart = 0
    /// When a chunked body's output ended; its exit status is awaited since.
    private var outputEndedAt: ContinuousClock.Instant?

    /// Past this much unsent response, the script's output is not read.
    static let outputHighWater = 64 * 1024
    /// Room in the send queue before the script's output is read: for the body, a read worth a pass; before
    /// the head, most heads whole (a larger one spills into further blocks).
    static let minimumRead = 4096
    static let headRoom = 16 * 1024
    /// What chunked framing adds around a read: the size in hex and two CRLFs.
    static let chunkFraming = 24
    /// A child that closed its chunked output gets this long to exit before the body is taken as complete.
    static let exitWait = Duration.seconds(1)

    init(_ spawned: SpawnedProcess, scriptName: String, deadline: ContinuousClock.Instant) {
        pid = spawned.pid
        stdout = spawned.stdout
        stderr = spawned.stderr
        self.scriptName = scriptName
        self.deadline = deadline
    }

    /// Whether the response head has gone to the client (afterwards errors can only cut the connection).
    var headSent: Bool { framing != nil }

    /// The body ends with the connection (HTTP/1.0 without Content-Length): it cannot be kept open.
    var endsWithConnection: Bool {
        if case .untilClose = framing { return true }
        return false
    }

    /// `outputRoom`: the send queue has room reserved for what one read brings.
    func declareInterest(read: inout FDSet, outputRoom: Bool) {
        watchingStdout = stdout != nil && outputRoom
        watchingStderr = stderr != nil
        if watchingStdout { read.insert(stdout!.raw) }
        if watchingStderr { read.insert(stderr!.raw) }
    }

    /// `outputLimit`: the most stdout bytes one read may bring (the room reserved for them); `terms`: what
    /// the response must respect of the request the script answers.
    func handleEvents(readable: FDSet, scratch: UnsafeMutableRawBufferPointer, outputLimit: Int,
                      terms: ResponseTerms, dateLine: [UInt8], log: LogSink, now: ContinuousClock.Instant,
                      into outbound: inout SendQueue) -> Outcome {
        if awaitingExit { return pollExit(now: now, into: &outbound) }
        if watchingStderr, let fd = stderr, readable.contains(fd.raw) {
            let count = fd.read(into: scratch)
            if count > 0 {
                logErrors(UnsafeRawBufferPointer(rebasing: scratch[..<count]), to: log)
            } else {
                fd.close()
                stderr = nil
                flushErrorLine(to: log)
            }
        }
        guard watchingStdout, let fd = stdout, readable.contains(fd.raw) else { return .running }
        let count = fd.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<min(outputLimit, scratch.count)]))
        guard count > 0 else {
            fd.close()
            stdout = nil
            return endOfOutput(into: &outbound)
        }
        return output(UnsafeRawBufferPointer(rebasing: scratch[..<count]), terms: terms, dateLine: dateLine,
                      into: &outbound)
    }

    // MARK: Output

    private func output(_ bytes: UnsafeRawBufferPointer, terms: ResponseTerms, dateLine: [UInt8],
                        into outbound: inout SendQueue) -> Outcome {
        guard framing != nil else {
            let parsed: (head: CGIResponseHead, bodyStart: Int)?
            do {
                parsed = try parser.parse(bytes)
            } catch {
                return .failed(error)
            }
            guard let (head, bodyStart) = parsed else { return .running }
            if case .localRedirect(let path) = head.kind { return .localRedirect(path) }
            writeHead(head, terms: terms, dateLine: dateLine, into: &outbound)
            return body(UnsafeRawBufferPointer(rebasing: bytes[bodyStart...]), into: &outbound)
        }
        return body(bytes, into: &outbound)
    }

    private func writeHead(_ head: CGIResponseHead, terms: ResponseTerms, dateLine: [UInt8],
                           into outbound: inout SendQueue) {
        var response = Response(status: head.status, contentType: head.contentType)
        response.headers = head.headers
        let bodyless = terms.isHead || head.status.code == 204 || head.status.code == 304
        var lengthKnown = true
        if bodyless {
            framing = .bodyless
            // RFC 9110 §8.6: a HEAD answer announces the GET's length or none, never a made-up 0.
            response.contentLength = head.contentLength ?? 0
            lengthKnown = head.contentLength != nil
        } else if let length = head.contentLength {
            framing = .length(remaining: length)
            response.contentLength = length
        } else if terms.version == .http10 {
            framing = .untilClose
        } else {
            framing = .chunked
            response.headers.append(("Transfer-Encoding", "chunked"))
        }
        if case .untilClose = framing { lengthKnown = false }
        if case .chunked = framing { lengthKnown = false }
        ResponseWriter.writeHead(response, keepAlive: terms.keepAlive && !endsWithConnection, requestVersion: terms.version,
                                 dateLine: dateLine, writesLength: lengthKnown, into: &outbound)
        sentStatus = head.status.code
        bodyStart = outbound.appended
    }

    private func body(_ bytes: UnsafeRawBufferPointer, into outbound: inout SendQueue) -> Outcome {
        guard !bytes.isEmpty else { return .running }
        switch framing {
        case .length(let remaining):
            // Output past the announced length is dropped: it would corrupt the next response.
            let take = min(remaining, bytes.count)
            outbound.append(UnsafeRawBufferPointer(rebasing: bytes[..<take]))
            framing = .length(remaining: remaining - take)
        case .chunked:
            ChunkedEncoder.appendChunk(bytes, to: &outbound)
        case .untilClose:
            outbound.append(bytes)
        case .bodyless, nil:
            break
        }
        return .running
    }

    private func endOfOutput(into outbound: inout SendQueue) -> Outcome {
        switch framing {
        case nil:
            return .failed(CGIResponseParser.endedEarly)
        case .length(let remaining):
            return remaining == 0 ? .finished : .broken
        case .chunked:
            // Whether the body is complete depends on how the child ended: wait for its exit status.
            outputEndedAt = ContinuousClock.now
            return pollExit(now: ContinuousClock.now, into: &outbound)
        case .untilClose, .bodyless:
            return .finished
        }
    }

    /// After a chunked body's EOF: a script killed mid-output must not look complete (no last chunk, the
    /// connection is cut). A child that closed stdout but lives on is taken as done after a second.
    private func pollExit(now: ContinuousClock.Instant, into outbound: inout SendQueue) -> Outcome {
        guard let endedAt = outputEndedAt else { return .running }
        let status = reap(pid, nohang: true)
        switch status {
        case .killed:
            reaped = true
            return .broken
        case .exited, .notAChild:
            reaped = true
        case .running:
            guard now - endedAt >= CGIProcess.exitWait else { return .running }
        }
        outputEndedAt = nil
        outbound.append(ChunkedEncoder.lastChunk)
        return .finished
    }

    /// Output ended; the exit status is awaited (the loop polls, exits do not wake select()).
    var awaitingExit: Bool { outputEndedAt != nil }

    // MARK: Errors

    private func logErrors(_ bytes: UnsafeRawBufferPointer, to log: LogSink) {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                flushErrorLine(to: log)
            } else if errorLine.count < 4096 {
                errorLine.append(byte)
            }
        }
    }

    private func flushErrorLine(to log: LogSink) {
        guard !errorLine.isEmpty else { return }
        log.warn("webserv: cgi \(scriptName) [\(pid)]: ", detail: errorLine)
        errorLine.removeAll(keepingCapacity: true)
    }

    /// Closes every pipe; the caller hands the pid to the reaper (killing it if it still runs).
    func closePipes() {
        for fd in [stdout, stderr] { fd?.close() }
        stdout = nil
        stderr = nil
    }
}
