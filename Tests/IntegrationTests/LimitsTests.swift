import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Sites and probes for the server at its limits: slots, clients per address, CGI processes.
enum LimitsFixture {
    static let page = "hello"

    static func staticSite() throws -> TestSite {
        let site = try TestSite()
        try site.write("a.html", page)
        return site
    }

    /// `/cgi-bin/` runs python scripts; `top` is prepended at top level (the CGI limits).
    static func cgiConfig(top: String, cgiTimeout: String = "30s") -> String {
        """
        \(top)
        server {
            listen 127.0.0.1:@PORT@;
            root @ROOT@;
            location /cgi-bin/ {
                cgi .py \(CGIFixture.python);
                cgi_timeout \(cgiTimeout);
            }
        }
        """
    }

    /// A script that appends its query to `runs.log` beside the docroot, sleeps `sleep` seconds and answers.
    static func cgiSite() throws -> TestSite {
        let site = try TestSite()
        let log = site.directory + "/runs.log"
        try site.write("cgi-bin/slow.py", """
            import os, sys, time
            query = os.environ.get("QUERY_STRING", "")
            with open("\(log)", "a") as f:
                f.write(query + "\\n")
            fields = dict(p.split("=") for p in query.split("&") if "=" in p)
            time.sleep(float(fields.get("sleep", "1")))
            sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\nran " + query + "\\n")
            """)
        return site
    }

