#if canImport(Glibc)
import Glibc
#endif

/// What every connection of a server shares: routing and responses, logs, the clock reading of this
/// loop pass, and one scratch buffer for reads (connections keep only the bytes they received).
final class ServerContext {
    let responder: Responder
    let errorLog: LogSink
    let accessLog: LogSink
    /// The instant select() returned in this pass; deadlines are computed from it.
    private(set) var now: ContinuousClock.Instant
    /// `Date: …\r\n`, formatted once per second.
    private(set) var dateLine: [UInt8] = []
    private var dateSecond = -1
    let scratch: UnsafeMutableRawBufferPointer

    static let scratchSize = 64 * 1024

    init(responder: Responder, errorLog: LogSink, accessLog: LogSink) {
        self.responder = responder
        self.errorLog = errorLog
        self.accessLog = accessLog
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
        }
    }

    var router: Router { responder.router }
}
