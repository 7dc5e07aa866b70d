import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP reloads the configuration in the running process, SIGUSR1 reopens the logs (issue 12).
extension Integration {
    @Suite struct Reload {
        /// Two configurations that differ in root, in a location and in an extra listen port.
        static let configA = """
            server {
                listen 127.0.0.1:@PORT@;
                root @DIR@/a;
                location /only-a/ { return 200 "only in A"; }
                location /slow/ { return 200 "slow from A"; }
            }
            """
        static let configB = """
            server {
                listen 127.0.0.1:@PORT@;
                listen 127.0.0.1:@PORT2@;
                root @DIR@/b;
                location /slow/ { return 200 "slow from B"; }
            }
            """

        /// A site with `/id.txt` saying which root it comes from, and a server started on `configA`.
        static func start(_ config: String = configA) throws -> (TestSite, Webserv, UInt16) {
            let site = try TestSite()
            try site.write("a/id.txt", "A", inDocroot: false)
            try site.write("b/id.txt", "B", inDocroot: false)
            let second = try Webserv.freePort()
            let server = try Webserv.start(config.replacingOccurrences(of: "@PORT2@", with: String(second)), site: site)
            return (site, server, second)
        }

        /// Writes `config` over the running server's file, with the placeholders it was started with.
        static func rewrite(_ server: Webserv, _ site: TestSite, _ config: String, second: UInt16) throws {
            let text = config
                .replacingOccurrences(of: "@PORT2@", with: String(second))
                .replacingOccurrences(of: "@PORT@", with: String(server.port))
                .replacingOccurrences(of: "@ROOT@", with: site.docroot)
                .replacingOccurrences(of: "@DIR@", with: site.directory)
            try text.write(toFile: server.configPath, atomically: true, encoding: .utf8)
        }

        /// How many times the server has said a reload took effect.
        static func reloads(_ server: Webserv) -> Int {
            server.output().components(separatedBy: "webserv: reloaded ").count - 1
        }

        /// Sends SIGHUP to the server we started and waits for the `count`-th "reloaded" line (or a failure),
        /// running `meanwhile` while it waits.
        static func reload(_ server: Webserv, expecting count: Int, meanwhile: () throws -> Void = {}) throws {
            kill(server.pid, SIGHUP)
            let deadline = ContinuousClock.now + .seconds(10)
            while reloads(server) < count {
                guard ContinuousClock.now < deadline else {
                    throw HarnessError("no reload line #\(count) within 10 s:\n\(server.output().suffix(1500))")
                }
                try meanwhile()
                usleep(2_000)
            }
        }

        static func get(_ path: String, on client: RawClient) throws -> HTTPResponse {
            try client.send("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
            return try client.readResponse()
        }

        /// Requests made from another thread, one fresh connection each, while the test reloads: when each was
        /// sent and answered, and what came back (nil: it failed).
        final class Traffic: @unchecked Sendable {
            /// One request: when it was sent and answered, and the body (nil: it failed).
            struct Exchange {
                let sent: ContinuousClock.Instant
                let answered: ContinuousClock.Instant
                let body: String?
            }

            private let lock = NSLock()
            private var exchanges: [Exchange] = []
            private var stopping = false

            func run(port: UInt16) {
                // Bounded: at most 20 000 requests or 60 s, whichever comes first.
                let deadline = ContinuousClock.now + .seconds(60)
                for _ in 0..<20_000 where ContinuousClock.now < deadline {
                    if lock.withLock({ stopping }) { return }
                    let sent = ContinuousClock.now
                    var body: String?
                    if let client = try? RawClient(port: port, receiveTimeout: 5) {
                        if (try? client.send("GET /id.txt HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")) != nil,
                           let response = try? client.readResponse(), response.status == 200 {
                            body = response.body.text
                        }
                        client.close()
                    }
                    let exchange = Exchange(sent: sent, answered: .now, body: body)
                    lock.withLock { exchanges.append(exchange) }
                }
            }

            func stop() -> [Exchange] {
                lock.withLock {
                    stopping = true
                    return exchanges
                }
            }
        }

        @Test func twentyReloadsUnderTrafficFailNoRequestAndEachAnswerFollowsTheConfigInForce() throws {
            let (site, server, second) = try Self.start()
            defer { server.stop() }
            // One keep-alive connection across every reload, beside fresh connections from another thread.
            let kept = try server.connect()
            defer { kept.close() }
            let traffic = Traffic()
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                traffic.run(port: server.port)
                done.signal()
            }
            // When each configuration was in force for sure: from its "reloaded" line to the next SIGHUP.
            var inForce: [(config: String, from: ContinuousClock.Instant, until: ContinuousClock.Instant)] = []
            var since = ContinuousClock.now
            var served = 0
            for round in 1...20 {
                let toB = round % 2 == 1
                let (old, new) = toB ? ("A", "B") : ("B", "A")
                try Self.rewrite(server, site, toB ? Self.configB : Self.configA, second: second)
                inForce.append((old, since, .now))
                var sawNew = false
                try Self.reload(server, expecting: round) {
                    // While the reload is under way, each answer is the old config's or the new one's, and never
                    // the old one again once the new one answered.
                    let body = try Self.get("/id.txt", on: kept).body.text
                    #expect(body == new || (body == old && !sawNew), "round \(round): \(body)")
                    sawNew = sawNew || body == new
                    served += 1
                }
                since = .now
                // In force now: the root, the location and the listen ports of the new config.
                for _ in 0..<3 {
                    #expect(try Self.get("/id.txt", on: kept).body.text == new)
                    let fresh = try server.get("/id.txt")
                    #expect(fresh.status == 200 && fresh.body.text == new, "round \(round)")
                    served += 2
                }
                let onlyA = try server.get("/only-a/")
                #expect(onlyA.status == (toB ? 404 : 200), "round \(round)")
                if !toB { #expect(onlyA.body.text == "only in A") }
                #expect(canConnect(port: second) == toB, "round \(round): port \(second)")
                if toB {
                    let other = try RawClient(port: second)
                    defer { other.close() }
                    #expect(try Self.get("/id.txt", on: other).body.text == "B")
                }
            }
            usleep(100_000)
            inForce.append(("A", since, .now))
            let exchanges = traffic.stop()
            done.wait()
            #expect(served >= 120)
            #expect(Self.reloads(server) == 20)
            // Not one request failed, and each answer made wholly within a configuration's time is that one's.
            #expect(exchanges.count >= 20, "only \(exchanges.count) requests from the other thread")
            #expect(exchanges.allSatisfy { $0.body == "A" || $0.body == "B" },
                    "\(exchanges.filter { $0.body != "A" && $0.body != "B" }.count) of \(exchanges.count) failed")
            for exchange in exchanges {
                guard let period = inForce.first(where: { exchange.sent >= $0.from && exchange.answered <= $0.until })
                else { continue }
                #expect(exchange.body == period.config)
            }
        }

