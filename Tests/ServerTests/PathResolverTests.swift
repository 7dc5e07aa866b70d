import Testing
@testable import Server

@Suite struct PathResolverTests {
    static func location(_ match: Location.Match, _ source: Location.Source) -> Location {
        Location(match: match, source: source)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let location: Location
        let path: String
        let expected: String?
        var testDescription: String { "\(location.match) \(location.source) \(path)" }
    }

    static let rootWWW = location(.prefix("/"), .root("/srv/www"))
    static let rootSlash = location(.prefix("/"), .root("/srv/www/"))
    static let kapouet = location(.prefix("/kapouet"), .alias("/tmp/www"))
    static let kapouetSlashAlias = location(.prefix("/kapouet"), .alias("/tmp/www/"))
    static let kapouetSlashBoth = location(.prefix("/kapouet/"), .alias("/tmp/www/"))
    static let favicon = location(.exact("/favicon.ico"), .alias("/srv/img/icon.ico"))

    static let cases: [Case] = [
        Case(location: rootWWW, path: "/", expected: "/srv/www/"),
        Case(location: rootWWW, path: "/a/b.html", expected: "/srv/www/a/b.html"),
        Case(location: rootWWW, path: "/dir/", expected: "/srv/www/dir/"),
        Case(location: rootSlash, path: "/a", expected: "/srv/www/a"),
        Case(location: rootSlash, path: "/", expected: "/srv/www/"),
        Case(location: location(.prefix("/"), .root("/")), path: "/etc/x", expected: "/etc/x"),
        Case(location: location(.prefix("/"), .root("/")), path: "/", expected: "/"),
        Case(location: location(.prefix("/img/"), .root("/srv")), path: "/img/a.png", expected: "/srv/img/a.png"),
        Case(location: kapouet, path: "/kapouet/pouic/toto/pouet", expected: "/tmp/www/pouic/toto/pouet"),
        Case(location: kapouet, path: "/kapouet", expected: "/tmp/www"),
        Case(location: kapouet, path: "/kapouet/", expected: "/tmp/www/"),
        Case(location: kapouetSlashAlias, path: "/kapouet/a", expected: "/tmp/www/a"),
        Case(location: kapouetSlashAlias, path: "/kapouet", expected: "/tmp/www"),
        Case(location: kapouetSlashBoth, path: "/kapouet/a", expected: "/tmp/www/a"),
        Case(location: kapouetSlashBoth, path: "/kapouet/", expected: "/tmp/www"),
        // nginx's off-by-slash: the glued remainder gets its own "/" and may not be a dot segment.
        Case(location: kapouet, path: "/kapouetx/y", expected: "/tmp/www/x/y"),
        Case(location: kapouetSlashAlias, path: "/kapouet../secret", expected: nil),
        Case(location: kapouet, path: "/kapouet..", expected: nil),
        Case(location: kapouet, path: "/kapouet.", expected: nil),
        Case(location: kapouet, path: "/kapouet.../x", expected: "/tmp/www/.../x"),
        Case(location: kapouet, path: "/other/x", expected: nil),
        Case(location: favicon, path: "/favicon.ico", expected: "/srv/img/icon.ico"),
        // Paths that parse() never produces without %2F are refused whatever the caller.
        Case(location: rootWWW, path: "/../etc/passwd", expected: nil),
        Case(location: rootWWW, path: "/a/./b", expected: nil),
        Case(location: rootWWW, path: "/a//b", expected: nil),
        Case(location: rootWWW, path: "/a/..", expected: nil),
        Case(location: rootWWW, path: "relative", expected: nil),
        Case(location: rootWWW, path: "", expected: nil),
        Case(location: rootWWW, path: "*", expected: nil),
        Case(location: rootWWW, path: "/a\u{0}b", expected: nil),
        Case(location: kapouet, path: "/kapouet/../x", expected: nil),
    ]

    @Test(arguments: cases)
    func pathMapsUnderRootOrAlias(_ c: Case) {
        #expect(PathResolver.fileSystemPath(for: c.path, in: c.location) == c.expected)
    }

