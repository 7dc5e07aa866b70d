#if canImport(Glibc)
import Glibc
#endif

/// One client: owns its socket, the bytes received and not yet parsed, the bytes waiting to be sent, and the
/// state of the request in progress. Its select() interest and its deadline are derived from that state on
/// every pass. The body phase, CGI and deadlines live in `Connection+Body`, `+CGI` and `+Deadlines`.
final class Connection {
    /// Where the connection stands, in processing order (as lighttpd's connection states).
    enum State {
        /// Waiting for (the rest of) a request head (`headInProgress` holds a partial one's parser); between
        /// requests, the idle keep-alive wait.
        case readingHead
        /// A request body arriving: decoded by the reader, handed to the sink (dropped, spooled for a CGI, or
        /// stored as files). Indirect, as `streaming`: their payloads (over 100 bytes) live on the heap while
        /// the state lasts, so the thousands of idle connections do not each carry room for them.
        indirect case readingBody(BodyReader, BodySink)
        /// Waiting in line for a CGI slot (`cgi_max_processes`), the spooled body (if any) kept as stdin.
        case awaitingCGI(CGIJob, stdin: Descriptor?)
        /// A CGI child runs; its output becomes the response.
        case runningCGI(CGIProcess, CGIJob)
        /// A file body is being copied through select() into the send queue.
        indirect case streaming(FileStream, keepAlive: Bool)
        /// Last response queued: flush it, then close. With `linger`, unread input is drained for a moment
        /// first, so closing with unread bytes does not reset the connection before the client reads our answer.
        case closing(linger: Bool)
        case closed
    }

    let socket: Descriptor
    let peer: Endpoint
    let local: Endpoint
    /// Who the requests come from, for the logs, CGI and the per-client limit: the peer, or the client a
    /// trusted proxy names (`Connection+Client`).
    var client: Endpoint
    /// The peer is in `set_real_ip_from`: what it says of the client is believed.
    let peerTrusted: Bool
    /// The connection begins with a PROXY protocol header not read yet (`listen ... proxy_protocol`).
    var awaitingProxyHeader: Bool
    /// A trusted proxy's PROXY v2 header says the client spoke TLS to it (CGI gets `HTTPS=on`).
    var clientUsedTLS = false
    /// The address this connection is counted under for `limit_conn_per_client`; nil while not counted.
    var countedAs: String?
    // The properties below are internal, not private, only so the `Connection+…` files can use them.
    /// The server's shared state, which outlives every connection (the server drops its connections first).
    /// `unowned(unsafe)`: read tens of times per request, and a checked reference would pay a strong
    /// retain and release on each read.
    unowned(unsafe) let context: ServerContext
    var timeouts: Timeouts
    var state: State = .readingHead
    /// The parser of a head that arrived in part. A head that arrives whole is parsed by a parser on the
    /// stack: an idle connection holds none (ten thousand of them would hold 1.4 MB).
    var headInProgress: Box<RequestParser>?
    /// When the current state began or last made progress: its deadline counts from here.
    var since: ContinuousClock.Instant
    /// Requests begun on this connection (heads refused as malformed included): after the first, an empty wait
    /// for a head is a keep-alive wait. stub_status's `requests` adds them up.
    var requestsBegun = 0
    /// A complete head is being decided (the status page counts its own request as writing).
    private var deciding = false

    var inbound: [UInt8] = []
    /// Bytes of `inbound` before this index are consumed.
    var inboundStart = 0
    var outbound: SendQueue

    /// A parsed request waiting for a block of the buffer pool to answer it (no interest declared meanwhile).
    /// Boxed: ten thousand idle connections must not each carry room for a head they do not have.
    var headAwaitingBuffer: Box<RequestHead>?
    /// Input could not be taken for lack of a block: tried again on every pass until one is given back.
    var awaitingBuffer = false

    /// Set when a request failed mid-way: input may still be on its way.
    var lingerOnClose = false
    /// The client shut down its sending side: answer what was asked, then close.
    var inputEnded = false
    /// The responder (configuration) the current request began under: a reload meanwhile does not change
    /// how it finishes. nil between requests.
    var requestResponder: Responder?
    /// CGI local redirects followed for the current request.
    var localRedirects = 0
    /// The current request's access-log line, written once its response is queued (nil with the log off).
    /// Boxed: an idle connection has none, and must not carry room for one.
    var logEntry: Box<AccessLogEntry>?
    /// The server is shutting down: the request in progress is finished, and then the connection closes.
    private(set) var draining = false
    /// Answered 503 at once (over a limit): it holds no slot, and has a short time to take its answer.
    private(set) var isRejected = false
    var rejectionDeadline: ContinuousClock.Instant?

