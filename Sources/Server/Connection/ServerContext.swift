import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// What every connection of a server shares: routing and responses, logs, the clock reading of this
/// loop pass, the pool of I/O buffers, and one scratch buffer for reads (connections keep only the bytes
/// they received).
final class ServerContext {
    /// Replaced at reload; a request keeps the one it began under (Connection.requestResponder).
    var responder: Responder
    /// The responder's counters, held here too: one load fewer on every request; handed to every responder a
    /// reload makes, so the counts survive it.
    let statistics: ServerStatistics
    /// Replaced at reload when the configuration names other logs.
    var errorLog: LogSink
    var accessLog: LogSink
    /// Every send queue's blocks: the memory for bytes in flight, allocated at start-up.
    let pool: BufferPool
    /// Bytes of small files being collected for the file cache while they stream, bounded by
    /// `collectingLimit` so a crowd streaming different files cannot grow the heap without end.
    var collectingBytes = 0
    static let collectingLimit = 4 << 20
    /// The instant select() returned in this pass; deadlines are computed from it.
    private(set) var now: ContinuousClock.Instant
    /// `Date: …\r\n`, formatted once per second.
    private(set) var dateLine: [UInt8] = []
    private var dateSecond = -1
    let scratch: UnsafeMutableRawBufferPointer
    /// Drawn once at start-up: keys the hashes of caches an attacker must not aim at (the responder's
    /// credential cache has the same key), and names temporaries.
    let secretKey: SecretKey
    private lazy var names = UnpredictableNames(key: secretKey)
    /// Names of uploaded files and their temporaries, with what is known of taken names.
    private(set) lazy var uploadNames = UploadNames { [unowned self] in self.unpredictableName() }
    /// Where CGI request bodies are spooled: a directory of ours (0700) with a name nobody can guess, so
    /// nobody can take a spool's name in advance or open it; removed at shutdown.
    private var spoolDirectory: String?
    /// /dev/null, opened at start-up: the stdin of a script whose request has no body (RFC 3875 §4.2: it
    /// reads end-of-input at once).
    let emptyInput: Descriptor

    /// The access log's time stamp, formatted at most once a second.
    private var accessLogSecond = -1
    private var cachedAccessLogTime: [UInt8] = []
    /// More than half of `max_connections` is taken: header and keep-alive waits are cut short.
    var crowded = false
    /// `limit_conn_per_client`'s counts (its limit set by the server).
    let clientCounts = ClientCounts()
    /// CGI children alive at once (`cgi_max_processes`); a slot is held from fork until the child is reaped.
    let cgiMaxProcesses: Int
    /// How long a request waits in line for a slot (`cgi_queue_timeout`).
    var cgiQueueTimeout: Duration
    /// Children started and not yet reaped, whether a connection still owns them or the reaper does.
    private(set) var cgiProcessesAlive = 0
    /// Connections waiting for a slot, oldest first.
    private var cgiQueue: [Connection] = []
    /// CGI children whose connection is done with them, waited for without blocking on every pass.
    private var children: [(pid: pid_t, killAt: ContinuousClock.Instant)] = []
    /// A child that closed its output gets this long to exit before it is killed.
    static let childGrace = Duration.seconds(5)
    static let scratchSize = 64 * 1024

