#if canImport(Glibc)
import Glibc
#endif

/// A listening socket bound to one endpoint.
final class Listener {
    let socket: Descriptor
    let endpoint: Endpoint
    /// Accepting pauses until this instant after accept() failed (descriptor exhaustion), so a listener
    /// that stays readable cannot spin the loop.
    var pausedUntil: ContinuousClock.Instant?

    /// Backlog as large as the kernel allows (somaxconn caps it): a tiny backlog drops connections under load.
    static let backlog: Int32 = 4096

    /// `reusePort`: SO_REUSEPORT, so that other processes binding the same address share it (the kernel
    /// spreads connections across their listeners).
    init(endpoint: Endpoint, reusePort: Bool = false) throws {
        guard let address = SocketAddress(endpoint) else { throw Errno("invalid address \(endpoint)") }
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Errno("socket \(endpoint)") }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        if reusePort, setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            let error = Errno("setsockopt SO_REUSEPORT \(endpoint)")
            Glibc.close(fd)
            throw error
        }
        if address.family == AF_INET6 {
            // [::] means IPv6 only here; IPv4 has its own listen lines (nginx's ipv6only=on default).
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        guard bound == 0 else {
            let error = Errno("bind \(endpoint)")
            Glibc.close(fd)
            throw error
        }
        guard Glibc.listen(fd, Listener.backlog) == 0 else {
            let error = Errno("listen \(endpoint)")
            Glibc.close(fd)
            throw error
        }
        socket = Descriptor(fd)
        socket.setNonBlocking()
        self.endpoint = endpoint
    }

    /// One accepted client: its socket, the peer's address and the local address it reached.
    struct Accepted {
        let socket: Descriptor
        let peer: Endpoint
        let local: Endpoint
    }

    /// Accepts one client (call only when select() reported the listener readable).
    func accept() -> Accepted? {
        var peer = SocketAddress()
        let fd = peer.withMutableSockaddr { Glibc.accept(socket.raw, $0, $1) }
        guard fd >= 0 else { return nil }
        let client = Descriptor(fd)
        client.setNonBlocking()
        var on: Int32 = 1
        // Each response leaves in one write; Nagle would only hold its tail back.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        var local = endpoint
        if endpoint.isWildcard {
            // Virtual servers may listen on a specific address of this port: routing needs the real one.
            var address = SocketAddress()
            if address.withMutableSockaddr({ getsockname(fd, $0, $1) }) == 0 { local.host = address.endpoint.host }
        }
        return Accepted(socket: client, peer: peer.endpoint, local: local)
    }

    func close() { socket.close() }
}
