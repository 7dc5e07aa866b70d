import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Uploads that fail half-way leave nothing behind; big and concurrent ones stay exact and bounded.
    @Suite struct UploadRobustness {
        /// The three ways a body reaches the store, each announcing `length` bytes.
        static func heads(length: Int) -> [(String, [UInt8])] {
            let form = MultipartForm()
            let preamble = [UInt8]("--\(form.boundary)\r\nContent-Disposition: form-data; name=\"f\"; filename=\"half.bin\"\r\n\r\n")
            return [
                ("PUT", [UInt8]("PUT /uploads/half.bin HTTP/1.1\r\nHost: a\r\nContent-Length: \(length)\r\n\r\n")),
                ("raw POST", [UInt8]("POST /uploads/half.bin HTTP/1.1\r\nHost: a\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: \(length)\r\n\r\n")),
                ("multipart POST", [UInt8]("POST /uploads/ HTTP/1.1\r\nHost: a\r\nContent-Type: \(form.contentType)\r\n"
                    + "Content-Length: \(length + preamble.count)\r\n\r\n") + preamble),
            ]
        }

        /// Sends half of a 1 MB body, waits until the server is writing it, then ends the connection.
        static func abandonHalfWay(reset: Bool) throws {
            for (kind, head) in heads(length: 1_000_000) {
                let (site, server) = try UploadFixture.start()
                defer { server.stop(); _ = site }
                let client = try server.connect()
                try client.send(head)
                try client.send(patternBytes(count: 500_000))
                // The temporary exists and holds data: the server is mid-upload.
                let writing = eventually {
                    site.storeEntries().contains { name in
                        name.hasPrefix(".webserv-tmp/") && ((try? FileManager.default.attributesOfItem(atPath: site.store + "/" + name)[.size] as? Int) ?? 0) > 0
                    }
                }
                #expect(writing, "\(kind): no temporary file in the store while uploading: \(site.storeEntries())")
                if reset { client.reset() } else { client.close() }
                #expect(eventually { site.storeEntries() == ["sub"] }, "\(kind) left \(site.storeEntries())")
                #expect(site.temporaries().isEmpty)
                #expect(try server.get("/uploads/half.bin").status == 404, "\(kind)")
            }
        }

        @Test func clientResetMidUploadLeavesNoFileAndNoTemporary() throws {
            try Self.abandonHalfWay(reset: true)
        }

        @Test func clientClosingMidUploadLeavesNoFileAndNoTemporary() throws {
            try Self.abandonHalfWay(reset: false)
        }

        @Test func clientResetAfterTheHeadAloneLeavesNothing() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("PUT /uploads/nothing.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n")
            usleep(100_000)
            client.reset()
            #expect(eventually { site.storeEntries() == ["sub"] }, "\(site.storeEntries())")
        }

        @Test func clientStallingMidUploadGets408AndLeavesNothing() throws {
            let site = try TestSite()
            try FileManager.default.createDirectory(atPath: site.store, withIntermediateDirectories: true)
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    client_body_timeout 1s;
                    location /uploads/ { alias @DIR@/store/; allow_methods GET PUT POST; upload_store @DIR@/store; }
                }
                """, site: site)
            defer { server.stop() }
            for (kind, head) in Self.heads(length: 100_000) {
                let client = try server.connect(receiveTimeout: 5)
                defer { client.close() }
                try client.send(head + patternBytes(count: 50_000))
                #expect(eventually { site.storeEntries().contains { $0.hasPrefix(".webserv-tmp/") } }, "\(kind)")
                let started = ContinuousClock.now
                let response = try client.readResponse()
                #expect(response.status == 408, "\(kind): \(response)")
                #expect(ContinuousClock.now - started < .seconds(4), "\(kind)")
                #expect(client.readUntilClosed(timeout: 5).closed, "\(kind)")
                #expect(eventually { site.storeEntries().isEmpty }, "\(kind) left \(site.storeEntries())")
            }
        }

        /// A client may shut down its sending side once the request is out (`nc -N`); the answer still comes.
        @Test(arguments: [true, false])
        func requestFollowedByHalfCloseIsStillAnswered(keepAlive: Bool) throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect(receiveTimeout: 5)
            defer { client.close() }
            try client.send(putRequest("/uploads/halfclose.txt", [UInt8]("sent, then FIN\n"), close: !keepAlive))
            _ = shutdown(client.fd, Int32(SHUT_WR))
            let answer = client.readUntilClosed(timeout: 5)
            #expect(answer.bytes.text.hasPrefix("HTTP/1.1 201 Created\r\n"), "keep-alive \(keepAlive): got \(answer.bytes.count) bytes")
            #expect(answer.closed)
            #expect(site.stored("halfclose.txt") == [UInt8]("sent, then FIN\n"))
        }

        @Test func chunkedBodyPassingTheLimitIs413AndLeavesNothing() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(filename: "toolarge.bin", patternBytes(count: 2000))
            let requests: [(String, [UInt8])] = [
                ("PUT", [UInt8]("PUT /small/toolarge.bin HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                    + chunked(patternBytes(count: 3000), sizes: [500, 500, 500, 500, 500])),
                ("raw POST", [UInt8]("POST /small/toolarge.bin HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                    + chunked(patternBytes(count: 3000), sizes: [100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100])),
                ("multipart", [UInt8]("POST /small/ HTTP/1.1\r\nHost: a\r\nContent-Type: \(form.contentType)\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n") + chunked(form.body, sizes: [300, 300, 300, 300])),
            ]
            for (kind, request) in requests {
                let client = try server.connect()
                defer { client.close() }
                // The first kilobyte arrives and is written before the chunk that passes the limit.
                let split = request.count - 1500
                try client.send(Array(request[..<split]))
                usleep(100_000)
                try? client.send(Array(request[split...]))
                let response = try client.readResponse()
                #expect(response.status == 413, "\(kind): \(response)")
                let rest = client.readUntilClosed(timeout: 5)
                #expect(rest.closed, "\(kind): the connection stayed open after a 413 mid-body")
                #expect(rest.bytes.isEmpty)
                #expect(eventually { site.storeEntries() == ["sub"] }, "\(kind) left \(site.storeEntries())")
            }
        }

        @Test func bodyAtTheLimitIsAcceptedAndOneByteMoreIs413() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let atLimit = try server.exchange(putRequest("/small/limit.bin", patternBytes(count: 1024)))
            #expect(atLimit.status == 201)
            #expect(site.stored("limit.bin") == patternBytes(count: 1024))
            let chunkedAtLimit = try server.exchange([UInt8]("PUT /small/limit-chunked.bin HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                + chunked(patternBytes(count: 1024), sizes: [1000]))
            #expect(chunkedAtLimit.status == 201)

            // Declared too large: answered at once, before any body byte is sent.
            let client = try server.connect()
            defer { client.close() }
            try client.send("PUT /small/over.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n")
            let over = try client.readResponse()
            #expect(over.status == 413)
            #expect(client.readUntilClosed(timeout: 5).closed)
            #expect(site.storeEntries() == ["limit-chunked.bin", "limit.bin", "sub"])
        }

        @Test func twentyConcurrentPutsToOneNameLeaveOneCompleteBody() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let bodies = (0..<20).map { patternBytes(count: 200_000 + $0 * 1000, seed: UInt64(100 + $0)) }
            let clients = try bodies.map { _ in try server.connect(receiveTimeout: 30) }
            defer { clients.forEach { $0.close() } }
            for (client, body) in zip(clients, bodies) {
                try client.send("PUT /uploads/race.bin HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n")
            }
            // Interleaved, so every upload is in flight at once.
            var offset = 0
            while offset < 221_000 {
                for (client, body) in zip(clients, bodies) where offset < body.count {
                    try client.send(Array(body[offset..<min(offset + 16_384, body.count)]))
                }
                offset += 16_384
            }
            var statuses: [Int] = []
            for client in clients { statuses.append(try client.readResponse().status) }
            #expect(statuses.filter { $0 == 201 }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == 204 }.count == 19, "\(statuses)")
            let stored = try #require(site.stored("race.bin"))
            #expect(bodies.contains(stored), "race.bin (\(stored.count) bytes) is none of the bodies sent")
            #expect(site.storeEntries() == ["race.bin", "sub"])
        }

        @Test func threeHundredMegabyteUploadIsExactAndStreamed() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let source = site.directory + "/big-source.bin"
            try writeLargeFile(atPath: source, size: 300 * 1024 * 1024)
            defer { try? FileManager.default.removeItem(atPath: source) }
            let result = try Curl.run(["-F", "movie=@\(source);filename=big.bin;type=video/mp4",
                                       "http://127.0.0.1:\(server.port)/uploads/"], in: site)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.status == 201)
            #expect(result.header("Location") == "/uploads/big.bin")
            let peak = try #require(server.peakResidentBytes())
            #expect(peak < MemoryBound.peak(64 * 1024 * 1024), "VmHWM \(peak / 1024 / 1024) MB while storing 300 MB")
            let attributes = try FileManager.default.attributesOfItem(atPath: site.store + "/big.bin")
            #expect(attributes[.size] as? Int == 300 * 1024 * 1024)
            #expect(try SHA256.hex(ofFile: site.store + "/big.bin") == SHA256.hex(ofFile: source))
            #expect(site.temporaries().isEmpty)
        }

        @Test func threeHundredMegabytePutIsExactAndStreamed() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let source = site.directory + "/big-source.bin"
            try writeLargeFile(atPath: source, size: 300 * 1024 * 1024)
            defer { try? FileManager.default.removeItem(atPath: source) }
            // -T: curl streams the file (with Expect: 100-continue).
            let result = try Curl.run(["-T", source, "http://127.0.0.1:\(server.port)/uploads/put.bin"], in: site)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.status == 201)
            let peak = try #require(server.peakResidentBytes())
            #expect(peak < MemoryBound.peak(64 * 1024 * 1024), "VmHWM \(peak / 1024 / 1024) MB while storing 300 MB")
            #expect(try SHA256.hex(ofFile: site.store + "/put.bin") == SHA256.hex(ofFile: source))
        }
    }
}
