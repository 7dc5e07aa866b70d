/// Chooses the virtual server for a connection and Host, then the location for a path (nginx rules).
public struct Router: Sendable {
    public let config: Config

    public init(config: Config) { self.config = config }

    /// The endpoints to bind: a wildcard address on a port absorbs the specific addresses on that port.
    public var bindEndpoints: [Endpoint] { [] }

    /// The server for a request: among those listening on `localEndpoint` (or the wildcard of its port),
    /// the one whose server_name matches `host` (exact, then *.suffix, then prefix.*), else the first.
    public func server(forHost host: String?, localEndpoint: Endpoint) -> VirtualServer { config.servers[0] }

    /// The exact-match location if any, else the longest matching prefix.
    public func location(for path: String, in server: VirtualServer) -> Location { server.locations[0] }
}
