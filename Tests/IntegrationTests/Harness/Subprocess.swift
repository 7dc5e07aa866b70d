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
///
/// The ServerTests target compiles this file too, through the symlink Tests/ServerTests/Subprocess.swift:
/// it must stay self-contained.
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

        /// The status a shell shows: the exit code, or 128 plus the signal.
        var shellStatus: Int32 {
            switch self {
            case .exited(let code): return code
            case .signaled(let signal): return 128 + signal
            }
        }
    }

    /// How a child run to completion ended, and everything it wrote.
    struct Outcome {
        var termination: Termination
        var stdout: [UInt8]
        var stderr: [UInt8]

        var succeeded: Bool { termination == .exited(0) }
    }

    /// A child that could not be started, did not finish in time, or failed where success was required.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    let pid: pid_t
    private(set) var termination: Termination?

    /// Starts `executable` (looked up in PATH unless it has a slash) with `arguments`; stdin from
    /// `stdinPath`, stdout and stderr appended to the given files (the same file may be given twice).
    /// `environment` is added to the runner's own.
    init(executable: String, arguments: [String], workingDirectory: String? = nil, environment: [String: String] = [:],
         stdinPath: String = "/dev/null", stdoutPath: String, stderrPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if stderrPath == stdoutPath {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        }
        if let workingDirectory {
            // glibc ≥ 2.29 has it, but its header declaration is not imported into Swift.
            typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
            guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np") else {
                throw Failure("posix_spawn_file_actions_addchdir_np is missing from this libc")
            }
            _ = unsafeBitCast(symbol, to: AddChdir.self)(&actions, workingDirectory)
        }

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
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { _, added in added }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawnp(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw Failure("posix_spawn \(executable) failed: \(String(cString: strerror(result)))") }
        pid = child
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = wait(timeout: .seconds(5))
        }
    }

    /// Runs `executable` to completion with `stdin` as its input. Both outputs go to files, so neither
    /// can fill a pipe nobody reads; past `timeout` the child is killed by PID and this throws.
    static func run(_ executable: String, arguments: [String] = [], stdin: [UInt8] = [],
                    environment: [String: String] = [:], workingDirectory: String? = nil,
                    timeout: Duration = .seconds(120)) throws -> Outcome {
        let base = FileManager.default.temporaryDirectory.path + "/webserv-run-\(getpid())-\(UUID().uuidString.prefix(8))"
        let (inPath, outPath, errPath) = (base + ".in", base + ".out", base + ".err")
        defer { for path in [inPath, outPath, errPath] { unlink(path) } }
        guard FileManager.default.createFile(atPath: inPath, contents: Data(stdin)) else {
            throw Failure("cannot write \(inPath)")
        }
        let child = try Subprocess(executable: executable, arguments: arguments, workingDirectory: workingDirectory,
                                   environment: environment, stdinPath: inPath, stdoutPath: outPath, stderrPath: errPath)
        let contents = { (path: String) in FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? [] }
        guard let ended = child.wait(timeout: timeout) else {
            _ = child.stop(signal: SIGKILL)
            throw Failure("\(executable) \(arguments) did not finish within \(timeout) and was killed; stderr: "
                + String(decoding: contents(errPath).suffix(2000), as: UTF8.self))
        }
        return Outcome(termination: ended, stdout: contents(outPath), stderr: contents(errPath))
    }

    /// The standard output, as text, of a run that must exit 0.
    static func output(_ executable: String, arguments: [String] = [], stdin: [UInt8] = [],
                       environment: [String: String] = [:]) throws -> String {
        let outcome = try run(executable, arguments: arguments, stdin: stdin, environment: environment)
        guard outcome.succeeded else {
            throw Failure("\(executable) \(arguments) ended with \(outcome.termination): "
                + String(decoding: outcome.stderr.suffix(2000), as: UTF8.self))
        }
        return String(decoding: outcome.stdout, as: UTF8.self)
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
