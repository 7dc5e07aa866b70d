import Foundation
import Testing

extension Integration {
    /// Methods beyond GET: POST where nothing consumes the body, OPTIONS, unknown methods, `return`.
    @Suite struct Methods {
        @Test func postToAStaticLocationIsAnsweredAsAGet() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let get = try server.get("/static/page.html")
            let post = try server.exchange("POST /static/page.html HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: 11\r\nConnection: close\r\n\r\nname=value!")
            #expect(post.status == 200)
            #expect(post.body == get.body)
            #expect(post.header("Content-Type") == get.header("Content-Type"))
            #expect(post.body == [UInt8]("<p>static page</p>\n"))
            #expect(site.storeEntries() == ["sub"])
        }

        @Test func postBodyIsDiscardedAndTheConnectionKeptAlive() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            // A length body, a chunked body, then a GET: each answered in order on one connection.
            try client.send("POST /static/page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nGET /"
                + "POST /static/page.html HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\nGET\r\n0\r\n\r\n"
                + "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n")
            for expected in ["<p>static page</p>\n", "<p>static page</p>\n", "<h1>index</h1>\n"] {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == expected)
            }
            #expect(client.readUntilClosed(timeout: 0.5) == ([], false), "the connection should stay open")
        }

        @Test func postToAMissingStaticResourceIs404() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("POST /static/missing.html HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc")
            #expect(response.status == 404)
        }

        @Test func postWithoutBodyToAStaticLocation() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("POST /static/page.html HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "<p>static page</p>\n")
        }

        @Test func optionsListsTheAllowedMethods() throws {
            let site = try TestSite()
            try site.write("index.html", "x")
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    location / { allow_methods GET HEAD OPTIONS; }
                    location /up/ { allow_methods GET POST PUT DELETE OPTIONS; upload_store @DIR@; }
                }
                """, site: site)
            defer { server.stop() }
            let root = try server.get("/index.html", method: "OPTIONS")
            #expect(root.status == 204)
            #expect(root.tokens("Allow") == ["GET", "HEAD", "OPTIONS"])
            let up = try server.get("/up/", method: "OPTIONS")
            #expect(up.status == 204)
            #expect(up.tokens("Allow") == ["GET", "POST", "PUT", "DELETE", "OPTIONS"])
        }

        @Test func unknownMethodIs501AndTraceIs405() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            #expect(try server.get("/index.html", method: "BREW").status == 501)
            let trace = try server.get("/uploads/", method: "TRACE")
            #expect(trace.status == 405)
            #expect(trace.tokens("Allow") == ["GET", "HEAD", "POST", "PUT", "DELETE"])
        }

        // MARK: return

        @Test(arguments: [
            ("/r301", 301, "/index.html"),
            ("/r302", 302, "https://example.com/elsewhere?x=1"),
            ("/r303", 303, "/see-other"),
            ("/r307", 307, "../other"),
            ("/r308", 308, "/permanent"),
            ("/r301/deeper/path?q=1", 301, "/index.html"),
        ])
        func returnRedirectsWithLocationAsWritten(path: String, status: Int, location: String) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get(path)
            #expect(response.status == status, "\(path)")
            #expect(response.header("Location") == location, "\(path)")
            #expect(response.headerValues("Location").count == 1)
            // A redirect wins over the method check and over any body (RFC 9110 §15.4: 307/308 keep the method).
            let post = try server.exchange("POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody")
            #expect(post.status == status)
            #expect(post.header("Location") == location)
        }

        @Test func returnWithCurlFollowsToTheTarget() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let result = try Curl.run(["-L", "http://127.0.0.1:\(server.port)/r301"], in: site)
            #expect(result.status == 200)
            #expect(result.body == [UInt8]("<h1>index</h1>\n"))
        }

        @Test func returnWithTextAnswersTheText() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/text")
            #expect(response.status == 200)
            #expect(response.text == "plain words from return")
            #expect(response.header("Content-Type")?.hasPrefix("text/plain") == true)
            #expect(response.header("Content-Length") == "23")
            #expect(response.header("Location") == nil)
            let head = try server.get("/text", method: "HEAD")
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "23")
        }

        @Test func returnWithOnlyAnErrorCodeAnswersItsErrorPage() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/gone")
            #expect(response.status == 410)
            #expect(response.text.contains("410"))
        }
    }
}