        @Test func requestInFlightFinishesUnderTheConfigItBeganWith() throws {
            let (site, server, second) = try Self.start()
            defer { server.stop() }
            let client = try server.connect()
            defer { client.close() }
            // The head arrives under A; half the body, then the reload to B, then the rest.
            try client.send("POST /slow/ HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\n12345")
            usleep(100_000)
            try Self.rewrite(server, site, Self.configB, second: second)
            try Self.reload(server, expecting: 1)
            try client.send("67890")
            #expect(try client.readResponse().body.text == "slow from A")
            #expect(try Self.get("/slow/", on: client).body.text == "slow from B")
        }

        @Test func invalidConfigIsLoggedWithFileAndLineAndTheOldOneKeepsServing() throws {
            let (site, server, second) = try Self.start()
            defer { server.stop() }
            // The error is in an included file: read through the loop, and named with its own line.
            let included = try site.write("bad.conf", "root @DIR@/b;\n\n    rooot /x;\n", inDocroot: false)
            try Self.rewrite(server, site, "server {\n    listen 127.0.0.1:@PORT@;\n    include bad.conf;\n}\n",
                             second: second)
            kill(server.pid, SIGHUP)
            // The error log escapes quotes as nginx's logs do.
            let message = "webserv: reload failed, the running configuration stays: \(included):3: unknown directive \\x22rooot\\x22"
            #expect(eventually(timeout: 5) { server.output().contains(message) }, "\(server.output().suffix(1500))")
            #expect(try server.get("/id.txt").body.text == "A")
            #expect(try server.get("/only-a/").body.text == "only in A")
            // A valid file afterwards is taken.
            try Self.rewrite(server, site, Self.configB, second: second)
            try Self.reload(server, expecting: 1)
            #expect(try server.get("/id.txt").body.text == "B")
        }

