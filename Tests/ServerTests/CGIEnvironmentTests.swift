import Testing
@testable import Server

private func cgiLocation(pathInfo: Location.CGIPathInfo = .fullPath, authRealm: String? = nil) -> Location {
    var location = Location(match: .prefix("/"), source: .root("/srv/www/"))
    location.cgi = [".py": "/usr/bin/python3", ".php": "/usr/bin/php-cgi"]
    location.cgiPathInfo = pathInfo
    location.authRealm = authRealm
    return location
}

private func routed(_ requestLine: String, _ fields: [String] = ["Host: example.com:8080"],
                    location: Location = cgiLocation(),
                    server: VirtualServer = VirtualServer(listens: [], names: ["example.com"], locations: []))
    throws -> RoutedRequest {
    var parser = RequestParser()
    let raw = requestLine + "\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
    let head = try #require(try parser.parse(Array(raw.utf8), from: 0))
    return RoutedRequest(head: head, target: try RequestTarget.parse(head.target), server: server, location: location)
}

private func environment(_ request: RoutedRequest, bodyLength: Int? = nil, authType: String? = nil,
                         remoteUser: String? = nil, searchPath: String? = "/usr/bin:/bin") throws -> CGIEnvironment {
    let script = try #require(CGIScript.find(in: request.target.path, location: request.location))
    return CGIEnvironment(request: request, script: script, remoteAddress: "192.0.2.7", remotePort: 54321,
                          serverAddress: "127.0.0.1", serverPort: 8080, serverName: "example.com",
                          bodyLength: bodyLength, authType: authType, remoteUser: remoteUser,
                          documentRoot: "/srv/www/", searchPath: searchPath)
}

/// The variables as a dictionary, recording that no name appears twice and every entry has a "=".
private func dictionary(_ variables: [String]) -> [String: String] {
    var result: [String: String] = [:]
    for entry in variables {
        let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        #expect(parts.count == 2, "no \"=\" in \(entry)")
        let name = String(parts[0])
        #expect(result[name] == nil, "\(name) set twice")
        result[name] = parts.count == 2 ? String(parts[1]) : ""
    }
    return result
}

/// Every meta-variable the issue lists; all are always present.
private let metaVariables: Set<String> = [
    "AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE", "GATEWAY_INTERFACE", "PATH_INFO", "PATH_TRANSLATED",
    "QUERY_STRING", "REMOTE_ADDR", "REMOTE_IDENT", "REMOTE_USER", "REQUEST_METHOD", "REQUEST_URI", "SCRIPT_NAME",
    "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "SCRIPT_FILENAME", "REDIRECT_STATUS",
    "DOCUMENT_ROOT", "REMOTE_PORT", "SERVER_ADDR", "REQUEST_SCHEME",
]

/// One row of the header-mapping table: request fields in, the HTTP_* variables (besides HTTP_HOST) out.
struct HeaderMappingCase: Sendable, CustomTestStringConvertible {
    let fields: [String]
    let expected: [String]
    var authRealm: String? = nil
    var testDescription: String { fields.joined(separator: " + ") + " → " + expected.joined(separator: ", ") }
}

