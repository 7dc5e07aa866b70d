import Testing
@testable import Server

/// The directives of running a server for real: `pid`, `stub_status`, `cgi_status`, `gzip_static`.
@Suite struct OperationsConfigTests {
    private func location(_ path: String, _ text: String) throws -> Location {
        let config = try parse(text)
        return try #require(config.servers[0].locations.first { $0.path == path })
    }

    @Test func pidIsATopLevelPathResolvedAgainstTheConfigDirectory() throws {
        #expect(try parse("pid run/webserv.pid;\nserver { }").pidFile == "/etc/webserv/run/webserv.pid")
        #expect(try parse("pid /run/w.pid;\nserver { }").pidFile == "/run/w.pid")
        #expect(try parse("server { }").pidFile == nil)
        #expect(refusal("server { pid /x; }") == #"/etc/webserv/test.conf:1: "pid" directive is not allowed here"#)
        #expect(refusal("pid /a;\npid /b;\nserver { }") == #"/etc/webserv/test.conf:2: "pid" directive is duplicate"#)
        #expect(refusal("pid;\nserver { }")
                == #"/etc/webserv/test.conf:1: invalid number of arguments in "pid" directive"#)
    }

    @Test func statusPagesAreSetPerLocationAndInherited() throws {
        let text = "server {\n location = /s { stub_status; }\n location = /c { cgi_status; }\n location /f { }\n}"
        #expect(try location("/s", text).statusPage == .stub)
        #expect(try location("/c", text).statusPage == .cgi)
        #expect(try location("/f", text).statusPage == nil)
        #expect(try location("/", "server { stub_status; }").statusPage == .stub)
        #expect(refusal("server { location /s { stub_status on; } }")
                == #"/etc/webserv/test.conf:1: invalid number of arguments in "stub_status" directive"#)
        #expect(refusal("stub_status;\nserver { }")
                == #"/etc/webserv/test.conf:1: "stub_status" directive is not allowed here"#)
    }

    @Test func gzipStaticIsAFlagAtServerAndLocationLevel() throws {
        let text = "server {\n gzip_static on;\n location /a { }\n location /b { gzip_static off; }\n}"
        #expect(try location("/a", text).gzipStatic)
        #expect(try !location("/b", text).gzipStatic)
        #expect(try !location("/", "server { }").gzipStatic)
        #expect(refusal("server { gzip_static yes; }") == "/etc/webserv/test.conf:1: invalid value \"yes\" in "
                + "\"gzip_static\" directive, it must be \"on\" or \"off\"")
        #expect(refusal("gzip_static on;\nserver { }")
                == #"/etc/webserv/test.conf:1: "gzip_static" directive is not allowed here"#)
    }
}

/// Accept-Encoding as `gzip_static` reads it (RFC 9110 §12.5.3).
@Suite struct GzipNegotiationTests {
    static let cases: [(field: String?, accepts: Bool)] = [
        (nil, false), ("", false), ("gzip", true), ("x-gzip", true), ("Gzip;Q=0.5", true), ("gzip;q=0", false),
        ("gzip;q=0.0", false), ("*", true), ("*;q=0", false), ("gzip;q=0, *", false), ("*;q=0, gzip", true),
        ("br, deflate", false), ("identity", false), ("br;q=1.0, gzip;q=0.001", true), ("gzip;q=2", false),
        ("gzip;q=abc", false),
    ]

    @Test(arguments: cases)
    func gzipNeedsAPositiveWeight(field: String?, accepts: Bool) {
        var headers = Headers()
        if let field { headers.append(name: "Accept-Encoding", value: field) }
        #expect(GzipNegotiation.accepts(headers) == accepts)
    }
}
