/// The numbers behind `stub_status` and `cgi_status`. Only what cannot be read off the connections is
/// counted as it happens (three integers); the rest is counted by the server when a status page is asked
/// for, so the hot path pays nothing for it.
final class ServerStatistics {
    /// Connections accepted (nginx's `accepts`).
    var accepts = 0
    /// Accepted connections given a place, not refused at once for lack of one (`handled`: nginx counts
    /// those refused past `worker_connections` as accepted, not handled).
    var handled = 0
    /// Requests begun: complete heads, and heads refused as malformed (`requests`).
    var requests = 0

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

        /// nginx's: the active connections neither reading nor writing.
        var waiting: Int { active - reading - writing }
    }

    /// Set by the server, which sees every connection.
    var census: () -> Census = { Census() }
}