    /// What this pass asked select() for; only these may be acted on when it returns.
    private var watchingRead = false
    private var watchingWrite = false
    var watchingFile: Int32 = -1

    /// Past this much unsent output, stop reading and parsing (pipelining backpressure).
    static let outboundHighWater = 256 * 1024
    /// Room a request needs in the send queue before it is answered: most heads, and a small body (more
    /// spills into further blocks).
    private static let responseRoom = 2048
    private static let rejectionTime = Duration.seconds(5)

    init(socket: Descriptor, peer: Endpoint, local: Endpoint, context: ServerContext) {
        self.socket = socket
        self.peer = peer
        self.local = local
        self.context = context
        client = peer
        peerTrusted = context.router.config.realIP.trusts(peer.host)
        awaitingProxyHeader = context.router.listenOptions(for: local).proxyProtocol
        outbound = SendQueue(pool: context.pool)
        timeouts = context.router.server(forHost: nil, localEndpoint: local).timeouts
        since = context.now
    }

    deinit { outbound.discardAll() }

    /// The current request's responder, else the one in force.
    var responder: Responder { requestResponder ?? context.responder }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: Admission and shutdown

    /// Over a limit: answer 503 with Retry-After at once, without reading a request, and close.
    func reject() {
        isRejected = true
        uncount()
        lingerOnClose = true
        var response = context.responder.errorResponse(.serviceUnavailable, arrivingOn: local)
        response.closesConnection = true
        if context.accessLog.isEnabled { logEntry = Box(AccessLogEntry(unparsed: [])) }
        start(response, .closing)
        rejectionDeadline = context.now + Connection.rejectionTime
    }

    /// Graceful shutdown: an idle connection closes now; one with a request under way finishes it (its
    /// answer says `Connection: close`) and then closes.
    func beginDraining() {
        draining = true
        if case .runningCGI(let process, let job) = state, !process.headSent { job.terms.keepAlive = false }
        if case .readingHead = state, inboundStart == inbound.count, outbound.isEmpty, headAwaitingBuffer == nil {
            close()
        }
    }

    /// What stub_status counts this connection as: reading a head, writing (from a complete head until the
    /// answer is sent), or waiting (idle).
    var activity: ServerStatistics.Activity {
        switch state {
        case .readingHead:
            if deciding || headAwaitingBuffer != nil || !outbound.isEmpty { return .writing }
            return inboundStart < inbound.count ? .reading : .waiting
        case .readingBody, .awaitingCGI, .runningCGI, .streaming, .closing:
            return .writing
        case .closed:
            return .waiting
        }
    }

    // MARK: Interest

    /// Adds this connection's descriptors to the sets according to its state.
    func declareInterest(read: inout FDSet, write: inout FDSet) {
        // A block may have been given back since the last pass.
        if awaitingBuffer {
            awaitingBuffer = false
            processInput()
        }
        watchingRead = false
        watchingWrite = !outbound.isEmpty
        watchingFile = -1
        // Buffered input the state cannot take yet, a full send queue or no buffer for the answer: the
        // kernel holds further bytes meanwhile.
        let canTakeInput = inboundStart == inbound.count && outbound.pending < Connection.outboundHighWater
            && headAwaitingBuffer == nil
        switch state {
        case .readingHead:
            // A partial head waits in `inbound` for more bytes; only a full send queue stops reading.
            watchingRead = outbound.pending < Connection.outboundHighWater && headAwaitingBuffer == nil
        case .readingBody(let reader, let sink):
            watchingRead = canTakeInput && !reader.isComplete && sink.backlog < BodySink.highWater
                && sink.reserveRoom() != nil
            if let file = sink.fileToWrite {
                watchingFile = file.raw
                write.insert(file.raw)
            }
        case .awaitingCGI:
            // Watched only to notice a client that leaves the line; pipelined input waits in the kernel.
            watchingRead = inboundStart == inbound.count
        case .runningCGI(let process, _):
            // Backpressure: a slow client, or a pool with no room, stops us reading the script, which then
            // blocks on its full pipe.
            let room = outbound.pending < CGIProcess.outputHighWater
                && outbound.reserveBulk(process.headSent ? CGIProcess.minimumRead : CGIProcess.headRoom)
            process.declareInterest(read: &read, outputRoom: room)
        case .streaming(let stream, _):
            if stream.wantsRead(&outbound) {
                watchingFile = stream.file.descriptor.raw
                read.insert(watchingFile)
                // What this pass reads from the file can go out in the same pass when the socket has room:
                // one select() per chunk instead of two.
                watchingWrite = true
            }
        case .closing(let linger):
            watchingRead = linger && outbound.isEmpty
        case .closed:
            watchingWrite = false
        }
        if inputEnded { watchingRead = false }
        if watchingRead { read.insert(socket.raw) }
        if watchingWrite { write.insert(socket.raw) }
    }

