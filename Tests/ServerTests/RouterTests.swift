import Testing
@testable import Server

/// One server per line, so a server's origin line tells which one the router chose.
private func router(_ lines: [String]) throws -> Router {
    Router(config: try ConfigParser.parse(text: lines.joined(separator: "\n"), sourcePath: "/etc/webserv/r.conf"))
}

/// The 0-based index of the server the router chose (its `server` keyword's line - 1).
private func chosen(_ server: VirtualServer) -> Int? {
    server.origin.split(separator: ":").last.flatMap { Int($0) }.map { $0 - 1 }
}

private func endpoint(_ text: String) -> Endpoint {
    guard case .success(let endpoint) = ListenAddress.parse(text) else { preconditionFailure("bad endpoint \(text)") }
    return endpoint
}

@Suite struct RouterServerTests {
    static let virtualHosts = [
        "server { listen 127.0.0.1:8080; server_name default.test; }",
        "server { listen 127.0.0.1:8080; server_name example.com www.example.com; }",
        "server { listen 127.0.0.1:8080; server_name *.example.com; }",
        "server { listen 127.0.0.1:8080; server_name *.api.example.com; }",
        "server { listen 127.0.0.1:8080; server_name www.*; }",
        "server { listen 127.0.0.1:8080; server_name www.example.*; }",
        "server { listen 127.0.0.1:8080; server_name .dot.test; }",
        "server { listen 127.0.0.1:8080; server_name dup.test; }",
        "server { listen 127.0.0.1:8080; server_name dup.test *.example.com; }",
    ]

    static let hosts: [(host: String?, server: Int)] = [
        (nil, 0),
        ("", 0),
        ("unknown.test", 0),
        ("default.test", 0),
        ("example.com", 1),
        ("EXAMPLE.Com", 1),
        ("example.com:8080", 1),
        ("example.com.", 1),
        ("example.com..", 0),
        ("www.example.com", 1),           // exact beats *.example.com, www.* and www.example.*
        ("a.example.com", 2),
        ("a.b.example.com", 2),
        ("x.api.example.com", 3),         // longest suffix wins
        ("api.example.com", 2),           // *.api.example.com does not match the bare suffix
        ("www.sub.example.com", 2),       // a suffix wildcard beats a prefix wildcard
        ("www.example.org", 5),           // longest prefix wins
        ("www.other.net", 4),
        ("WWW.Other.NET:80", 4),
        ("www.", 0),                      // www.* needs something after the dot
        ("dot.test", 6),                  // .dot.test is dot.test and *.dot.test
        ("a.dot.test", 6),
        ("dup.test", 7),                  // the first server keeps a repeated name
        ("[::1]:8080", 0),
        (":8080", 0),
    ]

    @Test(arguments: hosts)
    func hostHeaderSelectsTheVirtualServerAsNginxDoes(host: String?, server: Int) throws {
        let router = try router(Self.virtualHosts)
        let chosen = chosen(router.server(forHost: host, localEndpoint: endpoint("127.0.0.1:8080")))
        #expect(chosen == server)
    }

    static let endpoints = [
        "server { listen 8080; server_name a.test; }",
        "server { listen 127.0.0.1:8080; server_name b.test; }",
        "server { listen 0.0.0.0:8080; server_name c.test; }",
        "server { listen [::]:8080; server_name v6.test; }",
        "server { listen 127.0.0.2:9090; server_name e.test; }",
        "server { listen [::1]:9090; server_name f.test; }",
    ]

    static let arrivals: [(local: String, host: String?, server: Int)] = [
        ("127.0.0.1:8080", "b.test", 1),
        ("127.0.0.1:8080", "a.test", 1),   // the specific address hides the wildcard's servers
        ("127.0.0.1:8080", nil, 1),
        ("10.0.0.5:8080", "c.test", 2),    // no server on 10.0.0.5: the wildcard's servers
        ("10.0.0.5:8080", "b.test", 0),
        ("10.0.0.5:8080", nil, 0),
        ("0.0.0.0:8080", "c.test", 2),
        ("[::1]:8080", "a.test", 3),       // IPv6 arrivals go to the IPv6 wildcard only
        ("[::1]:8080", "v6.test", 3),
        ("127.0.0.2:9090", "a.test", 4),
        ("[::1]:9090", nil, 5),
        ("127.0.0.9:7777", "c.test", 0),   // nothing listens there: the first server of all
    ]

    @Test(arguments: arrivals)
    func localEndpointNarrowsTheCandidates(local: String, host: String?, server: Int) throws {
        let router = try router(Self.endpoints)
        #expect(chosen(router.server(forHost: host, localEndpoint: endpoint(local))) == server)
    }

