/// The numbers behind `stub_status` and `cgi_status`. Only what cannot be read off the connections is
/// counted as it happens, per accepted or closed connection; the rest is counted by the server when a status
/// page is asked for, so a request pays nothing for it.
final class ServerStatistics {
    /// Connections accepted (nginx's `accepts`).
    var accepts = 0
    /// Accepted connections given a place, not refused at once for lack of one (`handled`: nginx counts
    /// those refused past `worker_connections` as accepted, not handled).
    var handled = 0
    /// Requests begun on connections since closed (each connection counts its own while it lives).
    var requestsOfClosedConnections = 0

    /// What one connection is doing, as nginx's stub_status counts it.
    enum Activity {
        /// A request head is arriving.
        case reading
        /// From a complete head until its answer is sent: body, script, response.
        case writing
        /// Idle: no request begun (a fresh connection, a keep-alive wait).
        case waiting
    }

    /// The connections and CGI processes at one instant.
    struct Census {
        var active = 0
        var reading = 0
        var writing = 0
        var cgiRunning = 0
        var cgiQueued = 0
        var cgiLimit = 0
        /// Requests begun on the connections open now.
        var requestsOfLiveConnections = 0

        /// nginx's: the active connections neither reading nor writing.
        var waiting: Int { active - reading - writing }
    }

    /// Set by the server, which sees every connection.
    var census: () -> Census = { Census() }

    /// Requests begun (nginx's `requests`): complete heads, and heads refused as malformed.
    func requests(_ census: Census) -> Int { requestsOfClosedConnections + census.requestsOfLiveConnections }
}
