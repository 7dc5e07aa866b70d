import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// A raw file descriptor with the only I/O calls the server makes on it.
/// Results are byte counts (> 0 progress, 0 end of file, < 0 give up); errno is never consulted after them.
struct Descriptor: Hashable {
    let raw: Int32

    init(_ raw: Int32) { self.raw = raw }

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

    @discardableResult
    func setNonBlocking() -> Bool { cselect_set_nonblocking(raw) == 0 }

    /// Sends our FIN now while we keep reading: a closing connection's answer is complete for the client
    /// at once, and the unread input it may still send does not turn our close into a reset.
    func shutdownOutput() { _ = Glibc.shutdown(raw, Int32(SHUT_WR)) }

    func close() { _ = Glibc.close(raw) }
}
