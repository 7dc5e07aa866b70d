#if canImport(Glibc)
import Glibc
#endif

/// A log destination written through the select loop like every other descriptor.
/// Whole lines are queued and written from the queue, so lines never interleave halfway. The queue has a
/// pool of its own, allocated at start-up: connections short of buffers never take a log line's room.
final class LogSink {
    /// Replaced by `reopen()`.
    private(set) var descriptor: Descriptor?
    /// Where it writes, for `reopen()` and to tell whether a reload names the same log.
    let target: LogTarget
    private var queue: SendQueue
    private var dropped = 0
    /// A log nobody drains (a full pipe) must not grow without bound.
    static let queueLimit = 1 << 20

    /// nil descriptor: logging off.
    init(descriptor: Descriptor?, target: LogTarget) {
        self.descriptor = descriptor
        self.target = target
        // Pending bytes up to the limit in bulk blocks, with room for the sent start of the first and the unused
        // end of each (a line starts a new block when it does not fit the last).
        queue = SendQueue(pool: BufferPool(bytes: descriptor == nil ? 0 : 2 * LogSink.queueLimit))
    }

    static func open(_ target: LogTarget) throws -> LogSink {
        switch target {
        case .off:
            return LogSink(descriptor: nil, target: target)
        case .standardError:
            return LogSink(descriptor: Descriptor(2), target: target)
        case .file(let path):
            return LogSink(descriptor: try openFile(path), target: target)
        }
    }

    private static func openFile(_ path: String) throws -> Descriptor {
        guard let descriptor = Descriptor.open(path, O_WRONLY | O_CREAT | O_APPEND, mode: 0o644) else {
            throw Errno("open \(path)")
        }
        return descriptor
    }

    /// SIGUSR1 (logrotate): the file is opened again by its name, which may now be a new file; lines still
    /// queued go to the new one. On failure the old descriptor is kept and the error thrown.
    func reopen() throws {
        guard case .file(let path) = target, let old = descriptor else { return }
        descriptor = try LogSink.openFile(path)
        old.close()
    }

    /// Gives the descriptor back once nothing is left to write (a log a reload no longer names); standard
    /// error stays open.
    func close() {
        if case .file = target { descriptor?.close() }
        descriptor = nil
    }

    var isEnabled: Bool { descriptor != nil }
    var wantsWrite: Bool { descriptor != nil && !queue.isEmpty }

    func line(_ text: String) {
        line(bytes: Array(text.utf8))
    }

    /// `2026/11/21 13:55:36 ` (local time, as nginx's error log), kept current by the loop once a second.
    var timeStamp: [UInt8] = []

    /// An error-log line: stamped with the time.
    func warn(_ text: String) {
        warn(text, detail: EmptyCollection())
    }

    /// An error-log line whose text, and the raw `detail` bytes after it (a script's stderr), have their
    /// control bytes escaped as the access log's are: nothing logged can start a forged line.
    func warn<Detail: Collection>(_ text: String, detail: Detail) where Detail.Element == UInt8 {
        guard descriptor != nil else { return }
        var out = timeStamp
        out.reserveCapacity(timeStamp.count + text.utf8.count + detail.count + 16)
        LogEscaping.append(text.utf8, to: &out)
        LogEscaping.append(detail, to: &out)
        line(bytes: out)
    }

    func line(bytes text: [UInt8]) {
        guard descriptor != nil else { return }
        if queue.pending + text.count + 1 > LogSink.queueLimit {
            dropped += 1
            return
        }
        if dropped > 0 {
            queue.append("webserv: \(dropped) log lines dropped (log not draining)\n")
            dropped = 0
        }
        // Lines go to bulk blocks: one write() takes many of them.
        _ = queue.reserveBulk(min(text.count + 1, BufferPool.bulkBlockSize))
        queue.append(text)
        queue.append(byte: UInt8(ascii: "\n"))
    }

    /// Called when select() reported the descriptor writable.
    func flush() {
        guard let descriptor else { return }
        let written = queue.withPending { descriptor.write($0) }
        if written > 0 { queue.consume(written) } else { queue.discardAll() }
    }
}
