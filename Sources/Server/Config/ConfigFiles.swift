/// Where the parser gets the bytes of every file it reads (the configuration, its includes, user files).
/// At start-up they are read directly (the brief's exception). At reload they must come through select():
/// the server loads them in its loop, and the parser is handed what was loaded; a file not loaded yet is
/// recorded in `missing` and read as empty, so the parse is only a dry run until nothing is missing.
final class ConfigFiles {
    /// What the select loop got for a path: its bytes, or the errno that stopped open() or read().
    enum Loaded {
        case bytes([UInt8])
        case failed(Int32)
    }

    /// nil: read directly (start-up).
    private let loaded: [String: Loaded]?
    /// Paths asked for and not loaded yet, in the order first asked.
    private(set) var missing: [String] = []

    private init(loaded: [String: Loaded]?) {
        self.loaded = loaded
    }

    /// Files read at once with StartupFile: before the select loop exists.
    static func direct() -> ConfigFiles { ConfigFiles(loaded: nil) }

    /// Files served from what the select loop has loaded.
    static func preloaded(_ loaded: [String: Loaded]) -> ConfigFiles { ConfigFiles(loaded: loaded) }

    /// The file's bytes; failures become `path:1: <what>: <strerror>`.
    func read(_ path: String, what: String) throws(ConfigError) -> [UInt8] {
        guard let loaded else { return try StartupFile.read(path, what: what) }
        switch loaded[path] {
        case .bytes(let bytes):
            return bytes
        case .failed(let code):
            throw StartupFile.failure(path, what: what, code: code)
        case nil:
            if !missing.contains(path) { missing.append(path) }
            return []
        }
    }
}
