import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// A started child and the parent's non-blocking ends of its stdout and stderr pipes (owned by the caller).
struct SpawnedProcess {
    let pid: pid_t
    /// Read end of the child's stdout.
    let stdout: Descriptor
    /// Read end of the child's stderr.
    let stderr: Descriptor
}

/// Where a child stands after `reap`.
enum ProcessStatus: Equatable, Sendable {
    /// Still running (only from a non-blocking reap).
    case running
    case exited(code: Int32)
    case killed(signal: Int32)
    /// waitpid knows no such child (already reaped): nothing is left to wait for.
    case notAChild
}

/// Runs `interpreter script` with exactly `environment`, in `directory` (RFC 3875 §7.2: the script as first
/// argument, its directory as working directory), its stdout and stderr on fresh pipes. The child reads
/// `stdin`, a file (a spooled request body, or /dev/null), so nothing is ever written to it from here; the
/// caller keeps ownership of it. The child closes every other descriptor before execve (CSelect), so no
/// client socket or other pipe leaks into it. An execve failure shows as exit status 127 with no output.
func spawnProcess(interpreter: String, script: String, environment: [String],
                  directory: String, stdin: Descriptor) throws(Errno) -> SpawnedProcess {
    var opened: [Int32] = []
    func makePipe() throws(Errno) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            let error = Errno("pipe")
            for fd in opened { close(fd) }
            throw error
        }
        opened += ends
        return (ends[0], ends[1])
    }
    let input = dup(stdin.raw)
    guard input >= 0 else { throw Errno("dup") }
    opened.append(input)
    let output = try makePipe()
    let errors = try makePipe()

    // The child dup2s its ends onto 0, 1 and 2 in that order; an end that is itself 0, 1 or 2 (the server was
    // started with a standard stream closed) could be overwritten before it is copied, so none may be.
    var childEnds = [input, output.write, errors.write]
    for i in childEnds.indices where childEnds[i] < 3 {
        var low: [Int32] = []
        var fd = childEnds[i]
        while fd >= 0 && fd < 3 {
            low.append(fd)
            fd = dup(fd)
        }
        for lowFD in low { close(lowFD) }
        guard fd >= 0 else {
            let error = Errno("dup")
            for other in opened where !low.contains(other) { close(other) }
            throw error
        }
        childEnds[i] = fd
        opened = opened.filter { !low.contains($0) } + [fd]
    }

    let argv = [strdup(interpreter), strdup(script), nil]
    let envp = environment.map { strdup($0) } + [nil]
    defer {
        for pointer in argv { free(pointer) }
        for pointer in envp { free(pointer) }
    }
    let pid = cselect_spawn(interpreter, argv, envp, directory, childEnds[0], childEnds[1], childEnds[2])
    let forkError = pid < 0 ? Errno("fork") : nil
    for fd in childEnds { close(fd) }
    let parentEnds = [output.read, errors.read]
    if let forkError {
        for fd in parentEnds { close(fd) }
        throw forkError
    }
    for fd in parentEnds { _ = cselect_set_nonblocking(fd) }
    return SpawnedProcess(pid: pid, stdout: Descriptor(output.read), stderr: Descriptor(errors.read))
}

/// Collects a child's exit status: with `nohang` it returns `.running` at once while the child runs (the loop
/// polls every pass), without it waits for the exit.
func reap(_ pid: pid_t, nohang: Bool) -> ProcessStatus {
    var status: Int32 = 0
    while true {
        let result = waitpid(pid, &status, nohang ? WNOHANG : 0)
        if result == 0 { return .running }
        if result == pid {
            if cselect_wifexited(status) != 0 { return .exited(code: cselect_wexitstatus(status)) }
            if cselect_wifsignaled(status) != 0 { return .killed(signal: cselect_wtermsig(status)) }
            return .running  // stopped or continued: not an end
        }
        if cselect_errno() != EINTR { return .notAChild }
    }
}

/// SIGKILL: a CGI past its deadline or whose client left gets no chance to linger; `reap` collects it.
func killProcess(_ pid: pid_t) {
    _ = kill(pid, SIGKILL)
}
