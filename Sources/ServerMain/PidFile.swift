#if canImport(Glibc)
import Glibc
#endif

/// The `pid` directive's file: written once the listeners are bound, removed at exit (only while it is still
/// the file this process wrote: a second instance may have replaced it), and read by `-s`.
struct PidFile {
    let path: String
    /// Device and inode of the file this process wrote.
    private var written: (dev_t, ino_t)?

    init(path: String) {
        self.path = path
    }

    /// Writes `PID\n` into a new file renamed over `path` (a reader never sees it half written, and a later
    /// instance's file is another inode); a description of the failure when it cannot.
    mutating func write(_ pid: pid_t) -> String? {
        let temporary = path + ".\(pid).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return "open() \"\(temporary)\" failed: " + String(cString: strerror(errno)) }
        let text = Array("\(pid)\n".utf8)
        let count = text.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        var info = stat()
        let identified = fstat(descriptor, &info) == 0
        close(descriptor)
        guard count == text.count, identified, rename(temporary, path) == 0 else {
            unlink(temporary)
            return "cannot write \"\(path)\""
        }
        written = (info.st_dev, info.st_ino)
        return nil
    }

    /// Removes the file if it is still the one `write` made. Decided by stat(), not by reading the file:
    /// once the loop has run, files are read only through select().
    func remove() {
        guard let written else { return }
        var info = stat()
        if stat(path, &info) == 0, info.st_dev == written.0, info.st_ino == written.1 { unlink(path) }
    }

    /// The process id written in the file.
    func read() -> Result<pid_t, PidFileError> {
        let bytes: [UInt8]
        switch ProcFile.read(path) {
        case .success(let read): bytes = read
        case .failure(let reason):
            return .failure(PidFileError("cannot read \"\(path)\": \(reason) (is webserv running?)"))
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let digits = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let pid = pid_t(digits), pid > 1
        else { return .failure(PidFileError("invalid PID number \"\(digits)\" in \"\(path)\"")) }
        return .success(pid)
    }
}

struct PidFileError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Small files read whole before any select loop exists: the pid file, and /proc entries of a process.
enum ProcFile {
    /// The file's bytes (at most 64 KiB), or why they could not be had (open's errno; a failed read is
    /// only a failure, as errno is never consulted after read()).
    static func read(_ path: String) -> Result<[UInt8], PidFileError> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(PidFileError(String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 1 << 16)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 { return .failure(PidFileError("read error")) }
            if count == 0 { break }
            filled += count
        }
        return .success(Array(bytes[..<filled]))
    }

    /// The file's bytes, nil when they cannot be had.
    static func contents(_ path: String) -> [UInt8]? {
        try? read(path).get()
    }
}