        @Test func reloadWhoseNewAddressCannotBeBoundChangesNothing() throws {
            let (site, server, second) = try Self.start()
            defer { server.stop() }
            // Someone else holds the new port.
            let taken = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(taken) }
            var address = loopback(port: second)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(taken, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(bound == 0 && listen(taken, 1) == 0)
            try Self.rewrite(server, site, Self.configB, second: second)
            kill(server.pid, SIGHUP)
            #expect(eventually(timeout: 5) {
                server.output().contains("webserv: reload refused, the running configuration stays: bind 127.0.0.1:\(second)")
            }, "\(server.output().suffix(1500))")
            #expect(Self.reloads(server) == 0)
            #expect(try server.get("/id.txt").body.text == "A")
            #expect(try server.get("/only-a/").status == 200)
        }

        @Test func settingsSizedAtStartUpKeepTheirValueAndTheReloadSaysSo() throws {
            let (site, server, second) = try Self.start("max_connections 100;\n" + Self.configA)
            defer { server.stop() }
            try Self.rewrite(server, site, "max_connections 5;\n" + Self.configB, second: second)
            try Self.reload(server, expecting: 1)
            #expect(server.output().contains("webserv: reload: max_connections changes only at a restart"))
            #expect(try server.get("/id.txt").body.text == "B")
            // Ten clients at once: the old cap (100) still holds, the new one (5) would refuse some.
            let clients = try (0..<10).map { _ in try server.connect() }
            defer { clients.forEach { $0.close() } }
            for client in clients { #expect(try Self.get("/id.txt", on: client).status == 200) }
        }

        @Test func reloadNamingAnotherAccessLogWritesThereFromThen() throws {
            let site = try TestSite()
            try site.write("a/id.txt", "A", inDocroot: false)
            let config = "access_log @DIR@/@LOG@;\nserver { listen 127.0.0.1:@PORT@; root @DIR@/a; }\n"
            let server = try Webserv.start(config.replacingOccurrences(of: "@LOG@", with: "one.log"), site: site)
            defer { server.stop() }
            _ = try server.get("/id.txt?1")
            try Self.rewrite(server, site, config.replacingOccurrences(of: "@LOG@", with: "two.log"), second: 0)
            try Self.reload(server, expecting: 1)
            _ = try server.get("/id.txt?2")
            let one = Operations.lines(of: site.directory + "/one.log", atLeast: 1)
            let two = Operations.lines(of: site.directory + "/two.log", atLeast: 1)
            #expect(one.count == 1 && one.first?.contains("GET /id.txt?1 ") == true, "\(one)")
            #expect(two.count == 1 && two.first?.contains("GET /id.txt?2 ") == true, "\(two)")
        }

        @Test func usr1ReopensTheLogsByName() throws {
            let site = try TestSite()
            try site.write("a/id.txt", "A", inDocroot: false)
            let server = try Webserv.start("""
                access_log @DIR@/access.log;
                error_log @DIR@/error.log;
                server { listen 127.0.0.1:@PORT@; root @DIR@/a; }
                """, site: site)
            defer { server.stop() }
            let access = site.directory + "/access.log"
            _ = try server.get("/id.txt")
            #expect(Operations.lines(of: access, atLeast: 1).count == 1)
            // logrotate's way: rename, then signal. Until the signal, lines go on into the renamed file.
            try FileManager.default.moveItem(atPath: access, toPath: access + ".1")
            _ = try server.get("/id.txt?2")
            #expect(Operations.lines(of: access + ".1", atLeast: 2).count == 2)
            kill(server.pid, SIGUSR1)
            #expect(eventually(timeout: 5) {
                ((try? String(contentsOfFile: site.directory + "/error.log", encoding: .utf8)) ?? "")
                    .contains("webserv: logs reopened")
            })
            _ = try server.get("/id.txt?3")
            let fresh = Operations.lines(of: access, atLeast: 1)
            #expect(fresh.count == 1 && fresh.first?.contains("GET /id.txt?3 ") == true, "\(fresh)")
            #expect(Operations.lines(of: access + ".1", atLeast: 2).count == 2)
        }

        @Test func stopReloadAndReopenSentTogetherAreAllSeen() throws {
            let (site, server, second) = try Self.start()
            try Self.rewrite(server, site, Self.configB, second: second)
            // All three are pending before the loop looks at its flags: none may hide another.
            kill(server.pid, SIGSTOP)
            kill(server.pid, SIGUSR1)
            kill(server.pid, SIGHUP)
            kill(server.pid, SIGTERM)
            kill(server.pid, SIGCONT)
            let ended = server.terminate(signal: SIGCONT)
            #expect(ended == .exited(0))
            let output = server.output()
            #expect(output.contains("webserv: logs reopened"), "\(output.suffix(1500))")
        }
    }

    @Suite struct MIMETypesConfig {
        @Test func typesBlockAndDefaultTypeDecideTheContentType() throws {
            let site = try TestSite()
            for name in ["a.cust", "a.html", "raw/a.cust", "raw/a.html"] { try site.write(name, "x") }
            let server = try Webserv.start("""
                types { text/x-custom cust; }
                default_type application/x-unknown;
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    location /raw/ { types { } default_type application/octet-stream; }
                }
                """, site: site)
            defer { server.stop() }
            #expect(try server.get("/a.cust").header("Content-Type") == "text/x-custom; charset=utf-8")
            // The block replaced the built-in table: html is unknown here.
            #expect(try server.get("/a.html").header("Content-Type") == "application/x-unknown")
            #expect(try server.get("/raw/a.cust").header("Content-Type") == "application/octet-stream")
            #expect(try server.get("/raw/a.html").header("Content-Type") == "application/octet-stream")
        }
    }
}
