/// `/dir` asked for where only `location /dir/ { }` exists: the client left out the slash, as people typing
/// an address do. Apache and nginx's proxied locations redirect to `/dir/`; a 404 would hide a page that is
/// there.
enum SlashRedirect {
    /// The relative `Location` (`dir/`, query kept) when the request's path names a `location` but for its
    /// trailing slash and nothing under the matched location's root or alias answers to the path itself;
    /// else nil. Cheap when no location is one slash longer than the path, which is nearly every request.
    static func target(for request: RoutedRequest, outside areas: TemporaryAreas) -> String? {
        let path = request.target.path
        let length = path.utf8.count + 1
        guard request.route.slashedPrefixLengths.contains(length), !request.route.isExact,
              path.utf8.last != UInt8(ascii: "/"), let slash = path.utf8.lastIndex(of: UInt8(ascii: "/"))
        else { return nil }
        let named = request.server.locations.contains { location in
            guard case .prefix(let prefix) = location.match else { return false }
            return prefix.utf8.count == length && prefix.hasSuffix("/") && prefix.hasPrefix(path)
        }
        guard named else { return nil }
        if let fsPath = PathResolver.reachablePath(for: request.target, in: request.route, outside: areas) {
            if case .notFound = FileInfo.lookUp(fsPath) {} else { return nil }
        }
        var location = PercentEncoding.encodeSegment(String(path[path.utf8.index(after: slash)...])) + "/"
        if !request.target.query.isEmpty { location += "?" + request.target.query }
        return location
    }
}
