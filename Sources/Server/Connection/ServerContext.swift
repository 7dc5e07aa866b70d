#if canImport(Glibc)
import Glibc
#endif

/// What every connection of a server shares: routing and responses, logs, the clock reading of this
/// loop pass, the pool of I/O buffers, and one scratch buffer for reads (connections keep only the bytes
/// they received).
final class ServerContext {
    let responder: Responder
    let errorLog: LogSink
    let accessLog: LogSink
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
    /// Drawn at start-up: keys the hashes of caches an attacker must not aim at, and names temporaries.
    let secretKey = SecretKey.draw()
    private lazy var names = UnpredictableNames(key: secretKey)

    static let scratchSize = 64 * 1024

    init(responder: Responder, errorLog: LogSink, accessLog: LogSink, ioBufferMemory: Int) {
        self.responder = responder
        self.errorLog = errorLog
        self.accessLog = accessLog
        pool = BufferPool(bytes: ioBufferMemory)
        self.now = ContinuousClock.now
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: ServerContext.scratchSize, alignment: 16)
        tick()
    }

    deinit { scratch.deallocate() }

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
    private var accessLogSecond = -1
    private var cachedAccessLogTime: [UInt8] = []

    var router: Router { responder.router }

    /// 16 hex digits nobody can guess, for temporary files.
    func unpredictableName() -> String { names.next() }

    /// CGI children whose connection is done with them, waited for without blocking on every pass.
    private var children: [(pid: pid_t, killAt: ContinuousClock.Instant)] = []
    /// A child that closed its output gets this long to exit before it is killed.
    static let childGrace = Duration.seconds(5)

    /// Takes over a child: killed now (`kill`) or after a grace period, and reaped either way.
    func adopt(_ pid: pid_t, kill: Bool) {
        if kill { killProcess(pid) }
        children.append((pid, kill ? now : now + ServerContext.childGrace))
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
                return true
            }
        }
    }

    var hasChildren: Bool { !children.isEmpty }

    /// At shutdown: every child is killed and waited for.
    func reapAllChildren() {
        for child in children {
            killProcess(child.pid)
            _ = reap(child.pid, nohang: false)
        }
        children.removeAll()
    }

    /// Temporary files get unique names from the pid and a counter (no mkstemp in the allowed calls).
    private var temporaryCounter = 0

    /// An unlinked temporary file: it disappears with its last descriptor, whatever happens.
    func makeTemporaryFile() -> Descriptor? {
        temporaryCounter += 1
        let path = "/tmp/webserv-\(getpid())-\(temporaryCounter)"
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { return nil }
        unlink(path)
        let file = Descriptor(fd)
        file.setNonBlocking()
        return file
    }
}
