import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Shared by the fault suites: descriptor accounting, a store on a full disk, scripts that misbehave.
enum FaultFixture {
    /// The server's open descriptors, `N -> target`, read from /proc (nothing is opened in the server).
    static func descriptors(of pid: Int32) -> [String] {
        let directory = "/proc/\(pid)/fd"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap(Int.init).sorted().map { fd in
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(fd)")) ?? "?"
            return "\(fd) -> \(target)"
        }
    }

    /// The descriptors of a server that has just answered a request and closed its connection.
    static func baseline(of server: Webserv, warmUp path: String) throws -> [String] {
        #expect(try server.get(path).status == 200, "warm-up GET \(path)")
        return descriptors(of: server.pid)
    }

    /// The server's descriptors return to `baseline` within a few seconds: a failed request leaked none.
    static func expectDescriptors(of server: Webserv, backTo baseline: [String], after what: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        var now: [String] = []
        let back = eventually(timeout: 5) {
            now = descriptors(of: server.pid)
            return now.count == baseline.count
        }
        let added = Set(now).subtracting(baseline).sorted().joined(separator: "\n")
        #expect(back, "\(what): \(now.count) descriptors open, \(baseline.count) before; new ones:\n\(added)",
                sourceLocation: sourceLocation)
    }

    /// A send that blocks no longer than `seconds`: a server that stops reading ends the test, not the run.
    static func setSendTimeout(_ client: RawClient, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends the whole request (the server may stop reading once it has failed: send errors are expected),
    /// then reads the answer, which must end with the server closing the connection.
    static func answerToAFailingUpload(_ request: [UInt8], on server: Webserv,
                                       sourceLocation: SourceLocation = #_sourceLocation) throws -> HTTPResponse {
        let client = try server.connect(receiveTimeout: 10)
        defer { client.close() }
        setSendTimeout(client, seconds: 10)
        try? client.send(request)
        let response = try client.readResponse()
        let rest = client.readUntilClosed(timeout: 5)
        #expect(rest.closed, "the connection stayed open after \(response.status)", sourceLocation: sourceLocation)
        #expect(rest.bytes.isEmpty, "bytes after the response: \(rest.bytes.prefix(200).text)", sourceLocation: sourceLocation)
        return response
    }

    /// A multipart POST of one file named `filename` holding `content`.
    static func multipart(to path: String, filename: String, _ content: [UInt8]) -> [UInt8] {
        var form = MultipartForm()
        form.addFile(filename: filename, content)
        return form.request(to: path)
    }

    /// `PUT path` with a chunked body cut in 10,000-byte chunks.
    static func chunkedPut(_ path: String, _ body: [UInt8]) -> [UInt8] {
        [UInt8]("PUT \(path) HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            + chunked(body, sizes: Array(repeating: 10_000, count: body.count / 10_000))
    }

    /// An upload store (with GET on the same directory) and a CGI location, on whatever `store` is.
    static let uploadConfig = """
        server {
            listen 127.0.0.1:@PORT@;
            root @ROOT@;
            client_max_body_size 100m;
            location /uploads/ { alias @DIR@/store/; allow_methods GET HEAD POST PUT; upload_store @DIR@/store; }
            location /cgi-bin/ { allow_methods GET POST; cgi .py \(CGIFixture.python); cgi_timeout 10s; }
        }
        """

    /// `mount ARGS...` or `umount ARGS...`: nil when it worked, else what it said.
    static func run(_ tool: String, _ arguments: [String]) -> String? {
        do {
            let outcome = try Subprocess.run(tool, arguments: arguments, timeout: .seconds(30))
            return outcome.succeeded ? nil : "\(tool) \(outcome.termination): \((outcome.stdout + outcome.stderr).text)"
        } catch {
            return "\(tool) could not run: \(error)"
        }
    }

    /// Bytes an unprivileged writer may still put on the filesystem holding `path`.
    static func freeBytes(at path: String) -> Int {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return -1 }
        return Int(info.f_bavail) * Int(info.f_bsize)
    }

    /// Scripts written into CGIFixture's site by the fault tests.
    static let scripts: [String: String] = [
        // Closes its stdout once the response is out, then lives on deaf to SIGTERM.
        "cgi-bin/closeout.py": #"""
            import os, signal, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            sys.stdout.write("Content-Type: text/plain\r\n\r\nall of it\n")
            sys.stdout.flush()
            os.close(1)
            time.sleep(30)
            """#,
        "cgi-bin/closeout-length.py": #"""
            import os, signal, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            sys.stdout.write("Content-Type: text/plain\r\nContent-Length: 10\r\n\r\nall of it\n")
            sys.stdout.flush()
            os.close(1)
            time.sleep(30)
            """#,
        // Closes its stdout, then ends normally a little later.
        "cgi-bin/closeout-exit.py": #"""
            import os, sys, time
            sys.stdout.write("Content-Type: text/plain\r\n\r\nall of it\n")
            sys.stdout.flush()
            os.close(1)
            time.sleep(0.5)
            """#,
        // The head, then SIGABRT before any body byte.
        "cgi-bin/abort-after-head.py": #"""
            import os, sys
            sys.stdout.write("Content-Type: text/plain\r\n\r\n")
            sys.stdout.flush()
            os.abort()
            """#,
        "cgi-bin/abort-after-head-length.py": #"""
            import os, sys
            sys.stdout.write("Content-Type: text/plain\r\nContent-Length: 20\r\n\r\n")
            sys.stdout.flush()
            os.abort()
            """#,
    ]

    static func startCGI(timeout: String = "10s") throws -> (TestSite, Webserv) {
        let site = try CGIFixture.makeSite()
        for (path, text) in scripts { try site.write(path, text + "\n") }
        return (site, try Webserv.start(CGIFixture.config(timeout: timeout), site: site))
    }
}

extension Integration {
    /// Uploads onto a disk that fills up: 507, nothing half-written left, the server carries on.
    @Suite struct FaultyDisk {
        /// A 256 KiB tmpfs mounted as the upload store.
        @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root; fileSizeLimitGives507AndLeavesNoPartialFile covers EFBIG without it"))
        func fullTmpfsStoreGives507AndLeavesNoPartialFile() throws {
            let site = try TestSite()
            let store = site.directory + "/store"
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            if let failure = FaultFixture.run("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", store]) {
                Issue.record("running as root but `mount -t tmpfs` was refused (no CAP_SYS_ADMIN in this container?): \(failure)")
                return
            }
            defer {
                if let failure = FaultFixture.run("umount", [store]) {
                    Issue.record("umount \(store): \(failure)")
                    _ = FaultFixture.run("umount", ["-l", store])
                }
            }
            let old = patternBytes(count: 8000, seed: 1)
            try Data(old).write(to: URL(fileURLWithPath: store + "/keep.bin"))
            try site.write("index.html", "<p>up</p>\n")
            let server = try Webserv.start(FaultFixture.uploadConfig, site: site)
            defer { server.stop() }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/index.html")
            func entries() -> [String] { TestSite.entries(of: store) }

            let big = patternBytes(count: 400_000, seed: 2)
            let cases: [(String, [UInt8])] = [
                ("multipart POST", FaultFixture.multipart(to: "/uploads/", filename: "big.bin", big)),
                ("PUT of a new file", putRequest("/uploads/big.bin", big)),
                ("PUT replacing a file", putRequest("/uploads/keep.bin", big)),
                ("chunked PUT", FaultFixture.chunkedPut("/uploads/big.bin", big)),
            ]
            for (kind, request) in cases {
                let response = try FaultFixture.answerToAFailingUpload(request, on: server)
                #expect(response.status == 507, "\(kind): \(response)")
                #expect(eventually { entries() == ["keep.bin"] }, "\(kind) left \(entries())")
                #expect(FileManager.default.contents(atPath: store + "/keep.bin").map { [UInt8]($0) } == old,
                        "\(kind): the existing file changed")
            }

            // The last write is only partly possible: free + 1000 bytes, then exactly what is free. The second
            // fits only if every failed upload's temporary was unlinked and closed (tmpfs frees space then).
            let free = FaultFixture.freeBytes(at: store)
            #expect(free > 200_000, "only \(free) bytes free: a failed upload still holds space")
            let overBy1000 = try FaultFixture.answerToAFailingUpload(
                putRequest("/uploads/fill.bin", patternBytes(count: free + 1000, seed: 3)), on: server)
            #expect(overBy1000.status == 507, "\(overBy1000)")
            #expect(eventually { entries() == ["keep.bin"] }, "left \(entries())")
            let exact = patternBytes(count: free, seed: 4)
            let fits = try server.exchange(putRequest("/uploads/fill.bin", exact))
            #expect(fits.status == 201, "\(free) bytes onto \(free) free: \(fits)")
            #expect(FileManager.default.contents(atPath: store + "/fill.bin").map { [UInt8]($0) } == exact)

            // Now the disk is full: one byte is refused.
            let oneByte = try FaultFixture.answerToAFailingUpload(putRequest("/uploads/one.bin", [0x41]), on: server)
            #expect(oneByte.status == 507, "\(oneByte)")
            #expect(entries() == ["fill.bin", "keep.bin"])

            let kept = try server.get("/uploads/keep.bin")
            #expect(kept.status == 200)
            #expect(kept.body == old)
            FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "uploads onto a full tmpfs")
        }

        static let sizeLimit = 100_000

        /// RLIMIT_FSIZE through prlimit: a write past it fails with EFBIG (SIGXFSZ must be ignored, or the
        /// server dies), as a full disk would; exactly the limit still fits.
        @Test func fileSizeLimitGives507AndLeavesNoPartialFile() throws {
            let site = try TestSite()
            let store = site.directory + "/store"
            try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
            try site.write("index.html", "<p>up</p>\n")
            let server = try Webserv.start(FaultFixture.uploadConfig, site: site,
                                           launcher: ["/usr/bin/prlimit", "--fsize=\(Self.sizeLimit)"])
            defer { server.stop() }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/index.html")
            func entries() -> [String] { TestSite.entries(of: store) }
            func stored(_ name: String) -> [UInt8]? { FileManager.default.contents(atPath: store + "/" + name).map { [UInt8]($0) } }

            let exact = patternBytes(count: Self.sizeLimit, seed: 5)
            let atLimit = try server.exchange(putRequest("/uploads/exact.bin", exact))
            #expect(atLimit.status == 201, "a body of exactly RLIMIT_FSIZE: \(atLimit)")
            #expect(stored("exact.bin") == exact)

            let over = patternBytes(count: Self.sizeLimit + 1, seed: 6)
            let cases: [(String, [UInt8])] = [
                ("PUT one byte over", putRequest("/uploads/over.bin", over)),
                ("PUT replacing a file", putRequest("/uploads/exact.bin", patternBytes(count: 150_000, seed: 7))),
                ("multipart POST one byte over", FaultFixture.multipart(to: "/uploads/", filename: "over.bin", over)),
                ("multipart POST whose second file is over", {
                    var form = MultipartForm()
                    form.addFile(filename: "fits.bin", [UInt8]("a small file that fits\n"))
                    form.addFile(filename: "over.bin", over)
                    return form.request(to: "/uploads/")
                }()),
                ("chunked PUT one byte over", FaultFixture.chunkedPut("/uploads/over.bin", over)),
            ]
            for (kind, request) in cases {
                guard server.process.isRunning else {
                    Issue.record("\(kind): webserv is dead (SIGXFSZ not ignored?): \(server.describe(server.process.termination))")
                    return
                }
                let response = try FaultFixture.answerToAFailingUpload(request, on: server)
                #expect(response.status == 507, "\(kind): \(response)")
                #expect(eventually { entries() == ["exact.bin"] }, "\(kind) left \(entries())")
                #expect(stored("exact.bin") == exact, "\(kind): the existing file changed")
            }

            let form = try server.exchange(FaultFixture.multipart(to: "/uploads/", filename: "form.bin", exact))
            #expect(form.status == 201, "a multipart file of exactly RLIMIT_FSIZE: \(form)")
            #expect(stored("form.bin") == exact)
            #expect(try server.get("/index.html").text == "<p>up</p>\n")
            FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "uploads past RLIMIT_FSIZE")
        }

        /// A chunked body for a script is spooled to a file first (php-cgi needs CONTENT_LENGTH): one that
        /// cannot be spooled is a 507, and no script runs.
        @Test func chunkedScriptBodyPastTheFileSizeLimitIs507() throws {
            let site = try CGIFixture.makeSite()
            try FileManager.default.createDirectory(atPath: site.directory + "/store", withIntermediateDirectories: true)
            let server = try Webserv.start(FaultFixture.uploadConfig, site: site,
                                           launcher: ["/usr/bin/prlimit", "--fsize=\(Self.sizeLimit)"])
            defer { server.stop() }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/static.txt")
            func post(_ body: [UInt8]) -> [UInt8] {
                [UInt8]("POST /cgi-bin/upper.py HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                    + chunked(body, sizes: Array(repeating: 10_000, count: body.count / 10_000))
            }
            let small = [UInt8]("fits in the spool\n")
            let fits = try server.exchange(post(small))
            #expect(fits.status == 200, "\(fits)")
            #expect(fits.text == "FITS IN THE SPOOL\n")
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(2)) == [])

            let over = try FaultFixture.answerToAFailingUpload(post(patternBytes(count: 250_000, seed: 8)), on: server)
            #expect(over.status == 507, "\(over)")
            #expect(CGIFixture.children(of: server.pid) == [], "a script ran for a body that was not kept")
            #expect(try server.get("/static.txt").text == CGIFixture.staticText)
            FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "a spool past RLIMIT_FSIZE")
        }
    }

    /// Clients that vanish (RST, SO_LINGER 0) at every stage of a request: the server keeps serving others
    /// and closes everything the request held.
    @Suite struct FaultyClients {
        static let heads = [
            "GET /hello.txt HT",
            "GET /hello.txt HTTP/1.1\r\nHost: a\r\n",
            "GET /hello.txt HTTP/1.1\r\nHost: a\r\nX-Long: " + String(repeating: "x", count: 3000),
        ]

        @Test func resetMidRequestHeadLeavesNothingOpen() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/index.html")
            var held: [RawClient] = []
            for head in Self.heads {
                let client = try server.connect()
                try client.send(head)
                held.append(client)
            }
            #expect(eventually { FaultFixture.descriptors(of: server.pid).count == baseline.count + Self.heads.count },
                    "the server does not hold the half-sent requests")
            held.forEach { $0.reset() }
            FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "resets mid-head")
            #expect(try server.get("/index.html").text == "<h1>index</h1>\n")
        }

        /// A static GET whose body (Content-Length or chunked) is being read and dropped, and a PUT, a raw POST
        /// and a multipart POST being stored: each reset half-way through its body.
        @Test func resetMidBodyLeavesNothingOpenAndNothingStored() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/index.html")
            let heads: [(String, [UInt8])] = [
                ("GET with a body", [UInt8]("GET /index.html HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n")),
                ("chunked GET", [UInt8]("GET /index.html HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                    + [UInt8]("7a120\r\n")),
            ] + UploadRobustness.heads(length: 1_000_000)
            for (kind, head) in heads {
                let client = try server.connect()
                FaultFixture.setSendTimeout(client, seconds: 5)
                try client.send(head)
                try? client.send(patternBytes(count: 300_000))
                usleep(100_000)
                client.reset()
                FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "a reset mid-body of a \(kind)")
                #expect(eventually { site.storeEntries() == ["sub"] }, "\(kind) left \(site.storeEntries())")
                #expect(try server.get("/index.html").text == "<h1>index</h1>\n", "after a reset mid-body of a \(kind)")
            }
        }

        /// Three clients stall then vanish mid-way through a 32 MB file while a fourth downloads it whole.
        @Test func resetMidLargeResponseKeepsServingOthersAndClosesTheFile() throws {
            let site = try StaticFixture.makeSite()
            let size = 32 * 1024 * 1024
            let path = site.docroot + "/big.bin"
            try writeLargeFile(atPath: path, size: size)
            let server = try Webserv.start(StaticFixture.config, site: site)
            defer { server.stop() }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/hello.txt")

            var stalled: [RawClient] = []
            for _ in 0..<3 {
                let client = try RawClient(port: server.port, receiveBufferSize: 4096)
                try client.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
                for _ in 0..<4 { _ = client.receive() }
                #expect(client.takePending().text.hasPrefix("HTTP/1.1 200 "))
                stalled.append(client)
            }
            let copy = site.directory + "/copy.bin"
            let whole = try Curl.run(["http://127.0.0.1:\(server.port)/big.bin"], in: site, bodyPath: copy)
            #expect(whole.exitCode == 0 && whole.status == 200, "\(whole.stderr)")
            #expect(FaultFixture.run("cmp", ["-s", path, copy]) == nil, "the file downloaded beside the stalled clients differs")
            #expect(FaultFixture.descriptors(of: server.pid).count >= baseline.count + 3,
                    "the stalled clients were dropped before they reset")
            stalled.forEach { $0.reset() }
            FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "three resets mid-response")
            let after = try server.get("/hello.txt")
            #expect(after.status == 200)
            #expect(after.text == StaticFixture.hello)
        }
    }

    /// Scripts that close their output early, crash after their head, or lose their client.
    @Suite struct FaultyScripts {
        /// The end of the script's output is the end of the response (RFC 3875 §6.1); the child, which lives
        /// on ignoring SIGTERM, must still be ended and reaped, not left as a zombie or a straggler.
        /// One case per framing: Content-Length, chunked (which waits up to a second for the exit status)
        /// and HTTP/1.0 until-close, plus a script that exits by itself soon after.
        @Test(arguments: ["closeout.py HTTP/1.1", "closeout-length.py HTTP/1.1", "closeout.py HTTP/1.0",
                          "closeout-exit.py HTTP/1.1"])
        func scriptClosingStdoutEarlyCompletesTheResponseAndIsReaped(request: String) throws {
            let (site, server) = try FaultFixture.startCGI()
            defer { server.stop(); _ = site }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/static.txt")
            let parts = request.split(separator: " ")
            let (script, version) = (parts[0], parts[1])
            let client = try server.connect(receiveTimeout: 10)
            defer { client.close() }
            let start = ContinuousClock.now
            try client.send("GET /cgi-bin/\(script) \(version)\r\nHost: a\r\n\r\n")
            if version == "HTTP/1.0" {
                let outcome = client.readUntilClosed(timeout: 10)
                #expect(outcome.closed)
                #expect(outcome.bytes.text.hasPrefix("HTTP/1.1 200 "))
                #expect(outcome.bytes.text.hasSuffix("\r\n\r\nall of it\n"), "\(outcome.bytes.text)")
            } else {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "all of it\n")
                // The framing was complete: the connection carries the next request.
                try client.send("GET /static.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                #expect(try client.readResponse().text == CGIFixture.staticText)
            }
            let elapsed = seconds(since: start)
            #expect(elapsed < 4, "the response took \(elapsed) s: it waited for the script, not for its output")
            // A child that outlives its output gets ServerContext.childGrace (5 s), then SIGKILL.
            let left = CGIFixture.waitUntilChildless(server, timeout: .seconds(8))
            #expect(left == [], "\(script) still a child (running or zombie) 8 s after its response")
            FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "\(script) closing stdout early")
        }

        /// SIGABRT right after a head: the client must not take the empty or short body for a whole one.
        @Test(arguments: ["abort-after-head.py", "abort-after-head-length.py"])
        func scriptCrashingAfterItsHeadIsNeverAnsweredAsComplete(script: String) throws {
            let (site, server) = try FaultFixture.startCGI()
            defer { server.stop(); _ = site }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/static.txt")
            let client = try server.connect()
            defer { client.close() }
            try client.send("GET /cgi-bin/\(script) HTTP/1.1\r\nHost: a\r\n\r\n")
            let outcome = client.readUntilClosed(timeout: 5)
            #expect(outcome.closed, "the connection stayed open after the script crashed: \(outcome.bytes.text)")
            let end = try #require(outcome.bytes.firstRange(of: [13, 10, 13, 10]), "no response head: \(outcome.bytes.text)")
            let head = try HTTPResponse(head: Array(outcome.bytes[..<end.lowerBound]))
            let body = Array(outcome.bytes[end.upperBound...])
            // A 502 is a whole answer (nothing had been sent); a 200 must show the client it was cut.
            #expect(head.status == 502 || head.status == 200, "\(head)")
            if head.status == 200 && script.contains("length") {
                #expect(head.header("Content-Length") == "20")
                #expect(body.count < 20, "\(body.count) body bytes from a script that wrote none")
            } else if head.status == 200 {
                #expect(head.header("Transfer-Encoding") == "chunked")
                #expect(body.text != "0\r\n\r\n", "a crashed script's empty body was framed as complete")
            }
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(2)) == [])
            #expect(try server.get("/static.txt").text == CGIFixture.staticText)
            FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "\(script) crashing")
        }

        /// A reset while the body is being spooled (Content-Length or chunked: no script runs before the body is
        /// whole) or while the script floods: no child is left, the pipes and the spool are closed.
        @Test(arguments: ["upper.py Content-Length", "upper.py chunked", "flood.py"])
        func clientResetWhileAScriptRunsEndsTheScript(request: String) throws {
            let (site, server) = try FaultFixture.startCGI(timeout: "30s")
            defer { server.stop(); _ = site }
            let baseline = try FaultFixture.baseline(of: server, warmUp: "/static.txt")
            let client = try server.connect()
            FaultFixture.setSendTimeout(client, seconds: 5)
            if request == "flood.py" {
                try client.send("GET /cgi-bin/flood.py HTTP/1.1\r\nHost: a\r\n\r\n")
                var received = 0
                for _ in 0..<200 where received < 300_000 {
                    guard case .bytes(let n) = client.receive() else { break }
                    received += n
                }
                #expect(received >= 300_000, "the flood did not arrive")
            } else if request.hasSuffix("chunked") {
                try client.send("POST /cgi-bin/upper.py HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                try? client.send(chunked(patternBytes(count: 300_000), sizes: Array(repeating: 10_000, count: 30))
                    .dropLast(5).map { $0 })
                usleep(200_000)
                #expect(CGIFixture.children(of: server.pid) == [], "the script started before its chunked body was whole")
            } else {
                try client.send("POST /cgi-bin/upper.py HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n")
                try? client.send(patternBytes(count: 300_000))
                usleep(200_000)
                #expect(CGIFixture.children(of: server.pid) == [], "the script started before its body was whole")
            }
            client.reset()
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(2)) == [], "\(request): the script outlived its client")
            FaultFixture.expectDescriptors(of: server, backTo: baseline, after: "a reset during \(request)")
            #expect(try server.get("/static.txt").text == CGIFixture.staticText)
        }
    }
}
