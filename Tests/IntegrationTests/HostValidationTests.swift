import Foundation
import Testing

extension Integration {
    /// RFC 9112 §3.2: a Host (or absolute-form authority) that is not `host [":" port]` is a 400, before it can
    /// reach routing, the access log or a script's SERVER_NAME. nginx is laxer; the RFC is the reference here.
    @Suite struct HostValidation {
        static let refused = ["a b/c", "../../etc", "evil.example/x", "user@host", "localhost:abc", "[::1", ""]

        @Test(arguments: refused)
        func invalidHostIsBadRequestAndNoScriptRuns(_ host: String) throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("GET /cgi-bin/env.py HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
            Integration.ErrorResponses.expectErrorPage(response, 400)
            #expect(!response.text.contains("SERVER_NAME"))
        }

        @Test(arguments: ["http://user@host/hello.txt", "http://evil.example\\x/hello.txt", "http://[::1/hello.txt",
                          "http://h:abc/hello.txt"])
        func invalidAbsoluteFormAuthorityIsBadRequest(_ target: String) throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("GET \(target) HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            Integration.ErrorResponses.expectErrorPage(response, 400)
        }

        @Test(arguments: [("_", "_"), ("example.test.", "example.test."), ("host:", "host"),
                          ("[::1]:8080", "[::1]")])
        func unusualValidHostReachesTheScript(_ host: String, _ serverName: String) throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("GET /cgi-bin/env.py HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
            #expect(response.status == 200)
            let (environment, _) = CGIFixture.parseEnvironment(response.text)
            #expect(environment["SERVER_NAME"] == serverName)
        }
    }
}
