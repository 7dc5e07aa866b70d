/// Chooses the virtual server for a connection and Host, then the location for a path (nginx rules).
public struct Router: Sendable {
    public let config: Config
    private let endpoints: [Endpoint]
    /// For each endpoint some server listens on, its servers' names ready for lookup.
    private let tables: [Endpoint: NameTable]
    /// Where bodies wait: hidden from every request.
    let temporaryAreas: TemporaryAreas
    /// For each server, its locations in file order, prepared for routing.
    private let routes: [[Route]]

    public init(config: Config) {
        self.config = config
        temporaryAreas = TemporaryAreas(config: config)
        routes = config.servers.map { server in server.locations.map { Route(server: server, location: $0) } }
        var tables: [Endpoint: NameTable] = [:]
        var seen: [Endpoint] = []
        for (index, server) in config.servers.enumerated() {
            for endpoint in server.listens {
                if tables[endpoint] == nil {
                    tables[endpoint] = NameTable(defaultServer: index)
                    seen.append(endpoint)
                }
                tables[endpoint]!.add(server.names, of: index)
            }
        }
        for endpoint in tables.keys { tables[endpoint]!.sortWildcards() }
        self.tables = tables
        // One socket on the wildcard already receives the specific addresses of its family and port (nginx).
        let wildcards = Set(seen.filter(\.isWildcard))
        endpoints = seen.filter { $0.isWildcard || !wildcards.contains(Self.wildcard(of: $0)) }
    }

    /// The endpoints to bind: a wildcard address on a port absorbs the specific addresses on that port.
    public var bindEndpoints: [Endpoint] { endpoints }

    /// The `listen` options of an address a connection arrived on (or of its port's wildcard, whose socket
    /// received it).
    public func listenOptions(for endpoint: Endpoint) -> ListenOptions {
        config.listenOptions[endpoint] ?? config.listenOptions[Self.wildcard(of: endpoint)] ?? ListenOptions()
    }

    /// The server for a request: among those listening on `localEndpoint` (or the wildcard of its port),
    /// the one whose server_name matches `host` (exact, then *.suffix, then prefix.*), else the first.
    public func server(forHost host: String?, localEndpoint: Endpoint) -> VirtualServer {
        config.servers[serverIndex(forHost: host, localEndpoint: localEndpoint)]
    }

    private func serverIndex(forHost host: @autoclosure () -> String?, localEndpoint: Endpoint) -> Int {
        // The common case needs no lookup, nor the Host value: one server answers everything.
        if config.servers.count == 1 { return 0 }
        guard let table = tables[localEndpoint] ?? tables[Self.wildcard(of: localEndpoint)] else { return 0 }
        return table.server(forHost: host())
    }

    /// The exact-match location if any, else the longest matching prefix.
    /// A scan rather than a table: a server has a handful of locations, the comparisons are byte-wise and
    /// allocate nothing, and the caller may hand in any `VirtualServer`.
    public func location(for path: String, in server: VirtualServer) -> Location {
        var best = -1
        var bestLength = -1
        // Indices, not elements: iterating would copy every location's settings.
        for index in server.locations.indices {
            switch server.locations[index].match {
            case .exact(let exact):
                if path.utf8.elementsEqual(exact.utf8) { return server.locations[index] }
            case .prefix(let prefix):
                let length = prefix.utf8.count
                if length > bestLength && path.utf8.starts(with: prefix.utf8) {
                    best = index
                    bestLength = length
                }
            }
        }
        // Every server has a `/` prefix; only a path not starting with `/` (`OPTIONS *`) gets here.
        return server.locations[best >= 0 ? best : 0]
    }

    /// Decodes the target and picks server and location; throws 400 for a malformed target.
    func route(_ head: RequestHead, arrivingOn local: Endpoint) throws(HTTPError) -> RoutedRequest {
        let target = try RequestTarget.parse(head.target)
        let server = serverIndex(forHost: target.authority ?? head.headers["host"], localEndpoint: local)
        return RoutedRequest(head: head, target: target, route: route(for: target.path, inServer: server),
                             arrivedOn: local)
    }

    /// `location(for:in:)` over the prepared routes of the server at `index`: the same choice, compared as bytes.
    func route(for path: String, inServer index: Int) -> Route {
        let routes = routes[index]
        let best = path.utf8.withContiguousStorageIfAvailable { Self.bestRoute(for: $0, among: routes) }
            ?? Array(path.utf8).withUnsafeBufferPointer { Self.bestRoute(for: $0, among: routes) }
        return routes[best]
    }