@Suite struct CGIEnvironmentTests {
    @Test func getRequestSetsEveryMetaVariable() throws {
        let request = try routed("GET /cgi-bin/app.py/users/7?a=1&b=%20c HTTP/1.1",
                                 ["Host: example.com:8080", "Accept: */*"])
        let env = dictionary(try environment(request).variables())
        #expect(env == [
            "AUTH_TYPE": "",
            "CONTENT_LENGTH": "",
            "CONTENT_TYPE": "",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "PATH_INFO": "/cgi-bin/app.py/users/7",
            "PATH_TRANSLATED": "/srv/www/cgi-bin/app.py/users/7",
            "QUERY_STRING": "a=1&b=%20c",
            "REMOTE_ADDR": "192.0.2.7",
            "REMOTE_IDENT": "",
            "REMOTE_USER": "",
            "REQUEST_METHOD": "GET",
            "REQUEST_URI": "/cgi-bin/app.py/users/7?a=1&b=%20c",
            "SCRIPT_NAME": "/cgi-bin/app.py",
            "SERVER_NAME": "example.com",
            "SERVER_PORT": "8080",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "webserv",
            "SCRIPT_FILENAME": "/srv/www/cgi-bin/app.py",
            "REDIRECT_STATUS": "200",
            "DOCUMENT_ROOT": "/srv/www/",
            "REMOTE_PORT": "54321",
            "SERVER_ADDR": "127.0.0.1",
            "REQUEST_SCHEME": "http",
            "PATH": "/usr/bin:/bin",
            "HTTP_HOST": "example.com:8080",
            "HTTP_ACCEPT": "*/*",
        ])
    }

    @Test func metaVariablesComeFirstInAFixedOrder() throws {
        let request = try routed("GET /a.php HTTP/1.1", ["Host: h", "Zed: 1"])
        let names = try environment(request, searchPath: nil).variables().map { String($0.prefix { $0 != "=" }) }
        #expect(Set(names.prefix(metaVariables.count)) == metaVariables)
        #expect(names.dropFirst(metaVariables.count) == ["HTTP_HOST", "HTTP_ZED"])
    }

    /// PATH_INFO per `cgi_path_info`: the full decoded path (the brief), or what follows the script (RFC 3875).
    @Test(arguments: [
        (Location.CGIPathInfo.fullPath, "/cgi-bin/app.py/users/7", "/cgi-bin/app.py/users/7",
         "/srv/www/cgi-bin/app.py/users/7"),
        (.fullPath, "/app.py", "/app.py", "/srv/www/app.py"),
        (.fullPath, "/my%20dir/app.py/x%3Fy", "/my dir/app.py/x?y", "/srv/www/my dir/app.py/x?y"),
        (.extra, "/cgi-bin/app.py/users/7", "/users/7", "/srv/www/users/7"),
        (.extra, "/cgi-bin/app.py/", "/", "/srv/www/"),
        (.extra, "/cgi-bin/app.py/%C3%A9t%C3%A9", "/été", "/srv/www/été"),
        // RFC 3875 §4.1.6: no PATH_INFO, no PATH_TRANSLATED.
        (.extra, "/cgi-bin/app.py", "", ""),
        (.extra, "/cgi-bin/app.py?q=/x", "", ""),
    ])
    func pathInfoFollowsTheLocationsMode(_ mode: Location.CGIPathInfo, _ target: String, _ pathInfo: String,
                                         _ translated: String) throws {
        let request = try routed("GET \(target) HTTP/1.1", location: cgiLocation(pathInfo: mode))
        let script = try #require(CGIScript.find(in: request.target.path, location: request.location))
        let env = dictionary(CGIEnvironment(request: request, script: script, remoteAddress: "::1", remotePort: 1,
                                            serverAddress: "::1", serverPort: 2, serverName: "h", bodyLength: nil,
                                            documentRoot: "/srv/www").variables())
        #expect(env["PATH_INFO"] == pathInfo)
        #expect(env["PATH_TRANSLATED"] == translated)
        #expect(env["SCRIPT_NAME"]?.hasSuffix("app.py") == true)
    }

    /// Behind a proxy that ended TLS and named the client without its port (X-Forwarded-For).
    @Test func clientOverTLSWithoutPortSetsHTTPSAndAnEmptyPort() throws {
        let request = try routed("GET /a.py HTTP/1.1")
        let script = try #require(CGIScript.find(in: request.target.path, location: request.location))
        let env = dictionary(CGIEnvironment(request: request, script: script, remoteAddress: "203.0.113.9",
                                            remotePort: 0, https: true, serverAddress: "::1", serverPort: 2,
                                            serverName: "h", bodyLength: nil, documentRoot: "/srv/www").variables())
        #expect(env["HTTPS"] == "on")
        #expect(env["REQUEST_SCHEME"] == "https")
        #expect(env["REMOTE_ADDR"] == "203.0.113.9")
        #expect(env["REMOTE_PORT"] == "")
        #expect(dictionary(try environment(request).variables())["HTTPS"] == nil)
    }

    @Test func postBodyGivesLengthAndType() throws {
        let request = try routed("POST /form.php HTTP/1.1",
                                 ["Host: h", "Transfer-Encoding: chunked",
                                  "Content-Type: application/x-www-form-urlencoded"])
        let env = dictionary(try environment(request, bodyLength: 11).variables())
        #expect(env["REQUEST_METHOD"] == "POST")
        #expect(env["CONTENT_LENGTH"] == "11")
        #expect(env["CONTENT_TYPE"] == "application/x-www-form-urlencoded")
        // The script reads the de-chunked body: nothing tells it the client chunked it.
        #expect(env["HTTP_TRANSFER_ENCODING"] == nil)
        #expect(env["HTTP_CONTENT_TYPE"] == nil)
        #expect(env["HTTP_CONTENT_LENGTH"] == nil)
    }

    @Test func emptyBodySaysZero() throws {
        let request = try routed("POST /form.php HTTP/1.1", ["Host: h", "Content-Length: 0"])
        let env = dictionary(try environment(request, bodyLength: 0).variables())
        #expect(env["CONTENT_LENGTH"] == "0")
        #expect(env["HTTP_CONTENT_LENGTH"] == nil)
    }

    @Test func authenticatedUserIsPassedOn() throws {
        let request = try routed("GET /a.php HTTP/1.1", location: cgiLocation(authRealm: "Staff"))
        let env = dictionary(try environment(request, authType: "Basic", remoteUser: "ada").variables())
        #expect(env["AUTH_TYPE"] == "Basic")
        #expect(env["REMOTE_USER"] == "ada")
    }

    @Test func http10AndUnknownMethodsAreReportedAsSent() throws {
        let request = try routed("BREW /pot.php HTTP/1.0", [])
        let env = dictionary(try environment(request).variables())
        #expect(env["SERVER_PROTOCOL"] == "HTTP/1.0")
        #expect(env["REQUEST_METHOD"] == "BREW")
    }

    @Test func onlyPathIsInherited() throws {
        let request = try routed("GET /a.php HTTP/1.1")
        #expect(dictionary(try environment(request, searchPath: "/opt/bin").variables())["PATH"] == "/opt/bin")
        #expect(dictionary(try environment(request, searchPath: nil).variables())["PATH"] == nil)
        // A header named like a meta-variable gets its HTTP_ prefix and cannot replace the real one.
        let spoof = try routed("GET /a.php HTTP/1.1", ["Host: h", "Path: /evil", "Gateway-Interface: x"])
        let env = dictionary(try environment(spoof, searchPath: "/usr/bin").variables())
        #expect(env["PATH"] == "/usr/bin")
        #expect(env["HTTP_PATH"] == "/evil")
        #expect(env["GATEWAY_INTERFACE"] == "CGI/1.1")
        #expect(env["HTTP_GATEWAY_INTERFACE"] == "x")
    }

    static let headerCases: [HeaderMappingCase] = [
        HeaderMappingCase(fields: ["Accept-Language: fr"], expected: ["HTTP_ACCEPT_LANGUAGE=fr"]),
        HeaderMappingCase(fields: ["x-custom: a", "X-CUSTOM: b", "X-Custom: c"], expected: ["HTTP_X_CUSTOM=a, b, c"]),
        HeaderMappingCase(fields: ["Cookie: a=1", "Accept: x", "cookie: b=2"],
                          expected: ["HTTP_COOKIE=a=1; b=2", "HTTP_ACCEPT=x"]),
        HeaderMappingCase(fields: ["X-Empty:"], expected: ["HTTP_X_EMPTY="]),
        HeaderMappingCase(fields: ["X-Eq: a=b=c"], expected: ["HTTP_X_EQ=a=b=c"]),
        HeaderMappingCase(fields: ["Dnt: 1", "Sec-Fetch-Mode: cors"], expected: ["HTTP_DNT=1", "HTTP_SEC_FETCH_MODE=cors"]),
        // httpoxy: never HTTP_PROXY, in any spelling.
        HeaderMappingCase(fields: ["Proxy: http://evil:1", "proxy: x"], expected: []),
        HeaderMappingCase(fields: ["Proxy-Authorization: x"], expected: ["HTTP_PROXY_AUTHORIZATION=x"]),
        // Names outside [A-Za-z0-9-] are dropped: "_" would pose as "-".
        HeaderMappingCase(fields: ["X-Forwarded-For: 1.1.1.1", "X_Forwarded_For: 6.6.6.6"],
                          expected: ["HTTP_X_FORWARDED_FOR=1.1.1.1"]),
        HeaderMappingCase(fields: ["X.Dot: 1", "X!Bang: 2", "X~: 3", "X|Y: 4"], expected: []),
        HeaderMappingCase(fields: ["Content-Type: text/plain", "Content-Length: 3", "Transfer-Encoding: chunked"],
                          expected: []),
        // The script authenticates where webserv does not; where webserv does, the password stays here.
        HeaderMappingCase(fields: ["Authorization: Basic YTpi"], expected: ["HTTP_AUTHORIZATION=Basic YTpi"]),
        HeaderMappingCase(fields: ["Authorization: Basic YTpi"], expected: [], authRealm: "Staff"),
    ]

    @Test(arguments: headerCases)
    func requestHeadersBecomeHTTPVariables(_ row: HeaderMappingCase) throws {
        let location = cgiLocation(authRealm: row.authRealm)
        let request = try routed("POST /a.php HTTP/1.1", ["Host: h"] + row.fields, location: location)
        let variables = try environment(request, bodyLength: 3).variables()
        _ = dictionary(variables)
        let http = variables.filter { $0.hasPrefix("HTTP_") && !$0.hasPrefix("HTTP_HOST=") }
        #expect(http == row.expected)
    }

    @Test(arguments: [
        ("Host", "HTTP_HOST"), ("user-agent", "HTTP_USER_AGENT"), ("X-1-Z", "HTTP_X_1_Z"),
        ("X_Y", nil), ("X.Y", nil), ("", nil), ("Ünï", nil), ("X Y", nil),
    ] as [(String, String?)])
    func headerNamesMapToVariableNames(_ header: String, _ variable: String?) {
        #expect(CGIEnvironment.variableName(forHeader: header) == variable)
    }

    @Test(arguments: [
        ("GET /a.php HTTP/1.1", ["Host: example.com:8080"], "example.com"),
        ("GET /a.php HTTP/1.1", ["Host: Example.com"], "Example.com"),
        ("GET /a.php HTTP/1.1", ["Host: [::1]:8080"], "[::1]"),
        ("GET /a.php HTTP/1.1", ["Host: [::1]"], "[::1]"),
        ("GET http://other.org:81/a.php HTTP/1.1", ["Host: example.com"], "other.org"),
        ("GET /a.php HTTP/1.0", [], "first.example"),
    ])
    func serverNameIsTheRequestedHostWithoutPort(_ line: String, _ fields: [String], _ expected: String) throws {
        let server = VirtualServer(listens: [], names: ["*.example", "first.example"], locations: [])
        let request = try routed(line, fields, server: server)
        #expect(CGIEnvironment.serverName(for: request, localAddress: "10.0.0.1") == expected)
    }

    @Test func serverNameFallsBackToTheLocalAddress() throws {
        let server = VirtualServer(listens: [], names: ["*.example"], locations: [])
        let request = try routed("GET /a.php HTTP/1.0", [], server: server)
        #expect(CGIEnvironment.serverName(for: request, localAddress: "10.0.0.1") == "10.0.0.1")
    }

    @Test func documentRootIsTheLocationsRootOrAlias() {
        #expect(CGIEnvironment.documentRoot(of: Location(match: .prefix("/"), source: .root("/srv/www"))) == "/srv/www")
        #expect(CGIEnvironment.documentRoot(of: Location(match: .prefix("/k/"), source: .alias("/tmp/k/"))) == "/tmp/k/")
    }
}
