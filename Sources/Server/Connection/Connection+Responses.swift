/// From a decided response to the bytes queued: the head written, a body copied or streamed from its file,
/// then the next request or the close.
extension Connection {
    /// Queues the head and body of a response and moves to the state that finishes it.
    func start(_ response: Response, _ terms: ResponseTerms) {
        ResponseWriter.writeHead(response, keepAlive: terms.keepAlive && !draining, requestVersion: terms.version,
                                 dateLine: context.dateLine, into: &outbound)
        logEntry?.value.status = response.status.code
        logEntry?.value.bodyStart = outbound.appended
        since = context.now
        switch response.body {
        case .empty:
            finishResponse(keepAlive: terms.keepAlive)
        case .bytes(let bytes):
            if !terms.isHead { outbound.appendBody(bytes) }
            finishResponse(keepAlive: terms.keepAlive)
        case .file(let file):
            if terms.isHead {
                file.descriptor.close()
                finishResponse(keepAlive: terms.keepAlive)
            } else {
                let stream = FileStream(file: file, collecting: context.collectingBytes < ServerContext.collectingLimit)
                context.collectingBytes += stream.collectingBytes
                state = .streaming(stream, keepAlive: terms.keepAlive)
            }
        }
    }

    func finishResponse(keepAlive: Bool) {
        writeLogEntry()
        // The next request is answered under the configuration in force when it arrives.
        requestResponder = nil
        if keepAlive && !draining && timeouts.keepalive > .zero {
            state = .readingHead
        } else {
            // Input left unread would make close() send a reset that can destroy our answer in flight.
            beginClosing(linger: lingerOnClose || inboundStart < inbound.count)
        }
    }

    /// The last response is queued: close once it is sent, or now when it already is (nothing else would
    /// ever ask select() about this socket again).
    func beginClosing(linger: Bool) {
        state = .closing(linger: linger)
        since = context.now
        guard outbound.isEmpty else { return }
        if linger { socket.shutdownOutput() } else { close() }
    }

    /// Answers an unusable request with its error status and closes: the framing can no longer be trusted.
    func fail(_ error: HTTPError, version: HTTPVersion = .http11) {
        releaseResources()
        if logEntry == nil && context.accessLog.isEnabled {
            logEntry = Box(AccessLogEntry(unparsed: inbound[inboundStart...]))
        }
        if error.status.code >= 500 {
            context.errorLog.warn("webserv: \(client.host): \(error.status.code) \(error.reason)")
        }
        let response = context.responder.errorResponse(error.status, arrivingOn: local)
        // The client may still be sending what we will not read: linger so it gets this answer before the close.
        lingerOnClose = true
        start(response, ResponseTerms(keepAlive: false, isHead: false, version: version))
    }

    /// The current request's access-log line, with the body bytes queued since its head.
    func writeLogEntry() {
        guard let entry = logEntry?.value else { return }
        logEntry = nil
        let bodyBytes = entry.status == nil ? 0 : outbound.appended - entry.bodyStart
        context.accessLog.line(bytes: entry.line(remoteAddress: client.host, time: context.accessLogTime,
                                                 bodyBytes: bodyBytes))
    }

    /// Reads the file straight into the room reserved in the send queue: the block it is sent from.
    func fileReadable() {
        guard case .streaming(var stream, let keepAlive) = state else { return }
        switch stream.read(into: &outbound) {
        case .more:
            state = .streaming(stream, keepAlive: keepAlive)
        case .shrank:
            // The file shrank under us: the promised length cannot be kept, so the connection must end.
            releaseResources()
            beginClosing(linger: false)
        case .complete:
            stream.file.descriptor.close()
            watchingFile = -1
            context.collectingBytes -= stream.collectingBytes
            if let complete = stream.collected { responder.fileWasRead(complete, from: stream.file) }
            finishResponse(keepAlive: keepAlive)
            processInput()
        }
    }
}
