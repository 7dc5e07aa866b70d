/// The directories where request bodies wait until they are stored: no request may read, list, write, delete
/// or run anything in them, whatever its method; to a client they do not exist (404).
struct TemporaryAreas: Sendable {
    /// `client_body_temp_path` directories set in the configuration, sorted.
    let configured: [String]

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
        if Self.namesDefaultArea(fsPath.utf8) { return true }
        for directory in configured where fsPath.utf8.starts(with: directory.utf8) {
            let rest = fsPath.utf8.dropFirst(directory.utf8.count)
            if rest.isEmpty || rest.first == UInt8(ascii: "/") || directory.hasSuffix("/") { return true }
        }
        return false
    }

    /// True when a `/`-separated path has a segment named like the default temporaries directory.
    static func namesDefaultArea(_ path: String.UTF8View) -> Bool {
        let name = BodyTemporaries.defaultName.utf8
        let slash = UInt8(ascii: "/")
        var index = path.startIndex
        while let found = path[index...].firstIndex(of: slash) {
            let segment = path.index(after: found)
            // Cheap rejection first: the segment must start with the name's first byte.
            if segment < path.endIndex, path[segment] == UInt8(ascii: "."),
               path[segment...].starts(with: name) {
                let end = path.index(segment, offsetBy: name.count)
                if end == path.endIndex || path[end] == slash { return true }
            }
            index = segment
            if index == path.endIndex { break }
        }
        return false
    }
}
