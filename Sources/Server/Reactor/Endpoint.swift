/// A `listen` address. `host` is a numeric IPv4 address ("0.0.0.0" for any) or IPv6 ("::" / "::1").
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public var isWildcard: Bool { host == "0.0.0.0" || host == "::" }
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
