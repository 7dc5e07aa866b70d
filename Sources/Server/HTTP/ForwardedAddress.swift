/// The client address a trusted proxy wrote into a request header, read as nginx's realip module reads it
/// with `real_ip_recursive on`.
enum ForwardedAddress {
    /// X-Forwarded-For, across every field of that name: the rightmost address not in `trusted` (each proxy
    /// appends the address it got the request from, so only the part written by trusted proxies can be
    /// believed; what the client wrote itself is further left). When every address is trusted, the leftmost.
    /// An element that is not an address stops the walk at the last one read; nil when there is none.
    static func fromForwardedFor(_ headers: Headers, trusted: [AddressRange]) -> Endpoint? {
        var elements: [ArraySlice<UInt8>] = []
        headers.forEachListElement(named: "x-forwarded-for") { elements.append($0) }
        var client: Endpoint?
        for element in elements.reversed() {
            guard let (address, port) = parse(element) else { break }
            client = Endpoint(host: address.text, port: port)
            if !trusted.contains(where: { $0.contains(address) }) { break }
        }
        return client
    }

    /// A header holding one address (X-Real-IP and the like); nil when absent or not an address.
    static func fromSingleAddress(_ headers: Headers, named name: String) -> Endpoint? {
        guard let value = headers.rawValue(named: name), let (address, port) = parse(Headers.trimmed(value)) else {
            return nil
        }
        return Endpoint(host: address.text, port: port)
    }

    /// `192.0.2.1`, `192.0.2.1:51234`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:51234`; port 0 when
    /// none is given.
    static func parse(_ element: ArraySlice<UInt8>) -> (IPAddress, UInt16)? {
        guard !element.isEmpty, element.count <= 64 else { return nil }
        var host = element
        var portText: ArraySlice<UInt8> = []
        if element.first == UInt8(ascii: "[") {
            guard let close = element.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            host = element[(element.startIndex + 1)..<close]
            let rest = element[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":"), rest.count > 1 else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = element.firstIndex(of: UInt8(ascii: ":")),
                  element[(colon + 1)...].firstIndex(of: UInt8(ascii: ":")) == nil {
            // One colon: IPv4 with a port (IPv6 has at least two).
            host = element[..<colon]
            portText = element[(colon + 1)...]
            guard !portText.isEmpty else { return nil }
        }
        guard host.allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              let address = IPAddress(String(decoding: host, as: UTF8.self)) else { return nil }
        var port = 0
        if !portText.isEmpty {
            guard portText.count <= 5, portText.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            port = portText.reduce(0) { $0 * 10 + Int($1 - 48) }
            guard port <= 65535 else { return nil }
        }
        return (address, UInt16(port))
    }
}
