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
}