    /// Where the bytes lent from the stack are used, they are the path `fileSystemPath` would make.
    @Test(arguments: cases)
    func rootedPathBytesAreTheMappedPath(_ c: Case) {
        let target = RequestTarget(path: c.path)
        let lent = PathResolver.withRootedPath(for: target, in: c.location) { bytes, pathStart -> String in
            #expect(bytes.baseAddress![bytes.count] == 0)
            #expect(String(decoding: bytes[pathStart...], as: UTF8.self) == c.path)
            return String(decoding: bytes, as: UTF8.self)
        }
        if let lent { #expect(lent == c.expected) }
        if case .root(let root) = c.location.source, !root.hasSuffix("/"), c.expected != nil {
            #expect(lent != nil)
        }
        let encoded = RequestTarget(path: c.path, hasEncodedSlash: true)
        #expect(PathResolver.withRootedPath(for: encoded, in: c.location) { _, _ in true } == nil)
    }

    @Test func encodedSlashNamesNoFile() throws {
        let target = try RequestTarget.parse("/a%2Fb")
        #expect(PathResolver.fileSystemPath(for: target, in: Self.rootWWW) == nil)
        let plain = try RequestTarget.parse("/a/b")
        #expect(PathResolver.fileSystemPath(for: plain, in: Self.rootWWW) == "/srv/www/a/b")
    }

    static let attacks: [String] = [
        "/../../../../etc/passwd", "/kapouet/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
        "/%2E%2e/%2e%2E/etc/passwd", "/kapouet/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd",
        "/kapouet/..%2f..%2fetc/passwd", "/%2e%2e%2f%2e%2e%2fetc/passwd", "/kapouet%2f..%2f..%2fetc",
        "/kapouet/%2E%2E%2F%2E%2E%2Fetc", "/..\\..\\etc\\passwd", "/kapouet\\..\\..\\etc", "/%5c..%5c..%5cetc",
        "/kapouet../secret", "/kapouet..%2fsecret", "/kapouet%2e%2e/secret", "/kapouet%2E%2E%2Fsecret",
        "/kapouet/../kapouet../secret", "/kapouet/./../..", "/kapouet.", "/kapouet..", "//kapouet/..//..//etc",
        "/kapouet/%252e%252e/x", "/kapouet/%2e%2e%5c%2e%2e", "http://h/kapouet/../../etc",
        "http://h/kapouet..%2F..%2Fetc", "/kapouet/a/b/../../../../etc",
    ]

    static let bases: [(Location, String)] = [
        (rootWWW, "/srv/www"), (rootSlash, "/srv/www"), (kapouet, "/tmp/www"), (kapouetSlashAlias, "/tmp/www"),
        (kapouetSlashBoth, "/tmp/www"), (location(.prefix("/kapouet"), .root("/srv/www")), "/srv/www"),
    ]

    @Test(arguments: attacks)
    func noTargetResolvesOutsideTheRootOrAlias(_ raw: String) {
        guard let target = try? RequestTarget.parse(raw) else { return }  // a 400 escapes nothing
        for (location, base) in Self.bases {
            for resolved in [PathResolver.fileSystemPath(for: target, in: location),
                             PathResolver.fileSystemPath(for: target.path, in: location)] {
                guard let resolved else { continue }
                #expect(resolved == base || resolved.hasPrefix(base + "/"), "\(raw) → \(resolved)")
                let segments = resolved.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
                #expect(!segments.contains(".."), "\(raw) → \(resolved)")
                #expect(!segments.contains("."), "\(raw) → \(resolved)")
                #expect(!resolved.contains("//"), "\(raw) → \(resolved)")
            }
        }
    }

    @Test func traversalTargetsStillResolveInsideTheRoot() throws {
        // The brief's example: looked up under the root, where it is simply a 404.
        let target = try RequestTarget.parse("/../../etc/passwd")
        #expect(PathResolver.fileSystemPath(for: target, in: Self.rootWWW) == "/srv/www/etc/passwd")
        let encoded = try RequestTarget.parse("/kapouet/%2e%2e/%2e%2e/etc/passwd")
        #expect(PathResolver.fileSystemPath(for: encoded, in: Self.kapouet) == nil)
        #expect(PathResolver.fileSystemPath(for: encoded, in: Self.rootWWW) == "/srv/www/etc/passwd")
    }
}
