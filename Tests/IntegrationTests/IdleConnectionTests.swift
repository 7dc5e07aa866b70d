import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// What a connection between requests holds: only what its next request needs (issue 11: at most 0.60 KB
    /// per idle keep-alive connection).
    @Suite struct IdleConnections {
        /// A head that arrives in pieces keeps its parser between reads; a head completed in the same read
        /// that begins the next one leaves that next one a fresh parser.
        @Test func headsArrivingInPiecesAreParsedWhereTheyLeftOff() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            let pieces = ["GET /hello.txt HT", "TP/1.1\r\nHo", "st: a\r\n", "\r\nGET /page.html HTTP/1.1\r\nHo",
                          "st: a\r\nConnection: clo", "se\r\n\r\n"]
            for piece in pieces {
                try client.send(piece)
                usleep(50_000)  // each piece its own read
            }
            let first = try client.readResponse()
            #expect(first.status == 200)
            #expect(first.text == StaticFixture.hello)
            let second = try client.readResponse()
            #expect(second.status == 200)
            #expect(second.text == StaticFixture.page)
            #expect(client.readUntilClosed(timeout: 5).closed)
        }

        /// The server's resident memory grows by at most 0.60 KB for each keep-alive connection left idle
        /// after its first answer; each one is still held (answered a second time).
        @Test(.disabled(if: MemoryBound.sanitized, "ASan's shadow memory and redzones are counted in RSS"))
        func anIdleKeepAliveConnectionCostsAtMostSixTenthsOfAKilobyte() throws {
            let count = 1000
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            let wanted = rlim_t(4096)
            try #require(limit.rlim_max >= wanted, "the test needs a hard descriptor limit of 4096")
            if limit.rlim_cur < wanted {
                limit.rlim_cur = wanted
                setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            }
            let site = try StaticFixture.makeSite()
            // max_connections well above the count: a crowded server would cut keep-alive waits short.
            let server = try Webserv.start("""
                access_log off;
                max_connections 4000;
                server { listen 127.0.0.1:@PORT@; root @ROOT@; keepalive_timeout 300s; }
                """, site: site, launcher: ["/usr/bin/prlimit", "--nofile=4096:4096"])
            defer { server.stop() }
            let request = "GET /hello.txt HTTP/1.1\r\nHost: a\r\n\r\n"
            // First-use allocations (buffers, the file cache) are not what an idle connection costs.
            let warm = try server.connect()
            for _ in 0..<20 {
                try warm.send(request)
                #expect(try warm.readResponse().status == 200)
            }
            warm.close()
            usleep(200_000)
            let before = try #require(Self.residentBytes(of: server.pid))

            var clients: [RawClient] = []
            var answered = [0, 0]
            for _ in 0..<count {
                let client = try server.connect(receiveTimeout: 20)
                try client.send(request)
                if try client.readResponse().status == 200 { answered[0] += 1 }
                clients.append(client)
            }
            usleep(200_000)
            let after = try #require(Self.residentBytes(of: server.pid))
            for client in clients {
                try client.send(request)
                if try client.readResponse().status == 200 { answered[1] += 1 }
            }
            #expect(answered == [count, count])
            let perConnection = Double(after - before) / Double(count) / 1024
            #expect(perConnection <= 0.60, "\(String(format: "%.3f", perConnection)) KB per idle connection")
        }

        /// VmRSS of a process, in bytes.
        static func residentBytes(of pid: Int32) -> Int? {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first
                return kib.flatMap { Int($0) }.map { $0 * 1024 }
            }
            return nil
        }
    }
}
