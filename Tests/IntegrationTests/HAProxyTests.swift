import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// The deployment docs/deploy.md describes, with a real HAProxy on 127.0.0.1: two webserv instances behind
    /// it with PROXY protocol v2 and health checks, TLS ending at HAProxy. Without haproxy (after trying
    /// scripts/install-deps.sh) this fails rather than skips.
    @Suite struct HAProxy {
        /// A running HAProxy on a temporary configuration, stopped by PID.
        final class Balancer {
            let process: Subprocess
            let port: UInt16
            let tlsPort: UInt16
            let statsPort: UInt16
            let logPath: String

            init(site: TestSite, backends: [UInt16]) throws {
                let binary = try Balancer.binary()
                port = try Webserv.freePort()
                tlsPort = try Webserv.freePort()
                statsPort = try Webserv.freePort()
                let certificate = site.directory + "/haproxy.pem"
                let made = try Subprocess.run("openssl", arguments: [
                    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", site.directory + "/key.pem", "-out", site.directory + "/cert.pem"])
                guard made.succeeded else { throw HarnessError("openssl: \(made.stderr.text)") }
                // HAProxy takes the certificate and its key in one file.
                let pem = try String(contentsOfFile: site.directory + "/cert.pem", encoding: .utf8)
                    + String(contentsOfFile: site.directory + "/key.pem", encoding: .utf8)
                try site.write("haproxy.pem", pem, inDocroot: false)
                let servers = backends.enumerated().map { index, backend in
                    "    server w\(index + 1) 127.0.0.1:\(backend) check send-proxy-v2-ssl inter 200ms fall 2 rise 2"
                }.joined(separator: "\n")
                let config = """
                    global
                        maxconn 512
                    defaults
                        mode http
                        timeout connect 1s
                        timeout client 10s
                        timeout server 10s
                        retries 3
                        option redispatch 1
                    frontend web
                        bind 127.0.0.1:\(port)
                        bind 127.0.0.1:\(tlsPort) ssl crt \(certificate)
                        default_backend webservs
                    backend webservs
                        balance roundrobin
                        option httpchk
                        http-check send meth GET uri /
                        http-check expect status 200
                    \(servers)
                    listen stats
                        bind 127.0.0.1:\(statsPort)
                        stats enable
                        stats uri /stats
                    """
                let path = try site.write("haproxy.cfg", config + "\n", inDocroot: false)
                logPath = site.directory + "/haproxy.log"
                process = try Subprocess(executable: binary, arguments: ["-db", "-f", path],
                                         workingDirectory: site.directory, stdoutPath: logPath, stderrPath: logPath)
                let up = eventually(timeout: 10) {
                    let states = self.serverStates()
                    return !self.process.isRunning || states.count == backends.count && states.values.allSatisfy { $0 == "UP" }
                }
                guard up, process.isRunning else {
                    throw HarnessError("haproxy did not report every server UP: \(serverStates())\n\(log())\n\(config)")
                }
            }

            deinit { _ = process.stop(signal: SIGTERM, grace: .seconds(5)) }

            func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

            /// Each backend server's state from the stats page's CSV (`w1` → `UP`, `DOWN`…).
            func serverStates() -> [String: String] {
                guard process.isRunning, let client = try? RawClient(port: statsPort, receiveTimeout: 2) else { return [:] }
                defer { client.close() }
                guard (try? client.send("GET /stats;csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")) != nil,
                      let response = try? client.readResponse() else { return [:] }
                var states: [String: String] = [:]
                for line in response.text.split(separator: "\n") {
                    let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                    // pxname, svname, ..., status is the 18th field.
                    if fields.count > 17, fields[0] == "webservs", fields[1].hasPrefix("w") {
                        states[String(fields[1])] = fields[17].split(separator: " ").first.map(String.init) ?? ""
                    }
                }
                return states
            }

            /// haproxy on PATH or in /usr/sbin; installed with scripts/install-deps.sh when missing.
            static func binary() throws -> String {
                func find() -> String? {
                    ["/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"]
                        .first { FileManager.default.isExecutableFile(atPath: $0) }
                }
                if let found = find() { return found }
                let installed = try Subprocess.run(Repo.root.path + "/scripts/install-deps.sh", timeout: .seconds(600))
                guard let found = find() else {
                    throw HarnessError("haproxy is missing and scripts/install-deps.sh did not install it: "
                                       + installed.stderr.text)
                }
                return found
            }
        }

        static let webservConfig = """
            access_log @DIR@/access.log;
            set_real_ip_from 127.0.0.1;
            real_ip_header proxy_protocol;
            server {
                listen 127.0.0.1:@PORT@ proxy_protocol;
                root @ROOT@;
                cgi .py /usr/bin/python3;
                location /uploads/ { allow_methods GET PUT; upload_store @ROOT@/uploads; }
            }
            """

        /// One request on a fresh connection; the response, or nil when the connection failed.
        static func ask(_ port: UInt16, _ request: String) -> HTTPResponse? {
            guard let client = try? RawClient(port: port, receiveTimeout: 10) else { return nil }
            defer { client.close() }
            guard (try? client.send(request)) != nil else { return nil }
            return try? client.readResponse()
        }

        static func who(_ port: UInt16) -> HTTPResponse? {
            ask(port, "GET /who.py HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        }

        @Test func twoInstancesBehindHAProxyShareTheWorkTheFilesAndTheFailover() throws {
            let site = try ClientAddress.site()
            try site.makeDirectory("uploads")
            try site.write("index.html", "home")
            let first = try Webserv.start(Self.webservConfig, site: site, configName: "a.conf")
            defer { first.stop() }
            let second = try Webserv.start(Self.webservConfig, site: site, configName: "b.conf")
            var secondStopped = false
            defer { if !secondStopped { second.stop() } }
            let balancer = try Balancer(site: site, backends: [first.port, second.port])

            // Spread: round robin over both processes.
            var served: [String] = []
            for _ in 0..<10 {
                let response = try #require(Self.who(balancer.port))
                #expect(response.status == 200)
                served.append(response.text.split(separator: " ").last.map(String.init) ?? "")
            }
            #expect(Set(served) == [String(first.pid), String(second.pid)], "\(served)")

            // The client's address and port reach the CGI, not HAProxy's: the port is the client socket's own.
            let client = try RawClient(port: balancer.port)
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client.fd, $0, &length) }
            }
            try client.send("GET /who.py HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let seen = try client.readResponse().text.split(separator: " ").map(String.init)
            client.close()
            #expect(seen.prefix(3) == ["127.0.0.1", String(UInt16(bigEndian: address.sin_port)), "-"], "\(seen)")

            // TLS ends at HAProxy: curl over https reaches webserv, whose CGI is told HTTPS=on.
            let tls = try Curl.run(["-k", "https://127.0.0.1:\(balancer.tlsPort)/who.py"], in: site)
            #expect(tls.status == 200, "\(tls.stderr)")
            #expect(tls.body.text.split(separator: " ").dropFirst(2).first == "on", "\(tls.body.text)")

            // Shared storage: a file PUT through one instance is served by the other (each reached with its own
            // PROXY header, as HAProxy would).
            let proxyLine = "PROXY TCP4 192.0.2.10 127.0.0.1 40000 80\r\n"
            let put = try #require(Self.ask(first.port, proxyLine + "PUT /uploads/shared.txt HTTP/1.1\r\nHost: x\r\n"
                                                   + "Content-Length: 11\r\nConnection: close\r\n\r\nfrom first\n"))
            #expect(put.status == 201)
            let got = try #require(Self.ask(second.port, proxyLine + "GET /uploads/shared.txt HTTP/1.1\r\nHost: x\r\n"
                                                   + "Connection: close\r\n\r\n"))
            #expect(got.status == 200 && got.text == "from first\n")
            for _ in 0..<4 {
                let response = Self.ask(balancer.port, "GET /uploads/shared.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                #expect(response?.status == 200 && response?.text == "from first\n")
            }

            // Failover: the second instance is killed in the middle of a request loop; HAProxy marks it down,
            // and after that window (2 s: two failed checks 200 ms apart, and slack) no request fails (retries,
            // redispatch to the survivor).
            var failedInWindow: [String] = []
            var failedAfter: [String] = []
            var killedAt: ContinuousClock.Instant?
            var servedAfter: [String] = []
            let started = ContinuousClock.now
            for index in 0..<1000 where servedAfter.count + failedAfter.count < 100 {
                guard ContinuousClock.now - started < .seconds(30) else { break }
                if index == 20 {
                    second.signal(SIGKILL)
                    secondStopped = true
                    killedAt = ContinuousClock.now
                }
                let response = Self.who(balancer.port)
                let afterWindow = killedAt.map { ContinuousClock.now - $0 > .seconds(2) } ?? false
                let outcome = response.map { "\($0.status)" } ?? "no response"
                if afterWindow {
                    if response?.status == 200 {
                        servedAfter.append(response!.text.split(separator: " ").last.map(String.init) ?? "")
                    } else {
                        failedAfter.append(outcome)
                    }
                } else if response?.status != 200 {
                    failedInWindow.append(outcome)
                }
            }
            #expect(balancer.serverStates()["w2"] == "DOWN", "\(balancer.serverStates())")
            #expect(failedAfter.isEmpty && servedAfter.count == 100,
                    "after the window: \(servedAfter.count) served, failed: \(failedAfter) (in the window: \(failedInWindow))")
            #expect(Set(servedAfter) == [String(first.pid)])
            // The access log names the clients, never HAProxy's own port.
            let lines = Operations.lines(of: site.directory + "/access.log", atLeast: 100)
            #expect(lines.contains { $0.hasPrefix("192.0.2.10 - ") })
        }
    }
}
