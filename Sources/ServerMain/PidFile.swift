#if canImport(Glibc)
import Glibc
#endif

/// The `pid` directive's file: written once the listeners are bound, removed at exit (only while it still
/// names this process: a second instance may have taken it over), and read by `-s`.
struct PidFile {
    let path: String

    /// Writes `PID\n`; a description of the failure when it cannot.
    func write(_ pid: pid_t) -> String? {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return "open() \"\(path)\" failed: " + String(cString: strerror(errno)) }
        defer { close(descriptor) }
        let text = Array("\(pid)\n".utf8)
        let written = text.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        return written == text.count ? nil : "write() to \"\(path)\" failed"
    }

    /// Removes the file if it names `pid`.
    func remove(ifNaming pid: pid_t) {
        if case .success(let named) = read(), named == pid { unlink(path) }
    }

    /// The process id written in the file.
    func read() -> Result<pid_t, PidFileError> {
        guard let bytes = ProcFile.contents(path) else {
            return .failure(PidFileError("cannot read \"\(path)\": " + String(cString: strerror(errno))
                                             + " (is webserv running?)"))
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
    /// The file's bytes (at most 64 KiB), nil when it cannot be opened or read (errno says why).
    static func contents(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 1 << 16)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 { return nil }
            if count == 0 { break }
            filled += count
        }
        return Array(bytes[..<filled])
    }
}
