import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// A failed system call other than read/write, named for messages (`bind 0.0.0.0:80: Permission denied`).
struct Errno: Error, CustomStringConvertible {
    let code: Int32
    let call: String

    /// Captures errno right after `call` failed.
    init(_ call: String) {
        self.code = cselect_errno()
        self.call = call
    }

    var description: String { "\(call): \(String(cString: strerror(code)))" }
}
