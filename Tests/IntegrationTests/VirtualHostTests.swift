import Foundation
import Testing

extension Integration {
    @Suite struct VirtualHosts {
        static func start() throws -> (TestSite, Webserv) {
            let site = try TestSite()
            for name in ["alpha", "beta", "gamma"] {
                try site.write("\(name)/index.html", "<h1>\(name)</h1>\n")
                try site.write("\(name)/only-\(name).txt", "\(name) file\n")
            }
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    server_name alpha.test;
                    root @ROOT@/alpha;
                }
                server {
                    listen 127.0.0.1:@PORT@;
                    server_name beta.test www.beta.test;
                    root @ROOT@/beta;
                }
                server {
                    listen 127.0.0.1:@PORT@;
                    server_name *.gamma.test;
                    root @ROOT@/gamma;
                }
                """, site: site)
            return (site, server)
        }

        @Test(arguments: [
            ("alpha.test", "alpha"),
            ("beta.test", "beta"),
            ("www.beta.test", "beta"),
            ("BETA.Test", "beta"),
            ("beta.test:8080", "beta"),
            ("www.gamma.test", "gamma"),
            ("unknown.test", "alpha"),
            ("127.0.0.1", "alpha"),
        ])
        func hostHeaderChoosesTheServer(host: String, expected: String) throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/", host: host)
            #expect(response.status == 200)
            #expect(response.text == "<h1>\(expected)</h1>\n")
        }

        @Test func eachHostSeesOnlyItsOwnRoot() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            #expect(try server.get("/only-beta.txt", host: "beta.test").text == "beta file\n")
            #expect(try server.get("/only-beta.txt", host: "alpha.test").status == 404)
            #expect(try server.get("/only-alpha.txt", host: "beta.test").status == 404)
        }

        @Test func absoluteFormTargetChoosesTheServerOverHost() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            // RFC 9112 §3.2.2: the target's authority wins over the Host field.
            let response = try server.exchange("GET http://beta.test/ HTTP/1.1\r\nHost: alpha.test\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "<h1>beta</h1>\n")
        }

        @Test func keepAliveConnectionRoutesEachRequestByItsOwnHost() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET / HTTP/1.1\r\nHost: beta.test\r\n\r\nGET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n")
            #expect(try client.readResponse().text == "<h1>beta</h1>\n")
            #expect(try client.readResponse().text == "<h1>alpha</h1>\n")
        }
    }
}
