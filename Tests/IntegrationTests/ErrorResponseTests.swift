import Foundation
import Testing

extension Integration {
    @Suite struct ErrorResponses {
        /// Checks what every error response must have: the status, an HTML page whose length is exact
        /// (`exchange` sees nothing after it), and the server's name.
        static func expectErrorPage(_ response: HTTPResponse, _ status: Int,
                                    sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
            #expect(response.header("Content-Type") == "text/html; charset=utf-8", sourceLocation: sourceLocation)
            #expect(response.header("Server") == "webserv", sourceLocation: sourceLocation)
            #expect(response.text.contains(String(status)), "the page does not name \(status)", sourceLocation: sourceLocation)
        }

        @Test func missingFileGetsTheBuiltInNotFoundPage() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/no-such-file.txt")
            Self.expectErrorPage(response, 404)
            #expect(response.reason == "Not Found")
            #expect(!response.text.contains("custom not found"))
        }

        @Test func customErrorPageIsServedWithTheOriginalStatus() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/custom/missing.html")
            #expect(response.status == 404)
            #expect(response.text == "<h1>custom not found</h1>\n")
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        }

        @Test func customErrorPageKeepsTheAllowHeaderOf405() throws {
            let site = try StaticFixture.makeSite()
            try site.write("errors/405.html", "<h1>custom not allowed</h1>\n")
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    error_page 405 /errors/405.html;
                }
                """, site: site)
            defer { server.stop() }
            let response = try server.exchange("POST /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(response.status == 405)
            #expect(response.text == "<h1>custom not allowed</h1>\n")
            #expect(response.tokens("Allow") == ["GET", "HEAD"])
        }

        @Test(arguments: ["/hello.txt", "/missing.txt", "/dir", "/dir/", "/listing/"])
        func postWhereOnlyGetAndHeadAreAllowedIs405WithAllow(path: String) throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
            Self.expectErrorPage(response, 405)
            #expect(response.tokens("Allow") == ["GET", "HEAD"])
        }

        @Test(arguments: ["DELETE", "PUT", "OPTIONS"])
        func otherKnownMethodsAre405(method: String) throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("\(method) /hello.txt HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            Self.expectErrorPage(response, 405)
            #expect(response.tokens("Allow") == ["GET", "HEAD"])
            #expect(FileManager.default.fileExists(atPath: site.docroot + "/hello.txt"))
        }

        @Test func headIsRefusedWhereOnlyGetIsListed() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/getonly/file.txt", method: "HEAD")
            #expect(response.status == 405)
            #expect(response.tokens("Allow") == ["GET"])
            #expect(try server.get("/getonly/file.txt").status == 200)
        }

        @Test(arguments: ["FOO", "BREW", "get"])
        func unknownMethodIs501(method: String) throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("\(method) /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            Self.expectErrorPage(response, 501)
        }

        @Test func requestLineOver8KiBIs414() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            Self.expectErrorPage(response, 414)
        }

        @Test func requestLineJustUnder8KiBIsNot414() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let line = "GET /hello.txt?\(String(repeating: "q", count: 8000)) HTTP/1.1"
            let response = try server.exchange("\(line)\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.hello)
        }

        @Test func headerLineOver8KiBIs431() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("GET / HTTP/1.1\r\nHost: a\r\nX-Long: \(String(repeating: "b", count: 9000))\r\nConnection: close\r\n\r\n")
            Self.expectErrorPage(response, 431)
        }

        @Test func moreThan100HeaderFieldsIs431() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let fields = (0..<120).map { "X-Field-\($0): v\r\n" }.joined()
            let response = try server.exchange("GET / HTTP/1.1\r\nHost: a\r\n\(fields)Connection: close\r\n\r\n")
            Self.expectErrorPage(response, 431)
        }

        @Test func headerSectionOver32KiBIs431() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let value = String(repeating: "c", count: 1000)
            let fields = (0..<40).map { "X-Field-\($0): \(value)\r\n" }.joined()
            let response = try server.exchange("GET / HTTP/1.1\r\nHost: a\r\n\(fields)Connection: close\r\n\r\n")
            Self.expectErrorPage(response, 431)
        }

        @Test(arguments: [
            "GARBAGE\r\n\r\n",
            "GET / FOO/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.x\r\nHost: a\r\n\r\n",
            "GET nopath HTTP/1.1\r\nHost: a\r\n\r\n",
            "GET / HTTP/1.1\r\nNoColonHere\r\n\r\n",
            "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
            "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        ])
        func malformedRequestIs400(request: String) throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send(request)
            let response = try client.readResponse()
            Self.expectErrorPage(response, 400)
        }

        @Test(arguments: ["/%00", "/hello.txt%00.html", "/%zz", "/%4", "/a%"])
        func badPercentEncodingIs400(path: String) throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get(path)
            Self.expectErrorPage(response, 400)
        }

        @Test func http11WithoutHostIs400() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("GET /hello.txt HTTP/1.1\r\nConnection: close\r\n\r\n")
            Self.expectErrorPage(response, 400)
        }

        @Test func twoHostHeadersAre400() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("GET /hello.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n")
            Self.expectErrorPage(response, 400)
        }

        @Test func oneLeadingEmptyLineIsIgnored() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("\r\nGET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.hello)
        }

        @Test(arguments: ["HTTP/2.0", "HTTP/3.0", "HTTP/9.9"])
        func unsupportedHTTPVersionIs505(version: String) throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET / \(version)\r\nHost: a\r\n\r\n")
            let response = try client.readResponse()
            Self.expectErrorPage(response, 505)
        }

        @Test(arguments: [
            "/../../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/..%2f..%2fetc/passwd",
            "/a/..\\..\\etc/passwd",
            "/%2E%2E/%2E%2E/%2E%2E/etc/passwd",
            "/dir/../../../../etc/passwd",
            "/..%5c..%5cetc/passwd",
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "/..\\secret.txt",
            "/dir/%2e%2e/%2e%2e/secret.txt",
            "/./../secret.txt",
        ])
        func traversalNeverLeavesTheRoot(path: String) throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            try site.write("secret.txt", "TOP-SECRET-OUTSIDE-THE-ROOT\n", inDocroot: false)
            let passwd = FileManager.default.contents(atPath: "/etc/passwd").map { [UInt8]($0) } ?? []
            let firstPasswdLine = Array(passwd.prefix { $0 != 10 })

            let client = try server.connect()
            try client.send("GET \(path) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect([400, 404].contains(response.status), "\(path) answered \(response.status)")
            #expect(!response.text.contains("TOP-SECRET"), "\(path) served a file outside the root")
            #expect(firstPasswdLine.isEmpty || !response.body.contains(firstPasswdLine), "\(path) served /etc/passwd")
        }
    }
}
