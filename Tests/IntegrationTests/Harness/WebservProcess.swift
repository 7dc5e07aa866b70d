import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory holding a docroot (`root/`) and whatever else a test writes; removed on deinit.
final class TestSite {
    let directory: String
    var docroot: String { directory + "/root" }

    init() throws {
        let base = FileManager.default.temporaryDirectory.path + "/webserv-it-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base + "/root", withIntermediateDirectories: true)
        directory = base
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Writes a file under the docroot (parents created); `relativeTo` the site directory when asked.
    @discardableResult
    func write(_ path: String, _ bytes: [UInt8], inDocroot: Bool = true) throws -> String {
        let full = (inDocroot ? docroot : directory) + "/" + path
        let parent = (full as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: full, contents: Data(bytes)) else {
            throw HarnessError("cannot write \(full)")
        }
        return full
    }

    @discardableResult
    func write(_ path: String, _ text: String, inDocroot: Bool = true) throws -> String {
        try write(path, [UInt8](text), inDocroot: inDocroot)
    }

    func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: docroot + "/" + path, withIntermediateDirectories: true)
    }

    func setModificationDate(_ date: Date, of path: String) throws {
        try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: docroot + "/" + path)
    }
}

/// A running `./webserv` on a free 127.0.0.1 port, stopped by PID (SIGTERM, then SIGKILL after 15 s).
final class Webserv {
    let port: UInt16
    let configPath: String
    let process: Subprocess
    private let outputPath: String
    private var stopped = false

    /// Writes `config` into the site (`@PORT@`, `@ROOT@`, `@DIR@` replaced) and starts the server on it.
    /// A port taken between choosing and binding it is retried with another one.
    /// `launcher` is a command that execs webserv in place (`/usr/bin/prlimit --nofile=32:32`). `port`: this
    /// one rather than a free one (a second instance sharing a port with `reuseport`).
    static func start(_ config: String, site: TestSite, configName: String = "webserv.conf",
                      launcher: [String] = [], port fixedPort: UInt16? = nil) throws -> Webserv {
        var lastError: Error = HarnessError("not started")
        for _ in 0..<(fixedPort == nil ? 3 : 1) {
            let port = try fixedPort ?? freePort()
            let text = config
                .replacingOccurrences(of: "@PORT@", with: String(port))
                .replacingOccurrences(of: "@ROOT@", with: site.docroot)
                .replacingOccurrences(of: "@DIR@", with: site.directory)
            let path = try site.write(configName, text, inDocroot: false)
            do {
                return try Webserv(port: port, configPath: path, workingDirectory: site.directory, launcher: launcher)
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    private init(port: UInt16, configPath: String, workingDirectory: String, launcher: [String]) throws {
        self.port = port
        self.configPath = configPath
        // Output goes to a file, never a pipe nobody drains: a full pipe would block the server's logging.
        // A new file each start: an earlier server's "listening on" line must not pass for this one's.
        outputPath = workingDirectory + "/webserv-\(port)-\(UUID().uuidString.prefix(8)).log"
        let command = launcher + [try Repo.webservBinary().path, configPath]
        process = try Subprocess(executable: command[0], arguments: Array(command.dropFirst()),
                                 workingDirectory: workingDirectory, stdoutPath: outputPath, stderrPath: outputPath)

        // Ready once it says so: main.swift prints a line per listener after binding them all, so the line
        // for our port means every listener of the config takes connections. A probe connection would be
        // one more client in tests that count them.
        let ready = "webserv: listening on http://127.0.0.1:\(port)\n"
        let deadline = ContinuousClock.now + .seconds(10)
        while !output().contains(ready) {
            if !process.isRunning {
                throw HarnessError("webserv ended (\(describe(process.termination))) before listening:\n\(output())")
            }
            if ContinuousClock.now >= deadline {
                _ = process.stop(signal: SIGKILL)
                throw HarnessError("webserv did not say it listens on 127.0.0.1:\(port) within 10 s:\n\(output())")
            }
            usleep(10_000)
        }
    }

    deinit { _ = terminate(signal: SIGTERM) }

    /// What the server printed (standard output and error together).
    func output() -> String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    var pid: Int32 { process.pid }

    /// Sends `signal` and waits up to 5 s, then SIGKILL. Returns how it ended, or nil if it had to be killed.
    /// The grace outlasts the server's default shutdown_timeout (10 s), which lets requests in flight finish.
    func terminate(signal: Int32) -> Subprocess.Termination? {
        stopped = true
        return process.stop(signal: signal, grace: .seconds(15))
    }

    /// Sends `signal` without waiting (a test watching the graceful stop); the test checks how it ends.
    func signal(_ signal: Int32) {
        stopped = true
        kill(process.pid, signal)
    }

    /// Stops the server at the end of a test and records an issue unless it was alive until now and
    /// then exited 0 on SIGTERM: a crash anywhere during the test shows here.
    func stop(sourceLocation: SourceLocation = #_sourceLocation) {
        guard !stopped else { return }
        let wasRunning = process.isRunning
        let ended = terminate(signal: SIGTERM)
        if !wasRunning {
            Issue.record("webserv died during the test (\(describe(ended))):\n\(output().suffix(2000))",
                         sourceLocation: sourceLocation)
        } else if ended != .exited(0) {
            Issue.record("webserv did not exit 0 on SIGTERM (\(describe(ended))):\n\(output().suffix(2000))",
                         sourceLocation: sourceLocation)
        }
    }

    func describe(_ termination: Subprocess.Termination?) -> String {
        termination?.description ?? "killed after not exiting within 5 s"
    }

    /// User plus system CPU time the server has used, in clock ticks (usually 1/100 s).
    func cpuTicks() -> Int? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3, utime 14 and stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
        return user + system
    }

    /// The peak resident memory of the server so far, in bytes (VmHWM).
    func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first
            return kib.flatMap { Int($0) }.map { $0 * 1024 }
        }
        return nil
    }

    func connect(receiveTimeout: Double = 10) throws -> RawClient {
        try RawClient(port: port, receiveTimeout: receiveTimeout)
    }

    /// One request on a fresh connection (`Connection: close` added unless the request names it):
    /// the response must be followed by nothing but the server closing the connection.
    func exchange(_ request: String, head: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> HTTPResponse {
        try exchange([UInt8](request), head: head, sourceLocation: sourceLocation)
    }

    func exchange(_ request: [UInt8], head: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> HTTPResponse {
        let client = try connect()
        defer { client.close() }
        try client.send(request)
        let response = try client.readResponse(toHead: head)
        let rest = client.readUntilClosed(timeout: 5)
        #expect(rest.bytes.isEmpty, "bytes after the response: \(rest.bytes.prefix(200).text)", sourceLocation: sourceLocation)
        #expect(rest.closed, "the server kept the connection open after a Connection: close request", sourceLocation: sourceLocation)
        return response
    }

    /// `GET path` with `Connection: close`.
    func get(_ path: String, host: String? = nil, method: String = "GET", sourceLocation: SourceLocation = #_sourceLocation) throws -> HTTPResponse {
        try exchange("\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\n\r\n",
                     head: method == "HEAD", sourceLocation: sourceLocation)
    }

    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket() failed") }
        defer { Glibc.close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind(127.0.0.1:0) failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw HarnessError("getsockname failed") }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// Whether a TCP connection to 127.0.0.1:port is accepted (by the kernel: the listener's backlog).
func canConnect(port: UInt16) -> Bool {
    guard let client = try? RawClient(port: port, receiveTimeout: 1) else { return false }
    client.close()
    return true
}

func loopback(port: UInt16) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}
