#if canImport(Glibc)
import Glibc
#endif

/// One client: owns its socket, the bytes received and not yet parsed, the bytes waiting to be sent, and the
/// state of the request in progress. Its select() interest is derived from that state on every pass.
final class Connection {
    enum State {
        /// Waiting for (the rest of) a request head.
        case readingHead(RequestParser)
        /// Reading a body nobody consumes (static resources), then sending `response`.
        case discardingBody(BodyReader, then: PendingResponse)
        /// A file body is being copied through select() into the send queue.
        case streaming(FileStream, keepAlive: Bool)
        /// A request body bound for a CGI is written to a temporary file first, as nginx buffers a FastCGI
        /// request: a chunked body's length must be known for CONTENT_LENGTH, and a slow client must not hold
        /// a running interpreter (a thousand slow uploads would otherwise be a thousand processes).
        case spoolingBody(BodyReader, BodySpool, then: PendingCGI)
        /// Waiting in line for a CGI slot (`cgi_max_processes`), the spooled body (if any) kept as `stdin`.
        case awaitingCGI(PendingCGI, bodyLength: Int?, stdin: Descriptor?)
        /// A CGI child runs, its stdin the spooled body (or empty).
        case runningCGI(CGIProcess)
        /// A body is being stored (upload or PUT) through select().
        case receivingUpload(BodyReader, UploadSink, then: PendingUpload)
        /// Last response queued: flush it, then close. With `linger`, unread input is drained for a moment
        /// first, so closing with unread bytes does not reset the connection before the client reads our answer.
        case closing(linger: Bool)
        case closed
    }

    /// A response decided before its request's body was read.
    struct PendingResponse {
        let response: Response
        let keepAlive: Bool
        let isHead: Bool
        let version: HTTPVersion
    }

    /// A CGI to start once its request body is spooled.
    struct PendingCGI {
        let request: RoutedRequest
        let script: CGIScript
        let keepAlive: Bool
    }

    /// What to answer once an upload is stored.
    struct PendingUpload {
        let uriBase: String
        let isPut: Bool
        let keepAlive: Bool
        let version: HTTPVersion
    }

    /// Which deadline is running (nginx's timeouts).
    private enum Phase {
        case header, keepalive, body, send, linger, cgiQueue, cgi
    }

    let socket: Descriptor
    let peer: Endpoint
    let local: Endpoint
    private unowned let context: ServerContext
    private var timeouts: Timeouts

    private var inbound: [UInt8] = []
    /// Bytes of `inbound` before this index are consumed.
    private var inboundStart = 0
    private var outbound: SendQueue
    private(set) var state: State = .readingHead(RequestParser())
    private var phase = Phase.header
    /// When the current phase began, and its deadline as configured.
    private var phaseStart: ContinuousClock.Instant
    private var phaseDeadline: ContinuousClock.Instant

    /// A parsed request waiting for a block of the buffer pool to answer it (no interest declared meanwhile).
    /// Boxed: ten thousand idle connections must not each carry room for a head they do not have.
    private var headAwaitingBuffer: Box<RequestHead>?
    /// Input could not be taken for lack of a block: tried again on every pass until one is given back.
    private var awaitingBuffer = false

    /// Set when a request failed mid-way: input may still be on its way.
    private var lingerOnClose = false
    /// The client shut down its sending side: answer what was asked, then close.
    private var inputEnded = false
    /// CGI local redirects followed for the current request.
    private var localRedirects = 0
    /// The current request's access-log line, written once its response is queued (nil with the log off).
    private var logEntry: AccessLogEntry?
    /// The server is shutting down: the request in progress is finished, and then the connection closes.
    private var draining = false

    /// What this pass asked select() for; only these may be acted on when it returns.
    private var watchingRead = false
    private var watchingWrite = false
    private var watchingFile: Int32 = -1

    /// Past this much unsent output, stop reading and parsing (pipelining backpressure).
    private static let outboundHighWater = 256 * 1024
    /// Refill a streamed file body below this.
    private static let streamLowWater = 64 * 1024
    /// Room a request needs in the send queue before it is answered: most heads, and a small body (more
    /// spills into further blocks).
    private static let responseRoom = 2048
    /// A file read is worth a select() pass only with this much room in its block.
    private static let minimumFileRead = 4096
    /// Room reserved for decoded body bytes before they are taken from the input.
    private static let minimumBodyRoom = 4096
    private static let lingerTime = Duration.seconds(2)

    init(socket: Descriptor, peer: Endpoint, local: Endpoint, context: ServerContext) {
        self.socket = socket
        self.peer = peer
        self.local = local
        self.context = context
        outbound = SendQueue(pool: context.pool)
        timeouts = context.router.server(forHost: nil, localEndpoint: local).timeouts
        phaseStart = context.now
        phaseDeadline = context.now + timeouts.clientHeader
    }