    private static func bestRoute(for path: UnsafeBufferPointer<UInt8>, among routes: [Route]) -> Int {
        var best = -1
        var bestLength = -1
        for index in routes.indices {
            let route = routes[index]
            let length = route.matchBytes.count
            if route.isExact {
                if length == path.count && Self.starts(path, with: route.matchBytes) { return index }
            } else if length > bestLength && length <= path.count && Self.starts(path, with: route.matchBytes) {
                best = index
                bestLength = length
            }
        }
        // Every server has a `/` prefix; only a path not starting with `/` (`OPTIONS *`) gets here.
        return best >= 0 ? best : 0
    }

    /// `path` begins with `prefix`, whose length the caller checked. A loop, not memcmp(): prefixes are short.
    private static func starts(_ path: UnsafeBufferPointer<UInt8>, with prefix: [UInt8]) -> Bool {
        prefix.withUnsafeBufferPointer { prefix in
            for i in prefix.indices where path[i] != prefix[i] { return false }
            return true
        }
    }

    static func wildcard(of endpoint: Endpoint) -> Endpoint {
        Endpoint(host: endpoint.host.utf8.contains(UInt8(ascii: ":")) ? "::" : "0.0.0.0", port: endpoint.port)
    }

    /// The server names of the servers on one endpoint, in nginx's lookup order.
    struct NameTable: Sendable {
        struct Wildcard: Sendable {
            /// `.example.com` for `*.example.com`; `www.` for `www.*`.
            var pattern: String
            var server: Int
        }

        var defaultServer: Int
        /// No other server shares the endpoint: the Host need not be looked at.
        var isAlone = true
        var exact: [String: Int] = [:]
        var suffixes: [Wildcard] = []
        var prefixes: [Wildcard] = []

        init(defaultServer: Int) { self.defaultServer = defaultServer }

        /// An earlier server keeps a name that a later one repeats (nginx warns and does the same).
        mutating func add(_ names: [String], of server: Int) {
            if server != defaultServer { isAlone = false }
            for name in names {
                if name.hasPrefix("*.") {
                    let pattern = String(name.dropFirst())
                    if !suffixes.contains(where: { $0.pattern == pattern }) {
                        suffixes.append(Wildcard(pattern: pattern, server: server))
                    }
                } else if name.hasSuffix(".*") {
                    let pattern = String(name.dropLast())
                    if !prefixes.contains(where: { $0.pattern == pattern }) {
                        prefixes.append(Wildcard(pattern: pattern, server: server))
                    }
                } else if exact[name] == nil {
                    exact[name] = server
                }
            }
        }

        /// Longest pattern first, so the first hit is the best one.
        mutating func sortWildcards() {
            suffixes.sort { $0.pattern.utf8.count > $1.pattern.utf8.count }
            prefixes.sort { $0.pattern.utf8.count > $1.pattern.utf8.count }
        }

        func server(forHost host: String?) -> Int {
            guard let host, !isAlone else { return defaultServer }
            let name = Self.normalised(host)
            guard !name.isEmpty else { return defaultServer }
            if let server = exact[name] { return server }
            let bytes = name.utf8
            for wildcard in suffixes {
                let pattern = wildcard.pattern.utf8
                if bytes.count > pattern.count && bytes.suffix(pattern.count).elementsEqual(pattern) {
                    return wildcard.server
                }
            }
            for wildcard in prefixes {
                let pattern = wildcard.pattern.utf8
                if bytes.count > pattern.count && bytes.starts(with: pattern) { return wildcard.server }
            }
            return defaultServer
        }

        /// The Host value as a name: without `:port` (`[v6]:port` keeps its brackets), lower-cased, without
        /// one trailing dot (`example.com.` is `example.com`).
        static func normalised(_ host: String) -> String {
            let bytes = host.utf8
            var end = bytes.endIndex
            if bytes.first == UInt8(ascii: "[") {
                if let close = bytes.firstIndex(of: UInt8(ascii: "]")) { end = bytes.index(after: close) }
            } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
                end = colon
            }
            if end > bytes.startIndex && bytes[bytes.index(before: end)] == UInt8(ascii: ".") {
                end = bytes.index(before: end)
            }
            let name = bytes[..<end]
            let isUpper = { (byte: UInt8) in byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
            if end == bytes.endIndex && !name.contains(where: isUpper) { return host }
            // Host names fit the small-string storage, so this usually allocates nothing.
            return String(unsafeUninitializedCapacity: name.count) { buffer in
                for (offset, byte) in name.enumerated() { buffer[offset] = isUpper(byte) ? byte | 0x20 : byte }
                return name.count
            }
        }
    }
}
