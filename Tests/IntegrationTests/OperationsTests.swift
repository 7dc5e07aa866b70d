import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What an operator sees: access and error logs, the connection cap, and a graceful stop.
extension Integration {
    @Suite struct Operations {
        /// `127.0.0.1 - user [21/Nov/2026:13:55:36 +0000] "` — the fixed start of every combined-format line.
        static let linePrefix = #"^127\.0\.0\.1 - (\S+) \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "#

        /// Waits up to 3 s for `count` lines in a log file (they go out through the select loop).
        static func lines(of path: String, atLeast count: Int) -> [String] {
            var lines: [String] = []
            for _ in 0..<150 {
                let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
                lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if lines.last == "" { lines.removeLast() }
                if lines.count >= count { break }
                usleep(20_000)
            }
            return lines
        }

        static func matches(_ line: String, _ pattern: String) -> Bool {
            line.range(of: pattern, options: .regularExpression) != nil
        }

        static let logConfig = """
            access_log @DIR@/access.log;
            error_log @DIR@/error.log;
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location /cgi-bin/ { allow_methods GET POST; cgi .py /usr/bin/python3; }
            }
            """

        @Test func accessLogHasOneCombinedLinePerRequest() throws {
            let site = try TestSite()
            try site.write("a.html", "hello")
            try site.write("cgi-bin/made.py", """
                import sys
                sys.stderr.write("a warning from the script\\n")
                sys.stdout.write("Status: 201 Created\\r\\nContent-Type: text/plain\\r\\n\\r\\nabc")
                """)
            let server = try Webserv.start(Operations.logConfig, site: site)
            defer { server.stop() }
            let base = "http://127.0.0.1:\(server.port)"

            _ = try Curl.run(["-A", "agent \"q\"", "-e", "http://ref.test/", "-u", "bob:secret", base + "/a.html"],
                             in: site)
            _ = try Curl.run([base + "/missing"], in: site)
            _ = try Curl.run(["-I", base + "/a.html"], in: site)
            _ = try Curl.run([base + "/cgi-bin/made.py?x=1"], in: site)
            let raw = try RawClient(port: server.port)
            try raw.send("BOGUS LINE\r\n\r\n")
            _ = raw.readUntilClosed(timeout: 5)

            let lines = Operations.lines(of: site.directory + "/access.log", atLeast: 5)
            try #require(lines.count == 5, "access log: \(lines)")
            let p = Operations.linePrefix
            #expect(Operations.matches(lines[0], p + #""GET /a\.html HTTP/1\.1" 200 5 "http://ref\.test/" "agent \\x22q\\x22"$"#),
                    "\(lines[0])")
            #expect(lines[0].contains(" - bob ["), "the Basic user name is logged: \(lines[0])")
            #expect(Operations.matches(lines[1], p + #""GET /missing HTTP/1\.1" 404 \d+ "-" "curl/[^"]+"$"#), "\(lines[1])")
            #expect(Operations.matches(lines[2], p + #""HEAD /a\.html HTTP/1\.1" 200 0 "-" "curl/[^"]+"$"#), "\(lines[2])")
            #expect(Operations.matches(lines[3], p + #""GET /cgi-bin/made\.py\?x=1 HTTP/1\.1" 201 \d+ "-" "curl/[^"]+"$"#),
                    "\(lines[3])")
            #expect(Operations.matches(lines[4], p + #""BOGUS LINE" 400 \d+ "-" "-"$"#), "\(lines[4])")

