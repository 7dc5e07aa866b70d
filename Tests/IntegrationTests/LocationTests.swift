import Foundation
import Testing

extension Integration {
    /// Which location answers, and where it takes its files from.
    @Suite struct Locations {
        static func start() throws -> (TestSite, Webserv) {
            let site = try TestSite()
            try site.write("index.html", "main root\n")
            try site.write("a/file.txt", "under /a/ in the main root\n")
            try site.write("a/b/file.txt", "under /a/b/ in the main root\n")
            try site.write("exact.txt", "exact from the main root\n")
            try site.write("aliased/pouic/toto", "toto via alias\n", inDocroot: false)
            try site.write("pics/images/photo.txt", "photo via location root\n", inDocroot: false)
            try site.write("single/only.txt", "one file via exact alias\n", inDocroot: false)
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    location /kapouet { alias @DIR@/aliased; }
                    location /slash { alias @DIR@/aliased/; }
                    location /images/ { root @DIR@/pics; }
                    location /a/ { allow_methods GET HEAD POST; }
                    location /a/b/ { allow_methods GET; }
                    location = /exact.txt { alias @DIR@/single/only.txt; }
                }
                """, site: site)
            return (site, server)
        }

        @Test func aliasReplacesTheLocationPrefix() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/kapouet/pouic/toto")
            #expect(response.status == 200)
            #expect(response.text == "toto via alias\n")
        }

        @Test func rootInALocationAppendsTheWholeURI() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/images/photo.txt")
            #expect(response.status == 200)
            #expect(response.text == "photo via location root\n")
        }

        @Test func longestPrefixWins() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            // /a/ allows HEAD, /a/b/ does not: which one answers shows which location was chosen.
            #expect(try server.get("/a/file.txt", method: "HEAD").status == 200)
            let inner = try server.get("/a/b/file.txt", method: "HEAD")
            #expect(inner.status == 405)
            #expect(inner.tokens("Allow") == ["GET"])
            #expect(try server.get("/a/b/file.txt").text == "under /a/b/ in the main root\n")
        }

        @Test func exactLocationWinsAndMayAliasAFile() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/exact.txt")
            #expect(response.status == 200)
            #expect(response.text == "one file via exact alias\n")
        }

        @Test(arguments: [
            "/kapouet/../pics/images/photo.txt",
            "/kapouet/%2e%2e/pics/images/photo.txt",
            "/kapouet/..%2fpics/images/photo.txt",
            "/kapouet../pics/images/photo.txt",
            // nginx's classic off-by-slash: prefix without a slash, alias with one.
            "/slash../pics/images/photo.txt",
            "/slash/../../pics/images/photo.txt",
        ])
        func aliasCannotBeClimbedOutOf(path: String) throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET \(path) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect([400, 404].contains(response.status), "\(path) answered \(response.status)")
            #expect(response.text != "photo via location root\n", "\(path) climbed out of the alias")
        }
    }
}
