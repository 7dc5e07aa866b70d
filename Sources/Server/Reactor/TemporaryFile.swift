import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// The one way the server makes a temporary file (a spooled CGI body, an upload on its way): a fresh name
/// nobody can guess, created O_EXCL|O_NOFOLLOW so that nothing made in advance (a file, a symlink) is ever
/// written through, and non-blocking for the select loop.
enum TemporaryFile {
    enum Outcome {
        case created(Descriptor, path: String)
        /// The directory is gone (a /tmp cleaner): the caller decides how to make one again.
        case directoryMissing
        /// Any other failure, with its errno.
        case failed(Int32)
    }

    /// Names tried before giving up, each fresh.
    static let attempts = 4

    /// `name` gives a fresh unpredictable name at each call.
    static func create(in directory: String, flags: Int32, mode: mode_t, name: () -> String) -> Outcome {
        for _ in 0..<attempts {
            let path = directory + "/" + name()
            if let file = Descriptor.open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW, mode: mode) {
                return .created(file, path: path)
            }
            let code = cselect_errno()
            if code == ENOENT { return .directoryMissing }
            if code != EEXIST { return .failed(code) }
        }
        return .failed(EEXIST)
    }
}
