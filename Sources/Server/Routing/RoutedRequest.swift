/// A request matched to its virtual server and location. A class: it is handed along several steps, and
/// copying a location's many settings at each would cost more than the request's one allocation.
final class RoutedRequest {
    let head: RequestHead
    let target: RequestTarget
    /// The location and server chosen, shared with every request routed there.
    let route: Route
    /// The listening address the request arrived on (nil for a request made up by a test).
    let arrivedOn: Endpoint?

    init(head: RequestHead, target: RequestTarget, route: Route, arrivedOn: Endpoint? = nil) {
        self.head = head
        self.target = target
        self.route = route
        self.arrivedOn = arrivedOn
    }

    convenience init(head: RequestHead, target: RequestTarget, server: VirtualServer, location: Location,
                     arrivedOn: Endpoint? = nil) {
        self.init(head: head, target: target, route: Route(server: server, location: location), arrivedOn: arrivedOn)
    }

    // Read in place: `request.location.index` must not copy every setting of the location.
    var server: VirtualServer { _read { yield route.server } }
    var location: Location { _read { yield route.location } }
    var method: Method? { head.method }

    /// The target's path up to and including its last "/": the URI of the directory the target names a
    /// file in.
    var targetDirectory: String {
        let path = target.path
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "/" }
        return String(path[...slash])
    }
}
