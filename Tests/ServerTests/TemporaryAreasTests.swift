import Testing
@testable import Server

@Suite struct TemporaryAreasTests {
    static let areas = TemporaryAreas(config: try! ConfigParser.parse(text: """
        server {
            root /srv/www;
            location /store { upload_store /srv/up; }
            location /configured { upload_store /srv/other; client_body_temp_path /var/spool/bodies; }
        }
        """, sourcePath: "/etc/webserv/t.conf"))

    @Test func configuredDirectoriesAreCollectedOnce() {
        #expect(Self.areas.configured == ["/var/spool/bodies"])
    }

    /// The default area by its name, in any segment; nothing else, and never a configured path in a URL.
    @Test(arguments: [
        ("/.webserv-tmp", true),
        ("/.webserv-tmp/", true),
        ("/store/.webserv-tmp/body-1", true),
        ("/a/b/.webserv-tmp", true),
        ("/.webserv-tmpx", false),
        ("/x.webserv-tmp", false),
        ("/.webserv", false),
        ("/", false),
        ("*", false),
        ("/var/spool/bodies", false),
    ])
    func requestPathsNamingTheDefaultAreaAreHidden(_ path: String, _ hidden: Bool) {
        #expect(Self.areas.hide(requestPath: path) == hidden)
    }

    @Test(arguments: [
        ("/srv/up/.webserv-tmp", true),
        ("/srv/up/.webserv-tmp/body-1", true),
        ("/var/spool/bodies", true),
        ("/var/spool/bodies/", true),
        ("/var/spool/bodies/body-1", true),
        ("/var/spool/bodiesx", false),
        ("/var/spool", false),
        ("/srv/up/file", false),
        ("/srv/www/.webserv-tmp.html", false),
    ])
    func fileSystemPathsInsideAnAreaAreContained(_ path: String, _ contained: Bool) {
        #expect(Self.areas.contain(fileSystemPath: path) == contained)
    }

    /// The one check every handler goes through: a path that resolves inside an area reaches nothing.
    @Test(arguments: [
        ("/index.html", "/srv/www/index.html"),
        ("/.webserv-tmp/x", nil),
        ("/bodies/x", nil),
        ("/bodies", nil),
        ("/bodiesx", "/var/spool/bodiesx"),
        ("/a%2Fb", nil),
    ] as [(String, String?)])
    func reachablePathsStayOutOfTheAreas(_ uri: String, _ expected: String?) throws {
        let www = Location(match: .prefix("/"), source: .root("/srv/www"))
        let spool = Location(match: .prefix("/"), source: .root("/var/spool"))
        let target = try RequestTarget.parse(uri)
        let location = uri.hasPrefix("/bodies") ? spool : www
        #expect(PathResolver.reachablePath(for: target, in: location, outside: Self.areas) == expected)
    }

    /// Root then request path: the same answer as for the whole path, when the root names no area itself.
    @Test(arguments: ["/index.html", "/.webserv-tmp", "/a/.webserv-tmp/b", "/.webserv-tmpx", "/spool/bodies",
                      "/spool/bodies/x", "/spool/bodiesx", "/", "/x.webserv-tmp"])
    func rootedPathIsContainedAsTheWholePathIs(_ path: String) {
        for root in ["/srv/www", "/var", "/var/spool/bodies", "/var/spool/bod"] {
            let whole = Array((root + path).utf8)
            let rooted = whole.withUnsafeBufferPointer {
                Self.areas.contain(rootedPath: $0, pathStart: root.utf8.count)
            }
            #expect(rooted == Self.areas.contain(fileSystemPath: root + path), "\(root) \(path)")
        }
        let none = TemporaryAreas(config: try! ConfigParser.parse(text: "server { root /srv; }",
                                                                sourcePath: "/etc/webserv/t.conf"))
        let bytes = Array(("/srv" + path).utf8)
        #expect(bytes.withUnsafeBufferPointer { none.contain(rootedPath: $0, pathStart: 4) }
            == none.contain(fileSystemPath: "/srv" + path))
    }

    @Test func aRootNamingTheDefaultAreaHidesItsWholeLocation() throws {
        let config = try ConfigParser.parse(text: "server { root /srv/.webserv-tmp; location /a/ { root /srv/a; } }",
                                            sourcePath: "/etc/webserv/t.conf")
        let router = Router(config: config)
        #expect(router.route(for: "/x", inServer: 0).rootNamesDefaultArea)
        #expect(!router.route(for: "/a/x", inServer: 0).rootNamesDefaultArea)
    }
}
