import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Config → listeners → the select loop. Owns every descriptor through its listeners, connections and logs;
/// each pass derives the read and write sets from their states, waits in the one select(), and dispatches.
public final class Server {
    private let context: ServerContext
    private var listeners: [Listener] = []
    private var connections: [Connection] = []
    /// Clients served at once; past this, newcomers get a 503 (`max_connections`).
    public let maxConnections: Int
    /// The soft descriptor limit after raising it to the hard limit.
    public let descriptorLimit: Int
    /// `limit_conn_per_client`: connections one client address may hold at once (nil = no limit).
    public let connectionsPerClient: Int?
    /// CGI children alive at once (`cgi_max_processes`).
    public let cgiMaxProcesses: Int
    private let shutdownTimeout: Duration
    /// Connections holding a slot of `max_connections` (not those rejected or lingering after their answer).
    private var occupied = 0
    /// Slots held per client address, kept only with `limit_conn_per_client`.
    private var perClient: [String: Int] = [:]
    /// Set by the first SIGTERM/SIGINT: listeners are closed and connections finish their requests.
    private var drainDeadline: ContinuousClock.Instant?
    private var reactor = Reactor()
    /// The distinct log sinks (access and error log may share one).
    private let logs: [LogSink]
    static let acceptBatch = 64
    /// Rejections in flight at once, past `max_connections`; beyond that the kernel's backlog holds clients.
    static let rejectionReserve = 64

    /// Binds every endpoint; throws a readable error (`bind 127.0.0.1:80: Permission denied`).
    public init(config: Config) throws {
        let router = Router(config: config)
        // The time zone is read now: later, localtime_r() for log stamps must not open files behind select().
        tzset()
        let errorLog = try LogSink.open(config.errorLog)
        let accessLog = config.accessLog == config.errorLog ? errorLog : try LogSink.open(config.accessLog)
        logs = accessLog === errorLog ? [errorLog] : [errorLog, accessLog]
        cgiMaxProcesses = config.cgiMaxProcesses ?? Server.defaultCGIProcesses()
        let secretKey = SecretKey.draw()
        // The counters outlive any one responder (a new configuration must be handed the same ones).
        let responder = Responder(router: router, secretKey: secretKey, statistics: ServerStatistics())
        context = ServerContext(responder: responder, errorLog: errorLog,
                                accessLog: accessLog, cgiMaxProcesses: cgiMaxProcesses,
                                cgiQueueTimeout: config.cgiQueueTimeout,
                                ioBufferMemory: config.ioBufferMemory ?? MemoryLimit.defaultPoolBytes(),
                                secretKey: secretKey)
        descriptorLimit = Int(cselect_raise_fd_limit())
        // Room for each client's socket plus a file or pipes, and the listeners and logs.
        maxConnections = config.maxConnections ?? max(16, (descriptorLimit - 32) / 2)
        connectionsPerClient = config.limitConnPerClient
        shutdownTimeout = config.shutdownTimeout
        do {
            for endpoint in router.bindEndpoints {
                listeners.append(try Listener(endpoint: endpoint))
            }
        } catch {
            listeners.forEach { $0.close() }
            throw error
        }
        context.statistics.census = { [unowned self] in self.census() }
    }

    /// What `stub_status` and `cgi_status` show besides the counters, counted when they are asked for.
    private func census() -> ServerStatistics.Census {
        var census = ServerStatistics.Census(active: connections.count, cgiRunning: context.cgiProcessesAlive,
                                             cgiQueued: context.cgiWaiting, cgiLimit: cgiMaxProcesses)
        for connection in connections {
            census.requestsOfLiveConnections += connection.requestsBegun
            switch connection.activity {
            case .reading: census.reading += 1
            case .writing: census.writing += 1
            case .waiting: break
            }
        }
        return census
    }

