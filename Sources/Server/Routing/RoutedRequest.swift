/// A request matched to its virtual server and location. A class: it is handed along several steps, and
/// copying a location's many settings at each would cost more than the request's one allocation.
final class RoutedRequest {
    let head: RequestHead
    let target: RequestTarget
    let server: VirtualServer
    let location: Location
    /// The listening address the request arrived on (nil for a request made up by a test).
    let arrivedOn: Endpoint?

    init(head: RequestHead, target: RequestTarget, server: VirtualServer, location: Location,
         arrivedOn: Endpoint? = nil) {
        self.head = head
        self.target = target
        self.server = server
        self.location = location
        self.arrivedOn = arrivedOn
    }

    var method: Method? { head.method }

    /// The target's path up to and including its last "/": the URI of the directory the target names a
    /// file in.
    var targetDirectory: String {
        let path = target.path
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "/" }
        return String(path[...slash])
    }
}
