import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Several instances on one port (`listen ... reuseport`), and the client's real address behind a proxy:
    /// the PROXY protocol header (`listen ... proxy_protocol`) or X-Forwarded-For, believed only from
    /// `set_real_ip_from`, reaching the access log, CGI and `limit_conn_per_client`.
    @Suite struct ClientAddress {
        /// A CGI that says whom it serves and which webserv started it.
        static func site() throws -> TestSite {
            let site = try TestSite()
            try site.write("a.html", "hello")
            try site.write("who.py", #"""
                import os
                e = os.environ
                print("Content-Type: text/plain\r\n\r\n", end="")
                print("%s %s %s %d" % (e["REMOTE_ADDR"], e["REMOTE_PORT"] or "-", e.get("HTTPS", "-"), os.getppid()), end="")
                """#)
            return site
        }

        static func config(_ top: String, listen: String = "") -> String {
            """
            access_log @DIR@/access.log;
            \(top)
            server { listen 127.0.0.1:@PORT@ \(listen); root @ROOT@; cgi .py /usr/bin/python3; }
            """
        }

        static let request = "GET /who.py HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

        /// `who.py`'s answer after `prefix` (a PROXY header), as "address port https ppid".
        static func who(_ server: Webserv, prefix: [UInt8] = [], fields: String = "") throws -> [String] {
            let client = try server.connect()
            defer { client.close() }
            try client.send(prefix + [UInt8]("GET /who.py HTTP/1.1\r\nHost: x\r\n\(fields)Connection: close\r\n\r\n".utf8))
            let response = try client.readResponse()
            #expect(response.status == 200)
            return response.text.split(separator: " ").map(String.init)
        }

        static func v2(source: [UInt8], port: UInt16, tlvs: [UInt8] = []) -> [UInt8] {
            let body = source + [127, 0, 0, 1, UInt8(port >> 8), UInt8(port & 0xFF), 0, 80] + tlvs
            return [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21, 0x11, 0,
                    UInt8(body.count)] + body
        }

        @Test func reuseportLetsTwoInstancesShareAPortAndTheKernelSpreadsClients() throws {
            let site = try Self.site()
            let first = try Webserv.start(Self.config("", listen: "reuseport"), site: site)
            defer { first.stop() }
            let second = try Webserv.start(Self.config("", listen: "reuseport"), site: site, configName: "b.conf",
                                           port: first.port)
            defer { second.stop() }
            var seen: Set<String> = []
            for _ in 0..<40 { seen.insert(try Self.who(first).last ?? "") }
            #expect(seen == [String(first.pid), String(second.pid)], "served by \(seen)")
        }

        @Test func withoutReuseportASecondInstanceCannotBind() throws {
            let site = try Self.site()
            let first = try Webserv.start(Self.config(""), site: site)
            defer { first.stop() }
            #expect(throws: HarnessError.self) {
                _ = try Webserv.start(Self.config(""), site: site, configName: "b.conf", port: first.port)
            }
        }

        @Test func proxyHeaderNamesTheClientToTheLogAndCGI() throws {
            let site = try Self.site()
            let server = try Webserv.start(Self.config("set_real_ip_from 127.0.0.1;\nreal_ip_header proxy_protocol;",
                                                       listen: "proxy_protocol"), site: site)
            defer { server.stop() }
            // v1, split inside the header; the request follows in the same segment as the header's end.
            let client = try server.connect()
            try client.send("PROXY TCP4 203.0.113.9 127.0.0.1 4444 80\r")
            usleep(50_000)
            try client.send("\n" + Self.request)
            let response = try client.readResponse()
            client.close()
            #expect(response.text.hasPrefix("203.0.113.9 4444 - "), "\(response.text)")
            // v2 with TLS ended at the proxy (PP2_TYPE_SSL, client bit set).
            let tls: [UInt8] = [0x20, 0, 5, 0x01, 0, 0, 0, 0]
            #expect(try Self.who(server, prefix: Self.v2(source: [198, 51, 100, 7], port: 5555, tlvs: tls)).prefix(3)
                    == ["198.51.100.7", "5555", "on"])
            #expect(try Self.who(server, prefix: Self.v2(source: [198, 51, 100, 8], port: 1)).prefix(3)
                    == ["198.51.100.8", "1", "-"])
            // A LOCAL header (HAProxy's health checks) and v1 UNKNOWN keep the socket's address.
            let local: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x20, 0, 0, 0]
            #expect(try Self.who(server, prefix: local).first == "127.0.0.1")
            #expect(try Self.who(server, prefix: [UInt8]("PROXY UNKNOWN\r\n".utf8)).first == "127.0.0.1")
            let lines = Operations.lines(of: site.directory + "/access.log", atLeast: 5)
            #expect(lines.map { $0.prefix { $0 != " " } } == ["203.0.113.9", "198.51.100.7", "198.51.100.8",
                                                               "127.0.0.1", "127.0.0.1"], "\(lines)")
        }

        @Test(arguments: [
            "GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\nGET /a.html HTTP/1.1\r\nHost: x\r\n\r\n",
            "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\nGET /a.html HTTP/1.1\r\nHost: x\r\n\r\n",
            "PROXY UNKNOWN " + String(repeating: "x", count: 100) + "\r\nGET /a.html HTTP/1.1\r\n\r\n",
        ])
        func missingOrMalformedProxyHeaderClosesWithNothingServed(_ input: String) throws {
            let site = try Self.site()
            let server = try Webserv.start(Self.config("", listen: "proxy_protocol"), site: site)
            defer { server.stop() }
            let client = try server.connect()
            defer { client.close() }
            try client.send(input)
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed)
            #expect(rest.bytes.isEmpty, "\(rest.bytes.text)")
            // The access log has no line for it; the server goes on serving proxied clients.
            #expect(try Self.who(server, prefix: [UInt8]("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n".utf8)).first == "127.0.0.1")
            #expect(Operations.lines(of: site.directory + "/access.log", atLeast: 1).count == 1)
        }

        @Test func proxyHeaderThatNeverCompletesEndsAtTheHeaderTimeoutWithNothingSent() throws {
            let site = try Self.site()
            let server = try Webserv.start("""
                server { listen 127.0.0.1:@PORT@ proxy_protocol; root @ROOT@; client_header_timeout 1s; }
                """, site: site)
            defer { server.stop() }
            let client = try server.connect()
            defer { client.close() }
            try client.send("PROXY TCP4 1.2.3.4 ")
            let started = ContinuousClock.now
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed && rest.bytes.isEmpty, "\(rest.bytes.text)")
            #expect(ContinuousClock.now - started < .seconds(3))
        }

        @Test func anUntrustedPeerKeepsItsOwnAddressWhateverItSays() throws {
            let site = try Self.site()
            let server = try Webserv.start(Self.config("set_real_ip_from 10.0.0.0/8;\nreal_ip_header proxy_protocol;",
                                                       listen: "proxy_protocol"), site: site)
            defer { server.stop() }
            let tls: [UInt8] = [0x20, 0, 5, 0x01, 0, 0, 0, 0]
            let who = try Self.who(server, prefix: Self.v2(source: [198, 51, 100, 7], port: 5555, tlvs: tls))
            #expect(who.first == "127.0.0.1" && who[2] == "-", "\(who)")

            let forwarded = try Webserv.start(Self.config("set_real_ip_from 10.0.0.0/8;\nreal_ip_header X-Forwarded-For;"),
                                              site: site, configName: "b.conf")
            defer { forwarded.stop() }
            #expect(try Self.who(forwarded, fields: "X-Forwarded-For: 203.0.113.9\r\n").first == "127.0.0.1")
        }

        @Test func forwardedForFromATrustedPeerNamesTheRightmostUntrustedAddress() throws {
            let site = try Self.site()
            let server = try Webserv.start(Self.config("set_real_ip_from 127.0.0.1;\nset_real_ip_from 10.0.0.0/8;\n"
                                                       + "real_ip_header X-Forwarded-For;"), site: site)
            defer { server.stop() }
            #expect(try Self.who(server, fields: "X-Forwarded-For: 6.6.6.6, 203.0.113.9, 10.1.1.1\r\n").prefix(2)
                    == ["203.0.113.9", "-"])
            #expect(try Self.who(server, fields: "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: [2001:db8::1]:8443\r\n")
                .prefix(2) == ["2001:db8::1", "8443"])
            #expect(try Self.who(server).first == "127.0.0.1")
            // Each request of a kept-alive connection names its own client (a proxy may reuse connections).
            let client = try server.connect()
            defer { client.close() }
            for address in ["192.0.2.1", "192.0.2.2"] {
                try client.send("GET /who.py HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: \(address)\r\n\r\n")
                #expect(try client.readResponse().text.hasPrefix(address + " "))
            }
            let lines = Operations.lines(of: site.directory + "/access.log", atLeast: 5)
            #expect(lines.map { $0.prefix { $0 != " " } } == ["203.0.113.9", "2001:db8::1", "127.0.0.1", "192.0.2.1",
                                                               "192.0.2.2"], "\(lines)")
        }

        /// nginx's limit_conn counts the address realip set: clients behind one proxy each have their own limit.
        @Test(arguments: ["proxy_protocol", "X-Forwarded-For"])
        func limitConnPerClientCountsTheRealClient(_ header: String) throws {
            let site = try Self.site()
            let viaProxy = header == "proxy_protocol"
            let server = try Webserv.start(Self.config("limit_conn_per_client 1;\nset_real_ip_from 127.0.0.1;\n"
                                                       + "real_ip_header \(header);",
                                                       listen: viaProxy ? "proxy_protocol" : ""), site: site)
            defer { server.stop() }
            func open(_ address: String) throws -> (RawClient, HTTPResponse) {
                let client = try server.connect()
                let prefix = viaProxy ? "PROXY TCP4 \(address) 127.0.0.1 1000 80\r\n" : ""
                let field = viaProxy ? "" : "X-Forwarded-For: \(address)\r\n"
                try client.send(prefix + "GET /a.html HTTP/1.1\r\nHost: x\r\n\(field)\r\n")
                return (client, try client.readResponse())
            }
            let (a, first) = try open("192.0.2.1")
            defer { a.close() }
            let (b, other) = try open("192.0.2.2")
            defer { b.close() }
            let (c, again) = try open("192.0.2.1")
            defer { c.close() }
            #expect(first.status == 200)
            #expect(other.status == 200, "another client behind the same proxy has its own count")
            #expect(again.status == 503)
            #expect(again.header("Retry-After") == "1")
            #expect(c.readUntilClosed(timeout: 5).closed)
            a.close()
            var served = false
            for _ in 0..<50 where !served {
                usleep(20_000)
                let (d, response) = try open("192.0.2.1")
                d.close()
                served = response.status == 200
            }
            #expect(served, "a closed connection gives its client's place back")
        }
    }
}