    /// The phase's deadline; while the server is crowded a head or an idle keep-alive gets only a few
    /// seconds (counted from the phase's start), so slow or idle clients cannot hold the slots.
    var deadline: ContinuousClock.Instant {
        guard context.crowded else { return phaseDeadline }
        switch phase {
        case .header: return min(phaseDeadline, phaseStart + Connection.crowdedHeaderTime)
        case .keepalive: return min(phaseDeadline, phaseStart + Connection.crowdedKeepaliveTime)
        case .body, .send, .linger, .cgiQueue, .cgi: return phaseDeadline
        }
    }

    static let crowdedHeaderTime = Duration.seconds(3)
    static let crowdedKeepaliveTime = Duration.seconds(5)

    deinit { outbound.discardAll() }

    /// A CGI awaits its child's exit status: the loop must come back soon even if no descriptor is ready.
    var needsPromptPoll: Bool {
        if case .runningCGI(let process) = state { return process.awaitingExit }
        return false
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: Admission and shutdown

    /// Over `max_connections`: answer 503 with Retry-After at once, without reading a request, and close.
    func reject() {
        isRejected = true
        lingerOnClose = true
        var response = context.responder.errorResponse(.serviceUnavailable, arrivingOn: local)
        response.closesConnection = true
        if context.accessLog.isEnabled { logEntry = AccessLogEntry(unparsed: []) }
        start(PendingResponse(response: response, keepAlive: false, isHead: false, version: .http11))
        // A rejected client gets a short time to take its answer, whatever send_timeout says.
        phaseDeadline = min(phaseDeadline, context.now + Connection.rejectionTime)
    }

    /// Counts against `max_connections`: everything but rejected clients and those lingering after their
    /// last answer (they hold a descriptor for a moment, no request).
    var holdsSlot: Bool { !isRejected && phase != .linger && !isClosed }

    /// Since when this connection has waited for a next request with nothing buffered and nothing to send;
    /// nil when it is not such an idle keep-alive connection (only those may be closed to make room).
    var idleSince: ContinuousClock.Instant? {
        guard case .readingHead = state, phase == .keepalive, inboundStart == inbound.count, outbound.isEmpty
        else { return nil }
        return phaseStart
    }

    private static let rejectionTime = Duration.seconds(5)
    private(set) var isRejected = false

    /// Graceful shutdown: an idle connection closes now; one with a request under way finishes it (its
    /// answer says `Connection: close`) and then closes.
    func beginDraining() {
        draining = true
        if case .runningCGI(let process) = state, !process.headSent { process.keepAlive = false }
        if case .readingHead = state, inboundStart == inbound.count, outbound.isEmpty, headAwaitingBuffer == nil {
            close()
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
        switch state {
        case .readingHead, .discardingBody:
            // Unparsed pipelined input, a full send queue or no buffer for the answer: let the kernel hold
            // further bytes.
            watchingRead = outbound.pending < Connection.outboundHighWater && !hasUnparsedInput
                && headAwaitingBuffer == nil
        case .streaming(let stream, _):
            // A small file is read into its head's block; a larger one into bulk blocks. No room in the pool:
            // the file waits, undeclared, until a block is given back.
            if outbound.pending < Connection.streamLowWater
                && (stream.bytesLeft <= outbound.tailRoom || outbound.reserveBulk(Connection.minimumFileRead)) {
                watchingFile = stream.file.descriptor.raw
            }
        case .spoolingBody(let reader, let spool, _):
            watchingRead = !reader.isComplete && spool.queue.pending < BodySpool.highWater && !hasUnparsedInput
                && spool.queue.reserveBulk(Connection.minimumBodyRoom)
            if !spool.queue.isEmpty { watchingFile = spool.file.raw }
        case .awaitingCGI:
            // Watched only to notice a client that leaves the line; pipelined input waits in the kernel.
            watchingRead = !hasUnparsedInput
        case .runningCGI(let process):
            // Backpressure: a slow client, or a pool with no room, stops us reading the script, which then
            // blocks on its full pipe.
            let room = outbound.pending < CGIProcess.outputHighWater
                && outbound.reserveBulk(process.headSent ? CGIProcess.minimumRead : CGIProcess.headRoom)
            process.declareInterest(read: &read, outputRoom: room)
        case .receivingUpload(let reader, let sink, _):
            watchingRead = !reader.isComplete && sink.pendingBytes < UploadSink.highWater && !hasUnparsedInput
                && sink.queue.reserveBulk(Connection.minimumBodyRoom)
            if let file = sink.waitingDescriptor { watchingFile = file.raw }
        case .closing(let linger):
            watchingRead = linger && outbound.isEmpty
        case .closed:
            watchingWrite = false
        }
        if inputEnded { watchingRead = false }
        if watchingRead { read.insert(socket.raw) }
        if watchingWrite { write.insert(socket.raw) }
        if watchingFile >= 0 {
            if watchesFileForWriting { write.insert(watchingFile) } else { read.insert(watchingFile) }
        }
    }

    /// Spools and uploads write their file; a served file is read.
    private var watchesFileForWriting: Bool {
        switch state {
        case .spoolingBody, .receivingUpload: return true
        case .readingHead, .discardingBody, .streaming, .awaitingCGI, .runningCGI, .closing, .closed: return false
        }
    }

    /// Input already buffered that the state cannot take yet: the kernel holds further bytes meanwhile.
    private var hasUnparsedInput: Bool {
        switch state {
        case .readingHead:
            return inboundStart < inbound.count && outbound.pending >= Connection.outboundHighWater
        case .spoolingBody, .receivingUpload, .awaitingCGI:
            return inboundStart < inbound.count
        case .discardingBody, .streaming, .runningCGI, .closing, .closed:
            return false
        }
    }

    // MARK: Events

    /// Acts on what select() reported for the descriptors this connection declared, then on its deadline.
    func handleEvents(readable: FDSet, writable: FDSet) {
        if watchingFile >= 0 {
            switch state {
            case .spoolingBody:
                if writable.contains(watchingFile) { spoolWritable() }
            case .receivingUpload:
                if writable.contains(watchingFile) { uploadWritable() }
            case .streaming:
                if readable.contains(watchingFile) { fileReadable() }
            case .readingHead, .discardingBody, .awaitingCGI, .runningCGI, .closing, .closed:
                break
            }
        }
        if case .runningCGI(let process) = state {
            // The script's output is read only as far as the room reserved in the send queue.
            let outcome = process.handleEvents(readable: readable, scratch: context.scratch,
                                               outputLimit: max(1, outbound.tailRoom - CGIProcess.chunkFraming),
                                               dateLine: context.dateLine, log: context.errorLog, now: context.now,
                                               into: &outbound)
            if let status = process.sentStatus, logEntry?.status == nil {
                logEntry?.status = status
                logEntry?.bodyStart = process.bodyStart
            }
            cgiEvent(outcome, process)
        }
        // A step above may have closed the socket; its number may already belong to someone else.
        if watchingRead && !isClosed && readable.contains(socket.raw) { socketReadable() }
        if watchingWrite && !isClosed && writable.contains(socket.raw) { socketWritable() }
        if !isClosed && context.now >= deadline { deadlinePassed() }
    }

    private func socketReadable() {
        guard let limit = readLimit else { return }
        let count = socket.recv(into: UnsafeMutableRawBufferPointer(rebasing: context.scratch[..<limit]))
        guard count > 0 else { return count == 0 ? endOfInput() : close() }
        switch state {
        case .readingHead:
            if phase == .keepalive { setPhase(.header) }
        case .discardingBody, .spoolingBody, .receivingUpload:
            setPhase(.body)
        case .closing:
            return  // lingering: input is dropped
        case .streaming, .awaitingCGI, .runningCGI, .closed:
            break
        }
        inbound.append(contentsOf: UnsafeRawBufferPointer(rebasing: context.scratch[..<count]))
        processInput()
    }

    /// A body bound for a file is read only as far as the room reserved for it in the buffer pool, so what
    /// waits in `inbound` meanwhile stays small; nil when the room went back to the pool since select() (a
    /// write earlier in this pass emptied the block) and cannot be had again: the bytes wait in the kernel.
    private var readLimit: Int? {
        switch state {
        case .spoolingBody(_, let spool, _):
            guard spool.queue.reserveBulk(Connection.minimumBodyRoom) else { return nil }
            return min(context.scratch.count, spool.queue.tailRoom)
        case .receivingUpload(_, let sink, _):
            guard sink.queue.reserveBulk(Connection.minimumBodyRoom) else { return nil }
            return min(context.scratch.count, sink.queue.tailRoom - UploadSink.heldBackBytes)
        case .readingHead, .discardingBody, .streaming, .awaitingCGI, .runningCGI, .closing, .closed:
            return context.scratch.count
        }
    }

    /// The client half-closed. A request still incomplete is abandoned; an answer already decided is still
    /// delivered (RFC 9112 §9.6), and then the connection closes.
    private func endOfInput() {
        inputEnded = true
        switch state {
        case .readingHead:
            // Nothing queued: either nothing was asked or the last request is incomplete.
            if outbound.isEmpty { close() }
        case .discardingBody(let reader, _), .spoolingBody(let reader, _, _), .receivingUpload(let reader, _, _):
            if !reader.isComplete { close() }
        case .closing, .awaitingCGI:
            // Waiting for a CGI slot, a client that hangs up has left the line (nginx treats an end of input
            // while waiting for an upstream the same way): no interpreter is started for nobody.
            close()
        case .streaming, .runningCGI, .closed:
            break
        }
    }

    private func socketWritable() {
        let count = outbound.send(to: socket)
        guard count > 0 else { return close() }
        // A CGI's whole run is bounded by cgi_timeout, its wait for a slot by cgi_queue_timeout; otherwise
        // each write restarts send_timeout.
        switch state {
        case .runningCGI: setPhase(.cgi)
        case .awaitingCGI: break
        case .readingHead, .discardingBody, .streaming, .spoolingBody, .receivingUpload, .closing, .closed:
            setPhase(.send)
        }
        guard outbound.isEmpty else { return }
        switch state {
        case .closing(let linger):
            if linger {
                socket.shutdownOutput()
                setPhase(.linger)
            } else {
                close()
            }
        case .readingHead:
            // A partial head stays in `inbound` until complete, so unread bytes mean a request has begun.
            setPhase(inboundStart < inbound.count || headAwaitingBuffer != nil ? .header : .keepalive)
            if phase == .keepalive {
                // Idle until the client speaks again, maybe for minutes: hold no buffers meanwhile
                // (ten thousand idle clients would otherwise keep their last response's capacity).
                outbound.releaseStorage()
                inbound = []
                inboundStart = 0
            }
            processInput()
            if inputEnded, outbound.isEmpty, case .readingHead = state { close() }
        case .discardingBody, .spoolingBody, .receivingUpload:
            setPhase(.body)
        case .runningCGI:
            phase = .cgi
        case .streaming, .awaitingCGI, .closed:
            break
        }
    }

    /// Reads the file straight into the room reserved in the send queue: the block it is sent from.
    private func fileReadable() {
        guard case .streaming(var stream, let keepAlive) = state else { return }
        let want = stream.nextRead(into: &outbound)
        guard outbound.tailRoom > 0 else { return }   // a part's prefix took the room: read next pass
        let count = outbound.fill(maximum: want) { room in
            let count = stream.file.descriptor.read(into: room)
            if count > 0 { stream.consumed(UnsafeRawBufferPointer(rebasing: room[..<count])) }
            return count
        }
        guard count > 0 else {
            // The file shrank under us: the promised length cannot be kept, so the connection must end.
            releaseResources()
            return beginClosing(linger: false)
        }
        guard stream.nextRead(into: &outbound) == 0 else {
            state = .streaming(stream, keepAlive: keepAlive)
            return
        }
        stream.file.descriptor.close()
        watchingFile = -1
        context.collectingBytes -= stream.collectingBytes
        if let complete = stream.collected { context.responder.fileWasRead(complete, from: stream.file) }
        finishResponse(keepAlive: keepAlive)
        processInput()
    }

    private func deadlinePassed() {
        switch phase {
        case .header:
            if case .readingHead = state, inboundStart < inbound.count {
                fail(HTTPError(.requestTimeout, "client_header_timeout"))
            } else {
                close()
            }
        case .body:
            fail(HTTPError(.requestTimeout, "client_body_timeout"))
        case .cgiQueue:
            guard case .awaitingCGI(let pending, _, _) = state else { return close() }
            context.errorLog.warn("webserv: \(peer.host): 503 no CGI slot within cgi_queue_timeout")
            releaseResources()
            // The request was read whole: the connection can go on after this answer.
            start(PendingResponse(response: context.responder.errorResponse(.serviceUnavailable, for: pending.request),
                                  keepAlive: pending.keepAlive, isHead: pending.request.method == .head,
                                  version: pending.request.head.version))
            processInput()
        case .cgi:
            guard case .runningCGI(let process) = state else { return close() }
            context.errorLog.warn("webserv: cgi \(process.pid) passed cgi_timeout; killed")
            if process.headSent { close() } else { fail(HTTPError(.gatewayTimeout, "cgi_timeout")) }
        case .keepalive, .send, .linger:
            close()
        }
    }

    // MARK: Requests

    /// Parses and answers as many buffered requests as the send queue allows.
    private func processInput() {
        while outbound.pending < Connection.outboundHighWater {
            switch state {
            case .readingHead(var parser):
                let head: RequestHead
                if let waiting = headAwaitingBuffer {
                    head = waiting.value
                } else {
                    guard inboundStart < inbound.count else { return compactInbound() }
                    let parsed: RequestHead?
                    do {
                        parsed = try parser.parse(inbound, from: inboundStart)
                    } catch {
                        return fail(error)
                    }
                    guard let parsed else {
                        state = .readingHead(parser)
                        return compactInbound()
                    }
                    inboundStart += parsed.headLength
                    head = parsed
                }
                // Answers queued behind an unread one count as bulk: a client that reads nothing must not
                // take the small blocks kept for newcomers.
                guard outbound.reserve(Connection.responseRoom, bulk: !outbound.isEmpty) else {
                    headAwaitingBuffer = Box(head)
                    awaitingBuffer = true
                    return compactInbound()
                }
                headAwaitingBuffer = nil
                begin(head)
                // An answer that waits for a body or a script holds no block meanwhile.
                outbound.releaseStorage()
            case .discardingBody(var reader, let pending):
                guard inboundStart < inbound.count else { return compactInbound() }
                do { _ = try takeBody(&reader) } catch { return fail(error) }
                guard reader.isComplete else {
                    state = .discardingBody(reader, then: pending)
                    return compactInbound()
                }
                start(pending)
            case .spoolingBody(var reader, let spool, let pending):
                guard inboundStart < inbound.count, !reader.isComplete,
                      spool.queue.pending < BodySpool.highWater else { return compactInbound() }
                guard spool.queue.reserveBulk(Connection.minimumBodyRoom) else {
                    awaitingBuffer = true
                    return compactInbound()
                }
                let decoded: [UInt8]
                do { decoded = try takeBody(&reader, maximum: spool.queue.tailRoom) } catch { return fail(error) }
                spool.append(decoded)
                state = .spoolingBody(reader, spool, then: pending)
                if reader.isComplete && spool.queue.isEmpty { spoolComplete() }
                return compactInbound()
            case .receivingUpload(var reader, let sink, let pending):
                guard !reader.isComplete, inboundStart < inbound.count, sink.pendingBytes < UploadSink.highWater
                else { return compactInbound() }
                guard sink.queue.reserveBulk(Connection.minimumBodyRoom) else {
                    awaitingBuffer = true
                    return compactInbound()
                }
                do {
                    // A multipart boundary held back from an earlier read may come out with these bytes.
                    try sink.take(try takeBody(&reader, maximum: sink.queue.tailRoom - UploadSink.heldBackBytes))
                    state = .receivingUpload(reader, sink, then: pending)
                    if reader.isComplete { try sink.finishInput() }
                } catch {
                    return fail(error)
                }
                if sink.isComplete { uploadComplete() }
                return compactInbound()
            case .streaming, .awaitingCGI, .runningCGI, .closing, .closed:
                return compactInbound()
            }
        }
    }

    /// Decodes the buffered body bytes `reader` can take, consuming them from `inbound`.
    /// `maximum` bounds the input taken (decoded bytes are never more), to fit the room reserved for them.
    private func takeBody(_ reader: inout BodyReader, maximum: Int = .max) throws(HTTPError) -> [UInt8] {
        var decoded: [UInt8] = []
        let end = inbound.count - inboundStart > maximum ? inboundStart + maximum : inbound.count
        inboundStart += try reader.read(inbound, inboundStart..<end, into: &decoded)
        return decoded
    }

    /// A complete head: route it, decide the answer, and read its body first when it has one.
    private func begin(_ head: RequestHead) {
        localRedirects = 0
        if context.accessLog.isEnabled { logEntry = AccessLogEntry(head: head) }
        let request: RoutedRequest
        let framing: BodyFraming
        do {
            request = try context.responder.route(head, arrivingOn: local)
            framing = try head.bodyFraming()
        } catch {
            return fail(error, version: head.version)
        }
        timeouts = request.server.timeouts
        if case .length(let length) = framing, request.location.clientMaxBodySize > 0,
           length > request.location.clientMaxBodySize {
            // Declared too large: answered before any handler acts (a DELETE must not delete first), and the
            // body is not read (RFC 9110 §15.5.14).
            lingerOnClose = true
            return start(PendingResponse(response: context.responder.errorResponse(.payloadTooLarge, for: request),
                                         keepAlive: false, isHead: head.method == .head, version: head.version))
        }
        let response: Response
        switch context.responder.handle(request, from: peer.host) {
        case .response(let decided):
            response = decided
        case .cgi(let script):
            if framing != .none { sendContinueIfExpected(head) }
            return startCGI(request, script, framing: framing, keepAlive: head.wantsKeepAlive)
        case .upload(let directory, let temporaries, let kind, let uriBase):
            return startUpload(request, directory: directory, temporaries: temporaries, kind: kind, uriBase: uriBase,
                               framing: framing)
        }
        // While draining the connection ends with this answer, so its body need not be read.
        let keepAlive = head.wantsKeepAlive && !draining && !response.closesConnection
        if head.expectsContinue && framing != .none && framing != .length(0) {
            // The client holds its body until we say 100 Continue: this answer needs none of it, so it goes
            // out at once and the unsent body ends the connection.
            lingerOnClose = true
            return start(PendingResponse(response: response, keepAlive: false, isHead: head.method == .head,
                                         version: head.version))
        }
        let pending = PendingResponse(response: response, keepAlive: keepAlive, isHead: head.method == .head,
                                      version: head.version)
        switch framing {
        case .none, .length(0):
            start(pending)
        case .length where !keepAlive:
            // The connection ends with this answer: its body need not be read.
            start(pending)
        case .length, .chunked:
            state = .discardingBody(BodyReader(framing: framing, limit: request.location.clientMaxBodySize),
                                    then: pending)
            setPhase(.body)
        }
    }

    // MARK: Uploads

    private func startUpload(_ request: RoutedRequest, directory: String, temporaries: String, kind: UploadSink.Kind,
                             uriBase: String, framing: BodyFraming) {
        let limit = request.location.clientMaxBodySize
        let sink: UploadSink
        do {
            sink = try UploadSink(directory: directory, temporaryDirectory: temporaries, kind: kind,
                                  names: context.uploadNames, pool: context.pool)
        } catch {
            return fail(error, version: request.head.version)
        }
        if framing != .none { sendContinueIfExpected(request.head) }
        let isPut: Bool
        if case .put = kind { isPut = true } else { isPut = false }
        let pending = PendingUpload(uriBase: uriBase, isPut: isPut, keepAlive: request.head.wantsKeepAlive,
                                    version: request.head.version)
        let bodyFraming = framing == .none ? BodyFraming.length(0) : framing
        let reader = BodyReader(framing: bodyFraming, limit: limit)
        state = .receivingUpload(reader, sink, then: pending)
        setPhase(.body)
        if reader.isComplete {
            do { try sink.finishInput() } catch { return fail(error) }
            if sink.isComplete { return uploadComplete() }
        }
        processInput()
    }

    private func uploadWritable() {
        guard case .receivingUpload(_, let sink, _) = state else { return }
        do {
            try sink.writable()
        } catch {
            return fail(error)
        }
        if sink.isComplete { uploadComplete() } else { processInput() }
    }

    /// Every file is in place: answer 201 (or 204 for a replacing PUT).
    private func uploadComplete() {
        guard case .receivingUpload(_, let sink, let pending) = state else { return }
        let response = context.responder.uploadResponse(sink.stored, uriBase: pending.uriBase, isPut: pending.isPut)
        start(PendingResponse(response: response, keepAlive: pending.keepAlive, isHead: false, version: pending.version))
        processInput()
    }

    /// RFC 9110 §10.1.1: a client that waits for 100 Continue gets it once we will read its body.
    private func sendContinueIfExpected(_ head: RequestHead) {
        if head.expectsContinue { outbound.append(Connection.continueLine) }
    }

    private static let continueLine = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    // MARK: CGI

    private func startCGI(_ request: RoutedRequest, _ script: CGIScript, framing: BodyFraming, keepAlive: Bool) {
        let limit = request.location.clientMaxBodySize
        switch framing {
        case .none:
            runWhenSlotFree(PendingCGI(request: request, script: script, keepAlive: keepAlive), bodyLength: nil)
        case .length(0):
            runWhenSlotFree(PendingCGI(request: request, script: script, keepAlive: keepAlive), bodyLength: 0)
        case .length, .chunked:
            guard let file = context.makeTemporaryFile() else {
                return fail(HTTPError(.internalServerError, "cannot create a temporary file for the request body"))
            }
            state = .spoolingBody(BodyReader(framing: framing, limit: limit), BodySpool(file: file, pool: context.pool),
                                  then: PendingCGI(request: request, script: script, keepAlive: keepAlive))
            setPhase(.body)
            processInput()
        }
    }

    private func spoolWritable() {
        guard case .spoolingBody(let reader, let spool, _) = state else { return }
        guard spool.flush() else {
            // Disk full or a write error: the body cannot be kept.
            return fail(HTTPError(.insufficientStorage, "cannot write the spooled request body"))
        }
        if reader.isComplete && spool.queue.isEmpty { spoolComplete() } else { processInput() }
    }

    /// The whole body is on disk: the script gets the file as its stdin.
    private func spoolComplete() {
        guard case .spoolingBody(_, let spool, let pending) = state else { return }
        lseek(spool.file.raw, 0, SEEK_SET)
        runWhenSlotFree(pending, bodyLength: spool.length, stdin: spool.file)
    }

    /// Starts the script now if a slot is free and nobody waits before us; otherwise takes a place in line,
    /// declaring no interest but in the client leaving, until `cgiSlotGranted` or `cgi_queue_timeout`.
    private func runWhenSlotFree(_ pending: PendingCGI, bodyLength: Int?, stdin: Descriptor? = nil) {
        state = .awaitingCGI(pending, bodyLength: bodyLength, stdin: stdin)
        if context.cgiSlotFree {
            cgiSlotGranted()
        } else {
            context.waitForCGI(self)
            setPhase(.cgiQueue)
        }
    }

    /// This connection's turn for a CGI slot has come (the server calls it in line order).
    func cgiSlotGranted() {
        guard case .awaitingCGI(let pending, let bodyLength, let stdin) = state else { return }
        launch(pending, bodyLength: bodyLength, stdinFile: stdin)
    }

    /// Forks the script; the stdin file, owned by the `.awaitingCGI` state until then, is closed here once
    /// the child has its copy (or by `fail` through `releaseResources` when it cannot start).
    private func launch(_ pending: PendingCGI, bodyLength: Int?, stdinFile: Descriptor?) {
        let request = pending.request
        let environment = CGIEnvironment(
            request: request, script: pending.script, remoteAddress: peer.host, remotePort: peer.port,
            serverAddress: local.host, serverPort: local.port,
            serverName: CGIEnvironment.serverName(for: request, localAddress: local.host),
            bodyLength: bodyLength,
            authType: context.responder.remoteUser(of: request) == nil ? nil : "Basic",
            remoteUser: context.responder.remoteUser(of: request),
            documentRoot: CGIEnvironment.documentRoot(of: request.location),
            searchPath: CGIEnvironment.inheritedSearchPath())
        let spawned: SpawnedProcess
        do {
            spawned = try spawnProcess(interpreter: pending.script.interpreter, script: pending.script.filePath,
                                       environment: environment.variables(), directory: pending.script.directory,
                                       stdinFile: stdinFile)
        } catch {
            context.errorLog.warn("webserv: cannot start \(pending.script.interpreter): \(error)")
            return fail(HTTPError(.badGateway, "CGI could not be started"))
        }
        stdinFile?.close()
        context.cgiStarted()
        let process = CGIProcess(spawned, scriptName: pending.script.scriptName,
                                 keepAlive: pending.keepAlive && !draining,
                                 isHead: request.method == .head, version: request.head.version,
                                 deadline: context.now + request.location.cgiTimeout)
        state = .runningCGI(process)
        setPhase(.cgi)
        processInput()
    }

    /// Acts on what the CGI child did in this pass.
    private func cgiEvent(_ outcome: CGIProcess.Outcome, _ process: CGIProcess) {
        switch outcome {
        case .running:
            return
        case .finished:
            guard case .runningCGI = state else { return }
            context.release(process, kill: false)
            process.closePipes()
            setPhase(.send)
            finishResponse(keepAlive: !process.closesConnection)
            processInput()
        case .failed(let error):
            context.errorLog.warn("webserv: cgi \(process.scriptName): \(error.reason)")
            endCGI(process)
            fail(error)
        case .broken:
            endCGI(process)
            setPhase(.send)
            beginClosing(linger: false)
        case .localRedirect(let path):
            endCGI(process)
            localRedirects += 1
            guard localRedirects <= Connection.maxLocalRedirects,
                  let request = try? context.responder.route(redirectedHead(to: path, isHead: process.isHead),
                                                             arrivingOn: local)
            else {
                return fail(HTTPError(.badGateway, "CGI local redirect to \(path) failed or loops"))
            }
            switch context.responder.handle(request, from: peer.host) {
            case .response(let response):
                start(PendingResponse(response: response, keepAlive: process.keepAlive, isHead: process.isHead,
                                      version: process.version))
                processInput()
            case .cgi(let script):
                runWhenSlotFree(PendingCGI(request: request, script: script, keepAlive: process.keepAlive),
                                bodyLength: nil)
            case .upload:
                fail(HTTPError(.badGateway, "CGI local redirect to an upload location"))
            }
        }
    }

    /// RFC 3875 §6.2.2: the server answers a local redirect as a GET of the new path.
    private func redirectedHead(to path: String, isHead: Bool) -> RequestHead {
        RequestHead(method: isHead ? .head : .get, methodToken: isHead ? "HEAD" : "GET", target: path,
                    version: .http11, headers: Headers(), headLength: 0)
    }

    /// A script redirecting to itself must not run forever.
    private static let maxLocalRedirects = 5

    private func endCGI(_ process: CGIProcess) {
        process.closePipes()
        context.release(process, kill: true)
    }

    /// Queues the head and body of a response and moves to the state that finishes it.
    private func start(_ pending: PendingResponse) {
        let response = pending.response
        ResponseWriter.writeHead(response, keepAlive: pending.keepAlive && !draining, requestVersion: pending.version,
                                 dateLine: context.dateLine, into: &outbound)
        logEntry?.status = response.status.code
        logEntry?.bodyStart = outbound.appended
        setPhase(.send)
        switch response.body {
        case .empty:
            finishResponse(keepAlive: pending.keepAlive)
        case .bytes(let bytes):
            if !pending.isHead { outbound.appendBody(bytes) }
            finishResponse(keepAlive: pending.keepAlive)
        case .file(let file):
            if pending.isHead {
                file.descriptor.close()
                finishResponse(keepAlive: pending.keepAlive)
            } else {
                let stream = FileStream(file: file, collecting: context.collectingBytes < ServerContext.collectingLimit)
                context.collectingBytes += stream.collectingBytes
                state = .streaming(stream, keepAlive: pending.keepAlive)
            }
        }
    }

    private func finishResponse(keepAlive: Bool) {
        writeLogEntry()
        if keepAlive && !draining && timeouts.keepalive > .zero {
            state = .readingHead(RequestParser())
        } else {
            // Input left unread would make close() send a reset that can destroy our answer in flight.
            beginClosing(linger: lingerOnClose || inboundStart < inbound.count)
        }
    }

    /// The last response is queued: close once it is sent, or now when it already is (nothing else would
    /// ever ask select() about this socket again).
    private func beginClosing(linger: Bool) {
        state = .closing(linger: linger)
        guard outbound.isEmpty else { return }
        if linger {
            socket.shutdownOutput()
            setPhase(.linger)
        } else {
            close()
        }
    }

    /// Answers an unusable request with its error status and closes: the framing can no longer be trusted.
    private func fail(_ error: HTTPError, version: HTTPVersion = .http11) {
        releaseResources()
        if logEntry == nil && context.accessLog.isEnabled {
            logEntry = AccessLogEntry(unparsed: inbound[inboundStart...])
        }
        if error.status.code >= 500 {
            context.errorLog.warn("webserv: \(peer.host): \(error.status.code) \(error.reason)")
        }
        let response = context.responder.errorResponse(error.status, arrivingOn: local)
        // The client may still be sending what we will not read: linger so it gets this answer before the close.
        lingerOnClose = true
        start(PendingResponse(response: response, keepAlive: false, isHead: false, version: version))
    }

    /// A response that will not be sent still owns its file descriptor.
    private func release(_ response: Response) {
        if case .file(let file) = response.body { file.descriptor.close() }
    }

    /// The current request's access-log line, with the body bytes queued since its head.
    private func writeLogEntry() {
        guard let entry = logEntry else { return }
        logEntry = nil
        let bodyBytes = entry.status == nil ? 0 : outbound.appended - entry.bodyStart
        context.accessLog.line(bytes: entry.line(remoteAddress: peer.host, time: context.accessLogTime,
                                                 bodyBytes: bodyBytes))
    }

    /// Drops consumed input so the buffer does not grow across pipelined requests.
    private func compactInbound() {
        if inboundStart == inbound.count {
            if inbound.capacity > 16 * 1024 { inbound = [] } else { inbound.removeAll(keepingCapacity: true) }
            inboundStart = 0
        } else if inboundStart > 32 * 1024 {
            inbound.removeFirst(inboundStart)
            inboundStart = 0
        }
    }

    private func setPhase(_ next: Phase) {
        phase = next
        phaseStart = context.now
        switch next {
        case .header: phaseDeadline = context.now + timeouts.clientHeader
        case .keepalive: phaseDeadline = context.now + timeouts.keepalive
        case .body: phaseDeadline = context.now + timeouts.clientBody
        case .send: phaseDeadline = context.now + timeouts.send
        case .linger: phaseDeadline = context.now + Connection.lingerTime
        case .cgiQueue: phaseDeadline = context.now + context.cgiQueueTimeout
        case .cgi:
            if case .runningCGI(let process) = state { phaseDeadline = process.deadline }
        }
    }

    /// Gives back what the current state holds besides the socket: files, spools, CGI children.
    private func releaseResources() {
        switch state {
        case .streaming(let stream, _):
            stream.file.descriptor.close()
            context.collectingBytes -= stream.collectingBytes
        case .discardingBody(_, let pending):
            release(pending.response)
        case .spoolingBody(_, let spool, _):
            spool.file.close()
        case .awaitingCGI(_, _, let stdin):
            stdin?.close()
            context.leaveCGIQueue(self)
        case .runningCGI(let process):
            endCGI(process)
        case .receivingUpload(_, let sink, _):
            sink.abort()
        case .readingHead, .closing, .closed:
            break
        }
        watchingFile = -1
    }

    /// Closes everything this connection owns.
    func close() {
        if case .closed = state { return }
        writeLogEntry()
        releaseResources()
        socket.close()
        state = .closed
        watchingFile = -1
        outbound.discardAll()
    }
}
