/// Maps a decoded request path to a file-system path under a location's root or alias; never outside it.
public enum PathResolver {
    /// nil when the path cannot be mapped inside the location (the request is then a 404): a path that is not
    /// absolute, holds an empty, "." or ".." segment or a NUL (a path from `RequestTarget.parse` has none of
    /// these unless it carried %2F), a path outside an alias location's prefix, or an alias remainder that
    /// would climb out of the alias. The check is repeated here so that no caller can make it escape.
    ///
    /// `.root(R)` appends the whole path (nginx `root`); `.alias(A)` replaces the location's prefix. With a
    /// prefix location P not ending in "/", nginx turns `/kapouet../x` into `A../x` ("off-by-slash"); here
    /// the remainder always joins A with exactly one "/", and is refused when that would make it a "..".
    public static func fileSystemPath(for path: String, in location: Location) -> String? {
        // A native string's bytes are contiguous: scanning them directly avoids String.Index checks per byte.
        guard path.utf8.withContiguousStorageIfAvailable(isContained) ?? isContained(path.utf8) else { return nil }
        switch location.source {
        case .root(let root):
            return joined(root, path)
        case .alias(let alias):
            switch location.match {
            case .exact:
                return alias
            case .prefix(let prefix):
                guard path.utf8.starts(with: prefix.utf8) else { return nil }
                let rest = path.utf8.dropFirst(prefix.utf8.count)
                // A remainder not starting at a "/" begins with a segment cut by the prefix: check it anew.
                if let first = rest.first, first != UInt8(ascii: "/"), !isContained([UInt8(ascii: "/")] + rest) {
                    return nil
                }
                return join(alias, rest)
            }
        }
    }

    /// The same, for a parsed target: a path that carried an encoded "/" names no file (nil).
    public static func fileSystemPath(for target: RequestTarget, in location: Location) -> String? {
        target.hasEncodedSlash ? nil : fileSystemPath(for: target.path, in: location)
    }

    /// The file a request may reach: as above, and nil inside a directory where bodies wait (a 404 for every
    /// method, as if it did not exist).
    static func reachablePath(for target: RequestTarget, in location: Location, outside areas: TemporaryAreas)
        -> String? {
        guard let fsPath = fileSystemPath(for: target, in: location), !areas.contain(fileSystemPath: fsPath)
        else { return nil }
        return fsPath
    }

    /// The same for a routed request's location, read in place.
    static func reachablePath(for target: RequestTarget, in route: Route, outside areas: TemporaryAreas)
        -> String? {
        guard let fsPath = fileSystemPath(for: target, in: route.location), !areas.contain(fileSystemPath: fsPath)
        else { return nil }
        return fsPath
    }

    /// The file-system path of a request to a `root` location whose root does not end in "/" (nearly every
    /// one), where that path is the root's bytes then the request path's: lent to `body` from the stack,
    /// followed by a NUL, with no String made, and with the offset where the request path begins in it.
    /// nil when the request is not such a case (`reachablePath` then decides, the same way).
    static func withRootedPath<R>(for target: RequestTarget, in location: Location,
                                  _ body: (UnsafeBufferPointer<UInt8>, Int) -> R) -> R? {
        guard case .root(let root) = location.source, !target.hasEncodedSlash, let last = root.utf8.last,
              last != UInt8(ascii: "/") else { return nil }
        var path = target.path
        return path.withUTF8 { path -> R? in
            guard isContained(path) else { return nil }
            let rootLength = root.utf8.count, length = rootLength + path.count
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: length + 1) { buffer -> R? in
                guard buffer.initialize(fromContentsOf: root.utf8) == rootLength else { return nil }
                _ = UnsafeMutableBufferPointer(rebasing: buffer[rootLength..<length]).initialize(fromContentsOf: path)
                buffer[length] = 0
                return body(UnsafeBufferPointer(rebasing: buffer[..<length]), rootLength)
            }
        }
    }

    /// True when `path` starts with "/" and has no empty, "." or ".." segment and no NUL, so appending it to a
    /// directory stays inside that directory. A trailing "/" is allowed.
    private static func isContained<C: Collection>(_ path: C) -> Bool where C.Element == UInt8 {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        guard path.first == slash else { return false }
        var segmentLength = 0
        var dotsOnly = true
        var index = path.index(after: path.startIndex)
        while true {
            let atEnd = index == path.endIndex
            if atEnd || path[index] == slash {
                if segmentLength == 0 {
                    if !atEnd { return false }  // "//"
                } else if dotsOnly && segmentLength <= 2 {
                    return false
                }
                if atEnd { return true }
                segmentLength = 0
                dotsOnly = true
            } else {
                let byte = path[index]
                if byte == 0 { return false }
                if byte != dot { dotsOnly = false }
                segmentLength += 1
            }
            index = path.index(after: index)
        }
    }

    /// `root` + an absolute `path`, with one "/" between them: the common case, built with a single allocation.
    private static func joined(_ root: String, _ path: String) -> String {
        let slash = UInt8(ascii: "/")
        guard let last = root.utf8.last, last != slash, path.utf8.first == slash else {
            return join(root, path.utf8[...])
        }
        let rootLength = root.utf8.count, length = rootLength + path.utf8.count
        return String(unsafeUninitializedCapacity: length) { buffer in
            _ = buffer.initialize(fromContentsOf: root.utf8)
            _ = UnsafeMutableBufferPointer(rebasing: buffer[rootLength...]).initialize(fromContentsOf: path.utf8)
            return length
        }
    }

    /// `base` + `rest` with exactly one "/" between them; `rest` is empty or starts with "/" unless it was a
    /// remainder glued to an alias prefix, which gets its own "/".
    private static func join<C: Collection>(_ base: String, _ rest: C) -> String where C.Element == UInt8 {
        let slash = UInt8(ascii: "/")
        var out = Array(base.utf8)
        while out.count > 1 && out[out.count - 1] == slash { out.removeLast() }
        if rest.isEmpty { return String(decoding: out, as: UTF8.self) }
        if out == [slash] { out.removeAll(keepingCapacity: true) }
        if rest.first != slash { out.append(slash) }
        out.append(contentsOf: rest)
        return String(decoding: out, as: UTF8.self)
    }
}
