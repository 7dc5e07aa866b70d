import CSelect
import Foundation
import Testing
@testable import Server

/// A fresh directory (symlinks resolved, so it compares with what the child's getcwd says) with one script.
private struct ScriptDirectory {
    let directory: String
    let script: String

    init(_ name: String, _ text: String, extraFiles: [String: String] = [:]) throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        directory = base.resolvingSymlinksInPath().path
        script = directory + "/" + name
        try text.write(toFile: script, atomically: true, encoding: .utf8)
        for (file, contents) in extraFiles {
            try contents.write(toFile: directory + "/" + file, atomically: true, encoding: .utf8)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

private let python = "/usr/bin/python3"

/// Reads to EOF, waiting at most `seconds` for each piece: a write end left open somewhere shows as a
/// recorded timeout instead of a hung test.
private func readAll(_ descriptor: Descriptor, seconds: Int32 = 10) -> [UInt8] {
    var result: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        var poller = pollfd(fd: descriptor.raw, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, seconds * 1000) == 1 else {
            Issue.record("no EOF on descriptor \(descriptor.raw)")
            return result
        }
        let count = buffer.withUnsafeMutableBytes { descriptor.read(into: $0) }
        if count <= 0 { return result }
        result += buffer[..<count]
    }
}

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// A file holding `input` (unlinked at once), or /dev/null when there is none: what the server gives a
/// script as stdin.
private func stdinFile(_ input: [UInt8]) throws -> Descriptor {
    guard !input.isEmpty else {
        let fd = open("/dev/null", O_RDONLY)
        guard fd >= 0 else { throw SpawnTestError("cannot open /dev/null") }
        return Descriptor(fd)
    }
    let path = FileManager.default.temporaryDirectory.path + "/spawn-input-\(UUID().uuidString)"
    let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else { throw SpawnTestError("cannot create \(path)") }
    unlink(path)
    let written = input.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == input.count else { throw SpawnTestError("short write to the stdin file") }
    lseek(fd, 0, SEEK_SET)
    return Descriptor(fd)
}

private struct SpawnTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a script to its end with `input` as its stdin file, reading both pipes in one poll loop as the
/// server's select does; returns stdout, stderr and how it ended.
private func run(_ interpreter: String, _ directory: ScriptDirectory, environment: [String] = [],
                 input: [UInt8] = []) throws -> (out: String, err: String, status: ProcessStatus) {
    let stdin = try stdinFile(input)
    let child = try spawnProcess(interpreter: interpreter, script: directory.script, environment: environment,
                                 directory: directory.directory, stdin: stdin)
    // The caller keeps its descriptor: the child has its own copy.
    #expect(fcntl(stdin.raw, F_GETFD) >= 0, "the caller's stdin file is still open")
    stdin.close()
    for end in [child.stdout, child.stderr] {
        #expect(fcntl(end.raw, F_GETFL) & O_NONBLOCK != 0, "parent's end \(end.raw) is non-blocking")
    }
    var stdoutOpen = true, stderrOpen = true
    var out: [UInt8] = [], err: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while stdoutOpen || stderrOpen {
        var fds = [pollfd(fd: stdoutOpen ? child.stdout.raw : -1, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: stderrOpen ? child.stderr.raw : -1, events: Int16(POLLIN), revents: 0)]
        guard poll(&fds, 2, 10_000) > 0 else {
            Issue.record("the child's pipes stalled")
            break
        }
        for (index, descriptor) in [(0, child.stdout), (1, child.stderr)] where fds[index].revents != 0 {
            let count = buffer.withUnsafeMutableBytes { descriptor.read(into: $0) }
            if count > 0 {
                if index == 0 { out += buffer[..<count] } else { err += buffer[..<count] }
            } else {
                descriptor.close()
                if index == 0 { stdoutOpen = false } else { stderrOpen = false }
            }
        }
    }
    if stdoutOpen { child.stdout.close() }
    if stderrOpen { child.stderr.close() }
    return (text(out), text(err), reap(child.pid, nohang: false))
}

@Suite struct SpawnTests {
    @Test func scriptIsFirstArgumentAndRunsInItsDirectory() throws {
        let dir = try ScriptDirectory("show.sh", """
            echo "arg0=$0 argc=$#"
            pwd -P
            cat data.txt
            """, extraFiles: ["data.txt": "relative file\n"])
        defer { dir.remove() }
        let result = try run("/bin/sh", dir)
        #expect(result.out == "arg0=\(dir.script) argc=0\n\(dir.directory)\nrelative file\n")
        #expect(result.err == "")
        #expect(result.status == .exited(code: 0))
    }

    @Test func pythonSeesTheSameArgumentsAndDirectory() throws {
        let dir = try ScriptDirectory("show.py", """
            import os, sys
            print(sys.argv, os.getcwd())
            print(open("data.txt").read(), end="")
            """, extraFiles: ["data.txt": "relative file\n"])
        defer { dir.remove() }
        let result = try run(python, dir)
        #expect(result.out == "['\(dir.script)'] \(dir.directory)\nrelative file\n")
        #expect(result.status == .exited(code: 0))
    }

