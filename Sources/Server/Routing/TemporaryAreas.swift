/// The directories where request bodies wait until they are stored: no request may read, list, write, delete
/// or run anything in them, whatever its method; to a client they do not exist (404).
struct TemporaryAreas: Sendable {
    /// `client_body_temp_path` directories set in the configuration, sorted.
    let configured: [String]
    private static let defaultName = Array(BodyTemporaries.defaultName.utf8)

    init(config: Config) {
        var configured: Set<String> = []
        for server in config.servers {
            for location in server.locations {
                if let temporaries = location.bodyTemporaries, temporaries.isConfigured {
                    configured.insert(temporaries.path)
                }
            }
        }
        self.configured = configured.sorted()
    }

    /// Checked on the request path before anything else: a default area sits inside the directory it fills,
    /// so a URL can name it by its name under any root, alias or script directory.
    func hide(requestPath path: String) -> Bool {
        Self.namesDefaultArea(path.utf8)
    }

    /// Checked on the file a path resolved to: the default areas by their name, the configured ones by where
    /// they are (a root or alias may contain one).
    func contain(fileSystemPath fsPath: String) -> Bool {
        fsPath.utf8.withContiguousStorageIfAvailable(contain(fileSystemPathBytes:))
            ?? Array(fsPath.utf8).withUnsafeBufferPointer(contain(fileSystemPathBytes:))
    }

    /// The same for a path's bytes.
    func contain(fileSystemPathBytes fsPath: UnsafeBufferPointer<UInt8>) -> Bool {
        if Self.namesDefaultArea(fsPath) { return true }
        for directory in configured where fsPath.starts(with: directory.utf8) {
            let rest = fsPath.dropFirst(directory.utf8.count)
            if rest.isEmpty || rest.first == UInt8(ascii: "/") || directory.hasSuffix("/") { return true }
        }
        return false
    }

    /// `contain(fileSystemPathBytes:)` for a root's bytes then a request path's (from `pathStart`, at a "/"),
    /// the root being known not to name a default area: only the request path's segments can then.
    func contain(rootedPath fsPath: UnsafeBufferPointer<UInt8>, pathStart: Int) -> Bool {
        if Self.namesDefaultArea(UnsafeBufferPointer(rebasing: fsPath[pathStart...])) { return true }
        if configured.isEmpty { return false }
        return contain(fileSystemPathBytes: fsPath)
    }

    /// True when a `/`-separated path has a segment named like the default temporaries directory.
    static func namesDefaultArea(_ path: String.UTF8View) -> Bool {
        // A native string's bytes are contiguous: scanning them directly avoids String.Index work per byte.
        path.withContiguousStorageIfAvailable(namesDefaultArea) ?? namesDefaultArea(Array(path)[...])
    }

    private static func namesDefaultArea<Bytes: RandomAccessCollection<UInt8>>(_ path: Bytes) -> Bool
    where Bytes.Index == Int {
        let name = defaultName
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        var i = path.startIndex
        let end = path.endIndex
        // Cheap rejection first: a segment must start with "/." to be considered at all.
        while i + name.count < end {
            if path[i] == slash && path[i + 1] == dot {
                var matches = true
                for k in 1..<name.count where path[i + 1 + k] != name[k] {
                    matches = false
                    break
                }
                let after = i + 1 + name.count
                if matches && (after == end || path[after] == slash) { return true }
            }
            i += 1
        }
        return false
    }
}
