import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `./webserv ARGS` run to completion (killed, and an error thrown, after 10 s), with what it printed.
struct WebservRun {
    var status: Int32
    var exitedNormally: Bool
    var stdout: String
    var stderr: String

    init(_ arguments: [String], workingDirectory: String) throws {
        let outcome = try Subprocess.run(try Repo.webservBinary().path, arguments: arguments,
                                         workingDirectory: workingDirectory, timeout: .seconds(10))
        status = outcome.termination.shellStatus
        switch outcome.termination {
        case .exited: exitedNormally = true
        case .signaled: exitedNormally = false
        }
        stdout = outcome.stdout.text
        stderr = outcome.stderr.text
    }
}

extension Integration {
    @Suite struct CommandLine {
        @Test func checkAcceptsAGoodConfig() throws {
            let site = try TestSite()
            try site.write("good.conf", """
                # a comment
                max_connections 512;
                server {
                    listen 127.0.0.1:18080;
                    listen 8081;
                    server_name example.test "*.example.test";
                    root \(site.docroot);
                    index index.html index.htm;
                    autoindex off;
                    error_page 404 500 /errors/page.html;
                    client_max_body_size 10m;
                    allow_methods GET HEAD;
                    keepalive_timeout 75s; client_header_timeout 60s; client_body_timeout 60s; send_timeout 60s;
                    location /images/ { root \(site.docroot); autoindex on; }
                    location /kapouet { alias \(site.docroot); }
                    location = /favicon.ico { alias \(site.docroot)/favicon.ico; }
                    location /old { return 301 /new; }
                    location /upload { allow_methods GET POST PUT DELETE; upload_store \(site.docroot); client_max_body_size 100m; }
                    location /cgi-bin { cgi .php /usr/bin/php-cgi; cgi .py /usr/bin/python3; cgi_timeout 30s; cgi_path_info extra; }
                }
                server {
                    listen 127.0.0.1:18080;
                    server_name other.test;
                    root root;
                }
                """, inDocroot: false)
            let run = try WebservRun(["-t", site.directory + "/good.conf"], workingDirectory: site.directory)
            #expect(run.exitedNormally)
            #expect(run.status == 0, "stderr: \(run.stderr)")
        }

        @Test(arguments: ["conf/default.conf", "conf/vhosts.conf"])
        func sampleConfigsOfTheRepositoryPassTheCheck(path: String) throws {
            let run = try WebservRun(["-t", path], workingDirectory: Repo.root.path)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            // Relative paths resolve against the file, not the working directory.
            let elsewhere = try WebservRun(["-t", Repo.root.path + "/" + path], workingDirectory: "/")
            #expect(elsewhere.status == 0, "stderr: \(elsewhere.stderr)")
        }

        @Test func checkWithoutAPathReadsConfDefaultConf() throws {
            let site = try TestSite()
            let run = try WebservRun(["-t"], workingDirectory: Repo.root.path)
            #expect(run.status == 0, "stderr: \(run.stderr)")
            let empty = try WebservRun(["-t"], workingDirectory: site.directory)
            #expect(empty.status == 1, "no conf/default.conf here, yet: \(empty.stdout) \(empty.stderr)")
            #expect(empty.stderr.contains("conf/default.conf"))
        }

        /// (config text, line the error must name). Each has exactly one mistake.
        static let badConfigs: [(String, Int)] = [
            ("server {\n    listen 127.0.0.1:8080;\n    rooot /tmp;\n}\n", 3),
            ("server {\n    listen 127.0.0.1:8080;\n    root /tmp }\n", 3),
            ("server {\n    listen 127.0.0.1:8080;\n    root /tmp;", 3),
            ("server {\n    listen 127.0.0.1:8080;\n}\n}\n", 4),
            ("listen 8080;\nserver {\n    listen 127.0.0.1:8080;\n}\n", 1),
            ("server {\n    listen 127.0.0.1:99999;\n}\n", 2),
            ("server {\n    listen 127.0.0.1:8080;\n    autoindex maybe;\n}\n", 3),
            ("server {\n    listen 127.0.0.1:8080;\n    client_max_body_size 12q;\n}\n", 3),
            ("server {\n    listen 127.0.0.1:8080;\n    keepalive_timeout soon;\n}\n", 3),
            ("server {\n    listen 127.0.0.1:8080;\n    error_page 404;\n}\n", 3),
            ("server {\n    listen 127.0.0.1:8080;\n    listen 127.0.0.1:8080;\n}\n", 3),
            ("server {\n    listen 127.0.0.1:8080;\n    location /a {\n        frobnicate on;\n    }\n}\n", 4),
            ("server {\n    listen 127.0.0.1:8080;\n    location {\n    }\n}\n", 3),
            ("server {\n    listen 127.0.0.1:8080;\n    server {\n    }\n}\n", 3),
        ]

        @Test(arguments: badConfigs)
        func badConfigIsReportedWithFileAndLineAndExit1(config: String, line: Int) throws {
            let site = try TestSite()
            let path = try site.write("bad.conf", config, inDocroot: false)
            let run = try WebservRun(["-t", path], workingDirectory: site.directory)
            #expect(run.exitedNormally)
            #expect(run.status == 1)
            #expect(run.stderr.contains("bad.conf:\(line): "), "stderr: \(run.stderr)")
            #expect(!run.stdout.contains("ok"), "stdout: \(run.stdout)")
            // The same file refuses to start the server, with the same message.
            let start = try WebservRun([path], workingDirectory: site.directory)
            #expect(start.status == 1)
            #expect(start.stderr.contains("bad.conf:\(line): "), "stderr: \(start.stderr)")
        }

        @Test func missingConfigFileIsReportedAndExits1() throws {
            let site = try TestSite()
            let run = try WebservRun(["-t", site.directory + "/nope.conf"], workingDirectory: site.directory)
            #expect(run.status == 1)
            #expect(run.stderr.contains("nope.conf"), "stderr: \(run.stderr)")
        }

        @Test(arguments: [SIGINT, SIGTERM])
        func signalStopsTheServerWithExit0(signal: Int32) throws {
            let (site, server) = try StaticFixture.start()
            defer { _ = site }
            #expect(try server.get("/hello.txt").status == 200)
            let before = FaultFixture.descriptors(of: server.pid).count
            let idle = try server.connect()  // an open connection must not hold the exit back
            try #require(eventually { FaultFixture.descriptors(of: server.pid).count == before + 1 }, "not accepted")
            let ended = server.terminate(signal: signal)
            #expect(ended == .exited(0), "\(server.describe(ended))")
            #expect(!canConnect(port: server.port), "still accepting after exit")
            #expect(server.output().contains("listening on http://127.0.0.1:\(server.port)"), "output: \(server.output())")
            idle.close()
        }

        @Test func portAlreadyInUseIsAnErrorNotACrash() throws {
            let (site, server) = try StaticFixture.start()
            defer { server.stop(); _ = site }
            let run = try WebservRun([server.configPath], workingDirectory: site.directory)
            #expect(run.exitedNormally, "it crashed or hung: status \(run.status)")
            #expect(run.status != 0)
            #expect(run.stderr.contains("127.0.0.1:\(server.port)"), "stderr: \(run.stderr)")
            #expect(try server.get("/hello.txt").status == 200)
        }
    }
}
