/// The parameters of a `listen` line after its address: how the socket is opened and what a client must send
/// before its first request.
public struct ListenOptions: Equatable, Sendable {
    /// `reuseport`: SO_REUSEPORT, so independent webserv processes share the port and the kernel spreads
    /// connections across them.
    public var reusePort = false
    /// `proxy_protocol`: each connection starts with a PROXY protocol v1 or v2 header (HAProxy's `send-proxy`,
    /// `send-proxy-v2`); a connection without a valid one is closed with nothing served.
    public var proxyProtocol = false

    public init(reusePort: Bool = false, proxyProtocol: Bool = false) {
        self.reusePort = reusePort
        self.proxyProtocol = proxyProtocol
    }

    /// Parses the words after the address; returns the first word it does not know.
    static func parse(_ words: ArraySlice<String>) -> Result<ListenOptions, UnknownParameter> {
        var options = ListenOptions()
        for word in words {
            switch word {
            case "reuseport": options.reusePort = true
            case "proxy_protocol": options.proxyProtocol = true
            default: return .failure(UnknownParameter(word: word))
            }
        }
        return .success(options)
    }

    struct UnknownParameter: Error {
        let word: String
    }
}
