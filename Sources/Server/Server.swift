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
    private let maxConnections: Int
    private var readable = FDSet()
    private var writable = FDSet()
    private var highestDescriptor: Int32 = 2

    /// Binds every endpoint; throws a readable error (`bind 127.0.0.1:80: Permission denied`).
    public init(config: Config) throws {
        let router = Router(config: config)
        let errorLog = try LogSink.open(config.errorLog)
        let accessLog = config.accessLog == config.errorLog ? errorLog : try LogSink.open(config.accessLog)
        context = ServerContext(responder: Responder(router: router), errorLog: errorLog, accessLog: accessLog)
        let descriptorLimit = Int(cselect_raise_fd_limit())
        // Room for each client's socket plus a file or pipes, and the listeners and logs.
        maxConnections = config.maxConnections ?? max(16, (descriptorLimit - 32) / 2)
        do {
            for endpoint in router.bindEndpoints {
                listeners.append(try Listener(endpoint: endpoint))
            }
        } catch {
            listeners.forEach { $0.close() }
            throw error
        }
    }

    /// Where the server listens, for the start-up message.
    public var listenURLs: [String] { listeners.map { "http://\($0.endpoint)" } }

    /// Runs until SIGINT or SIGTERM; returns the process exit status.
    public func run() -> Int32 {
        cselect_install_signal_handlers()
        while cselect_take_signal() == 0 {
            pass()
        }
        shutdown()
        return 0
    }

    private func pass() {
        context.tick()
        let now = context.now
        readable.removeAll(capacity: highestDescriptor + 1)
        writable.removeAll(capacity: highestDescriptor + 1)
        var nearest = now + .seconds(1)   // also bounds the wait for a signal that races the select() call

        if connections.count < maxConnections {
            for listener in listeners {
                if let paused = listener.pausedUntil, paused > now {
                    nearest = min(nearest, paused)
                } else {
                    readable.insert(listener.socket.raw)
                }
            }
        }
        for log in logs where log.wantsWrite {
            writable.insert(log.descriptor!.raw)
        }
        for connection in connections {
            connection.declareInterest(read: &readable, write: &writable)
            nearest = min(nearest, connection.needsPromptPoll ? now + .milliseconds(10) : connection.deadline)
        }
        // Exited children do not wake select(): poll for them while there are any.
        if context.hasChildren { nearest = min(nearest, now + .milliseconds(20)) }

        let limit = max(readable.limit, writable.limit)
        let wait = max(Duration.zero, nearest - now)
        let (seconds, attoseconds) = wait.components
        let microseconds = seconds * 1_000_000 + attoseconds / 1_000_000_000_000
        let ready = readable.withSelectPointer(nfds: limit) { r in
            writable.withSelectPointer(nfds: limit) { w in cselect_select(limit, r, w, microseconds) }
        }
        context.tick()
        guard ready >= 0 else {
            // Interrupted by a signal (checked by the caller) or nothing to wait on; the sets are void.
            return
        }

        for connection in connections {
            connection.handleEvents(readable: readable, writable: writable)
        }
        flushLogs()
        connections.removeAll { $0.isClosed }
        context.reapChildren()
        // Accepting last: a descriptor closed above may be reused by accept() without being mistaken for
        // one that this pass's select() reported.
        for listener in listeners where readable.contains(listener.socket.raw) {
            accept(on: listener)
        }
    }

    /// Accepts a bounded batch of clients from a listener select() reported readable: one per pass would make a
    /// connection storm wait on as many passes, each costing O(connections).
    private func accept(on listener: Listener) {
        for taken in 0..<Server.acceptBatch where connections.count < maxConnections {
            guard let client = listener.accept() else {
                // The backlog is empty, or we are out of descriptors: in the second case pause this listener
                // rather than spin on it.
                if taken == 0 {
                    listener.pausedUntil = context.now + .milliseconds(100)
                }
                return
            }
            highestDescriptor = max(highestDescriptor, client.socket.raw + 2)
            connections.append(Connection(socket: client.socket, peer: client.peer, local: client.local,
                                          context: context))
        }
    }

    static let acceptBatch = 64

    /// The distinct log sinks (access and error log may share one).
    private var logs: [LogSink] {
        context.accessLog === context.errorLog ? [context.errorLog] : [context.errorLog, context.accessLog]
    }

    private func flushLogs() {
        for log in logs where log.wantsWrite && writable.contains(log.descriptor!.raw) {
            log.flush()
        }
    }

    private func shutdown() {
        listeners.forEach { $0.close() }
        connections.forEach { $0.close() }
        connections.removeAll()
        context.reapAllChildren()
        // Last log lines still go through select(), for at most a second.
        for _ in 0..<10 where logs.contains(where: \.wantsWrite) {
            writable.removeAll(capacity: highestDescriptor + 1)
            for log in logs where log.wantsWrite { writable.insert(log.descriptor!.raw) }
            let limit = writable.limit
            guard writable.withSelectPointer(nfds: limit, { cselect_select(limit, nil, $0, 100_000) }) > 0 else { continue }
            flushLogs()
        }
    }
}
