#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 socket address, convertible to and from `Endpoint` without the resolver.
struct SocketAddress {
    var storage = sockaddr_storage()

    init() {}

    init?(_ endpoint: Endpoint) {
        if endpoint.host.contains(":") {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = endpoint.port.bigEndian
            guard inet_pton(AF_INET6, endpoint.host, &address.sin6_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = endpoint.port.bigEndian
            guard inet_pton(AF_INET, endpoint.host, &address.sin_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &storage) { raw in
                withUnsafeBytes(of: address) { raw.copyMemory(from: $0) }
            }
        }
    }

    var family: Int32 { Int32(storage.ss_family) }

    var length: socklen_t {
        socklen_t(family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
    }

    /// Numeric host and port.
    var endpoint: Endpoint {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var port: UInt16 = 0
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                var address = raw.load(as: sockaddr_in6.self)
                port = UInt16(bigEndian: address.sin6_port)
                inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count))
            } else {
                var address = raw.load(as: sockaddr_in.self)
                port = UInt16(bigEndian: address.sin_port)
                inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count))
            }
        }
        var host = String(cString: text)
        // An IPv4 client on a dual-stack socket: show it as IPv4, as nginx does.
        if host.hasPrefix("::ffff:"), host.contains(".") { host.removeFirst(7) }
        return Endpoint(host: host, port: port)
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafeBytes(of: storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length)
        }
    }

    mutating func withMutableSockaddr<R>(_ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> R) -> R {
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutableBytes(of: &storage) { raw in
            body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), &length)
        }
    }
}
