import Foundation

/// Bounds on the server's peak resident memory, widened by what AddressSanitizer itself holds when the suite
/// drives a sanitized build (`make asan`).
enum MemoryBound {
    /// Set to 1 by scripts/asan-tests.sh, next to WEBSERV_BIN.
    static let sanitized = ProcessInfo.processInfo.environment["WEBSERV_SANITIZED"] == "1"

    /// ASan's own resident memory: shadow bytes (an eighth of what is touched), the 16 MB quarantine
    /// asan-tests.sh sets, and freed chunks its allocator keeps per size class. Measured peaks: 41-81 MB
    /// sanitized where the same tests peak at 10-11 MB without it. Still small enough that a body held
    /// whole (100 MB and up) exceeds any bound below.
    static let sanitizerAllowance = 48 * 1024 * 1024

    /// `bytes` for the normal build; `bytes` plus the sanitizer's allowance for an ASan build. For absolute
    /// peaks only: a growth measured from a baseline already has ASan's fixed part subtracted.
    static func peak(_ bytes: Int) -> Int {
        sanitized ? bytes + sanitizerAllowance : bytes
    }
}