    static func runs(of site: TestSite) -> [String] {
        let text = (try? String(contentsOfFile: site.directory + "/runs.log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Children of `pid` (live or zombie), from /proc.
    static func children(of pid: Int32) -> Int {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var count = 0
        for entry in entries where entry.first?.isNumber == true {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After "(comm)": state, then ppid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, Int32(fields[1]) == pid { count += 1 }
        }
        return count
    }

    /// One request on its own connection, answered on a background thread.
    static func request(_ server: Webserv, _ target: String, timeout: Double = 60) -> () throws -> HTTPResponse {
        CGIFixture.inBackground(timeout: .seconds(Int(timeout) + 30)) {
            let client = try server.connect(receiveTimeout: timeout)
            defer { client.close() }
            try client.send("GET \(target) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return try client.readResponse()
        }
    }

    /// `count` keep-alive clients, each served once and left idle.
    static func idleClients(_ server: Webserv, count: Int) throws -> [RawClient] {
        try (0..<count).map { _ in
            let client = try server.connect()
            try client.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            guard response.status == 200 else { throw HarnessError("an idle client was answered \(response.status)") }
            return client
        }
    }

    /// Tries until served, waiting as `Retry-After` says between refusals; the status and seconds taken.
    static func served(_ server: Webserv, within limit: Double) throws -> (status: Int, seconds: Double) {
        let start = ContinuousClock.now
        var status = 0
        while seconds(since: start) < limit {
            let client = try server.connect(receiveTimeout: limit)
            try client.send("GET /a.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            client.close()
            status = response.status
            if status == 200 { break }
            let retry = Double(response.header("Retry-After") ?? "1") ?? 1
            usleep(UInt32(retry * 1_000_000))
        }
        return (status, seconds(since: start))
    }
}

/// A flag shared with a background thread.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    func stop() { lock.lock(); stopped = true; lock.unlock() }
    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }
}

extension Integration {
    /// Slots at `max_connections` go to those who use them; clients per address and CGI processes are capped.
    @Suite struct Limits {
        @Test func atMaxConnectionsANewcomerTakesTheLongestIdleKeepAliveSlot() throws {
            let site = try LimitsFixture.staticSite()
            let server = try Webserv.start("max_connections 20;\nserver { listen 127.0.0.1:@PORT@; root @ROOT@; }",
                                           site: site)
            defer { server.stop() }
            let idle = try LimitsFixture.idleClients(server, count: 20)

            let start = ContinuousClock.now
            let newcomer = try server.connect(receiveTimeout: 10)
            try newcomer.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try newcomer.readResponse()
            let latency = seconds(since: start)
            print("newcomer latency at a full cap of idle keep-alive clients: \(Int(latency * 1000)) ms")
            #expect(response.status == 200 && response.text == LimitsFixture.page, "\(response.status)")
            #expect(latency < 2)
            // The longest idle one made room; the others are still served on their connections.
            #expect(idle[0].readUntilClosed(timeout: 2).closed, "the longest-idle client was not closed")
            for client in idle[1...] {
                try client.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 200)
            }
        }

        @Test func onlyIdleKeepAliveConnectionsMakeRoomAndWithNoneLeftANewcomerGets503() throws {
            let site = try LimitsFixture.staticSite()
            let server = try Webserv.start("max_connections 4;\nserver { listen 127.0.0.1:@PORT@; root @ROOT@; }",
                                           site: site)
            defer { server.stop() }
            // Two idle clients and two with a request head under way.
            let idle = try LimitsFixture.idleClients(server, count: 2)
            var busy = try (0..<2).map { _ in try server.connect() }
            for client in busy { try client.send("GET /a.html HTTP/1.1\r\n") }
            // Two newcomers start heads too: each takes an idle client's place.
            for _ in 0..<2 {
                usleep(100_000)
                let newcomer = try server.connect()
                try newcomer.send("GET /a.html HTTP/1.1\r\n")
                busy.append(newcomer)
            }
            usleep(100_000)
            #expect(idle.allSatisfy { $0.readUntilClosed(timeout: 2).closed }, "the idle clients were not closed")
            // Nobody is idle now: the next one is refused, and no request under way is cut for it.
            let refusedClient = try server.connect()
            try refusedClient.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
            let refused = try refusedClient.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            for client in busy {
                try client.send("Host: x\r\n\r\n")
                let response = try client.readResponse()
                #expect(response.status == 200 && response.text == LimitsFixture.page, "\(response.status)")
            }
        }

        @Test func slowHeadsCannotHoldEverySlot() throws {
            let site = try LimitsFixture.staticSite()
            let server = try Webserv.start("max_connections 50;\nserver { listen 127.0.0.1:@PORT@; root @ROOT@; }",
                                           site: site)
            defer { server.stop() }
            let head = Array("GET /a.html HTTP/1.1\r\nHost: x\r\nUser-Agent: one byte a second\r\n\r\n".utf8)
            let tricklers = try (0..<50).map { _ in try server.connect(receiveTimeout: 20) }
            let stop = StopFlag()
            let trickling = CGIFixture.inBackground(timeout: .seconds(30)) {
                var alive = Array(repeating: true, count: tricklers.count)
                for byte in head where !stop.isStopped {
                    for (i, client) in tricklers.enumerated() where alive[i] {
                        alive[i] = (try? client.send([byte])) != nil
                    }
                    usleep(1_000_000)
                }
            }
            usleep(1_000_000)  // every slot is held by a head arriving a byte a second

            let (status, latency) = try LimitsFixture.served(server, within: 8)
            stop.stop()
            print("newcomer latency with every slot held by a slow head: \(Int(latency * 1000)) ms")
            #expect(status == 200)
            #expect(latency < 5, "served after \(latency) s")
            try trickling()
            // The slow heads were cut with 408, not left hanging.
            let cut = try tricklers[0].readResponse()
            #expect(cut.status == 408)
        }

        @Test func connectionsPerClientAddressAreCapped() throws {
            let site = try LimitsFixture.staticSite()
            let server = try Webserv.start("""
                limit_conn_per_client 3;
                server { listen 127.0.0.1:@PORT@; root @ROOT@; }
                """, site: site)
            defer { server.stop() }
            let held = try LimitsFixture.idleClients(server, count: 3)
            let extra = try server.connect()
            try extra.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
            let refused = try extra.readResponse()
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            #expect(extra.readUntilClosed(timeout: 5).closed, "a client over its limit is closed")
            // The client's own idle connections are not closed to make room for it.
            for client in held {
                try client.send("GET /a.html HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 200)
            }
            held[0].close()
            var served = false
            for _ in 0..<50 where !served {
                usleep(20_000)
                served = try server.get("/a.html").status == 200
            }
            #expect(served, "a connection closed gives the client its place back")
        }

        @Test func concurrentCGIProcessesAreCappedAndRequestsWaitTheirTurn() throws {
            let site = try LimitsFixture.cgiSite()
            let server = try Webserv.start(LimitsFixture.cgiConfig(top: "cgi_max_processes 4;\ncgi_queue_timeout 60s;"),
                                           site: site)
            defer { server.stop() }
            let start = ContinuousClock.now
            let waits = (0..<40).map { LimitsFixture.request(server, "/cgi-bin/slow.py?n=\($0)&sleep=1") }
            var most = 0
            var finished = false
            let sampling = CGIFixture.inBackground(timeout: .seconds(90)) { () -> [HTTPResponse] in
                let responses = try waits.map { try $0() }
                return responses
            }
            // Sample while they run: never more than four interpreters at once.
            while !finished && seconds(since: start) < 60 {
                most = max(most, LimitsFixture.children(of: server.pid))
                usleep(10_000)
                finished = LimitsFixture.runs(of: site).count == 40 && LimitsFixture.children(of: server.pid) == 0
            }
            let responses = try sampling()
            print("CGI processes at most: \(most) (cap 4), 40 requests of 1 s in "
                  + "\(Int(seconds(since: start) * 10) / 10) s")
            #expect(most == 4)
            #expect(responses.map(\.status) == Array(repeating: 200, count: 40))
            #expect(responses.enumerated().allSatisfy { $0.element.text == "ran n=\($0.offset)&sleep=1\n" })
        }

        @Test func aRequestWaitingPastCGIQueueTimeoutGets503() throws {
            let site = try LimitsFixture.cgiSite()
            let server = try Webserv.start(LimitsFixture.cgiConfig(top: "cgi_max_processes 1;\ncgi_queue_timeout 1s;"),
                                           site: site)
            defer { server.stop() }
            let first = LimitsFixture.request(server, "/cgi-bin/slow.py?n=0&sleep=3")
            try #require(eventually { LimitsFixture.runs(of: site) == ["n=0&sleep=3"] }, "the first script runs")
            let start = ContinuousClock.now
            let queued = (1...2).map { LimitsFixture.request(server, "/cgi-bin/slow.py?n=\($0)&sleep=0") }
            for wait in queued {
                let response = try wait()
                #expect(response.status == 503)
                #expect(response.header("Retry-After") == "1")
            }
            let waited = seconds(since: start)
            #expect(waited > 0.8 && waited < 2.5, "answered after \(waited) s")
            #expect(try first().status == 200)
            #expect(LimitsFixture.runs(of: site) == ["n=0&sleep=3"], "a script ran for a refused request")
        }

        @Test func aKilledScriptFreesItsSlotAndAClientThatLeavesTheLineFreesItsPlace() throws {
            let site = try LimitsFixture.cgiSite()
            let server = try Webserv.start(
                LimitsFixture.cgiConfig(top: "cgi_max_processes 1;\ncgi_queue_timeout 30s;", cgiTimeout: "1s"),
                site: site)
            defer { server.stop() }
            // A script killed at cgi_timeout (504); one request leaves the line; the next in line runs.
            let hung = LimitsFixture.request(server, "/cgi-bin/slow.py?n=hung&sleep=20")
            try #require(eventually { LimitsFixture.runs(of: site) == ["n=hung&sleep=20"] }, "the first script runs")
            let leaving = try server.connect()
            try leaving.send("GET /cgi-bin/slow.py?n=left&sleep=0 HTTP/1.1\r\nHost: x\r\n\r\n")
            // The line itself shows nowhere outside the server: time orders the two in it.
            usleep(200_000)
            let next = LimitsFixture.request(server, "/cgi-bin/slow.py?n=next&sleep=0")
            usleep(200_000)
            leaving.close()
            #expect(try hung().status == 504)
            let served = try next()
            #expect(served.status == 200 && served.text == "ran n=next&sleep=0\n")
            #expect(LimitsFixture.runs(of: site) == ["n=hung&sleep=20", "n=next&sleep=0"])
        }

        @Test func optionsStarListsTheServersMethods() throws {
            let site = try LimitsFixture.staticSite()
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    location / { allow_methods GET HEAD; }
                    location /up/ { allow_methods GET POST PUT DELETE; upload_store @DIR@; }
                    location /old/ { return 301 /; }
                }
                """, site: site)
            defer { server.stop() }
            let star = try server.exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(star.status == 204)
            #expect(star.header("Allow") == "GET, HEAD, POST, PUT, DELETE, OPTIONS")
            let get = try server.exchange("GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(get.status == 400)
        }
    }
}
