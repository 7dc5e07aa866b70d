import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Config → listeners → the select loop. Owns every descriptor through its listeners, connections and logs;
/// each pass derives the read and write sets from their states, waits in the one select(), and dispatches.
/// SIGHUP reloads the configuration (its files read through the loop), SIGUSR1 reopens the logs.
public final class Server {
    private let context: ServerContext
    /// The configuration in force (with the values of settings that need a restart as they were at start-up).
    private var config: Config
    /// A reload reading its files, at most one at a time.
    private var load: ConfigLoad?
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
    private var shutdownTimeout: Duration
    /// Connections holding a slot of `max_connections` (not those rejected or lingering after their answer).
    private var occupied = 0
    /// Set by the first SIGTERM/SIGINT: listeners are closed and connections finish their requests.
    private var drainDeadline: ContinuousClock.Instant?
    private var reactor = Reactor()
    /// The distinct log sinks (access and error log may share one).
    private var logs: [LogSink]
    /// Logs a reload no longer names: written out through select(), then closed.
    private var retiringLogs: [LogSink] = []
    static let acceptBatch = 64
    /// Rejections in flight at once, past `max_connections`; beyond that the kernel's backlog holds clients.
    static let rejectionReserve = 64

    /// Binds every endpoint; throws a readable error (`bind 127.0.0.1:80: Permission denied`).
    public init(config: Config) throws {
        self.config = config
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
        context.clientCounts.limit = config.limitConnPerClient
        shutdownTimeout = config.shutdownTimeout
        do {
            for endpoint in router.bindEndpoints {
                listeners.append(try Listener(endpoint: endpoint,
                                              reusePort: router.listenOptions(for: endpoint).reusePort))
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
            if cselect_take_stop_signal() != 0 {
                if drainDeadline != nil { break }
                beginDraining()
            }
            if cselect_take_reopen_signal() != 0 { reopenLogs() }
            if cselect_take_reload_signal() != 0 && drainDeadline == nil { beginReload() }
            if let drainDeadline, connections.isEmpty || context.now >= drainDeadline { break }
            pass()
        }
        shutdown()
        return 0
    }

    private func beginDraining() {
        load?.cancel()
        load = nil
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
        declareLogs()
        if let load {
            if now >= load.deadline {
                abandonReload("reading its files took more than \(ConfigLoad.timeLimit)")
            } else if let file = load.descriptor {
                reactor.readable.insert(file.raw)
                nearest = min(nearest, load.deadline)
            }
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
        // Deadlines are asked for again only once the nearest one has come: progress this pass only moves a
        // deadline later, and one that came closer is found by the next pass's wait, which then ends at once.
        if context.now >= nearest {
            for connection in connections where !connection.isClosed && context.now >= connection.deadline {
                connection.deadlinePassed()
            }
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
        // After accepting, for the same reason: a reload that completes here opens listeners and logs whose
        // descriptor numbers may have been closed above.
        if let file = load?.descriptor, reactor.readable.contains(file.raw) { loadProgressed(load!.readable()) }
    }

    /// Logs with lines queued want to write (retiring ones too, until they are empty).
    private func declareLogs() {
        for log in logs where log.wantsWrite { reactor.writable.insert(log.descriptor!.raw) }
        for log in retiringLogs where log.wantsWrite { reactor.writable.insert(log.descriptor!.raw) }
    }

    /// Drops closed connections and counts the slots the others hold (a connection's state changes during a
    /// pass: one that began lingering gives its slot back).
    private func removeClosedConnections() {
        occupied = 0
        connections.removeAll { connection in
            if connection.isClosed {
                context.statistics.requestsOfClosedConnections += connection.requestsBegun
                return true
            }
            if connection.holdsSlot { occupied += 1 }
            return false
        }
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
            if !connection.admitAtAccept() {
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
        guard !retiringLogs.isEmpty else { return }
        for log in retiringLogs where log.wantsWrite && reactor.writable.contains(log.descriptor!.raw) {
            log.flush()
        }
        retiringLogs.removeAll { log in
            if log.wantsWrite { return false }
            log.close()
            return true
        }
    }

    private func shutdown() {
        load?.cancel()
        listeners.forEach { $0.close() }
        connections.forEach { $0.close() }
        connections.removeAll()
        context.reapAllChildren()
        context.removeSpoolDirectory()
        // Last log lines still go through select(), for at most a second.
        for _ in 0..<10 where (logs + retiringLogs).contains(where: \.wantsWrite) {
            reactor.beginPass()
            declareLogs()
            context.tick()
            guard reactor.wait(until: context.now + .milliseconds(100), now: context.now) else { continue }
            flushLogs()
        }
    }
}

// MARK: Reload and log reopening

extension Server {
    /// SIGHUP: the configuration file is read again through the loop (ConfigLoad); a reload already under way
    /// starts over, so the newest files count.
    private func beginReload() {
        load?.cancel()
        context.errorLog.warn("webserv: reloading \(config.sourcePath)")
        let started = ConfigLoad(path: config.sourcePath, now: context.now)
        load = started
        loadProgressed(started.advance())
    }

    private func loadProgressed(_ outcome: ConfigLoad.Outcome) {
        switch outcome {
        case .loading:
            return
        case .failed(let error):
            load = nil
            context.errorLog.warn("webserv: reload failed, the running configuration stays: \(error)")
        case .parsed(let new):
            load = nil
            apply(new)
        }
    }

    private func abandonReload(_ reason: String) {
        load?.cancel()
        load = nil
        context.errorLog.warn("webserv: reload failed, the running configuration stays: \(reason)")
    }

    /// Puts a valid configuration in force, or nothing of it: new listeners and logs are opened first, and
    /// one that fails refuses the whole reload. Listeners on an address both configurations name stay open,
    /// so no client is refused meanwhile; requests already begun finish under the old responder.
    private func apply(_ new: Config) {
        let router = Router(config: new)
        let wanted = router.bindEndpoints
        var opened: [Listener] = []
        var openedLogs: [LogSink] = []
        func refuse(_ error: Error) {
            opened.forEach { $0.close() }
            openedLogs.forEach { $0.close() }
            context.errorLog.warn("webserv: reload refused, the running configuration stays: \(error)")
        }
        for endpoint in wanted where !listeners.contains(where: { $0.endpoint == endpoint }) {
            do {
                opened.append(try Listener(endpoint: endpoint,
                                           reusePort: router.listenOptions(for: endpoint).reusePort))
            } catch {
                return refuse(error)
            }
        }
        func sink(_ target: LogTarget) throws -> LogSink {
            if let existing = (logs + openedLogs).first(where: { $0.target == target }) { return existing }
            let made = try LogSink.open(target)
            openedLogs.append(made)
            return made
        }
        let errorLog: LogSink
        let accessLog: LogSink
        do {
            errorLog = try sink(new.errorLog)
            accessLog = try sink(new.accessLog)
        } catch {
            return refuse(error)
        }

        listeners.removeAll { listener in
            guard !wanted.contains(listener.endpoint) else { return false }
            listener.close()
            return true
        }
        for listener in opened {
            reactor.admit(listener.socket)
            listeners.append(listener)
        }
        errorLog.timeStamp = context.errorLog.timeStamp
        context.errorLog = errorLog
        context.accessLog = accessLog
        let inUse = accessLog === errorLog ? [errorLog] : [errorLog, accessLog]
        retiringLogs += logs.filter { old in !inUse.contains { $0 === old } }
        logs = inUse

        context.responder = Responder(router: router, secretKey: context.secretKey, statistics: context.statistics)
        context.cgiQueueTimeout = new.cgiQueueTimeout
        shutdownTimeout = new.shutdownTimeout
        var kept = new
        keepStartUpSettings(of: &kept)
        config = kept
        context.errorLog.warn("webserv: reloaded \(new.sourcePath); listening on "
                              + listeners.map { "\($0.endpoint)" }.joined(separator: " "))
    }

    /// Settings that sized memory and tables at start-up keep their values until a restart; a reload that
    /// changes them says so.
    private func keepStartUpSettings(of new: inout Config) {
        func keep<Value: Equatable>(_ name: String, _ path: WritableKeyPath<Config, Value?>) {
            guard new[keyPath: path] != config[keyPath: path] else { return }
            context.errorLog.warn("webserv: reload: \(name) changes only at a restart; the running value stays")
            new[keyPath: path] = config[keyPath: path]
        }
        keep("max_connections", \.maxConnections)
        keep("io_buffer_memory", \.ioBufferMemory)
        keep("cgi_max_processes", \.cgiMaxProcesses)
        keep("limit_conn_per_client", \.limitConnPerClient)
    }

    /// SIGUSR1 (logrotate): each log file is opened again by its name; queued lines go to the new file.
    private func reopenLogs() {
        for log in logs {
            do {
                try log.reopen()
            } catch {
                context.errorLog.warn("webserv: cannot reopen a log: \(error)")
            }
        }
        context.errorLog.warn("webserv: logs reopened")
    }
}