    // MARK: Events

    /// Acts on what select() reported for the descriptors this connection declared (the loop watches deadlines).
    func handleEvents(readable: FDSet, writable: FDSet) {
        if watchingFile >= 0 {
            switch state {
            case .readingBody:
                if writable.contains(watchingFile) { bodyFileWritable() }
            case .streaming:
                if readable.contains(watchingFile) { fileReadable() }
            case .readingHead, .awaitingCGI, .runningCGI, .closing, .closed:
                break
            }
        }
        if case .runningCGI(let process, let job) = state { cgiEvents(process, job, readable: readable) }
        // A step above may have closed the socket; its number may already belong to someone else.
        if watchingRead && !isClosed && readable.contains(socket.raw) { socketReadable() }
        if watchingWrite && !isClosed && writable.contains(socket.raw) { socketWritable() }
    }

    private func socketReadable() {
        var limit = context.scratch.count
        if case .readingBody(_, let sink) = state {
            // The room went back to the pool since select() (a write earlier in this pass emptied the block)
            // and cannot be had again: the bytes wait in the kernel.
            guard let room = sink.reserveRoom() else { return }
            limit = min(limit, room)
        }
        let count = socket.recv(into: UnsafeMutableRawBufferPointer(rebasing: context.scratch[..<limit]))
        guard count > 0 else { return count == 0 ? endOfInput() : close() }
        switch state {
        case .readingHead:
            // The first byte of the next request starts its head's clock.
            if isIdleKeepAlive { since = context.now }
        case .readingBody:
            since = context.now
        case .closing:
            return  // lingering: input is dropped
        case .awaitingCGI, .runningCGI, .streaming, .closed:
            break
        }
        let input = UnsafeRawBufferPointer(rebasing: context.scratch[..<count])
        if inbound.isEmpty, answeredInPlace(input) { return }
        inbound.append(contentsOf: input)
        processInput()
    }

    /// Reads into an empty `inbound` are scanned where recv() put them. One that holds exactly one head is
    /// answered from there, with no copy into `inbound` (whose storage an idle connection gives back, so the
    /// copy would cost a malloc): from a ready answer for a plain GET, else from a head built there. Anything
    /// else (part of a head, or more than one) is copied and handed to `processInput` with the parser, which
    /// resumes on the same bytes. False when nothing was scanned.
    private func answeredInPlace(_ input: UnsafeRawBufferPointer) -> Bool {
        guard case .readingHead = state, headInProgress == nil, headAwaitingBuffer == nil, !awaitingProxyHeader,
              outbound.pending < Connection.outboundHighWater else { return false }
        var parser = RequestParser()
        let length: Int?
        do {
            length = try parser.scan(input.assumingMemoryBound(to: UInt8.self))
        } catch {
            inbound.append(contentsOf: input)
            requestsBegun += 1
            fail(error)
            return true
        }
        guard length == input.count else {
            inbound.append(contentsOf: input)
            processInput(continuing: parser)
            return true
        }
        if let get = parser.plainGet, answerReady(get, head: input) { return true }
        // Exactly one head and nothing after it: built from where it lies, `inbound` stays empty.
        if take(parser.head(in: input.assumingMemoryBound(to: UInt8.self), length: input.count)) { processInput() }
        return true
    }

