import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A docroot of real php-cgi and python3 scripts, one per behaviour, and a static file to check that others
/// are still served while scripts run.
enum CGIFixture {
    static let python = "/usr/bin/python3"
    static let php = "/usr/bin/php-cgi"
    static let staticText = "static file, served while scripts run\n"

    /// `/cgi-bin/` gives the full path as PATH_INFO (the default); `/extra/` gives RFC 3875's meaning.
    static func config(timeout: String) -> String {
        """
        server {
            listen 127.0.0.1:@PORT@;
            root @ROOT@;
            client_max_body_size 0;
            location /cgi-bin/ {
                allow_methods GET HEAD POST;
                cgi .py \(python);
                cgi .php \(php);
                cgi_timeout \(timeout);
            }
            location /extra/ {
                allow_methods GET HEAD POST;
                cgi .py \(python);
                cgi_path_info extra;
                cgi_timeout \(timeout);
            }
        }
        """
    }

    static func start(timeout: String = "2s") throws -> (TestSite, Webserv) {
        let site = try makeSite()
        return (site, try Webserv.start(config(timeout: timeout), site: site))
    }

    /// Prints the exec'd environment as `env:K=V` (from /proc/self/environ: what execve gave, before python
    /// adds anything), then `x:` lines for the working directory, argv, a sibling file read by a relative
    /// path, and stdin.
    static let envScript = #"""
        import os, sys
        out = sys.stdout
        out.write("Content-Type: text/plain\r\n\r\n")
        for pair in open("/proc/self/environ", "rb").read().split(b"\0"):
            if pair:
                out.write("env:" + pair.decode("utf-8", "replace") + "\n")
        body = sys.stdin.buffer.read()
        out.write("x:CWD=" + os.getcwd() + "\n")
        argv = open("/proc/self/cmdline", "rb").read().split(b"\0")[:-1]
        out.write("x:ARGV=" + "|".join(a.decode() for a in argv) + "\n")
        out.write("x:SIBLING=" + open("sibling.txt").read().strip() + "\n")
        out.write("x:STDIN=" + body.decode("utf-8", "replace") + "\n")
        """#

    static let scripts: [String: String] = [
        "cgi-bin/env.py": envScript,
        "extra/env.py": envScript,
        "cgi-bin/hello.py": #"""
            import sys
            sys.stdout.write("Content-Type: text/plain\n\nhello\n")
            """#,
        "cgi-bin/length.py": #"""
            import sys
            sys.stdout.write("Content-Type: text/plain\nContent-Length: 6\n\nhello\n")
            """#,
        "cgi-bin/notfound.py": #"""
            import sys
            sys.stdout.write("Status: 404 Not Found\r\nContent-Type: text/plain\r\nX-Script: yes\r\n\r\nnope\n")
            """#,
        "cgi-bin/absolute.py": #"""
            import sys
            sys.stdout.write("Location: http://example.com/\r\n\r\n")
            """#,
        "cgi-bin/short.py": #"""
            import sys, time
            sys.stdout.write("Content-Type: text/plain\nContent-Length: 10\n\nabc")
            sys.stdout.flush()
            time.sleep(0.3)
            """#,
        "cgi-bin/local.py": #"""
            import sys
            sys.stdout.write("Location: /other.html\n\n")
            """#,
        "cgi-bin/localscript.py": #"""
            import sys
            sys.stdout.write("Location: /cgi-bin/env.py?from=redirect\n\n")
            """#,
        // A body and no header block: "hello world" is not a header line.
        "cgi-bin/nohead.py": #"""
            import sys
            sys.stdout.write("hello world\nthis is only a body\n")
            """#,
        "cgi-bin/nohead-unterminated.py": #"""
            import sys
            sys.stdout.write("Content-Type: text/plain\n")
            """#,
        "cgi-bin/garbage.py": #"""
            import sys
            sys.stdout.buffer.write(b"\x00\xff\xfe\x01 garbage \x7f\r\n\r\nbody")
            """#,
        "cgi-bin/crash.py": #"""
            import sys
            sys.stderr.write("crash.py: giving up\n")
            sys.exit(3)
            """#,
        // Ignores SIGTERM: only SIGKILL ends it.
        "cgi-bin/forever.py": #"""
            import signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            while True:
                time.sleep(0.1)
            """#,
        "cgi-bin/headthenhang.py": #"""
            import signal, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            sys.stdout.write("Content-Type: text/plain\n\npartial\n")
            sys.stdout.flush()
            while True:
                time.sleep(0.1)
            """#,
        "cgi-bin/killed-chunked.py": #"""
            import os, signal, sys
            sys.stdout.write("Content-Type: text/plain\n\n" + "partial " * 1000)
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
            """#,
        // The pause lets the partial body reach the client before the output ends.
        "cgi-bin/killed-length.py": #"""
            import os, signal, sys, time
            sys.stdout.write("Content-Type: text/plain\nContent-Length: 100000\n\n" + "partial " * 1000)
            sys.stdout.flush()
            time.sleep(0.3)
            os.kill(os.getpid(), signal.SIGKILL)
            """#,
        // Output sent, then a pause before the end: the response is out before the server sees EOF.
        "cgi-bin/pause.py": #"""
            import sys, time
            sys.stdout.write("Content-Type: text/plain\n\nhello\n")
            sys.stdout.flush()
            time.sleep(0.3)
            """#,
        "cgi-bin/pause-length.py": #"""
            import sys, time
            sys.stdout.write("Content-Type: text/plain\nContent-Length: 6\n\nhello\n")
            sys.stdout.flush()
            time.sleep(0.3)
            """#,
        // Keeps writing whatever happens to its stdout: only the server's kill ends it.
        "cgi-bin/flood.py": #"""
            import signal, sys
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            out = sys.stdout.buffer
            out.write(b"Content-Type: application/octet-stream\r\n\r\n")
            block = b"x" * 65536
            while True:
                try:
                    out.write(block)
                    out.flush()
                except Exception:
                    pass
            """#,
        "cgi-bin/noread.py": #"""
            import sys, time
            time.sleep(1)
            sys.stdout.write("Content-Type: text/plain\n\ndid not read\n")
            """#,
        "cgi-bin/closein.py": #"""
            import os, sys, time
            first = os.read(0, 1000)
            os.close(0)
            time.sleep(0.3)
            sys.stdout.write("Content-Type: text/plain\n\nclosed stdin after %d bytes\n" % len(first))
            """#,
        "cgi-bin/slow.py": #"""
            import sys, time
            time.sleep(2)
            sys.stdout.write("Content-Type: text/plain\n\nslept\n")
            """#,
        "cgi-bin/upper.py": #"""
            import sys
            source = sys.stdin.buffer
            out = sys.stdout.buffer
            out.write(b"Content-Type: application/octet-stream\r\n\r\n")
            while True:
                block = source.read1(65536)
                if not block:
                    break
                out.write(block.upper())
            out.flush()
            """#,
        "cgi-bin/form.php": #"""
            <?php
            header('Content-Type: text/plain; charset=utf-8');
            ksort($_POST);
            foreach ($_POST as $name => $value) {
                echo $name, '=', is_array($value) ? implode(',', $value) : $value, "\n";
            }
            echo 'method=', $_SERVER['REQUEST_METHOD'], "\n";
            """#,
        "cgi-bin/upload.php": #"""
            <?php
            header('Content-Type: text/plain');
            $file = $_FILES['upload'];
            echo 'name=', $file['name'], "\n";
            echo 'size=', $file['size'], "\n";
            echo 'error=', $file['error'], "\n";
            echo 'sha256=', hash_file('sha256', $file['tmp_name']), "\n";
            echo 'note=', $_POST['note'], "\n";
            """#,
        "cgi-bin/input.php": #"""
            <?php
            header('Content-Type: text/plain');
            $body = file_get_contents('php://input');
            echo strlen($body), ' ', hash('sha256', $body), ' ', $_SERVER['CONTENT_LENGTH'], "\n";
            """#,
    ]

    static func makeSite() throws -> TestSite {
        let site = try TestSite()
        for (path, text) in scripts { try site.write(path, text + "\n") }
        try site.write("cgi-bin/sibling.txt", "next to the script\n")
        try site.write("extra/sibling.txt", "next to the extra script\n")
        try site.write("other.html", "<p>the other page</p>\n")
        try site.write("static.txt", staticText)
        return site
    }

    /// The `env:` lines of env.py's output as a dictionary, and its `x:` lines as another.
    static func parseEnvironment(_ text: String) -> (environment: [String: String], extra: [String: String]) {
        var environment: [String: String] = [:]
        var extra: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let isEnv = line.hasPrefix("env:")
            guard isEnv || line.hasPrefix("x:") else { continue }
            let pair = line.dropFirst(isEnv ? 4 : 2)
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals])
            let value = String(pair[pair.index(after: equals)...])
            if isEnv { environment[name] = value } else { extra[name] = value }
        }
        return (environment, extra)
    }

    /// The pids of the server's children, zombies included (they stay listed until reaped).
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// Polls until the server has no child left, up to `timeout`; returns those still there.
    static func waitUntilChildless(_ server: Webserv, timeout: Duration) -> [Int32] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let left = children(of: server.pid)
            if left.isEmpty || ContinuousClock.now >= deadline { return left }
            usleep(20_000)
        }
    }

    /// Runs `work` on its own thread; the returned function waits for its result (up to `timeout`).
    static func inBackground<T>(timeout: Duration = .seconds(90), _ work: @escaping () throws -> T) -> () throws -> T {
        let done = DispatchSemaphore(value: 0)
        let box = BackgroundResult<T>()
        Thread {
            box.result = Result { try work() }
            done.signal()
        }.start()
        return {
            let (seconds, attoseconds) = timeout.components
            guard done.wait(timeout: .now() + Double(seconds) + Double(attoseconds) / 1e18) == .success,
                  let result = box.result else {
                throw HarnessError("background work did not finish within \(timeout)")
            }
            return try result.get()
        }
    }

    /// A GET of the static file, with how long it took.
    static func timedStaticGet(_ server: Webserv) throws -> (HTTPResponse, Double) {
        let start = ContinuousClock.now
        let response = try server.get("/static.txt")
        return (response, seconds(since: start))
    }

    /// The local port of a client's socket: what the server sees as REMOTE_PORT.
    static func localPort(of client: RawClient) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(client.fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// Written by the worker thread before it signals, read after the wait: the semaphore orders the two.
final class BackgroundResult<T>: @unchecked Sendable {
    var result: Result<T, Error>?
}

extension Integration {
    @Suite struct CGI {
        // MARK: Meta-variables

        /// Everything a GET gives the script, compared as a whole: no variable missing, none extra (the
        /// server's own environment does not leak beyond PATH, `Proxy` is dropped).
        @Test func getGivesEveryMetaVariableAndNothingElse() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            let target = "/cgi-bin/env.py?a=1&b=%20x+y&&c"
            try client.send("GET \(target) HTTP/1.1\r\nHost: example.test:8080\r\nX-Foo-Bar: baz\r\n"
                + "Proxy: http://evil.example:3128/\r\nAccept: */*\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain")
            let (environment, extra) = CGIFixture.parseEnvironment(response.text)
            let root = site.docroot
            let expected: [String: String] = [
                "AUTH_TYPE": "", "CONTENT_LENGTH": "", "CONTENT_TYPE": "",
                "GATEWAY_INTERFACE": "CGI/1.1",
                "PATH_INFO": "/cgi-bin/env.py", "PATH_TRANSLATED": root + "/cgi-bin/env.py",
                "QUERY_STRING": "a=1&b=%20x+y&&c",
                "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": String(CGIFixture.localPort(of: client)),
                "REMOTE_IDENT": "", "REMOTE_USER": "",
                "REQUEST_METHOD": "GET", "REQUEST_URI": target, "REQUEST_SCHEME": "http",
                "SCRIPT_NAME": "/cgi-bin/env.py", "SCRIPT_FILENAME": root + "/cgi-bin/env.py",
                "SERVER_NAME": "example.test", "SERVER_PORT": String(server.port), "SERVER_ADDR": "127.0.0.1",
                "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_SOFTWARE": environment["SERVER_SOFTWARE"] ?? "(missing)",
                "REDIRECT_STATUS": "200", "DOCUMENT_ROOT": root,
                "PATH": String(cString: getenv("PATH")),
                "HTTP_HOST": "example.test:8080", "HTTP_X_FOO_BAR": "baz", "HTTP_ACCEPT": "*/*",
                "HTTP_CONNECTION": "close",
            ]
            #expect(environment["SERVER_SOFTWARE"]?.hasPrefix("webserv") == true)
            #expect(Set(environment.keys).subtracting(expected.keys).sorted() == [], "leaked or unexpected variables")
            #expect(Set(expected.keys).subtracting(environment.keys).sorted() == [], "missing variables")
            for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(environment[name] == value, "\(name)")
            }
            #expect(environment["HTTP_PROXY"] == nil, "httpoxy: the Proxy header reached the script")
            #expect(extra["CWD"] == root + "/cgi-bin", "working directory is not the script's directory")
            #expect(extra["SIBLING"] == "next to the script", "a sibling file was not readable by a relative path")
            #expect(extra["ARGV"] == CGIFixture.python + "|" + root + "/cgi-bin/env.py", "argv[1] is not the script")
            #expect(extra["STDIN"] == "")
        }

        @Test func postGivesLengthTypeAndBodyButNoHTTPContentVariables() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("POST /cgi-bin/env.py?x=%41&y HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world")
            #expect(response.status == 200)
            let (environment, extra) = CGIFixture.parseEnvironment(response.text)
            #expect(environment["REQUEST_METHOD"] == "POST")
            #expect(environment["CONTENT_LENGTH"] == "11")
            #expect(environment["CONTENT_TYPE"] == "text/plain; charset=utf-8")
            #expect(environment["QUERY_STRING"] == "x=%41&y")
            #expect(environment["REQUEST_URI"] == "/cgi-bin/env.py?x=%41&y")
            #expect(environment["SERVER_NAME"] == "127.0.0.1")
            #expect(environment["HTTP_CONTENT_LENGTH"] == nil)
            #expect(environment["HTTP_CONTENT_TYPE"] == nil)
            #expect(extra["STDIN"] == "hello world")
        }

        @Test func chunkedPostIsGivenWithItsDecodedLength() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("POST /cgi-bin/env.py HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n")
            #expect(response.status == 200)
            let (environment, extra) = CGIFixture.parseEnvironment(response.text)
            #expect(environment["CONTENT_LENGTH"] == "11")
            #expect(environment["HTTP_TRANSFER_ENCODING"] == nil)
            #expect(extra["STDIN"] == "hello world")
        }

        @Test func http10RequestSaysHTTP10() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /cgi-bin/env.py HTTP/1.0\r\n\r\n")
            let text = client.readUntilClosed(timeout: 3).bytes.text
            #expect(text.hasPrefix("HTTP/1.1 200 "))
            #expect(CGIFixture.parseEnvironment(text).environment["SERVER_PROTOCOL"] == "HTTP/1.0")
        }

        @Test func headerFieldsMapToHTTPVariables() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.exchange("GET /cgi-bin/env.py HTTP/1.1\r\nHost: a\r\nX-Dup: one\r\nx-dup: two\r\n"
                + "X_Under: sneaky\r\nCookie: a=1\r\nCookie: b=2\r\nUser-Agent: tester/1.0\r\nPROXY: x\r\n"
                + "Connection: close\r\n\r\n")
            let environment = CGIFixture.parseEnvironment(response.text).environment
            #expect(environment["HTTP_X_DUP"] == "one, two")
            #expect(environment["HTTP_COOKIE"] == "a=1; b=2")
            #expect(environment["HTTP_USER_AGENT"] == "tester/1.0")
            #expect(environment["HTTP_X_UNDER"] == nil, "X_Under could pose as X-Under")
            #expect(environment["HTTP_PROXY"] == nil)
        }

        @Test func pathInfoIsTheFullPathByDefault() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let environment = CGIFixture.parseEnvironment(try server.get("/cgi-bin/env.py/a/b%20c?q").text).environment
            #expect(environment["SCRIPT_NAME"] == "/cgi-bin/env.py")
            #expect(environment["PATH_INFO"] == "/cgi-bin/env.py/a/b c")
            #expect(environment["PATH_TRANSLATED"] == site.docroot + "/cgi-bin/env.py/a/b c")
            #expect(environment["SCRIPT_FILENAME"] == site.docroot + "/cgi-bin/env.py")
            #expect(environment["REQUEST_URI"] == "/cgi-bin/env.py/a/b%20c?q")
            #expect(environment["QUERY_STRING"] == "q")
        }

        @Test func pathInfoIsWhatFollowsTheScriptWithCgiPathInfoExtra() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/extra/env.py/a/b")
            let (environment, extra) = CGIFixture.parseEnvironment(response.text)
            #expect(environment["SCRIPT_NAME"] == "/extra/env.py")
            #expect(environment["PATH_INFO"] == "/a/b")
            #expect(environment["PATH_TRANSLATED"] == site.docroot + "/a/b")
            #expect(environment["SCRIPT_FILENAME"] == site.docroot + "/extra/env.py")
            #expect(extra["CWD"] == site.docroot + "/extra")
            #expect(extra["SIBLING"] == "next to the extra script")

            let bare = CGIFixture.parseEnvironment(try server.get("/extra/env.py").text).environment
            #expect(bare["PATH_INFO"] == "")
            #expect(bare["PATH_TRANSLATED"] == "")
        }

        // MARK: PHP

        @Test func phpFormPostFillsPOST() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let body = "name=J%C3%BCrgen+M%C3%BCller&n=42&list%5B%5D=a&list%5B%5D=b"
            let response = try server.exchange("POST /cgi-bin/form.php HTTP/1.1\r\nHost: a\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n"
                + "Connection: close\r\n\r\n\(body)")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(response.text == "list=a,b\nn=42\nname=Jürgen Müller\nmethod=POST\n")
        }

        @Test func phpMultipartUploadArrivesInFILES() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let data = patternBytes(count: 1_000_003)
            let path = try site.write("upload.bin", data, inDocroot: false)
            let result = try Curl.run(["-F", "upload=@\(path);filename=data.bin", "-F", "note=from curl",
                                       "http://127.0.0.1:\(server.port)/cgi-bin/upload.php"], in: site)
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.body.text == "name=data.bin\nsize=1000003\nerror=0\nsha256=\(try SHA256.hex(ofFile: path))\n"
                + "note=from curl\n")
        }

        /// php-cgi reads nothing without CONTENT_LENGTH: the de-chunked body must come with it.
        @Test func chunkedPostToPHPArrivesWhole() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let data = patternBytes(count: 300_007, seed: 7)
            var request = [UInt8]("POST /cgi-bin/input.php HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n")
            var offset = 0
            var size = 1
            while offset < data.count {
                let n = min(size, data.count - offset)
                request += [UInt8](String(n, radix: 16) + "\r\n") + data[offset..<(offset + n)] + [13, 10]
                offset += n
                size = size * 3 + 1
            }
            request += [UInt8]("0\r\n\r\n")
            let response = try server.exchange(request)
            #expect(response.status == 200)
            #expect(response.text == "300007 \(try SHA256.hex(ofLarge: data)) 300007\n")
        }

        // MARK: The script's status, redirects and broken output

        @Test func statusFieldIsPassedThrough() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/cgi-bin/notfound.py")
            #expect(response.status == 404)
            #expect(response.reason == "Not Found")
            #expect(response.header("Content-Type") == "text/plain")
            #expect(response.header("X-Script") == "yes")
            #expect(response.header("Status") == nil)
            #expect(response.text == "nope\n")
        }

        @Test func absoluteLocationIsA302() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/cgi-bin/absolute.py")
            #expect(response.status == 302)
            #expect(response.header("Location") == "http://example.com/")
        }

        @Test func localLocationServesTheOtherFile() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/cgi-bin/local.py")
            #expect(response.status == 200)
            #expect(response.text == "<p>the other page</p>\n")
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
            #expect(response.header("Location") == nil)
        }

        @Test func headToALocalRedirectSendsNoBody() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("HEAD /cgi-bin/local.py HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let response = try client.readResponse(toHead: true)
            #expect(response.status == 200)
            let rest = client.readUntilClosed(timeout: 3).bytes.text
            #expect(rest == "", "a HEAD response carried a body")
        }

        /// RFC 3875 §6.2.2: the server processes the new path as a request of its own, so a script it names runs;
        /// its source must never be sent.
        @Test func localLocationToAScriptRunsIt() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/cgi-bin/localscript.py")
            #expect(!response.text.contains("import os"), "the script's source was sent: \(response.text.prefix(80))")
            #expect(response.status == 200)
            let environment = CGIFixture.parseEnvironment(response.text).environment
            #expect(environment["QUERY_STRING"] == "from=redirect")
            #expect(environment["REQUEST_METHOD"] == "GET")
        }

        @Test(arguments: ["nohead.py", "nohead-unterminated.py", "garbage.py", "crash.py"])
        func brokenOutputIs502(script: String) throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/cgi-bin/\(script)")
            #expect(response.status == 502)
            #expect(response.header("Content-Type") == "text/html; charset=utf-8")
            #expect(!response.text.contains("garbage") && !response.text.contains("only a body"),
                    "the script's output reached the client")
            #expect(!response.text.contains("giving up"), "stderr reached the client")
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(2)) == [])
            #expect(try server.get("/static.txt").text == CGIFixture.staticText)
            if script == "crash.py" {
                #expect(server.output().contains("crash.py: giving up"), "stderr did not reach the error log")
            }
        }

        @Test func scriptThatNeverEndsIs504AfterTimeoutAndIsReaped() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let start = ContinuousClock.now
            let response = try server.get("/cgi-bin/forever.py")
            let elapsed = seconds(since: start)
            #expect(response.status == 504)
            #expect(elapsed > 1.5 && elapsed < 4, "504 after \(elapsed) s with cgi_timeout 2s")
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(1)) == [], "a child outlived its request")
        }

        /// Once the head is out, a timeout can only cut the connection: no last chunk, so the client knows.
        @Test func timeoutAfterTheHeadCutsTheConnection() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /cgi-bin/headthenhang.py HTTP/1.1\r\nHost: a\r\n\r\n")
            let outcome = client.readUntilClosed(timeout: 5)
            let (closed, text) = (outcome.closed, outcome.bytes.text)
            #expect(closed)
            #expect(text.hasPrefix("HTTP/1.1 200 "))
            #expect(text.contains("partial\n"))
            #expect(!text.hasSuffix("0\r\n\r\n"), "a cut response ended like a complete one")
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(1)) == [])
        }

        @Test func scriptKilledMidOutputWithLengthCutsTheConnection() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /cgi-bin/killed-length.py HTTP/1.1\r\nHost: a\r\n\r\n")
            let outcome = client.readUntilClosed(timeout: 3)
            let (closed, text) = (outcome.closed, outcome.bytes.text)
            #expect(closed, "the connection stayed open after a short body")
            #expect(text.hasPrefix("HTTP/1.1 200 "))
            #expect(text.contains("Content-Length: 100000\r\n"))
            #expect(text.utf8.count < 100_000)
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(1)) == [])
            #expect(try server.get("/static.txt").status == 200)
        }

        /// A script that ends its output short of its own Content-Length: the client must see the cut at once.
        @Test func outputShorterThanItsContentLengthCutsTheConnection() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /cgi-bin/short.py HTTP/1.1\r\nHost: a\r\n\r\n")
            let outcome = client.readUntilClosed(timeout: 3)
            let (closed, text) = (outcome.closed, outcome.bytes.text)
            #expect(text.hasPrefix("HTTP/1.1 200 "))
            #expect(text.hasSuffix("\r\n\r\nabc"))
            #expect(closed, "the connection stayed open with 7 promised bytes missing")
        }

        /// A chunked body cut by the script's death must not end with the last chunk: the client would take
        /// a truncated page for a whole one.
        @Test func scriptKilledMidOutputWithoutLengthDoesNotEndTheChunkedBody() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /cgi-bin/killed-chunked.py HTTP/1.1\r\nHost: a\r\n\r\n")
            let outcome = client.readUntilClosed(timeout: 3)
            let (closed, text) = (outcome.closed, outcome.bytes.text)
            #expect(text.hasPrefix("HTTP/1.1 200 "))
            #expect(text.contains("Transfer-Encoding: chunked\r\n"))
            #expect(!text.hasSuffix("\r\n0\r\n\r\n"), "the killed script's output was framed as complete")
            #expect(closed, "the connection stayed open after a truncated body")
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(1)) == [])
        }

        @Test func clientLeavingMidResponseEndsTheFloodingScript() throws {
            let (site, server) = try CGIFixture.start(timeout: "30s")
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /cgi-bin/flood.py HTTP/1.1\r\nHost: a\r\n\r\n")
            var received = 0
            for _ in 0..<100 where received < 300_000 {
                guard case .bytes(let n) = client.receive() else { break }
                received += n
            }
            _ = client.takePending()
            #expect(received >= 300_000, "the flood did not arrive")
            #expect(CGIFixture.children(of: server.pid).count == 1)
            client.close()
            let left = CGIFixture.waitUntilChildless(server, timeout: .seconds(2))
            #expect(left == [], "the flooding child outlived its client")
            #expect(try server.get("/static.txt").text == CGIFixture.staticText)
        }

        // MARK: Request bodies the script does not take

        @Test func scriptThatNeverReadsStdinDoesNotStallTheServer() throws {
            let (site, server) = try CGIFixture.start(timeout: "10s")
            defer { server.stop(); _ = site }
            let path = try site.write("five-mb.bin", patternBytes(count: 5_000_000), inDocroot: false)
            let upload = CGIFixture.inBackground {
                try Curl.run(["--data-binary", "@\(path)", "-H", "Content-Type: application/octet-stream",
                              "http://127.0.0.1:\(server.port)/cgi-bin/noread.py"], in: site)
            }
            usleep(200_000)
            for _ in 0..<3 {
                let (response, seconds) = try CGIFixture.timedStaticGet(server)
                #expect(response.text == CGIFixture.staticText)
                #expect(seconds < 0.5, "a static GET took \(seconds) s while a script ignored its 5 MB body")
            }
            let result = try upload()
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.body.text == "did not read\n")
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(2)) == [])
        }

        @Test(arguments: [false, true])
        func scriptThatClosesStdinEarlyStillAnswers(chunked: Bool) throws {
            let (site, server) = try CGIFixture.start(timeout: "10s")
            defer { server.stop(); _ = site }
            let path = try site.write("five-mb.bin", patternBytes(count: 5_000_000), inDocroot: false)
            let result = try Curl.run(["--data-binary", "@\(path)", "-H", "Content-Type: application/octet-stream"]
                                      + (chunked ? ["-H", "Transfer-Encoding: chunked"] : [])
                                      + ["http://127.0.0.1:\(server.port)/cgi-bin/closein.py"], in: site)
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.body.text == "closed stdin after 1000 bytes\n")
            #expect(try server.get("/static.txt").text == CGIFixture.staticText)
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(2)) == [])
        }

        // MARK: Concurrency

        @Test func tenSlowScriptsDoNotDelayStaticFiles() throws {
            // Room for all ten at once, whatever the machine's default cap.
            let site = try CGIFixture.makeSite()
            let server = try Webserv.start("cgi_max_processes 10;\n" + CGIFixture.config(timeout: "10s"), site: site)
            defer { server.stop(); _ = site }
            let start = ContinuousClock.now
            var clients: [RawClient] = []
            for _ in 0..<10 {
                let client = try server.connect()
                try client.send("GET /cgi-bin/slow.py HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                clients.append(client)
            }
            var slowest = 0.0
            var gets = 0
            while seconds(since: start) < 1.8 && gets < 100 {
                let (response, seconds) = try CGIFixture.timedStaticGet(server)
                #expect(response.text == CGIFixture.staticText)
                slowest = max(slowest, seconds)
                gets += 1
                usleep(50_000)
            }
            #expect(slowest < 0.5, "a static GET took \(slowest) s while 10 scripts slept")
            #expect(CGIFixture.children(of: server.pid).count == 10, "the scripts did not run side by side")
            for client in clients {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.text == "slept\n")
            }
            let elapsed = seconds(since: start)
            #expect(elapsed < 5, "10 scripts sleeping 2 s took \(elapsed) s: they ran one after another")
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(2)) == [])
        }

        // MARK: Framing

        /// Without a length, an HTTP/1.0 body ends at the close, even when the client asked for keep-alive.
        @Test(arguments: ["", "Connection: keep-alive\r\n"])
        func http10ResponseWithoutLengthEndsAtClose(extraHeader: String) throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /cgi-bin/hello.py HTTP/1.0\r\n\(extraHeader)\r\n")
            let outcome = client.readUntilClosed(timeout: 3)
            let (closed, bytes) = (outcome.closed, outcome.bytes)
            #expect(closed, "the close that ends the body never came")
            guard let end = bytes.firstRange(of: [13, 10, 13, 10]) else {
                Issue.record("no response head: \(bytes.prefix(200).text)")
                return
            }
            let head = try HTTPResponse(head: Array(bytes[..<end.lowerBound]))
            #expect(head.status == 200)
            #expect(head.header("Transfer-Encoding") == nil)
            #expect(head.header("Content-Length") == nil)
            #expect(head.header("Connection")?.lowercased() != "keep-alive")
            #expect(bytes[end.upperBound...].text == "hello\n")
        }

        @Test func http11ResponseWithoutLengthIsChunkedAndKeepsTheConnection() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("GET /cgi-bin/hello.py HTTP/1.1\r\nHost: a\r\n\r\n")
            let first = try client.readResponse()
            #expect(first.status == 200)
            #expect(first.wasChunked)
            #expect(first.header("Content-Length") == nil)
            #expect(first.text == "hello\n")
            try client.send("GET /cgi-bin/length.py HTTP/1.1\r\nHost: a\r\n\r\n")
            let second = try client.readResponse()
            #expect(second.header("Content-Length") == "6")
            #expect(second.header("Transfer-Encoding") == nil)
            #expect(second.text == "hello\n")
            // A POST and a GET in one send: the second waits for the script, then is answered.
            try client.send("POST /cgi-bin/env.py HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /static.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            let third = try client.readResponse()
            #expect(CGIFixture.parseEnvironment(third.text).extra["STDIN"] == "hello")
            #expect(try client.readResponse().text == CGIFixture.staticText)
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed)
            #expect(rest.bytes.isEmpty, "bytes after the last response: \(rest.bytes.prefix(200).text)")
        }

        /// The end of the response is the end of the script's output; with `Connection: close` (or HTTP/1.0)
        /// the connection must close right then, not when send_timeout runs out.
        /// The scripts pause after their output, so the response is out before the server sees their EOF.
        @Test(arguments: ["GET pause.py HTTP/1.0", "GET pause-length.py HTTP/1.0", "GET pause-length.py HTTP/1.1",
                          "HEAD pause.py HTTP/1.1", "POST pause-length.py HTTP/1.1"])
        func connectionClosesPromptlyAfterTheLastResponse(request line: String) throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let parts = line.split(separator: " ")
            let (method, script, version) = (parts[0], parts[1], parts[2])
            let client = try server.connect()
            let start = ContinuousClock.now
            try client.send("\(method) /cgi-bin/\(script) \(version)\r\n"
                + (version == "HTTP/1.1" ? "Host: a\r\nConnection: close\r\n" : "")
                + (method == "POST" ? "Content-Length: 3\r\n\r\nabc" : "\r\n"))
            let outcome = client.readUntilClosed(timeout: 3)
            let (closed, text) = (outcome.closed, outcome.bytes.text)
            #expect(text.hasPrefix("HTTP/1.1 200 "))
            #expect(method == "HEAD" || text.hasSuffix("\r\n\r\nhello\n"))
            #expect(closed, "the connection was still open 3 s after the response")
            #expect(seconds(since: start) < 2)
        }

        @Test func missingScriptIs404() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            #expect(try server.get("/cgi-bin/missing.py").status == 404)
            #expect(try server.get("/cgi-bin/missing.py/with/path/info").status == 404)
            #expect(try server.get("/cgi-bin/missing.php").status == 404)
            #expect(CGIFixture.children(of: server.pid) == [])
        }

        /// RFC 9110 §9.3.2, §8.6: no body; a Content-Length only when it is the length a GET would get.
        @Test func headToAScriptSendsHeadersOnly() throws {
            let (site, server) = try CGIFixture.start()
            defer { server.stop(); _ = site }
            let client = try server.connect()
            try client.send("HEAD /cgi-bin/hello.py HTTP/1.1\r\nHost: a\r\n\r\n")
            let unknown = try client.readResponse(toHead: true)
            #expect(unknown.status == 200)
            #expect(unknown.header("Content-Type") == "text/plain")
            #expect(unknown.header("Content-Length") == nil || unknown.header("Content-Length") == "6",
                    "HEAD says Content-Length: \(unknown.header("Content-Length") ?? "") where GET sends 6 bytes")
            try client.send("HEAD /cgi-bin/length.py HTTP/1.1\r\nHost: a\r\n\r\n")
            let known = try client.readResponse(toHead: true)
            #expect(known.header("Content-Length") == "6")
            // Any body bytes would now be read as the next response's status line.
            try client.send("GET /static.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            #expect(try client.readResponse().text == CGIFixture.staticText)
            let rest = client.readUntilClosed(timeout: 5)
            #expect(rest.closed)
            #expect(rest.bytes.isEmpty, "bytes after the last response: \(rest.bytes.prefix(200).text)")
        }
    }

    /// The demo site's CGI pages (www/cgi-bin) through conf/default.conf, as a visitor uses them.
    @Suite struct CGIDemoPages {
        @Test func formShowsPostedFieldsAndTheUploadedFile() throws {
            let (site, server) = try DemoSite.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            let logo = Repo.root.path + "/www/images/logo.png"
            let result = try Curl.run(["-F", "name=Zoë <b>", "-F", "message=hi & bye", "-F", "upload=@\(logo)",
                                       "http://127.0.0.1:\(server.port)/cgi-bin/form.php"], in: site)
            #expect(result.status == 200, "\(result.stderr)")
            let page = result.body.text
            #expect(page.contains("<tr><th>name</th><td>Zoë &lt;b&gt;</td></tr>"))
            #expect(page.contains("<tr><th>message</th><td>hi &amp; bye</td></tr>"))
            #expect(page.contains("<td>logo.png</td>"))
            #expect(page.contains("<td>\(try SHA256.hex(ofFile: logo))</td>"), "the uploaded file differs")
            #expect(page.contains("<td>0: received</td>"))
        }

        @Test func formExplainsWhyAFileDidNotArrive() throws {
            let (site, server) = try DemoSite.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            let big = try site.write("big.bin", patternBytes(count: 3 * 1024 * 1024), inDocroot: false)
            let result = try Curl.run(["-F", "upload=@\(big)", "http://127.0.0.1:\(server.port)/cgi-bin/form.php"], in: site)
            #expect(result.status == 200, "\(result.stderr)")
            #expect(result.body.text.contains("<td>1: larger than upload_max_filesize (2M in php.ini)</td>"),
                    "\(result.body.text.suffix(800))")
        }

        @Test func sessionCounterCountsWithItsCookie() throws {
            let (site, server) = try DemoSite.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            let first = try server.get("/cgi-bin/session.php")
            #expect(first.status == 200)
            #expect(first.text.contains("<span id=\"visits\">1</span>"))
            guard let cookie = first.header("Set-Cookie")?.split(separator: ";").first.map(String.init),
                  cookie.hasPrefix("PHPSESSID=") else {
                Issue.record("no session cookie: \(first)")
                return
            }
            for visit in 2...3 {
                let next = try server.exchange("GET /cgi-bin/session.php HTTP/1.1\r\nHost: a\r\nCookie: \(cookie)\r\n"
                    + "Connection: close\r\n\r\n")
                #expect(next.text.contains("<span id=\"visits\">\(visit)</span>"), "visit \(visit)")
            }
        }

        @Test func queryEchoAndEnvironmentPagesShowTheRequest() throws {
            let (site, server) = try DemoSite.start("default.conf", listening: "127.0.0.1:8080")
            defer { server.stop(); _ = site }
            let query = try server.get("/cgi-bin/query.py?q=a+b%26c&lang=")
            #expect(query.status == 200)
            #expect(query.header("Content-Type") == "text/html; charset=utf-8")
            #expect(query.text.contains("<code id=\"raw\">q=a+b%26c&amp;lang=</code>"))
            #expect(query.text.contains("<tr><th>q</th><td>a b&amp;c</td></tr>"))
            #expect(query.text.contains("<tr><th>lang</th><td></td></tr>"))
            let environment = try server.get("/cgi-bin/env.py/x/y?a=1")
            #expect(environment.status == 200)
            #expect(environment.text.contains("<tr><th>PATH_INFO</th><td>/cgi-bin/env.py/x/y</td></tr>"))
            #expect(environment.text.contains("<tr><th>QUERY_STRING</th><td>a=1</td></tr>"))
            #expect(environment.text.contains("<tr><th>GATEWAY_INTERFACE</th><td>CGI/1.1</td></tr>"))
        }
    }

    /// 100 MB through a script both ways, with the server's memory bounded.
    @Suite struct CGIStreaming {
        static let size = 100 * 1024 * 1024
        static let rssLimit = MemoryBound.peak(64 * 1024 * 1024)

        static func roundTrip(chunked: Bool) throws {
            let (site, server) = try CGIFixture.start(timeout: "120s")
            defer { server.stop(); _ = site }
            let input = site.directory + "/input.bin"
            let output = site.directory + "/output.bin"
            try writeLargeFile(atPath: input, size: size)
            let expected = try Subprocess.output("sh", arguments: ["-c", "tr a-z A-Z < \"$1\" | sha256sum", "sh", input],
                                                environment: ["LC_ALL": "C"]).prefix(64)
            let result = try Curl.run(["--max-time", "120", "-X", "POST", "-T", input,
                                       "-H", "Content-Type: application/octet-stream"]
                                      + (chunked ? ["-H", "Transfer-Encoding: chunked"] : [])
                                      + ["http://127.0.0.1:\(server.port)/cgi-bin/upper.py"],
                                      in: site, bodyPath: output)
            #expect(result.exitCode == 0, "\(result.stderr)")
            #expect(result.status == 200)
            let received = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? -1
            #expect(received == size, "received \(received) of \(size) bytes")
            #expect(try SHA256.hex(ofFile: output) == String(expected), "the upper-cased body differs")
            let peak = server.peakResidentBytes() ?? Int.max
            #expect(peak < rssLimit, "the server's peak RSS was \(peak / 1024 / 1024) MB")
            #expect(CGIFixture.waitUntilChildless(server, timeout: .seconds(2)) == [])
        }

        @Test func hundredMegabyteChunkedPostComesBackUpperCased() throws {
            try Self.roundTrip(chunked: true)
        }

        @Test func hundredMegabyteContentLengthPostComesBackUpperCased() throws {
            try Self.roundTrip(chunked: false)
        }
    }
}
