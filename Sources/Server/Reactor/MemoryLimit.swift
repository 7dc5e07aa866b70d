#if canImport(Glibc)
import Glibc
#endif

/// The memory the process may use, read once at start-up, and the I/O buffer pool's default size drawn from
/// it: half of what is left under RLIMIT_AS or the cgroup v2 `memory.max` (whichever is tighter), at most
/// `fixedDefault`, which is also the size when neither limit is set. The other half stays for connections,
/// parsed requests, caches and the runtime.
enum MemoryLimit {
    static let fixedDefault = 64 << 20

    static func defaultPoolBytes() -> Int {
        var room: Int?
        if let limit = addressSpaceLimit() {
            room = limit - (virtualSize() ?? 0)
        }
        if let limit = cgroupValue("memory.max") {
            room = min(room ?? .max, limit - (cgroupValue("memory.current") ?? 0))
        }
        guard let room else { return fixedDefault }
        return min(fixedDefault, max(BufferPool.minimumBytes, room / 2))
    }

    /// The soft RLIMIT_AS, nil when unlimited.
    static func addressSpaceLimit() -> Int? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0,
              limit.rlim_cur < rlim_t(Int.max) else { return nil }   // RLIM_INFINITY is all ones
        return Int(limit.rlim_cur)
    }

    /// The address space mapped now (first field of /proc/self/statm, in pages).
    private static func virtualSize() -> Int? {
        guard let text = readSmallFile("/proc/self/statm"),
              let pages = Int(text.split(separator: " ").first ?? "") else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// A number from the cgroup v2 interface the process sees at /sys/fs/cgroup; nil when absent or "max".
    private static func cgroupValue(_ name: String) -> Int? {
        guard let text = readSmallFile("/sys/fs/cgroup/" + name) else { return nil }
        return Int(text.split(separator: "\n").first ?? "")
    }

    /// Start-up only, before the select loop runs.
    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: 256)
        let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }
}
