import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// I/O buffers come from a pool sized at start-up (`io_buffer_memory`, by default from RLIMIT_AS): clients
    /// that read nothing or stall their uploads make others wait for a block, never make the server ask for
    /// memory it cannot have (Swift aborts when an allocation fails).
    @Suite struct MemoryBounds {
        static let bigSize = 5_000_000

        static let config = """
            access_log off;
            shutdown_timeout 1s;
            @MEMORY@
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location /up/ { allow_methods GET PUT; upload_store @DIR@/up; client_max_body_size 0; }
            }
            """

        static func start(memory: String = "", launcher: [String] = []) throws -> (TestSite, Webserv) {
            let site = try TestSite()
            try site.write("big.bin", (0..<bigSize).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) })
            try site.write("index.html", "<p>still here</p>\n")
            try FileManager.default.createDirectory(atPath: site.directory + "/up", withIntermediateDirectories: true)
            let server = try Webserv.start(config.replacingOccurrences(of: "@MEMORY@", with: memory), site: site,
                                           launcher: launcher)
            return (site, server)
        }

        /// Each reader pipelines three GETs of the 5 MB file and then reads nothing (a tiny receive window, so
        /// the kernel holds little of it for them); each uploader sends a PUT announcing 1 GiB, 64 KiB of it,
        /// and then nothing.
        static func holdSlowClients(_ server: Webserv, readers: Int, uploaders: Int) throws -> [RawClient] {
            var clients: [RawClient] = []
            let gets = String(repeating: "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n", count: 3)
            for _ in 0..<readers {
                let client = try RawClient(port: server.port, receiveTimeout: 20, receiveBufferSize: 4096)
                try client.send(gets)
                clients.append(client)
            }
            let body = [UInt8](repeating: UInt8(ascii: "u"), count: 64 * 1024)
            for n in 0..<uploaders {
                let client = try server.connect()
                try client.send("PUT /up/stalled-\(n) HTTP/1.1\r\nHost: a\r\nContent-Length: \(1 << 30)\r\n\r\n")
                try client.send(body)
                clients.append(client)
            }
            return clients
        }

        /// A newcomer is answered within 5 s: 200, or 503 with Retry-After.
        static func expectProbeAnswered(_ server: Webserv, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let start = ContinuousClock.now
            let probe = try RawClient(port: server.port, receiveTimeout: 5)
            try probe.send("GET /index.html HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let response = try probe.readResponse()
            let waited = ContinuousClock.now - start
            #expect(waited < .seconds(5), "the probe waited \(waited)", sourceLocation: sourceLocation)
            if response.status == 503 {
                #expect(response.header("Retry-After") != nil, sourceLocation: sourceLocation)
            } else {
                #expect(response.status == 200, sourceLocation: sourceLocation)
                #expect(response.text == "<p>still here</p>\n", sourceLocation: sourceLocation)
            }
        }

        static func raiseDescriptorLimit(to wanted: rlim_t) throws {
            var limit = rlimit()
            getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            try #require(limit.rlim_max >= wanted, "the test needs a hard descriptor limit of \(wanted)")
            if limit.rlim_cur < wanted {
                limit.rlim_cur = wanted
                setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
            }
        }

        /// The pool size the server announced at start-up (`webserv: N KiB of I/O buffers`).
        static func poolBytes(_ server: Webserv) -> Int? {
            for line in server.output().split(separator: "\n") where line.hasSuffix(" KiB of I/O buffers") {
                return Int(line.split(separator: " ")[1]).map { $0 * 1024 }
            }
            return nil
        }

        /// The issue's scenario, scaled down: 1,000 slow readers (about 130 KB each before the pool, so 130 MB)
        /// and 100 stalled uploads under a 50 MB address-space limit, which used to end in
        /// `Fatal error: failed to allocate` and SIGABRT.
        @Test func slowReadersAndStalledUploadsUnderAnAddressSpaceLimitLeaveTheServerServing() throws {
            // An AddressSanitizer build reserves terabytes of address space for its shadow memory.
            guard try !Repo.webservBinary().path.contains("asan") else { return }
            try Self.raiseDescriptorLimit(to: 4096)
            let (site, server) = try Self.start(launcher: ["/usr/bin/prlimit", "--as=50000000", "--nofile=4096:4096"])
            defer { server.stop(); _ = site }
            let pool = Self.poolBytes(server) ?? 0
            #expect(pool < 25 << 20, "the pool (\(pool >> 10) KiB) must be drawn from RLIMIT_AS")
            let clients = try Self.holdSlowClients(server, readers: 1000, uploaders: 100)
            for _ in 0..<3 {
                try Self.expectProbeAnswered(server)
                usleep(300_000)
            }
            let peak = server.peakResidentBytes() ?? Int.max
            #expect(peak < pool + 20 << 20, "VmHWM \(peak >> 20) MB with a pool of \(pool >> 20) MB")
            #expect(server.process.isRunning)
            clients.forEach { $0.close() }
        }

        /// With three bulk blocks for twenty clients, most wait for one; every client still gets its three
        /// responses whole once it reads, and a newcomer is answered meanwhile.
        @Test func connectionsWaitingForABufferAreServedInFullOnceOneIsFree() throws {
            let (site, server) = try Self.start(memory: "io_buffer_memory 256k;")
            defer { server.stop(); _ = site }
            #expect(Self.poolBytes(server) == 256 * 1024)
            let readers = try Self.holdSlowClients(server, readers: 20, uploaders: 0)
            usleep(200_000)
            try Self.expectProbeAnswered(server)
            let expected = (0..<Self.bigSize).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) }
            for (n, reader) in readers.enumerated() {
                for request in 0..<3 {
                    let response = try reader.readResponse()
                    #expect(response.status == 200)
                    #expect(response.body.count == Self.bigSize, "reader \(n), response \(request)")
                    if n == readers.count - 1 && request == 2 { #expect(response.body == expected) }
                }
            }
            #expect(server.peakResidentBytes() ?? Int.max < 32 << 20)
        }
    }
}