    static let binds: [(listens: [String], bound: [String])] = [
        (["127.0.0.1:8080", "127.0.0.1:8081"], ["127.0.0.1:8080", "127.0.0.1:8081"]),
        (["127.0.0.1:8080", "0.0.0.0:8080"], ["0.0.0.0:8080"]),
        (["127.0.0.1:80", "0.0.0.0:81"], ["127.0.0.1:80", "0.0.0.0:81"]),
        (["[::1]:80", "0.0.0.0:80"], ["[::1]:80", "0.0.0.0:80"]),
        (["[::1]:80", "[::]:80", "127.0.0.1:80"], ["[::]:80", "127.0.0.1:80"]),
        (["127.0.0.1:80", "127.0.0.1:80", "localhost"], ["127.0.0.1:80"]),
        (["8080", "127.0.0.1:8080", "[::]:8080", "127.0.0.2:9090"], ["0.0.0.0:8080", "[::]:8080", "127.0.0.2:9090"]),
    ]

    @Test(arguments: binds)
    func wildcardAbsorbsSpecificAddressesOfItsFamilyAndPort(listens: [String], bound: [String]) throws {
        let router = try router(listens.map { "server { listen \($0); }" })
        #expect(router.bindEndpoints.map(\.description) == bound)
    }

    static let normalisedHosts: [(host: String, name: String)] = [
        ("example.com", "example.com"), ("Example.COM:80", "example.com"), ("example.com.", "example.com"),
        ("example.com.:8080", "example.com"), ("[::1]:8080", "[::1]"), ("[::1]", "[::1]"), ("a:b:c", "a"),
        (".", ""),
    ]

    @Test(arguments: normalisedHosts)
    func hostValueIsReducedToAName(host: String, name: String) {
        #expect(Router.NameTable.normalised(host) == name)
    }
}

@Suite struct RouterLocationTests {
    static let server = """
        server {
            location / { }
            location /images/ { }
            location /images/thumbs/ { }
            location /img { }
            location = /images/logo.png { }
            location = /exact { }
            location /exact { }
            location /Case { }
        }
        """

    static let paths: [(path: String, match: Location.Match)] = [
        ("/", .prefix("/")),
        ("/index.html", .prefix("/")),
        ("/images/", .prefix("/images/")),
        ("/images/a.png", .prefix("/images/")),
        ("/images", .prefix("/")),                     // the prefix /images/ needs its slash
        ("/imgfoo", .prefix("/img")),                  // prefixes are plain strings, as in nginx
        ("/images/thumbs/x.png", .prefix("/images/thumbs/")),
        ("/images/logo.png", .exact("/images/logo.png")),
        ("/images/logo.png.bak", .prefix("/images/")),
        ("/exact", .exact("/exact")),
        ("/exact/", .prefix("/exact")),
        ("/case/x", .prefix("/")),                      // byte-wise, case-sensitive
        ("/Case/x", .prefix("/Case")),
        ("*", .prefix("/")),
    ]

    @Test(arguments: paths)
    func exactBeatsLongestPrefix(path: String, match: Location.Match) throws {
        let config = try ConfigParser.parse(text: Self.server, sourcePath: "/etc/webserv/r.conf")
        let router = Router(config: config)
        #expect(router.location(for: path, in: config.servers[0]).match == match)
    }

    @Test(arguments: paths)
    func preparedRoutesChooseAsTheLocationScanDoes(path: String, match: Location.Match) throws {
        let config = try ConfigParser.parse(text: Self.server, sourcePath: "/etc/webserv/r.conf")
        let route = Router(config: config).route(for: path, inServer: 0)
        #expect(route.location.match == match)
        #expect(route.isExact == (match == .exact(route.location.path)))
        #expect(route.matchBytes == Array(route.location.path.utf8))
    }

    @Test func routeKnowsItsMethodsAndTheSlashedPrefixesOfItsServer() throws {
        let config = try ConfigParser.parse(text: """
            server {
                location / { allow_methods GET POST DELETE; }
                location /a/ { }
                location /a/b/ { }
                location /c { }
                location = /d/ { }
            }
            """, sourcePath: "/etc/webserv/r.conf")
        let router = Router(config: config)
        for index in config.servers[0].locations.indices {
            let location = config.servers[0].locations[index]
            let route = router.route(for: location.path, inServer: 0)
            for method in Method.allCases {
                #expect(route.allows(method) == location.allowedMethods.contains(method), "\(location.path) \(method)")
            }
            #expect(route.slashedPrefixLengths.sorted() == [3, 5])
        }
    }

    @Test func pathOutsideEveryWrittenLocationFallsToTheImplicitSlash() throws {
        let config = try ConfigParser.parse(text: "server { location /a { } location = /b { } }",
                                            sourcePath: "/etc/webserv/r.conf")
        let router = Router(config: config)
        #expect(router.location(for: "/b/c", in: config.servers[0]).match == .prefix("/"))
        #expect(router.location(for: "/a/c", in: config.servers[0]).match == .prefix("/a"))
    }
}