            // Warnings go to the error log, time-stamped; neither log leaks into the other or onto stderr.
            let errors = Operations.lines(of: site.directory + "/error.log", atLeast: 1)
            #expect(errors.contains { Operations.matches($0, #"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d webserv: cgi .*a warning from the script$"#) },
                    "error log: \(errors)")
            #expect(!errors.contains { $0.contains("\"GET ") })
            #expect(!server.output().contains("\"GET "), "stderr: \(server.output())")
        }

        @Test func accessLogGoesToStandardErrorByDefaultAndOffSilencesIt() throws {
            let site = try TestSite()
            try site.write("a.html", "hello")
            let config = "server { listen 127.0.0.1:@PORT@; root @ROOT@; }"
            let loud = try Webserv.start(config, site: site)
            _ = try Curl.run(["http://127.0.0.1:\(loud.port)/a.html"], in: site)
            let loudOutput = { loud.output().split(separator: "\n").filter { $0.contains("\"GET /a.html HTTP/1.1\" 200 5 ") } }
            for _ in 0..<100 where loudOutput().isEmpty { usleep(20_000) }
            loud.stop()
            #expect(loudOutput().count == 1, "stderr: \(loud.output())")

            let quiet = try Webserv.start("access_log off;\n" + config, site: site, configName: "quiet.conf")
            _ = try Curl.run(["http://127.0.0.1:\(quiet.port)/a.html"], in: site)
            quiet.stop()
            #expect(!quiet.output().contains("GET /a.html"), "stderr: \(quiet.output())")
        }

        /// Ten clients at once, each with a long User-Agent: every line whole, none interleaved.
        @Test func concurrentRequestsNeverInterleaveLines() throws {
            let site = try TestSite()
            try site.write("a.html", "hello")
            let server = try Webserv.start(Operations.logConfig, site: site)
            defer { server.stop() }
            let agent = String(repeating: "x", count: 3000)
            let urls = Array(repeating: "http://127.0.0.1:\(server.port)/a.html", count: 50)
            DispatchQueue.concurrentPerform(iterations: 10) { _ in
                _ = try? Curl.run(["-A", agent] + urls, in: site)
            }
            let lines = Operations.lines(of: site.directory + "/access.log", atLeast: 500)
            #expect(lines.count == 500)
            let whole = Operations.linePrefix + #""GET /a\.html HTTP/1\.1" 200 5 "-" "x{3000}"$"#
            #expect(lines.allSatisfy { Operations.matches($0, whole) },
                    "\(lines.filter { !Operations.matches($0, whole) }.prefix(2))")
        }

        @Test func pastMaxConnectionsNewcomersGet503AndOthersAreServed() throws {
            let site = try TestSite()
            try site.write("a.html", "hello")
            let server = try Webserv.start("max_connections 3;\nserver { listen 127.0.0.1:@PORT@; root @ROOT@; }",
                                           site: site)
            defer { server.stop() }
            let held = try (0..<3).map { _ in try RawClient(port: server.port) }
            for client in held {
                try client.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 200)
                // A next request under way: an idle connection would make room for the newcomer.
                try client.send("GET /a.html HTTP/1.1\r\n")
            }

            let newcomer = try RawClient(port: server.port)
            try newcomer.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
            let refused = try newcomer.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect(refused.header("Connection") == "close")
            #expect(newcomer.readUntilClosed(timeout: 5).closed, "a rejected client is closed")

            // Those already connected are still served as usual.
            for client in held {
                try client.send("Host: x\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200 && response.body == [UInt8]("hello"))
            }
            // A place freed is a place taken.
            held[0].close()
            var served = false
            for _ in 0..<50 where !served {
                usleep(20_000)
                let next = try Curl.run(["http://127.0.0.1:\(server.port)/a.html"], in: site)
                served = next.status == 200
            }
            #expect(served, "a client is served once a connection has closed")
        }

        @Test func startUpSaysTheDescriptorLimit() throws {
            let site = try TestSite()
            let server = try Webserv.start("server { listen 127.0.0.1:@PORT@; root @ROOT@; }", site: site,
                                           launcher: ["/usr/bin/prlimit", "--nofile=100:300"])
            defer { server.stop() }
            #expect(server.output().contains("descriptor limit 300 (soft limit raised to the hard limit), up to 134 connections"),
                    "\(server.output())")
        }

        // MARK: Graceful stop

        static let drainConfig = """
            shutdown_timeout 5s;
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location /cgi-bin/ { allow_methods GET; cgi .py /usr/bin/python3; }
                location /in/ { allow_methods PUT; upload_store @ROOT@/in; }
            }
            """

        /// SIGTERM with a CGI running, an upload half sent and an idle keep-alive client: the idle one is
        /// closed, new clients are refused, the two requests finish and the server exits 0 with no child left.
        @Test func sigtermLetsRequestsInFlightFinish() throws {
            let site = try TestSite()
            try site.makeDirectory("in")
            try site.write("a.html", "hello")
            try site.write("cgi-bin/slow.py", """
                import time, sys
                time.sleep(1)
                sys.stdout.write("Content-Type: text/plain\\r\\nContent-Length: 4\\r\\n\\r\\ndone")
                """)
            let server = try Webserv.start(Operations.drainConfig, site: site)
            defer { server.stop() }

            let idle = try RawClient(port: server.port)
            try idle.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try idle.readResponse().status == 200)

            let cgi = try RawClient(port: server.port)
            try cgi.send("GET /cgi-bin/slow.py HTTP/1.1\r\nHost: x\r\n\r\n")
            let upload = try RawClient(port: server.port)
            try upload.send("PUT /in/f.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345")
            let script = site.docroot + "/cgi-bin/slow.py"
            try #require(eventually { Operations.processes(mentioning: script).count == 1 }, "the script runs")
            try #require(eventually { Operations.uploadUnderWay(in: site.docroot + "/in") }, "the upload began")
            server.signal(SIGTERM)

            // The listener closes before the idle connection does: once it has, nobody new gets in.
            #expect(idle.readUntilClosed(timeout: 3).closed, "an idle keep-alive connection closes at once")
            #expect((try? RawClient(port: server.port)) == nil, "no new connections once stopping")

            try upload.send("67890")
            let stored = try upload.readResponse()
            #expect(stored.status == 201)
            #expect(stored.header("Connection") == "close")
            #expect(FileManager.default.contents(atPath: site.docroot + "/in/f.txt") == Data("1234567890".utf8))

            let ran = try cgi.readResponse()
            #expect(ran.status == 200 && ran.body == [UInt8]("done"))

            let ended = server.process.wait(timeout: .seconds(5))
            #expect(ended == .exited(0), "\(server.output())")
        }

        /// Whether an upload into `directory` has begun: its temporary file exists, so the request is under
        /// way and its connection no longer idle.
        static func uploadUnderWay(in directory: String) -> Bool {
            TestSite.entries(of: directory).contains { $0.hasPrefix(".webserv-tmp/") }
        }

        /// Processes whose command line mentions `marker` (a script path unique to the test's site).
        static func processes(mentioning marker: String) -> [String] {
            let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return pids.filter { pid in
                guard pid.allSatisfy(\.isNumber),
                      let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                return String(decoding: cmdline, as: UTF8.self).contains(marker)
            }
        }

        /// Requests that never complete (an upload, a script) do not hold the stop past shutdown_timeout; the
        /// upload leaves nothing behind and the script is killed.
        @Test func sigtermStopsAtTheGraceDeadline() throws {
            let site = try TestSite()
            try site.makeDirectory("in")
            let server = try Webserv.start(Operations.drainConfig.replacingOccurrences(of: "5s", with: "1s"), site: site)
            defer { server.stop() }
            try site.write("cgi-bin/hang.py", "import time\ntime.sleep(60)\n")
            let stuck = try RawClient(port: server.port)
            try stuck.send("PUT /in/g.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part")
            let hanging = try RawClient(port: server.port)
            try hanging.send("GET /cgi-bin/hang.py HTTP/1.1\r\nHost: x\r\n\r\n")
            let script = site.docroot + "/cgi-bin/hang.py"
            try #require(eventually { Operations.processes(mentioning: script).count == 1 }, "the script runs")
            try #require(eventually { Operations.uploadUnderWay(in: site.docroot + "/in") }, "the upload began")
            let start = ContinuousClock.now
            server.signal(SIGTERM)
            let ended = server.process.wait(timeout: .seconds(4))
            #expect(ended == .exited(0))
            #expect(ContinuousClock.now - start < .seconds(3))
            #expect(!FileManager.default.fileExists(atPath: site.docroot + "/in/g.txt"))
            // The temporaries directory stays (made at start-up), empty.
            let left = TestSite.entries(of: site.docroot + "/in")
            #expect(left.isEmpty, "no partial upload left: \(left)")
            #expect(Operations.processes(mentioning: script).isEmpty, "the script was killed and reaped")
        }

        @Test func secondSignalStopsAtOnce() throws {
            let site = try TestSite()
            try site.makeDirectory("in")
            let server = try Webserv.start(Operations.drainConfig.replacingOccurrences(of: "5s", with: "30s"), site: site)
            defer { server.stop() }
            let stuck = try RawClient(port: server.port)
            try stuck.send("PUT /in/g.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npart")
            try #require(eventually { Operations.uploadUnderWay(in: site.docroot + "/in") }, "the upload began")
            server.signal(SIGTERM)
            // Draining has begun once the listener is closed; a second signal before then could be taken
            // together with the first.
            try #require(eventually { !canConnect(port: server.port) }, "the listener is still open")
            // Behaviour under test: for a while, nothing ends it but the upload.
            #expect(server.process.wait(timeout: .milliseconds(300)) == nil, "stopped with the upload unfinished")
            server.signal(SIGINT)
            #expect(server.process.wait(timeout: .seconds(2)) == .exited(0))
        }
    }
}
