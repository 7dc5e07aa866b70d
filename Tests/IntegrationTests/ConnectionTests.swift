import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    @Suite struct Connections {
        @Test func twoRequestsShareOneKeepAliveConnection() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            let first = try client.readResponse()
            #expect(first.status == 200)
            #expect(first.text == StaticFixture.hello)
            #expect(first.header("Connection")?.lowercased() != "close")
            try client.send("GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n")
            let second = try client.readResponse()
            #expect(second.status == 200)
            #expect(second.text == StaticFixture.page)
        }

        @Test func pipelinedRequestsAreAnsweredInOrder() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"
                + "HEAD /page.html HTTP/1.1\r\nHost: a\r\n\r\n"
                + "GET /dir/ HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let first = try client.readResponse()
            let second = try client.readResponse(toHead: true)
            let third = try client.readResponse()
            #expect(first.status == 200)
            #expect(first.text == StaticFixture.hello)
            #expect(second.status == 200)
            #expect(second.header("Content-Length") == String(StaticFixture.page.utf8.count))
            #expect(third.status == 200)
            #expect(third.text == StaticFixture.dirIndex)
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.bytes.isEmpty)
            #expect(rest.closed)
        }

        @Test func pipelinedErrorAndSuccessKeepTheirOrder() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 404)
            let second = try client.readResponse()
            #expect(second.status == 200)
            #expect(second.text == StaticFixture.hello)
        }

        @Test func connectionCloseIsHonoured() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection")?.lowercased() == "close")
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed, "the connection stayed open")
            #expect(rest.bytes.isEmpty)
        }

        @Test func http10ClosesByDefault() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /hello.txt HTTP/1.0\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.hello)
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed, "an HTTP/1.0 connection without keep-alive stayed open")
        }

        @Test func http10KeepsAliveOnRequest() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let first = try client.readResponse()
            #expect(first.status == 200)
            #expect(first.header("Connection")?.lowercased() == "keep-alive")
            try client.send("GET /page.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try client.readResponse().text == StaticFixture.page)
        }

        @Test func slowClientGets408AfterHeaderTimeoutWhileOthersAreServed() throws {
            let site = try StaticFixture.makeSite()
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    client_header_timeout 2s;
                }
                """, site: site)
            defer { server.stop() }
            let slow = try server.connect()
            try slow.send("GET /hello.txt HT")
            let start = ContinuousClock.now

            // Served promptly while the slow one holds its connection.
            let other = try server.connect()
            try other.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            let served = try other.readResponse()
            #expect(served.status == 200)
            #expect(seconds(since: start) < 1.0, "another client waited for the slow one")

            let outcome = slow.readUntilClosed(timeout: 8)
            let elapsed = seconds(since: start)
            #expect(outcome.closed, "the slow client was never dropped")
            #expect(outcome.bytes.text.hasPrefix("HTTP/1.1 408 "), "got: \(outcome.bytes.prefix(200).text)")
            #expect(elapsed > 1.5 && elapsed < 5, "dropped after \(elapsed) s with client_header_timeout 2s")

            // The other connection was kept alive and still works after the slow one was dropped.
            try other.send("GET /page.html HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try other.readResponse().text == StaticFixture.page)
        }

        @Test func silentClientIsDroppedAfterHeaderTimeout() throws {
            let site = try StaticFixture.makeSite()
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    client_header_timeout 1s;
                    keepalive_timeout 1s;
                }
                """, site: site)
            defer { server.stop() }
            let silent = try server.connect()
            let start = ContinuousClock.now
            let outcome = silent.readUntilClosed(timeout: 6)
            let elapsed = seconds(since: start)
            #expect(outcome.closed, "a client that never sent a byte was never dropped")
            #expect(elapsed > 0.5 && elapsed < 4, "dropped after \(elapsed) s")
        }

        @Test func idleKeepAliveConnectionIsClosedSilentlyAfterKeepaliveTimeout() throws {
            let site = try StaticFixture.makeSite()
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    keepalive_timeout 1s;
                }
                """, site: site)
            defer { server.stop() }
            let client = try server.connect()
            try client.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            let start = ContinuousClock.now
            let outcome = client.readUntilClosed(timeout: 6)
            let elapsed = seconds(since: start)
            #expect(outcome.closed, "the idle connection was never closed")
            #expect(outcome.bytes.isEmpty, "an idle connection got bytes: \(outcome.bytes.prefix(100).text)")
            #expect(elapsed > 0.5 && elapsed < 4, "closed after \(elapsed) s with keepalive_timeout 1s")
        }

        @Test func clientThatStopsReadingIsDroppedAfterSendTimeout() throws {
            let site = try StaticFixture.makeSite()
            let size = 64 * 1024 * 1024
            try writeLargeFile(atPath: site.docroot + "/big.bin", size: size)
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    send_timeout 2s;
                }
                """, site: site)
            defer { server.stop() }
            let stalled = try RawClient(port: server.port, receiveBufferSize: 4096)
            try stalled.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
            usleep(300_000)
            let start = ContinuousClock.now

            // Served promptly while the stalled client's buffers are full.
            let other = try server.connect()
            try other.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try other.readResponse().text == StaticFixture.hello)
            #expect(seconds(since: start) < 1.0, "another client waited for the stalled one")

            usleep(4_000_000)  // past send_timeout, reading nothing
            // Draining now shows what the server had sent before it gave up: less than the file, then a close.
            var received = 0
            var closed = false
            var quiet = false
            let drainDeadline = ContinuousClock.now + .seconds(20)
            stalled.setReceiveTimeout(3)
            while !closed && !quiet && ContinuousClock.now < drainDeadline {
                switch stalled.receive() {
                case .bytes(let n): received += n; _ = stalled.takePending()
                case .closed, .reset: closed = true
                case .timedOut: quiet = true
                }
            }
            #expect(closed, "the stalled client was never dropped")
            #expect(received < size, "the whole file arrived: the server waited instead of timing out")
        }

        @Test func clientVanishingMidResponseDoesNotHurtTheServer() throws {
            let site = try StaticFixture.makeSite()
            try writeLargeFile(atPath: site.docroot + "/big.bin", size: 16 * 1024 * 1024)
            let server = try Webserv.start(StaticFixture.config, site: site)
            defer { server.stop() }
            for _ in 0..<5 {
                let client = try server.connect()
                try client.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
                _ = client.receive()
                client.reset()
            }
            // Still serving (SIGPIPE ignored, the dead connections cleaned up).
            let response = try server.get("/hello.txt")
            #expect(response.status == 200)
            #expect(response.text == StaticFixture.hello)
        }

        @Test func twoHundredConcurrentClientsEachGetTheirOwnFile() throws {
            let site = try StaticFixture.makeSite()
            let count = 200
            for i in 0..<count { try site.write("c/\(i).txt", "client \(i) " + String(repeating: "x", count: i * 37) + "\n") }
            let server = try Webserv.start(StaticFixture.config, site: site)
            defer { server.stop() }

            // All connected at once before anyone sends: the server holds 200 open connections.
            var clients: [RawClient] = []
            for _ in 0..<count { clients.append(try server.connect(receiveTimeout: 20)) }

            let tally = Tally()
            let group = DispatchGroup()
            for (i, client) in clients.enumerated() {
                group.enter()
                let thread = Thread {
                    defer { group.leave() }
                    do {
                        try client.send("GET /c/\(i).txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                        let response = try client.readResponse()
                        let expected = "client \(i) " + String(repeating: "x", count: i * 37) + "\n"
                        if response.status == 200 && response.text == expected {
                            tally.succeed()
                        } else {
                            tally.fail("client \(i): \(response.status) \(response.text.prefix(40))")
                        }
                    } catch {
                        tally.fail("client \(i): \(error)")
                    }
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            let finished = group.wait(timeout: .now() + 60)
            #expect(finished == .success, "clients still waiting after 60 s")
            let (successes, failures) = tally.counts()
            #expect(successes == count, "failures: \(failures.prefix(10))")
        }
    }
}

/// Results collected from client threads.
final class Tally: @unchecked Sendable {
    private let lock = NSLock()
    private var successes = 0
    private var failures: [String] = []

    func succeed() { lock.lock(); successes += 1; lock.unlock() }
    func fail(_ message: String) { lock.lock(); failures.append(message); lock.unlock() }
    func counts() -> (Int, [String]) { lock.lock(); defer { lock.unlock() }; return (successes, failures) }
}

extension Integration {
    /// What happens when the server cannot take every client at once.
    @Suite struct ConnectionLimits {
        /// Opens `count` keep-alive clients that each send one request, checks the server stays idle
        /// while the extra ones wait, then closes the clients in order: every one must get an answer.
        /// Returns the statuses, in the clients' order.
        @discardableResult
        static func expectQueuedClientsAreServedWithoutSpinning(_ server: Webserv, count: Int) throws -> [Int] {
            var statuses: [Int] = []
            var clients: [RawClient] = []
            for _ in 0..<count {
                let client = try server.connect(receiveTimeout: 10)
                try client.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
                clients.append(client)
            }
            usleep(300_000)
            let before = try #require(server.cpuTicks())
            usleep(2_000_000)
            let after = try #require(server.cpuTicks())
            #expect(after - before < 40, "the server used \(after - before) ticks of CPU in 2 s while clients waited")

            var answered = 0
            var problems: [String] = []
            for (i, client) in clients.enumerated() {
                do {
                    let response = try client.readResponse()
                    statuses.append(response.status)
                    if response.status == 200 || response.status >= 500 {
                        answered += 1
                    } else {
                        problems.append("client \(i): \(response.status)")
                    }
                } catch {
                    problems.append("client \(i): \(error)")
                }
                client.close()
            }
            #expect(answered == count, "only \(answered) of \(count) queued clients were answered: \(problems.prefix(5))")
            let fresh = try server.get("/hello.txt")
            #expect(fresh.status == 200)
            #expect(fresh.text == StaticFixture.hello)
            return statuses
        }

        /// The first eight are served; each of the others either takes the place of one of them once it is
        /// idle, or is told 503 at once (Retry-After) when it comes before any is.
        @Test func clientsBeyondMaxConnectionsAreAnswered503() throws {
            let site = try StaticFixture.makeSite()
            let server = try Webserv.start("""
                max_connections 8;
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                }
                """, site: site)
            defer { server.stop() }
            let statuses = try Self.expectQueuedClientsAreServedWithoutSpinning(server, count: 30)
            #expect(Array(statuses.prefix(8)) == Array(repeating: 200, count: 8), "\(statuses)")
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "\(statuses)")
        }

        /// More descriptors than FD_SETSIZE (1024) in the one select(): 1,500 keep-alive clients held at once,
        /// each answered twice.
        @Test func fifteenHundredClientsAreHeldAndAnsweredPastFDSetSize() throws {
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            let wanted = rlim_t(4096)
            try #require(limit.rlim_max >= wanted, "the test needs a hard descriptor limit of 4096")
            if limit.rlim_cur < wanted {
                limit.rlim_cur = wanted
                setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            }
            let site = try StaticFixture.makeSite()
            let server = try Webserv.start("server { listen 127.0.0.1:@PORT@; root @ROOT@; }", site: site,
                                           launcher: ["/usr/bin/prlimit", "--nofile=4096:4096"])
            defer { server.stop() }
            var clients: [RawClient] = []
            for _ in 0..<1500 { clients.append(try server.connect(receiveTimeout: 20)) }
            var answered = [0, 0]
            for round in 0..<2 {
                for client in clients {
                    try client.send("GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n")
                }
                for client in clients {
                    let response = try client.readResponse()
                    if response.status == 200 && response.text == StaticFixture.hello { answered[round] += 1 }
                }
            }
            #expect(answered == [1500, 1500])
            let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd").count) ?? 0
            #expect(open > 1500, "the server held \(open) descriptors")
        }

        @Test func descriptorExhaustionDoesNotSpinTheLoop() throws {
            let site = try StaticFixture.makeSite()
            // 32 descriptors at most, but room for 100 connections: accept() itself fails with EMFILE.
            let server = try Webserv.start("""
                max_connections 100;
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                }
                """, site: site, launcher: ["/usr/bin/prlimit", "--nofile=32:32"])
            defer { server.stop() }
            try Self.expectQueuedClientsAreServedWithoutSpinning(server, count: 60)
        }
    }
}
