import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// A configuration read anew at reload, through the select loop like every descriptor after start-up: the
/// parser runs on the files loaded so far (ConfigFiles) and names those it still misses; each is opened
/// non-blocking and read a chunk at a time when select() reports it readable; then the parser runs again,
/// until a run misses nothing. Bounded in bytes per file, in files, and in time.
final class ConfigLoad {
    /// Where the load stands after a step: still reading, or done with a configuration or an error.
    enum Outcome {
        case loading
        case parsed(Config)
        case failed(ConfigError)
    }

    let path: String
    let deadline: ContinuousClock.Instant
    private var loaded: [String: ConfigFiles.Loaded] = [:]
    private var waiting: [String] = []
    /// The file being read and its bytes so far.
    private var reading: (path: String, descriptor: Descriptor, bytes: [UInt8])?

    /// A configuration file, an include or a user file larger than this is refused.
    static let maxFileSize = 16 << 20
    /// Files read in one load at most: includes that multiply without end are cut off here.
    static let maxFiles = 1024
    /// How long a reload may take to read its files.
    static let timeLimit = Duration.seconds(5)
    private static let chunk = 64 * 1024

    /// `path` is the configuration file (absolute, so a relative one means the same after start-up).
    init(path: String, now: ContinuousClock.Instant) {
        self.path = path
        deadline = now + ConfigLoad.timeLimit
    }

    /// The descriptor to declare readable this pass; nil when no file is being read.
    var descriptor: Descriptor? { reading?.descriptor }

    /// Parses with what is loaded and opens the next missing file; `.loading` while one is open.
    func advance() -> Outcome {
        while true {
            if reading != nil { return .loading }
            if let next = waiting.first {
                waiting.removeFirst()
                open(next)
                continue
            }
            let files = ConfigFiles.preloaded(loaded)
            let result: Result<Config, ConfigError>
            do {
                result = .success(try ConfigParser.parse(contentsOf: path, files: files))
            } catch {
                result = .failure(error)
            }
            // A dry run: errors may come from files read as empty; only a complete run decides.
            guard files.missing.isEmpty else {
                guard loaded.count + files.missing.count <= ConfigLoad.maxFiles else {
                    return .failed(ConfigError(file: path, line: 1,
                                               message: "more than \(ConfigLoad.maxFiles) files to read"))
                }
                waiting = files.missing
                continue
            }
            switch result {
            case .success(let config): return .parsed(config)
            case .failure(let error): return .failed(error)
            }
        }
    }

    /// select() reported the file readable: one read, then on to the next file at its end.
    func readable() -> Outcome {
        guard var current = reading else { return advance() }
        reading = nil
        var chunk = [UInt8](repeating: 0, count: ConfigLoad.chunk)
        let count = chunk.withUnsafeMutableBytes { current.descriptor.read(into: $0) }
        if count > 0 && current.bytes.count + count <= ConfigLoad.maxFileSize {
            current.bytes += chunk[0..<count]
            reading = current
            return .loading
        }
        current.descriptor.close()
        loaded[current.path] = count == 0 ? .bytes(current.bytes) : .failed(count > 0 ? EFBIG : EIO)
        return advance()
    }

    /// Gives up (deadline passed, server stopping): the open file is closed.
    func cancel() {
        reading?.descriptor.close()
        reading = nil
    }

    private func open(_ file: String) {
        guard let descriptor = Descriptor.open(file, O_RDONLY) else {
            loaded[file] = .failed(cselect_errno())
            return
        }
        // Checked up front because errno is not consulted after read() (a rule of the brief).
        var info = stat()
        if fstat(descriptor.raw, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
            descriptor.close()
            loaded[file] = .failed(EISDIR)
            return
        }
        reading = (file, descriptor, [])
    }
}
