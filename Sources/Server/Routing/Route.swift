/// One location of one virtual server, prepared once per configuration for the requests routed to it: they
/// share this object instead of each copying the location's many settings.
final class Route: Sendable {
    let server: VirtualServer
    let location: Location
    /// The location's match as bytes, compared without building anything per request.
    let matchBytes: [UInt8]
    let isExact: Bool
    /// `allowedMethods` as one bit per method: a test costs an AND, not a Set lookup.
    private let allowedBits: UInt16
    /// Lengths of the server's prefix locations that end in "/" (`/dir/` → 5): only a path one byte shorter
    /// than one of them can be a location asked for without its slash (SlashRedirect).
    let slashedPrefixLengths: [Int]
    /// A `root` whose own segments name a default body area: every path under it is hidden.
    let rootNamesDefaultArea: Bool

    init(server: VirtualServer, location: Location) {
        self.server = server
        self.location = location
        switch location.match {
        case .prefix(let prefix):
            matchBytes = Array(prefix.utf8)
            isExact = false
        case .exact(let exact):
            matchBytes = Array(exact.utf8)
            isExact = true
        }
        allowedBits = location.allowedMethods.reduce(0) { $0 | Route.bit($1) }
        var lengths: [Int] = []
        for other in server.locations {
            if case .prefix(let prefix) = other.match, prefix.utf8.count > 1, prefix.utf8.last == UInt8(ascii: "/"),
               !lengths.contains(prefix.utf8.count) {
                lengths.append(prefix.utf8.count)
            }
        }
        slashedPrefixLengths = lengths
        if case .root(let root) = location.source {
            rootNamesDefaultArea = TemporaryAreas.namesDefaultArea(root.utf8)
        } else {
            rootNamesDefaultArea = false
        }
    }

    /// The location allows `method` (its `allowed_methods` / `limit_except` list).
    func allows(_ method: Method) -> Bool {
        allowedBits & Route.bit(method) != 0
    }

    private static func bit(_ method: Method) -> UInt16 {
        switch method {
        case .get: 1 << 0
        case .head: 1 << 1
        case .post: 1 << 2
        case .put: 1 << 3
        case .delete: 1 << 4
        case .options: 1 << 5
        case .trace: 1 << 6
        case .connect: 1 << 7
        case .patch: 1 << 8
        }
    }
}
