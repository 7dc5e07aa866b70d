import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole file at start-up, before the select loop exists (the brief's one exception to reading
/// through select): the configuration and the files it names.
enum StartupFile {
    /// The file's bytes; failures become `path:1: <what> <strerror>`.
    static func read(_ path: String, what: String) throws(ConfigError) -> [UInt8] {
        func failure(_ code: Int32) -> ConfigError { StartupFile.failure(path, what: what, code: code) }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure(cselect_errno()) }
        defer { close(descriptor) }
        // Checked up front because errno is not consulted after read() (a rule of the brief).
        var info = stat()
        if fstat(descriptor, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR { throw failure(EISDIR) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            if count < 0 { throw failure(EIO) }
            // `include /dev/zero;` must not take the memory.
            if bytes.count + count > ConfigLoad.maxFileSize { throw failure(EFBIG) }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// `path:1: <what>: <strerror>`.
    static func failure(_ path: String, what: String, code: Int32) -> ConfigError {
        ConfigError(file: path, line: 1, message: "\(what): " + String(cString: strerror(code)))
    }
}
