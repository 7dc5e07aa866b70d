/// Who the client is behind a trusted proxy (nginx's realip with `real_ip_recursive on`): the PROXY protocol
/// header that opens the connection, or a header of each request. The access log, CGI's `REMOTE_ADDR`, failed
/// logins and `limit_conn_per_client` all follow `client`.
///
/// The per-client limit is counted when the client is known, as nginx's limit_conn sees the address realip
/// set: at accept for a peer that names nobody, after the PROXY header, or at each request for a header,
/// where a proxy reusing one connection for several clients moves the count to the current request's.
extension Connection {
    /// At accept: counts the connection under the peer's address, unless a trusted proxy is about to name the
    /// client. False when that address holds its limit already (the caller rejects the connection).
    func admitAtAccept() -> Bool {
        guard context.clientCounts.limit != nil, !learnsClientLater else { return true }
        return count(as: peer.host)
    }

    private var learnsClientLater: Bool {
        guard peerTrusted else { return false }
        switch context.router.config.realIP.source {
        case .proxyProtocol: return awaitingProxyHeader
        case .forwardedFor, .header: return true
        }
    }

    /// Reads the PROXY header that opens the input (call with input buffered). True once it is read: the
    /// bytes after it are the first request's. A malformed or foreign header closes the connection with
    /// nothing served; an incomplete one waits for more (client_header_timeout bounds the wait).
    func takeProxyHeader() -> Bool {
        switch ProxyHeader.parse(inbound, from: inboundStart) {
        case .incomplete:
            compactInbound()
            return false
        case .invalid:
            context.errorLog.warn("webserv: \(peer.host): no valid PROXY protocol header; connection closed")
            close()
            return false
        case .complete(let header, let length):
            inboundStart += length
            awaitingProxyHeader = false
            guard peerTrusted else { return true }
            clientUsedTLS = header.clientUsedTLS
            guard case .proxyProtocol = context.router.config.realIP.source else { return true }
            if let source = header.source { client = source }
            guard context.clientCounts.limit == nil || count(as: client.host) else {
                reject()
                return false
            }
            return true
        }
    }

    /// Whether `settleClient` has nothing to read in a request's fields.
    var clientKnownWithoutHeaders: Bool {
        guard peerTrusted else { return true }
        if case .proxyProtocol = context.router.config.realIP.source { return true }
        return false
    }

    /// Before a request is planned: the client its trusted proxy names in a header (the peer when it names
    /// none). False when that client holds its limit already.
    func settleClient(of head: RequestHead) -> Bool {
        guard peerTrusted else { return true }
        let realIP = context.router.config.realIP
        switch realIP.source {
        case .proxyProtocol:
            return true
        case .forwardedFor:
            client = ForwardedAddress.fromForwardedFor(head.headers, trusted: realIP.trusted) ?? peer
        case .header(let name):
            client = ForwardedAddress.fromSingleAddress(head.headers, named: name) ?? peer
        }
        return context.clientCounts.limit == nil || count(as: client.host)
    }

    /// A request from a client over its limit: 503 with Retry-After, and the connection ends.
    func rejectRequest(_ head: RequestHead) {
        lingerOnClose = true
        let response = context.responder.errorResponse(.serviceUnavailable, arrivingOn: local)
        start(response, ResponseTerms(head).withoutKeepAlive())
    }

    /// Moves this connection's count to `host`; false, and counted nowhere, when `host` is at its limit.
    private func count(as host: String) -> Bool {
        if countedAs == host { return true }
        uncount()
        guard context.clientCounts.admit(host) else { return false }
        countedAs = host
        return true
    }

    func uncount() {
        guard let host = countedAs else { return }
        context.clientCounts.release(host)
        countedAs = nil
    }
}