    /// The client half-closed. A request still incomplete is abandoned; an answer already decided is still
    /// delivered (RFC 9112 §9.6), and then the connection closes.
    private func endOfInput() {
        inputEnded = true
        switch state {
        case .readingHead:
            // Nothing queued: either nothing was asked or the last request is incomplete.
            if outbound.isEmpty { close() }
        case .readingBody(let reader, _):
            if !reader.isComplete { close() }
        case .closing, .awaitingCGI:
            // Waiting for a CGI slot, a client that hangs up has left the line (nginx treats an end of input
            // while waiting for an upstream the same way): no interpreter is started for nobody.
            close()
        case .runningCGI, .streaming, .closed:
            break
        }
    }

    private func socketWritable() {
        // Watched for a file read in this same pass that brought nothing yet: nothing to send.
        guard !outbound.isEmpty else { return }
        let count = outbound.send(to: socket)
        guard count > 0 else { return close() }
        // Each write restarts the wait; a CGI's whole run and its wait in line have their own bounds.
        switch state {
        case .awaitingCGI, .runningCGI: break
        case .readingHead, .readingBody, .streaming, .closing, .closed: since = context.now
        }
        guard outbound.isEmpty else { return }
        switch state {
        case .closing(let linger):
            if linger { socket.shutdownOutput() } else { close() }
        case .readingHead:
            if isIdleKeepAlive {
                // Idle until the client speaks again, maybe for minutes: hold no buffers meanwhile
                // (ten thousand idle clients would otherwise keep their last response's capacity).
                outbound.releaseStorage()
                inbound = []
                inboundStart = 0
            }
            processInput()
            if inputEnded, outbound.isEmpty, case .readingHead = state { close() }
        case .readingBody, .awaitingCGI, .runningCGI, .streaming, .closed:
            break
        }
    }

    // MARK: Requests

    /// Parses and answers as many buffered requests as the send queue allows.
    /// `started`: a parser that has already scanned the head at `inboundStart` (or part of it).
    func processInput(continuing started: RequestParser? = nil) {
        var started = started
        while outbound.pending < Connection.outboundHighWater {
            switch state {
            case .readingHead:
                let head: RequestHead
                if let waiting = headAwaitingBuffer {
                    head = waiting.value
                } else {
                    guard inboundStart < inbound.count else { return compactInbound() }
                    if awaitingProxyHeader {
                        guard takeProxyHeader() else { return }
                        continue
                    }
                    var parser = started ?? headInProgress?.value ?? RequestParser()
                    started = nil
                    let scanned: Int?
                    do {
                        scanned = try parser.scan(inbound, from: inboundStart)
                    } catch {
                        headInProgress = nil
                        requestsBegun += 1  // a request too, for stub_status
                        return fail(error)
                    }
                    guard let length = scanned else {
                        if let headInProgress { headInProgress.value = parser } else { headInProgress = Box(parser) }
                        return compactInbound()
                    }
                    headInProgress = nil
                    let start = inboundStart
                    inboundStart += length
                    if let get = parser.plainGet, let ready = inbound.withUnsafeBytes({
                        readyAnswer(get, head: UnsafeRawBufferPointer(rebasing: $0[start...]))
                    }) {
                        sendReady(ready, to: get)
                        continue
                    }
                    head = parser.head(in: inbound, from: start, length: length)
                }
                guard take(head) else { return compactInbound() }
            case .readingBody(var reader, let sink):
                guard !reader.isComplete, inboundStart < inbound.count, sink.backlog < BodySink.highWater
                else { return compactInbound() }
                guard let room = sink.reserveRoom() else {
                    awaitingBuffer = true
                    return compactInbound()
                }
                do {
                    try sink.take(try takeBody(&reader, maximum: room))
                    state = .readingBody(reader, sink)
                    if reader.isComplete { try sink.finishInput() }
                } catch {
                    return fail(error)
                }
                guard reader.isComplete && sink.isDone else { return compactInbound() }
                bodyComplete()
            case .awaitingCGI, .runningCGI, .streaming, .closing, .closed:
                return compactInbound()
            }
        }
    }

    /// A complete head is begun once its answer has room in the send queue; false when it waits for a block.
    private func take(_ head: RequestHead) -> Bool {
        // Answers queued behind an unread one count as bulk: a client that reads nothing must not take the
        // small blocks kept for newcomers.
        guard outbound.reserve(Connection.responseRoom, bulk: !outbound.isEmpty) else {
            headAwaitingBuffer = Box(head)
            awaitingBuffer = true
            return false
        }
        headAwaitingBuffer = nil
        begin(head)
        // An answer that waits for a body or a script holds no block meanwhile.
        outbound.releaseStorage()
        return true
    }

