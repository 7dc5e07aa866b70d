import Foundation
import Testing

extension Integration {
    /// `/dir` where only `location /dir/ { }` exists is redirected to `dir/`: 301 for GET and HEAD, 308 for
    /// the rest so a POST stays a POST.
    @Suite struct SlashRedirects {
        static let config = """
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location /app/ { alias @DIR@/app/; allow_methods GET HEAD POST; }
                location "/a b/" { alias @DIR@/app/; }
                location /docs/api/ { alias @DIR@/app/; }
                location /there/ { alias @DIR@/app/; }
            }
            """

        static func start() throws -> (TestSite, Webserv) {
            let site = try TestSite()
            try site.write("app/index.html", "<p>app</p>\n", inDocroot: false)
            try site.write("there", "a file named there\n")
            return (site, try Webserv.start(config, site: site))
        }

        @Test func getAndHeadAre301ToTheSlashedLocationKeepingTheQuery() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            for (path, target) in [("/app", "app/"), ("/app?x=1&y=%20", "app/?x=1&y=%20"), ("/a%20b", "a%20b/"),
                                   ("/docs/api", "api/")] {
                let response = try server.get(path)
                #expect(response.status == 301, "\(path)")
                #expect(response.header("Location") == target, "\(path)")
                #expect(response.header("Content-Type") == "text/html; charset=utf-8")
                #expect(response.text.contains("<h1>301 Moved Permanently</h1>"), "\(path)")
                let head = try server.get(path, method: "HEAD")
                #expect(head.status == 301 && head.header("Location") == target, "HEAD \(path)")
            }
            #expect(try server.get("/app/").text == "<p>app</p>\n", "the target serves the location")
        }

        @Test func postIs308SoItStaysAPost() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("POST /app?q=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
                + "Connection: close\r\n\r\nabc")
            #expect(response.status == 308)
            #expect(response.header("Location") == "app/?q=1")
        }

        @Test func whatExistsUnderTheRootOrHasNoLocationIsNotRedirected() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let file = try server.get("/there")
            #expect(file.status == 200)
            #expect(file.text == "a file named there\n")
            #expect(try server.get("/nothing").status == 404)
            #expect(try server.get("/docs").status == 404, "only a location one slash longer")
            #expect(try server.get("/ap").status == 404)
        }
    }
}
