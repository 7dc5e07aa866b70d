import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process started the way a shell starts one: empty signal mask and default dispositions.
///
/// Foundation's `Process` passes on the test runner's signal mask, in which SIGINT and SIGTERM are blocked
/// (its threads block them), so a server started that way could never see Ctrl-C. posix_spawn with
/// SETSIGMASK/SETSIGDEF gives the server the environment it meets in real life, where it must ignore
/// SIGPIPE and catch SIGINT/SIGTERM by itself.
final class Subprocess {
    enum Termination: Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        var description: String {
            switch self {
            case .exited(let code): return "exit status \(code)"
            case .signaled(let signal): return "killed by signal \(signal)"
            }
        }
    }

    let pid: pid_t
    private(set) var termination: Termination?

    /// Starts `executable` with `arguments`, stdin from /dev/null, stdout and stderr appended to the
    /// given files (the same file may be given twice).
    init(executable: String, arguments: [String], workingDirectory: String,
         stdoutPath: String, stderrPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        // glibc ≥ 2.29 has it, but its header declaration is not imported into Swift.
        typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np") else {
            throw HarnessError("posix_spawn_file_actions_addchdir_np is missing from this libc")
        }
        _ = unsafeBitCast(symbol, to: AddChdir.self)(&actions, workingDirectory)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw HarnessError("posix_spawn \(executable) failed: \(String(cString: strerror(result)))") }
        pid = child
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = wait(timeout: .seconds(5))
        }
    }

    /// Reaps the child if it has ended (never blocks).
    var isRunning: Bool {
        if termination != nil { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid {
            let signal = status & 0x7F
            termination = signal == 0 ? .exited((status >> 8) & 0xFF) : .signaled(signal)
            return false
        }
        if result < 0 {
            // Reaped by someone else (cannot happen here), or not our child: treat as gone.
            termination = .signaled(0)
            return false
        }
        return true
    }

    /// Waits for the child to end, up to `timeout`; nil when it is still running.
    func wait(timeout: Duration) -> Termination? {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now >= deadline { return nil }
            usleep(5_000)
        }
        return termination
    }

    /// Sends `signal`, waits up to `grace`, then SIGKILL. Returns how it ended, nil if it had to be killed.
    func stop(signal: Int32, grace: Duration = .seconds(5)) -> Termination? {
        guard isRunning else { return termination }
        kill(pid, signal)
        if let ended = wait(timeout: grace) { return ended }
        kill(pid, SIGKILL)
        _ = wait(timeout: .seconds(5))
        return nil
    }
}