    /// A plain GET with a ready answer, sent before any head, field list or String is built: the common hit
    /// costs no allocation (but its access-log line). False when the request needs its head (a client address
    /// read from a header) or has no ready answer.
    private func answerReady(_ get: PlainGet, head: UnsafeRawBufferPointer) -> Bool {
        guard let ready = readyAnswer(get, head: head) else { return false }
        sendReady(ready, to: get)
        return true
    }

    /// The ready answer to `get`, whose bytes are `head`; its access-log entry is begun here, while they are.
    private func readyAnswer(_ get: PlainGet, head: UnsafeRawBufferPointer) -> HotResponses.Answer? {
        guard clientKnownWithoutHeaders, outbound.reserve(Connection.responseRoom, bulk: !outbound.isEmpty),
              let ready = context.responder.hotAnswer(to: get, in: head, arrivingOn: local, now: context.now)
        else { return nil }
        if context.accessLog.isEnabled { logEntry = Box(AccessLogEntry(get, in: head)) }
        return ready
    }

    private func sendReady(_ ready: HotResponses.Answer, to get: PlainGet) {
        requestsBegun += 1
        localRedirects = 0
        timeouts = ready.timeouts
        let keepAlive = get.wantsKeepAlive && !draining
        ready.writeHead(into: &outbound, dateLine: context.dateLine, keepAlive: keepAlive, requestVersion: get.version)
        logEntry?.value.status = 200
        logEntry?.value.bodyStart = outbound.appended
        ready.writeBody(into: &outbound)
        since = context.now
        finishResponse(keepAlive: keepAlive)
    }

    /// A complete head: decide the answer (RequestPlan), and read its body first when it has one.
    private func begin(_ head: RequestHead) {
        requestsBegun += 1
        localRedirects = 0
        if context.accessLog.isEnabled { logEntry = Box(AccessLogEntry(head: head)) }
        guard settleClient(of: head) else { return rejectRequest(head) }
        requestResponder = context.responder
        deciding = true
        let plan = RequestPlan(for: head, arrivingOn: local, from: client.host, responder: responder,
                               draining: draining, now: context.now)
        deciding = false
        if let serverTimeouts = plan.timeouts { timeouts = serverTimeouts }
        if plan.sendsContinue { outbound.append(Connection.continueLine) }
        switch plan.action {
        case .respond(let response, let terms, let linger):
            if linger { lingerOnClose = true }
            start(response, terms)
        case .discardBody(let reader, let response, let terms):
            readBody(reader, into: .discard(then: Box(response), terms))
        case .runCGI(let job, let body):
            startCGI(job, body: body)
        case .upload(let job, let body):
            startUpload(job, body: body)
        case .fail(let error):
            fail(error, version: head.version)
        }
    }

    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    /// Drops consumed input so the buffer does not grow across pipelined requests.
    func compactInbound() {
        if inboundStart == inbound.count {
            if inbound.capacity > 16 * 1024 { inbound = [] } else { inbound.removeAll(keepingCapacity: true) }
            inboundStart = 0
        } else if inboundStart > 32 * 1024 {
            inbound.removeFirst(inboundStart)
            inboundStart = 0
        }
    }

    /// Gives back what the current state holds besides the socket: files, spools, CGI children.
    func releaseResources() {
        switch state {
        case .readingBody(_, let sink):
            sink.abandon()
        case .awaitingCGI(_, let stdin):
            stdin?.close()
            context.leaveCGIQueue(self)
        case .runningCGI(let process, _):
            endCGI(process)
        case .streaming(let stream, _):
            stream.file.descriptor.close()
            context.collectingBytes -= stream.collectingBytes
        case .readingHead, .closing, .closed:
            break
        }
        watchingFile = -1
    }

    /// Moves to `next`, whose wait starts now.
    func enter(_ next: State) {
        state = next
        since = context.now
    }

    /// Closes everything this connection owns.
    func close() {
        if case .closed = state { return }
        writeLogEntry()
        uncount()
        releaseResources()
        socket.close()
        state = .closed
        watchingFile = -1
        outbound.discardAll()
    }

}
