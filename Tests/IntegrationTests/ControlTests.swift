import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The command line that drives a running server (`-s`, found through the `pid` file), `-v` and `-h`.
extension Integration {
    @Suite struct Control {
        static let config = """
            pid @DIR@/run/webserv.pid;
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location /cgi-bin/ { cgi .py /usr/bin/python3; }
            }
            """

        /// A server with a pid file and a script taking `seconds` at /cgi-bin/slow.py.
        static func start(scriptSeconds seconds: Int) throws -> (TestSite, Webserv) {
            let site = try TestSite()
            try FileManager.default.createDirectory(atPath: site.directory + "/run", withIntermediateDirectories: true)
            try site.write("cgi-bin/slow.py", """
                import time, sys
                time.sleep(\(seconds))
                sys.stdout.write("Content-Type: text/plain\\r\\nContent-Length: 4\\r\\n\\r\\ndone")
                """)
            return (site, try Webserv.start(config, site: site))
        }

        static func pidFile(of site: TestSite) -> String { site.directory + "/run/webserv.pid" }

        @Test func versionAndHelpArePrinted() throws {
            let version = try WebservRun(["-v"], workingDirectory: "/")
            #expect(version.status == 0)
            #expect(version.stdout.hasPrefix("webserv version: webserv/"), "\(version.stdout)")
            let help = try WebservRun(["-h"], workingDirectory: "/")
            #expect(help.status == 0)
            #expect(help.stdout.hasPrefix("usage: webserv [-t | -s reload|reopen|stop|quit | -v | -h] [config-file]\n"))
            for signal in ["reload", "reopen", "stop", "quit"] { #expect(help.stdout.contains("  \(signal) ")) }
            let wrong = try WebservRun(["-s", "restart"], workingDirectory: "/")
            #expect(wrong.status == 2)
            #expect(wrong.stderr.contains("invalid option: \"-s restart\"") && wrong.stderr.contains("usage: "))
            #expect(try WebservRun(["-x"], workingDirectory: "/").status == 2)
            #expect(try WebservRun(["-t", "-s", "stop"], workingDirectory: "/").status == 2)
        }

        @Test func pidFileNamesTheServerWhileItRuns() throws {
            let (site, server) = try Control.start(scriptSeconds: 0)
            defer { _ = site }
            let text = try String(contentsOfFile: Control.pidFile(of: site), encoding: .utf8)
            #expect(text == "\(server.pid)\n")
            #expect(server.terminate(signal: SIGTERM) == .exited(0))
            #expect(!FileManager.default.fileExists(atPath: Control.pidFile(of: site)), "removed at exit")
        }

        /// A pid file another instance has written since is not this server's to remove.
        @Test func pidFileReplacedByAnotherInstanceIsLeftAtExit() throws {
            let (site, server) = try Control.start(scriptSeconds: 0)
            defer { _ = site }
            let path = Control.pidFile(of: site)
            try site.write("run/other.pid", "4242\n", inDocroot: false)
            #expect(rename(site.directory + "/run/other.pid", path) == 0)
            #expect(server.terminate(signal: SIGTERM) == .exited(0))
            #expect((try? String(contentsOfFile: path, encoding: .utf8)) == "4242\n")
        }

        /// `quit`: the script in flight finishes and its answer arrives, then the server exits 0.
        @Test func quitLetsTheRequestInFlightFinish() throws {
            let (site, server) = try Control.start(scriptSeconds: 1)
            defer { _ = server.terminate(signal: SIGKILL) }
            let client = try server.connect()
            try client.send("GET /cgi-bin/slow.py HTTP/1.1\r\nHost: x\r\n\r\n")
            try #require(eventually { Operations.processes(mentioning: site.docroot + "/cgi-bin/slow.py").count == 1 })
            let quit = try WebservRun(["-s", "quit", server.configPath], workingDirectory: "/")
            #expect(quit.status == 0, "stderr: \(quit.stderr)")
            let answer = try client.readResponse()
            #expect(answer.status == 200 && answer.body == [UInt8]("done"))
            #expect(answer.header("Connection") == "close")
            #expect(server.process.wait(timeout: .seconds(5)) == .exited(0))
            #expect(!FileManager.default.fileExists(atPath: Control.pidFile(of: site)))
        }

        /// `stop`: the command returns once the server is gone, without waiting for a 10 s script.
        @Test func stopEndsTheServerAtOnce() throws {
            let (site, server) = try Control.start(scriptSeconds: 10)
            defer { _ = server.terminate(signal: SIGKILL) }
            let client = try server.connect()
            try client.send("GET /cgi-bin/slow.py HTTP/1.1\r\nHost: x\r\n\r\n")
            let script = site.docroot + "/cgi-bin/slow.py"
            try #require(eventually { Operations.processes(mentioning: script).count == 1 })
            let began = ContinuousClock.now
            let stop = try WebservRun(["-s", "stop", server.configPath], workingDirectory: "/")
            #expect(stop.status == 0, "stderr: \(stop.stderr)")
            #expect(ContinuousClock.now - began < .seconds(3))
            #expect(server.process.wait(timeout: .seconds(1)) == .exited(0))
            #expect(client.readUntilClosed(timeout: 2).closed, "the request in flight is cut")
            #expect(eventually { Operations.processes(mentioning: script).isEmpty }, "the script was killed")
            #expect(!FileManager.default.fileExists(atPath: Control.pidFile(of: site)))
        }

        /// A pid file left behind names a process that is not webserv: it is not signalled.
        @Test func stalePidFileNamingAnotherProcessIsRefused() throws {
            let site = try TestSite()
            try site.write("run/webserv.pid", "", inDocroot: false)
            let config = try site.write("s.conf", "pid \(site.directory)/run/webserv.pid;\nserver { listen 127.0.0.1:9; }\n",
                                        inDocroot: false)
            let sleeper = try Subprocess(executable: "/bin/sleep", arguments: ["30"], stdoutPath: "/dev/null",
                                         stderrPath: "/dev/null")
            defer { _ = sleeper.stop(signal: SIGKILL) }
            try site.write("run/webserv.pid", "\(sleeper.pid)\n", inDocroot: false)
            for signal in ["stop", "quit", "reload", "reopen"] {
                let run = try WebservRun(["-s", signal, config], workingDirectory: "/")
                #expect(run.status == 1)
                #expect(run.stderr.contains("process \(sleeper.pid) named by"), "\(run.stderr)")
                #expect(run.stderr.contains("is not webserv (sleep)"), "\(run.stderr)")
            }
            usleep(100_000)
            #expect(sleeper.isRunning, "the other process was signalled")
        }

        @Test func signalWithoutARunningInstanceFails() throws {
            let site = try TestSite()
            let noPid = try site.write("n.conf", "server { listen 127.0.0.1:9; }\n", inDocroot: false)
            let missing = try WebservRun(["-s", "reload", noPid], workingDirectory: "/")
            #expect(missing.status == 1)
            #expect(missing.stderr.contains("no \"pid\" directive"), "\(missing.stderr)")

            let config = try site.write("p.conf", "pid \(site.directory)/w.pid;\nserver { listen 127.0.0.1:9; }\n",
                                        inDocroot: false)
            let absent = try WebservRun(["-s", "stop", config], workingDirectory: "/")
            #expect(absent.status == 1)
            #expect(absent.stderr.contains("w.pid\": No such file or directory"), "\(absent.stderr)")

            try site.write("w.pid", "12x\n", inDocroot: false)
            let garbled = try WebservRun(["-s", "stop", config], workingDirectory: "/")
            #expect(garbled.status == 1)
            #expect(garbled.stderr.contains("invalid PID number \"12x\""), "\(garbled.stderr)")

            // A process that has exited (and been reaped): its number names nobody.
            let gone = try Subprocess(executable: "/bin/true", arguments: [], stdoutPath: "/dev/null", stderrPath: "/dev/null")
            _ = gone.wait(timeout: .seconds(5))
            try site.write("w.pid", "\(gone.pid)\n", inDocroot: false)
            let stale = try WebservRun(["-s", "quit", config], workingDirectory: "/")
            #expect(stale.status == 1)
            #expect(stale.stderr.contains("no process \(gone.pid)"), "\(stale.stderr)")
        }
    }
}