    /// Four interpreters per online processor, at least eight: enough to keep the cores busy while some
    /// scripts wait on I/O, few enough that a burst of requests cannot fork the machine to a standstill.
    static func defaultCGIProcesses() -> Int {
        max(8, 4 * max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Bytes of the I/O buffer pool, for the start-up message.
    public var ioBufferMemory: Int { context.pool.byteCount }

    /// Where the server listens, for the start-up message.
    public var listenURLs: [String] { listeners.map { "http://\($0.endpoint)" } }

    /// Runs until SIGINT or SIGTERM, then lets requests in flight finish for up to `shutdown_timeout`
    /// (a second signal stops at once); returns the process exit status.
    public func run() -> Int32 {
        cselect_install_signal_handlers()
        while true {
            if cselect_take_signal() != 0 {
                if drainDeadline != nil { break }
                beginDraining()
            }
            if let drainDeadline, connections.isEmpty || context.now >= drainDeadline { break }
            pass()
        }
        shutdown()
        return 0
    }

    private func beginDraining() {
        drainDeadline = context.now + shutdownTimeout
        listeners.forEach { $0.close() }
        listeners.removeAll()
        for connection in connections { connection.beginDraining() }
        removeClosedConnections()
        if !connections.isEmpty {
            context.errorLog.warn("webserv: shutting down; \(connections.count) connections finishing")
        }
    }

    private func pass() {
        context.tick()
        let now = context.now
        reactor.beginPass()
        var nearest = now + .seconds(1)   // also bounds the wait for a signal that races the select() call
        if let drainDeadline { nearest = min(nearest, drainDeadline) }
        context.crowded = occupied > maxConnections / 2

        if connections.count < maxConnections + Server.rejectionReserve {
            for listener in listeners {
                if let paused = listener.pausedUntil, paused > now {
                    nearest = min(nearest, paused)
                } else {
                    reactor.readable.insert(listener.socket.raw)
                }
            }
        }
        for log in logs where log.wantsWrite {
            reactor.writable.insert(log.descriptor!.raw)
        }
        for connection in connections {
            connection.declareInterest(read: &reactor.readable, write: &reactor.writable)
            nearest = min(nearest, connection.needsPromptPoll ? now + .milliseconds(10) : connection.deadline)
        }
        // Exited children do not wake select(): poll for them while there are any.
        if context.hasChildren { nearest = min(nearest, now + .milliseconds(20)) }

        let ready = reactor.wait(until: nearest, now: now)
        context.tick()
        // Interrupted by a signal (checked by the caller): the sets are void.
        guard ready else { return }

        for connection in connections {
            connection.handleEvents(readable: reactor.readable, writable: reactor.writable)
        }
        flushLogs()
        removeClosedConnections()
        context.reapChildren()
        context.startWaitingCGIs()
        // Accepting last: a descriptor closed above may be reused by accept() without being mistaken for
        // one that this pass's select() reported.
        for listener in listeners where reactor.readable.contains(listener.socket.raw) {
            accept(on: listener)
        }
    }

    /// Drops closed connections and counts the slots the others hold (a connection's state changes during a
    /// pass: one that began lingering gives its slot back).
    private func removeClosedConnections() {
        occupied = 0
        connections.removeAll { connection in
            if connection.isClosed {
                context.statistics.requestsOfClosedConnections += connection.requestsBegun
                if connectionsPerClient != nil && !connection.isRejected { forget(connection.peer.host) }
                return true
            }
            if connection.holdsSlot { occupied += 1 }
            return false
        }
    }

    private func forget(_ client: String) {
        if let held = perClient[client], held > 1 { perClient[client] = held - 1 } else { perClient[client] = nil }
    }

    /// Accepts a bounded batch of clients from a listener select() reported readable: one per pass would make a
    /// connection storm wait on as many passes, each costing O(connections).
    private func accept(on listener: Listener) {
        // Idle keep-alive connections, longest idle last, gathered once per batch and only when the cap is hit.
        var idle: [Connection]?
        for taken in 0..<Server.acceptBatch where connections.count < maxConnections + Server.rejectionReserve {
            guard let client = listener.accept() else {
                // The backlog is empty, or we are out of descriptors: in the second case pause this listener
                // rather than spin on it.
                if taken == 0 {
                    listener.pausedUntil = context.now + .milliseconds(100)
                }
                return
            }
            context.statistics.accepts += 1
            reactor.admit(client.socket)
            let connection = Connection(socket: client.socket, peer: client.peer, local: client.local,
                                        context: context)
            connections.append(connection)
            if let limit = connectionsPerClient, perClient[client.peer.host, default: 0] >= limit {
                // Handled, as nginx's limit_conn refusals are: only a lack of room makes one unhandled.
                context.statistics.handled += 1
                connection.reject()
                continue
            }
            if context.pool.isExhausted {
                // Past the memory budget: no buffer is left even for a small answer (the 503 goes out from a
                // few heap bytes).
                connection.reject()
                continue
            }
            if occupied >= maxConnections {
                if idle == nil { idle = idleConnectionsByAge() }
                guard let longestIdle = idle?.popLast() else {
                    // Nobody can make room: the newcomer is told to come back (503, Retry-After), and nobody
                    // already connected suffers.
                    connection.reject()
                    continue
                }
                // nginx's way: an idle keep-alive connection costs its client only a reconnect, while
                // refusing the newcomer would lock everyone out until keepalive_timeout.
                longestIdle.close()
                occupied -= 1
            }
            occupied += 1
            context.statistics.handled += 1
            if connectionsPerClient != nil { perClient[client.peer.host, default: 0] += 1 }
        }
    }

    private func idleConnectionsByAge() -> [Connection] {
        connections.compactMap { connection in connection.idleSince.map { (connection, $0) } }
            .sorted { $0.1 > $1.1 }
            .map(\.0)
    }

    private func flushLogs() {
        for log in logs where log.wantsWrite && reactor.writable.contains(log.descriptor!.raw) {
            log.flush()
        }
    }

    private func shutdown() {
        listeners.forEach { $0.close() }
        connections.forEach { $0.close() }
        connections.removeAll()
        context.reapAllChildren()
        context.removeSpoolDirectory()
        // Last log lines still go through select(), for at most a second.
        for _ in 0..<10 where logs.contains(where: \.wantsWrite) {
            reactor.beginPass()
            for log in logs where log.wantsWrite { reactor.writable.insert(log.descriptor!.raw) }
            context.tick()
            guard reactor.wait(until: context.now + .milliseconds(100), now: context.now) else { continue }
            flushLogs()
        }
    }
}
