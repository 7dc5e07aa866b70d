import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// A raw file descriptor with the only I/O calls the server makes on it.
/// Results are byte counts (> 0 progress, 0 end of file, < 0 give up); errno is never consulted after them.
struct Descriptor: Hashable {
    let raw: Int32

    init(_ raw: Int32) { self.raw = raw }

    /// open(2), non-blocking from the start: the one way files are opened after start-up. nil when open failed
    /// (its errno is then the caller's to read). O_NONBLOCK is given to open() rather than set afterwards:
    /// F_SETFL replaces every status flag, and would drop O_APPEND, which shared logs depend on.
    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0) -> Descriptor? {
        let fd = Glibc.open(path, flags | O_NONBLOCK, mode)
        guard fd >= 0 else { return nil }
        return Descriptor(fd)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        Glibc.read(raw, buffer.baseAddress, buffer.count)
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> Int {
        Glibc.write(raw, buffer.baseAddress, buffer.count)
    }

    /// send() on a socket; MSG_NOSIGNAL is belt and braces on top of SIGPIPE being ignored.
    func send(_ buffer: UnsafeRawBufferPointer) -> Int {
        Glibc.send(raw, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
    }

    func recv(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        Glibc.recv(raw, buffer.baseAddress, buffer.count, 0)
    }

    /// Moves a file's offset (lseek from the start).
    func seek(to offset: Int) { _ = lseek(raw, off_t(offset), SEEK_SET) }

    @discardableResult
    func setNonBlocking() -> Bool { cselect_set_nonblocking(raw) == 0 }

    /// Sends our FIN now while we keep reading: a closing connection's answer is complete for the client
    /// at once, and the unread input it may still send does not turn our close into a reset.
    func shutdownOutput() { _ = Glibc.shutdown(raw, Int32(SHUT_WR)) }

    func close() { _ = Glibc.close(raw) }
}
