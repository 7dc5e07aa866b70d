import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension Integration {
    /// Uploads nobody else can touch: bodies wait where no URL maps, under names nobody can guess, and a
    /// request stores all of its files or none.
    @Suite struct UploadIsolation {
        /// A value shared with a probe thread.
        final class Shared<Value>: @unchecked Sendable {
            private let lock = NSLock()
            private var stored: Value
            init(_ value: Value) { stored = value }
            var value: Value {
                get { lock.withLock { stored } }
                set { lock.withLock { stored = newValue } }
            }
        }

        /// The mode bits and owner of a path (lstat), nil when it does not exist.
        static func mode(of path: String) -> (mode: mode_t, isDirectory: Bool)? {
            var info = stat()
            guard lstat(path, &info) == 0 else { return nil }
            return (info.st_mode & 0o7777, info.st_mode & S_IFMT == S_IFDIR)
        }

        @Test func temporariesDirectoryIsMadePrivateAtStartUp() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let made = try #require(Self.mode(of: site.store + "/.webserv-tmp"), "no \(site.store)/.webserv-tmp")
            #expect(made.isDirectory)
            #expect(made.mode == 0o700, "mode \(String(made.mode, radix: 8))")
        }

        /// The attack of issue 9: while a PUT is under way, another client finds its temporary and writes,
        /// deletes or reads it through HTTP. Every method on it, and on the directory, is 404; the listing
        /// does not show it; and the first client's file holds its own bytes.
        @Test func uploadInProgressCannotBeReachedThroughHTTP() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let body = patternBytes(count: 1_000_000, seed: 91)
            let victim = try server.connect(receiveTimeout: 10)
            defer { victim.close() }
            try victim.send([UInt8]("PUT /uploads/victim.bin HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.count)\r\n"
                + "Connection: close\r\n\r\n") + body[..<500_000])
            var waiting: [String] = []
            #expect(eventually { waiting = site.storeEntries().filter { $0 != "sub" }; return !waiting.isEmpty })
            let temporary = try #require(waiting.first, "no temporary while uploading")
            // Whatever its name, it is reached through the location that maps the store.
            let url = "/uploads/" + temporary.split(separator: "/").map { Uploads.percentEncoded(String($0)) }
                .joined(separator: "/")
            for method in ["GET", "HEAD", "DELETE", "OPTIONS"] {
                #expect(try server.get(url, method: method).status == 404, "\(method) \(url)")
            }
            for path in [url, "/uploads/.webserv-tmp/", "/uploads/.webserv-tmp", "/uploads/.webserv-tmp/x.bin"] {
                #expect(try server.exchange(putRequest(path, [UInt8]("evil bytes\n"))).status == 404, "PUT \(path)")
                let post = try server.exchange("POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: 4\r\nConnection: close\r\n\r\nevil")
                #expect(post.status == 404, "POST \(path)")
                #expect(try server.get(path).status == 404, "GET \(path)")
                #expect(try server.get(path, method: "DELETE").status == 404, "DELETE \(path)")
            }
            let listing = try server.get("/uploads/")
            #expect(listing.status == 200)
            #expect(Links.extract(from: listing.text) == ["../", "sub/", "/"], "\(Links.extract(from: listing.text))")
            #expect(site.storeEntries() == [temporary, "sub"], "\(site.storeEntries())")

            try victim.send(Array(body[500_000...]))
            let response = try victim.readResponse()
            #expect(response.status == 201, "\(response)")
            #expect(site.stored("victim.bin").map(SHA256.hex) == SHA256.hex(body))
            #expect(site.storeEntries() == ["sub", "victim.bin"])
        }

        /// nginx hides dot-files in its listings; `../` stays.
        @Test func listingLeavesOutHiddenFiles() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            try Data("secret\n".utf8).write(to: URL(fileURLWithPath: site.store + "/sub/.hidden"))
            try Data("shown\n".utf8).write(to: URL(fileURLWithPath: site.store + "/sub/shown.txt"))
            let listing = try server.get("/uploads/sub/")
            #expect(listing.status == 200)
            #expect(Links.extract(from: listing.text) == ["../", "shown.txt", "/"])
        }

        static let configuredPathConfig = """
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location /uploads/ { alias @DIR@/store/; allow_methods GET PUT POST; upload_store @DIR@/store;
                                     client_body_temp_path @DIR@/bodies; autoindex on; }
                location /peek/ { alias @DIR@/bodies/; autoindex on; }
            }
            """

        /// `client_body_temp_path` moves the temporaries; a location that maps onto that directory still
        /// reaches nothing in it.
        @Test func configuredTemporariesDirectoryIsUsedAndUnreachable() throws {
            let site = try TestSite()
            try FileManager.default.createDirectory(atPath: site.store, withIntermediateDirectories: true)
            let server = try Webserv.start(Self.configuredPathConfig, site: site)
            defer { server.stop() }
            let bodies = site.directory + "/bodies"
            #expect(Self.mode(of: bodies)?.isDirectory == true)
            #expect(!FileManager.default.fileExists(atPath: site.store + "/.webserv-tmp"))
            let client = try server.connect(receiveTimeout: 10)
            defer { client.close() }
            let body = patternBytes(count: 400_000, seed: 5)
            try client.send([UInt8]("PUT /uploads/x.bin HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.count)\r\n\r\n")
                + body[..<200_000])
            var waiting: [String] = []
            #expect(eventually {
                waiting = (try? FileManager.default.contentsOfDirectory(atPath: bodies)) ?? []
                return !waiting.isEmpty
            })
            #expect(site.storeEntries().isEmpty, "\(site.storeEntries())")
            let name = try #require(waiting.first)
            #expect(try server.get("/peek/" + name).status == 404)
            #expect(try server.get("/peek/").status == 404)
            try client.send(Array(body[200_000...]))
            #expect(try client.readResponse().status == 201)
            #expect(site.stored("x.bin") == body)
            #expect(eventually { ((try? FileManager.default.contentsOfDirectory(atPath: bodies)) ?? ["?"]).isEmpty })
        }

        /// Files are published with link(), which cannot cross filesystems: a temporaries directory on another
        /// one is refused at start-up, naming the directive's line.
        @Test func temporariesDirectoryOnAnotherFilesystemStopsStartUp() throws {
            let site = try TestSite()
            try FileManager.default.createDirectory(atPath: site.store, withIntermediateDirectories: true)
            var elsewhere = "/dev/shm"
            var siteInfo = stat(), otherInfo = stat()
            #expect(stat(site.directory, &siteInfo) == 0)
            if stat(elsewhere, &otherInfo) != 0 || otherInfo.st_dev == siteInfo.st_dev { elsewhere = "/proc/self" }
            let target = elsewhere + "/webserv-bodies-\(getpid())-\(UUID().uuidString.prefix(8))"
            defer { rmdir(target) }
            let config = """
                server {
                    listen 127.0.0.1:8080;
                    root \(site.docroot);
                    location /uploads/ { allow_methods PUT; upload_store \(site.store);
                        client_body_temp_path \(target);
                    }
                }
                """
            try site.write("other-fs.conf", config, inDocroot: false)
            for arguments in [["-t", "other-fs.conf"], ["other-fs.conf"]] {
                let run = try WebservRun(arguments, workingDirectory: site.directory)
                #expect(run.status == 1, "\(arguments): \(run.stdout) \(run.stderr)")
                #expect(run.stderr.hasPrefix("webserv: other-fs.conf:5: client_body_temp_path"), "\(run.stderr)")
            }
        }

        /// Today's spool names were /tmp/webserv-PID-N: a local user creating those in advance made every
        /// CGI POST fail. They are now made in a private directory with a name nobody can guess.
        @Test func squattedSpoolNamesDoNotBreakCGIPosts() throws {
            let (site, server) = try CGIFixture.start(timeout: "10s")
            defer { server.stop(); _ = site }
            var squatted: [String] = []
            defer { squatted.forEach { unlink($0) } }
            for n in 1...50 {
                let path = "/tmp/webserv-\(server.pid)-\(n)"
                if FileManager.default.createFile(atPath: path, contents: Data("squatter\n".utf8)) { squatted.append(path) }
            }
            for i in 0..<5 {
                let body = "spooled body \(i)\n"
                let lengthPost = try server.exchange("POST /cgi-bin/upper.py HTTP/1.1\r\nHost: a\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
                #expect(lengthPost.status == 200, "\(lengthPost)")
                #expect(lengthPost.text == body.uppercased())
                let chunkedPost = try server.exchange([UInt8]("POST /cgi-bin/upper.py HTTP/1.1\r\nHost: a\r\n"
                    + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n") + chunked([UInt8](body), sizes: [3]))
                #expect(chunkedPost.status == 200, "\(chunkedPost)")
                #expect(chunkedPost.text == body.uppercased())
            }
            for path in squatted {
                #expect(FileManager.default.contents(atPath: path) == Data("squatter\n".utf8), "\(path) was touched")
            }
        }

        /// Where a spool lives while a body arrives: a 0700 directory named `webserv-` and 16 hex digits, the
        /// file already unlinked; the directory is removed when the server stops.
        @Test func spoolsLiveInAPrivateDirectoryRemovedAtShutdown() throws {
            let (site, server) = try CGIFixture.start(timeout: "10s")
            defer { server.stop(); _ = site }
            let client = try server.connect()
            defer { client.close() }
            try client.send("POST /cgi-bin/upper.py HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n\r\n"
                + String(repeating: "a", count: 50_000))
            var spool: String?
            #expect(eventually {
                let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(server.pid)/fd")) ?? []
                spool = fds.lazy.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(server.pid)/fd/\($0)") }
                    .first { $0.hasSuffix(" (deleted)") && !$0.contains("/.webserv-tmp/") }
                return spool != nil
            }, "no spool file open in the server")
            let path = try #require(spool)
            let directory = (path as NSString).deletingLastPathComponent
            let name = (directory as NSString).lastPathComponent
            #expect(name.range(of: "^webserv-[0-9a-f]{16}$", options: .regularExpression) != nil, "\(path)")
            #expect(Self.mode(of: directory)?.mode == 0o700)
            #expect((try? FileManager.default.contentsOfDirectory(atPath: directory)) == [])
            try client.send(String(repeating: "a", count: 50_000))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.body == [UInt8](repeating: UInt8(ascii: "A"), count: 100_000))
            server.stop()
            #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) left after shutdown")
        }

        // MARK: PUT

        @Test func putWithContentRangeIs400AndLeavesTheFileAsItWas() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let original = [UInt8]("0123456789\n")
            #expect(try server.exchange(putRequest("/uploads/ranged.txt", original)).status == 201)
            for path in ["/uploads/ranged.txt", "/uploads/new-ranged.txt"] {
                let response = try server.exchange(putRequest(path, [UInt8]("ab"), extraHeaders: "Content-Range: bytes 2-3/11\r\n"))
                #expect(response.status == 400, "\(path): \(response)")
            }
            #expect(site.stored("ranged.txt") == original)
            #expect(site.storeEntries() == ["ranged.txt", "sub"])
        }

        // MARK: Taken names

        @Test func aThousandAndOnePartsWithOneNameAreAllStored() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            for i in 0...1000 { form.addFile(filename: "same.txt", [UInt8]("part \(i)\n")) }
            let client = try server.connect(receiveTimeout: 30)
            defer { client.close() }
            try client.send(form.request(to: "/uploads/"))
            let response = try client.readResponse()
            #expect(response.status == 201, "\(response.status)")
            let links = Links.extract(from: response.text)
            #expect(links.count == 1001 + 2)
            #expect(site.stored("same.txt") == [UInt8]("part 0\n"))
            for i in [1, 2, 500, 999, 1000] {
                #expect(site.stored("same-\(i).txt") == [UInt8]("part \(i)\n"), "same-\(i).txt")
            }
            #expect(site.storeEntries().count == 1002, "\(site.storeEntries().count) entries")
            #expect(site.temporaries().isEmpty)
        }

        /// Names from before (a restart forgets what it knew) taken in a long run: a new file gets a name
        /// after a few attempts, with an unpredictable suffix, instead of walking the run one link() at a time.
        @Test func aLongRunOfTakenNumbersIsNotWalked() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            for i in 0...300 {
                try Data("old \(i)\n".utf8).write(to: URL(fileURLWithPath: site.store + (i == 0 ? "/run.txt" : "/run-\(i).txt")))
            }
            var form = MultipartForm()
            form.addFile(filename: "run.txt", [UInt8]("new\n"))
            let response = try server.exchange(form.request(to: "/uploads/"))
            #expect(response.status == 201)
            let location = try #require(response.header("Location"))
            #expect(location.range(of: "^/uploads/run-[0-9a-f]{16}\\.txt$", options: .regularExpression) != nil, "\(location)")
            #expect(try server.get(location).body == [UInt8]("new\n"))
            #expect(site.stored("run-1.txt") == [UInt8]("old 1\n"))
        }

        /// 5000 parts named alike in one request, while another client keeps asking for a page: the upload
        /// is stored in normal time and the other client is answered promptly throughout.
        @Test func fiveThousandSameNamedPartsAreStoredWhileOthersAreServed() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            for i in 0..<5000 { form.addFile(filename: "many.bin", [UInt8]("copy \(i)\n")) }
            let request = form.request(to: "/uploads/")
            let uploader = try server.connect(receiveTimeout: 60)
            defer { uploader.close() }

            let done = Shared(false)
            let slowest = Shared(0.0)
            let probes = Shared(0)
            let probe = Thread {
                while !done.value {
                    let start = ContinuousClock.now
                    guard let response = try? server.get("/index.html"), response.status == 200 else {
                        slowest.value = .infinity
                        return
                    }
                    slowest.value = max(slowest.value, seconds(since: start))
                    probes.value += 1
                    usleep(5_000)
                }
            }
            probe.start()
            let start = ContinuousClock.now
            try uploader.send(request)
            let response = try uploader.readResponse()
            let elapsed = seconds(since: start)
            done.value = true
            while !probe.isFinished { usleep(5_000) }

            #expect(response.status == 201, "\(response.status)")
            #expect(Links.extract(from: response.text).count == 5000 + 2)
            #expect(site.storeEntries().count == 5001)
            #expect(site.stored("many-4999.bin") == [UInt8]("copy 4999\n"))
            print("5000 same-named parts (\(request.count) bytes) stored in \(String(format: "%.3f", elapsed)) s; "
                  + "\(probes.value) GETs meanwhile, slowest \(String(format: "%.1f", slowest.value * 1000)) ms")
            #expect(elapsed < 10, "5000 parts took \(elapsed) s")
            #expect(slowest.value < 0.5, "a GET took \(slowest.value) s during the upload")
        }

        // MARK: All or nothing

        /// A form of three files whose third never completes: until the request succeeds nothing is visible,
        /// and once it has failed nothing is left, neither the two whole files nor any temporary.
        static func threeFileForm() -> (form: MultipartForm, cut: Int) {
            var form = MultipartForm()
            form.addFile(filename: "first.txt", [UInt8]("first\n"))
            form.addFile(filename: "second.txt", [UInt8]("second\n"))
            form.addFile(filename: "third.bin", patternBytes(count: 3000, seed: 3))
            // Up to half of the third file: the first two parts are complete on disk.
            return (form, form.body.count - 1500)
        }

        @Test(arguments: ["reset", "close", "truncated", "too large", "timeout"])
        func failedRequestLeavesNoneOfItsFiles(failure: String) throws {
            let site = try TestSite()
            try FileManager.default.createDirectory(atPath: site.store + "/sub", withIntermediateDirectories: true)
            let server = try Webserv.start("""
                server {
                    listen 127.0.0.1:@PORT@;
                    root @ROOT@;
                    client_body_timeout 1s;
                    location /uploads/ { alias @DIR@/store/; allow_methods GET POST; upload_store @DIR@/store; autoindex on; }
                    location /small/ { alias @DIR@/store/; allow_methods GET POST; upload_store @DIR@/store; client_max_body_size 2k; }
                }
                """, site: site)
            defer { server.stop() }
            let (form, cut) = Self.threeFileForm()
            let body = form.body
            let client = try server.connect(receiveTimeout: 10)
            defer { client.close() }
            let path = failure == "too large" ? "/small/" : "/uploads/"
            let framing = failure == "too large" ? "Transfer-Encoding: chunked" : "Content-Length: \(body.count)"
            let head = [UInt8]("POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Type: \(form.contentType)\r\n\(framing)\r\n\r\n")
            if failure == "too large" {
                try client.send(head + chunked(Array(body[..<cut]), sizes: [cut]).dropLast(5))
            } else if failure == "truncated" {
                // A complete Content-Length body that stops before the close delimiter.
                let short = Array(form.bytes)
                try client.send([UInt8]("POST \(path) HTTP/1.1\r\nHost: a\r\nContent-Type: \(form.contentType)\r\n"
                    + "Content-Length: \(short.count)\r\n\r\n") + short)
            } else {
                try client.send(head + body[..<cut])
            }
            if failure != "truncated" {
                // The first two files are whole on disk, but only as temporaries.
                #expect(eventually { site.storeEntries().filter { $0.hasPrefix(".webserv-tmp/") }.count == 3 },
                        "\(site.storeEntries())")
                #expect(try server.get("/uploads/first.txt").status == 404, "visible before the request succeeded")
                #expect(Links.extract(from: try server.get("/uploads/").text) == ["../", "sub/", "/"])
            }
            switch failure {
            case "reset":
                client.reset()
            case "close":
                client.close()
            case "truncated":
                #expect(try client.readResponse().status == 400)
            case "too large":
                try client.send(chunked(patternBytes(count: 2000), sizes: [2000]))
                #expect(try client.readResponse().status == 413)
            default:
                #expect(try client.readResponse().status == 408)
            }
            #expect(eventually { site.storeEntries() == ["sub"] }, "\(failure) left \(site.storeEntries())")
            #expect(try server.get("/uploads/first.txt").status == 404)
        }

        /// The closing boundary publishes every file at once.
        @Test func filesAppearTogetherWhenTheRequestSucceeds() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            let (form, cut) = Self.threeFileForm()
            let request = form.request(to: "/uploads/")
            let split = request.count - form.body.count + cut
            let client = try server.connect()
            defer { client.close() }
            try client.send(Array(request[..<split]))
            #expect(eventually { site.storeEntries().filter { $0.hasPrefix(".webserv-tmp/") }.count == 3 })
            #expect(site.storeEntries().filter { !$0.hasPrefix(".webserv-tmp/") } == ["sub"])
            try client.send(Array(request[split...]))
            #expect(try client.readResponse().status == 201)
            #expect(site.storeEntries() == ["first.txt", "second.txt", "sub", "third.bin"])
        }

        // MARK: Empty file inputs

        /// What a browser sends for a file input left empty: `filename=""` and no bytes.
        @Test func emptyFileInputIsSkipped() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(field: "first", filename: "", [])
            form.addFile(field: "second", filename: "chosen.txt", [UInt8]("chosen\n"))
            form.addField("note", "a note")
            let response = try server.exchange(form.request(to: "/uploads/"))
            #expect(response.status == 201)
            #expect(Links.extract(from: response.text) == ["/uploads/chosen.txt", "/uploads/", "/"])
            #expect(site.storeEntries() == ["chosen.txt", "sub"])
        }

        @Test func formWithNoFileChosenIs400AndSaysSo() throws {
            let (site, server) = try UploadFixture.start()
            defer { server.stop(); _ = site }
            var form = MultipartForm()
            form.addFile(field: "files", filename: "", [])
            form.addField("note", "no file")
            let response = try server.exchange(form.request(to: "/uploads/"))
            #expect(response.status == 400)
            #expect(response.text.contains("No file was chosen"), "\(response.text)")
            #expect(response.header("Location") == nil)
            #expect(site.storeEntries() == ["sub"])
        }
    }
}

