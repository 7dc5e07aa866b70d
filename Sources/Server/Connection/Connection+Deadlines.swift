/// Every state has a deadline (nginx's timeouts), derived from the state and from when it began or last
/// made progress (`since`), so no second record of "which timer runs" can drift out of step.
extension Connection {
    /// When this connection must have made progress.
    var deadline: ContinuousClock.Instant {
        let due = stateDeadline
        guard let rejectionDeadline else { return due }
        return min(due, rejectionDeadline)
    }

    /// Read on every pass for every connection: the switch binds no payload, so the state is not copied.
    private var stateDeadline: ContinuousClock.Instant {
        switch state {
        case .readingHead:
            if !outbound.isEmpty { return since + timeouts.send }
            // While the server is crowded, a head or an idle keep-alive gets only a few seconds, so slow or
            // idle clients cannot hold the slots.
            if isIdleKeepAlive {
                let limit = context.crowded ? min(timeouts.keepalive, Connection.crowdedKeepaliveTime) : timeouts.keepalive
                return since + limit
            }
            let limit = context.crowded ? min(timeouts.clientHeader, Connection.crowdedHeaderTime) : timeouts.clientHeader
            return since + limit
        case .readingBody:
            return since + timeouts.clientBody
        case .awaitingCGI:
            return since + context.cgiQueueTimeout
        case .runningCGI:
            guard case .runningCGI(let process, _) = state else { return since }
            return process.deadline
        case .streaming:
            return since + timeouts.send
        case .closing:
            // Once the answer is out and our side shut down, unread input is drained for a moment only.
            if outbound.isEmpty, case .closing(linger: true) = state { return since + Connection.lingerTime }
            return since + timeouts.send
        case .closed:
            return since + timeouts.send
        }
    }

    static let crowdedHeaderTime = Duration.seconds(3)
    static let crowdedKeepaliveTime = Duration.seconds(5)
    static let lingerTime = Duration.seconds(2)

    /// Between requests with nothing received and nothing to send: waiting for the client to speak again.
    var isIdleKeepAlive: Bool {
        guard case .readingHead = state else { return false }
        return requestsBegun > 0 && inboundStart == inbound.count && headAwaitingBuffer == nil && outbound.isEmpty
    }

    /// Counts against `max_connections`: everything but rejected clients and those lingering after their
    /// last answer (they hold a descriptor for a moment, no request).
    var holdsSlot: Bool {
        if isRejected { return false }
        switch state {
        case .closing(let linger): return !(linger && outbound.isEmpty)
        case .closed: return false
        case .readingHead, .readingBody, .awaitingCGI, .runningCGI, .streaming: return true
        }
    }

    /// Since when this connection has waited for a next request; nil when it is not such an idle keep-alive
    /// connection (only those may be closed to make room).
    var idleSince: ContinuousClock.Instant? { isIdleKeepAlive ? since : nil }

    /// A CGI awaits its child's exit status: the loop must come back soon even if no descriptor is ready.
    var needsPromptPoll: Bool {
        // Asked of every connection on every pass: the tag first, so the state is copied only for a CGI.
        guard case .runningCGI = state, case .runningCGI(let process, _) = state else { return false }
        return process.awaitingExit
    }

    func deadlinePassed() {
        switch state {
        case .readingHead:
            // A head begun and not finished is a 408; a silent client, an unread answer or a PROXY header
            // that never completed just ends.
            if outbound.isEmpty && inboundStart < inbound.count && !awaitingProxyHeader {
                fail(HTTPError(.requestTimeout, "client_header_timeout"))
            } else {
                close()
            }
        case .readingBody:
            fail(HTTPError(.requestTimeout, "client_body_timeout"))
        case .awaitingCGI(let job, _):
            context.errorLog.warn("webserv: \(client.host): 503 no CGI slot within cgi_queue_timeout")
            releaseResources()
            // The request was read whole: the connection can go on after this answer.
            start(responder.errorResponse(.serviceUnavailable, for: job.request), job.terms)
            processInput()
        case .runningCGI(let process, _):
            context.errorLog.warn("webserv: cgi \(process.pid) passed cgi_timeout; killed")
            if process.headSent { close() } else { fail(HTTPError(.gatewayTimeout, "cgi_timeout")) }
        case .streaming, .closing, .closed:
            close()
        }
    }
}
