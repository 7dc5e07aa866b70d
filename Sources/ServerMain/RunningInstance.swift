#if canImport(Glibc)
import Glibc
#endif

/// The webserv a pid file names, checked to be one before it is signalled: a pid file left behind by a
/// crash may name whatever process has taken the number since.
struct RunningInstance {
    let pid: pid_t

    /// The process named by `pidFile`, if it is alive and runs webserv.
    static func find(through pidFile: PidFile) -> Result<RunningInstance, PidFileError> {
        let pid: pid_t
        switch pidFile.read() {
        case .success(let read): pid = read
        case .failure(let error): return .failure(error)
        }
        guard pid != getpid(), isAlive(pid) else {
            return .failure(PidFileError("no process \(pid) (stale pid file \"\(pidFile.path)\")"))
        }
        guard let name = programName(of: pid), acceptedNames.contains(name) else {
            return .failure(PidFileError("process \(pid) named by \"\(pidFile.path)\" is not webserv "
                                         + "(\(programName(of: pid) ?? "unknown")): stale pid file, not signalled"))
        }
        return .success(RunningInstance(pid: pid))
    }

    /// `reload` (SIGHUP) and `reopen` (SIGUSR1) are sent once, and so is `quit`'s SIGTERM, which the server
    /// takes as a graceful stop. `stop` repeats SIGTERM until the process is gone: a second SIGTERM stops the
    /// server at once, whatever is in flight. Returns an error message, or nil.
    func send(_ signal: InstanceSignal) -> String? {
        let number: Int32
        switch signal {
        case .reload: number = SIGHUP
        case .reopen: number = SIGUSR1
        case .quit, .stop: number = SIGTERM
        }
        guard kill(pid, number) == 0 else { return "kill(\(pid)) failed: " + String(cString: strerror(errno)) }
        guard signal == .stop else { return nil }
        // Spaced so that each is taken by its own loop pass (the server's flag holds one signal at a time).
        for _ in 0..<RunningInstance.stopAttempts {
            usleep(RunningInstance.stopInterval)
            // Re-checked each time: once it has exited, its number may go to another process.
            guard RunningInstance.isAlive(pid), RunningInstance.programName(of: pid).map(Self.acceptedNames.contains)
                    == true else { return nil }
            kill(pid, SIGTERM)
        }
        return "process \(pid) still running after \(RunningInstance.stopAttempts / 10) s"
    }

    private static let stopAttempts = 100
    private static let stopInterval: useconds_t = 100_000

    /// The names a webserv process may have: `webserv`, or whatever this binary is called.
    private static var acceptedNames: Set<String> {
        var names: Set<String> = ["webserv"]
        if let own = programName(of: getpid()) { names.insert(own) }
        return names
    }

    /// Running and not yet exited (a zombie waiting for its parent counts as gone).
    static func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = ProcFile.contents("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: UInt8(ascii: ")")), close + 2 < stat.count else { return false }
        let state = stat[close + 2]
        return state != UInt8(ascii: "Z") && state != UInt8(ascii: "X")
    }

    /// The base name of the process's executable (`/proc/PID/exe`; a replaced binary reads `… (deleted)`),
    /// else its `comm` when the link is not ours to read.
    static func programName(of pid: pid_t) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        var path: String
        if length > 0 {
            path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        } else if let comm = ProcFile.contents("/proc/\(pid)/comm") {
            path = String(decoding: comm, as: UTF8.self)
            if path.hasSuffix("\n") { path.removeLast() }
        } else {
            return nil
        }
        return path.split(separator: "/").last.map(String.init)
    }
}
