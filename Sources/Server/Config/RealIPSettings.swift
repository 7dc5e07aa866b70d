/// `set_real_ip_from` and `real_ip_header` (nginx's realip module, `real_ip_recursive on`): which peers are
/// trusted to say who the client is, and where they say it.
public struct RealIPSettings: Equatable, Sendable {
    public enum Source: Equatable, Sendable {
        /// `X-Forwarded-For`: the rightmost address not trusted.
        case forwardedFor
        /// Another header holding one address (nginx's default, `X-Real-IP`); the name lower-cased.
        case header(String)
        /// The PROXY protocol header of a `listen ... proxy_protocol` socket.
        case proxyProtocol
    }

    /// `set_real_ip_from CIDR;`: a connection from outside these ranges keeps its own address.
    public var trusted: [AddressRange] = []
    /// `real_ip_header`.
    public var source: Source = .header("x-real-ip")

    public init() {}

    /// Whether `host` (a numeric address as accept() gave it) may speak for a client.
    func trusts(_ host: String) -> Bool {
        guard !trusted.isEmpty, let address = IPAddress(host) else { return false }
        return trusted.contains { $0.contains(address) }
    }

    /// `real_ip_header X-Forwarded-For|proxy_protocol|NAME`: nil for a word that is not a header name.
    static func source(named word: String) -> Source? {
        if word == "proxy_protocol" { return .proxyProtocol }
        let name = word.lowercased()
        if name == "x-forwarded-for" { return .forwardedFor }
        let isToken = !name.isEmpty && name.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
        return isToken ? .header(name) : nil
    }
}