    /// Read from /proc, which shows what execve was given, before any shell or interpreter adds its own.
    @Test(arguments: ["/bin/sh", python])
    func environmentIsExactlyAsGiven(_ interpreter: String) throws {
        let dir = interpreter == python
            ? try ScriptDirectory("env.py", "import sys; sys.stdout.buffer.write(open('/proc/self/environ', 'rb').read())")
            : try ScriptDirectory("env.sh", "/bin/cat /proc/$$/environ")
        defer { dir.remove() }
        let environment = ["GATEWAY_INTERFACE=CGI/1.1", "EMPTY=", "QUERY_STRING=a=1&b=2", "SPACED=x y",
                           "UNICODE=été", "PATH=/usr/bin:/bin"]
        let result = try run(interpreter, dir, environment: environment)
        #expect(result.out.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
            == environment)
        #expect(result.status == .exited(code: 0))
    }

    @Test func emptyEnvironmentStaysEmpty() throws {
        let dir = try ScriptDirectory("env.sh", "/bin/cat /proc/$$/environ")
        defer { dir.remove() }
        let result = try run("/bin/sh", dir)
        #expect(result.out == "")
        #expect(result.status == .exited(code: 0))
    }

    @Test func stdinReachesTheScriptAndStdoutComesBack() throws {
        let dir = try ScriptDirectory("upper.sh", "exec /usr/bin/tr a-z A-Z")
        defer { dir.remove() }
        // Several pipe buffers each way: tr writes long before it has read everything.
        let input = Array(String(repeating: "hello pipe ", count: 30_000).utf8)
        let result = try run("/bin/sh", dir, input: input)
        #expect(result.out.utf8.count == input.count)
        let upperCased = result.out == String(repeating: "HELLO PIPE ", count: 30_000)
        #expect(upperCased)
        #expect(result.status == .exited(code: 0))
    }

    @Test func stderrIsKeptApartAndExitCodeReaped() throws {
        let dir = try ScriptDirectory("fail.sh", "echo out; echo err >&2; exit 3")
        defer { dir.remove() }
        let result = try run("/bin/sh", dir)
        #expect(result.out == "out\n")
        #expect(result.err == "err\n")
        #expect(result.status == .exited(code: 3))
    }

    @Test func deathBySignalIsReported() throws {
        let dir = try ScriptDirectory("die.sh", "kill -SEGV $$")
        defer { dir.remove() }
        #expect(try run("/bin/sh", dir).status == .killed(signal: SIGSEGV))
    }

    /// execve failing (no interpreter, no directory) shows as status 127 with no output, as a shell would say.
    @Test(arguments: [("/nonexistent/interpreter", false), ("/bin/sh", true)])
    func failedExecExitsWith127(_ interpreter: String, _ missingDirectory: Bool) throws {
        let dir = try ScriptDirectory("ok.sh", "echo should not run")
        defer { dir.remove() }
        let stdin = try stdinFile([])
        defer { stdin.close() }
        let child = try spawnProcess(interpreter: interpreter, script: dir.script, environment: [],
                                     directory: missingDirectory ? dir.directory + "/missing" : dir.directory,
                                     stdin: stdin)
        #expect(readAll(child.stdout) == [])
        child.stdout.close()
        child.stderr.close()
        #expect(reap(child.pid, nohang: false) == .exited(code: 127))
    }

    @Test func nonBlockingReapPollsUntilTheChildIsKilled() throws {
        let dir = try ScriptDirectory("slow.sh", "exec /bin/sleep 30")
        defer { dir.remove() }
        let stdin = try stdinFile([])
        let child = try spawnProcess(interpreter: "/bin/sh", script: dir.script, environment: [],
                                     directory: dir.directory, stdin: stdin)
        defer { for end in [stdin, child.stdout, child.stderr] { end.close() } }
        #expect(reap(child.pid, nohang: true) == .running)
        killProcess(child.pid)
        #expect(reap(child.pid, nohang: false) == .killed(signal: SIGKILL))
        #expect(reap(child.pid, nohang: true) == .notAChild)
        #expect(reap(child.pid, nohang: false) == .notAChild)
    }

    /// Every descriptor of the parent (this test's marker file, other tests' sockets and pipes, the other ends
    /// of the child's own pipes) is closed in the child: it holds exactly its three pipes.
    @Test func noParentDescriptorLeaksIntoTheChild() throws {
        let dir = try ScriptDirectory("fds.py", """
            import os
            for fd in sorted(os.listdir("/proc/self/fd"), key=int):
                try:
                    print(fd, os.readlink("/proc/self/fd/" + fd).split("[")[0])
                except OSError:
                    pass
            """)
        defer { dir.remove() }
        let marker = open(dir.script, O_RDONLY)
        #expect(marker >= 3)
        defer { close(marker) }
        let result = try run(python, dir)
        #expect(result.out == "0 /dev/null\n1 pipe:\n2 pipe:\n")
        #expect(result.status == .exited(code: 0))
    }

    /// A request body reaches the script whole through its stdin file, from the first byte, whatever its
    /// size (a pipe written from here could deadlock against a script that writes before it reads).
    @Test func stdinFileReachesTheScriptWhole() throws {
        let dir = try ScriptDirectory("count.sh", "wc -c")
        defer { dir.remove() }
        let input = [UInt8](repeating: UInt8(ascii: "x"), count: 300_000)
        let result = try run("/bin/sh", dir, input: input)
        #expect(result.out.trimmingCharacters(in: .whitespaces) == "300000\n")
        #expect(result.status == .exited(code: 0))
    }
}