    init(responder: Responder, errorLog: LogSink, accessLog: LogSink, cgiMaxProcesses: Int,
         cgiQueueTimeout: Duration, ioBufferMemory: Int, secretKey: SecretKey) {
        self.responder = responder
        statistics = responder.statistics
        self.secretKey = secretKey
        self.errorLog = errorLog
        self.accessLog = accessLog
        self.cgiMaxProcesses = cgiMaxProcesses
        self.cgiQueueTimeout = cgiQueueTimeout
        pool = BufferPool(bytes: ioBufferMemory)
        self.now = ContinuousClock.now
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: ServerContext.scratchSize, alignment: 16)
        emptyInput = Descriptor.open("/dev/null", O_RDONLY) ?? Descriptor(-1)
        tick()
        spoolDirectory = makeSpoolDirectory()
    }

    deinit {
        emptyInput.close()
        scratch.deallocate()
        removeSpoolDirectory()
    }

    /// Called once per loop pass.
    func tick() {
        now = ContinuousClock.now
        let second = time(nil)
        if second != dateSecond {
            dateSecond = second
            dateLine = Array("Date: \(HTTPDate.format(second))\r\n".utf8)
            if errorLog.isEnabled { errorLog.timeStamp = LogTime.errorLog(second) }
        }
    }

    /// `[21/Nov/2026:13:55:36 +0100]`'s inside for access-log lines, formatted at most once a second.
    var accessLogTime: [UInt8] {
        if accessLogSecond != dateSecond {
            accessLogSecond = dateSecond
            cachedAccessLogTime = LogTime.accessLog(dateSecond)
        }
        return cachedAccessLogTime
    }

    var router: Router { responder.router }

    /// 16 hex digits nobody can guess, for temporary files.
    func unpredictableName() -> String { names.next() }

    // MARK: CGI slots

    /// A script may start at once: a slot is free and nobody is waiting for one.
    var cgiSlotFree: Bool { cgiQueue.isEmpty && cgiProcessesAlive < cgiMaxProcesses }

    func cgiStarted() { cgiProcessesAlive += 1 }

    func waitForCGI(_ connection: Connection) { cgiQueue.append(connection) }

    /// A waiting connection gave up (deadline, client gone, closed): its place goes to the next one.
    func leaveCGIQueue(_ connection: Connection) {
        if let index = cgiQueue.firstIndex(where: { $0 === connection }) { cgiQueue.remove(at: index) }
    }

    /// Hands freed slots to waiting connections, first come first served; one whose script cannot start
    /// takes no slot and the next one is tried.
    func startWaitingCGIs() {
        while cgiProcessesAlive < cgiMaxProcesses, !cgiQueue.isEmpty {
            cgiQueue.removeFirst().cgiSlotGranted()
        }
    }

    /// Takes over a connection's child: killed now (`kill`) or after a grace period, and reaped either way;
    /// its slot is free once it is reaped. Releasing the same process twice does nothing.
    func release(_ process: CGIProcess, kill: Bool) {
        guard !process.released else { return }
        process.released = true
        guard !process.reaped else {
            cgiProcessesAlive -= 1
            return
        }
        if kill { killProcess(process.pid) }
        children.append((process.pid, kill ? now : now + ServerContext.childGrace))
    }

    /// waitpid(WNOHANG) for each adopted child; no zombie outlives its request by more than a pass.
    func reapChildren() {
        guard !children.isEmpty else { return }
        children.removeAll { child in
            switch reap(child.pid, nohang: true) {
            case .running:
                if now >= child.killAt { killProcess(child.pid) }
                return false
            case .exited, .killed, .notAChild:
                cgiProcessesAlive -= 1
                return true
            }
        }
    }

    var hasChildren: Bool { !children.isEmpty }

    /// Connections waiting in line for a CGI slot.
    var cgiWaiting: Int { cgiQueue.count }

    /// At shutdown: every child is killed and waited for.
    func reapAllChildren() {
        for child in children {
            killProcess(child.pid)
            _ = reap(child.pid, nohang: false)
        }
        children.removeAll()
        cgiProcessesAlive = 0
    }

    /// An unlinked temporary file in the spool directory: it disappears with its last descriptor, whatever
    /// happens.
    func makeTemporaryFile() -> Descriptor? {
        for _ in 0..<2 {
            guard let directory = spoolDirectory ?? makeSpoolDirectory() else { return nil }
            spoolDirectory = directory
            switch TemporaryFile.create(in: directory, flags: O_RDWR, mode: 0o600, name: unpredictableName) {
            case .created(let file, let path):
                unlink(path)
                return file
            case .directoryMissing:
                // Removed under us (a /tmp cleaner): made anew.
                spoolDirectory = nil
            case .failed:
                return nil
            }
        }
        return nil
    }

    /// `$TMPDIR/webserv-<16 hex digits>`, mode 0700 (or under /tmp).
    private func makeSpoolDirectory() -> String? {
        var base = "/tmp"
        if let value = getenv("TMPDIR"), value.pointee == CChar(UInt8(ascii: "/")) { base = String(cString: value) }
        if base.hasSuffix("/") && base.utf8.count > 1 { base.removeLast() }
        for _ in 0..<TemporaryFile.attempts {
            let path = base + "/webserv-" + unpredictableName()
            if mkdir(path, 0o700) == 0 { return path }
            if cselect_errno() != EEXIST { return nil }
        }
        return nil
    }

    /// At shutdown: the spool directory goes (its files were unlinked as soon as they were opened).
    func removeSpoolDirectory() {
        guard let directory = spoolDirectory else { return }
        rmdir(directory)
        spoolDirectory = nil
    }
}
