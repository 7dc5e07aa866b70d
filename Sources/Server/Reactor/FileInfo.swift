import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// What identifies one version of a file: if any of these change, cached bytes are stale.
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64
    let size: Int
    let modifiedSeconds: Int
    let modifiedNanoseconds: Int
}

/// The result of one stat() of a request's path.
enum FileInfo {
    case regular(FileIdentity)
    /// With its identity: a listing is valid while the directory's mtime stays the same.
    case directory(FileIdentity)
    case notFound
    case forbidden

    /// stat() follows symlinks, as nginx does by default.
    static func lookUp(_ path: String) -> FileInfo {
        // withCString hands over a native String's own bytes; passing the String itself would copy them.
        path.withCString { lookUp(cPath: $0) }
    }

    /// The same for a NUL-terminated path.
    static func lookUp(cPath path: UnsafePointer<CChar>) -> FileInfo {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = cselect_errno()
            return code == EACCES ? .forbidden : .notFound
        }
        let identity = FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int(info.st_size),
            modifiedSeconds: Int(info.st_mtim.tv_sec), modifiedNanoseconds: Int(info.st_mtim.tv_nsec))
        switch info.st_mode & S_IFMT {
        case S_IFDIR:
            return .directory(identity)
        case S_IFREG:
            return .regular(identity)
        default:
            // Devices, sockets and FIFOs are not content: reading a FIFO could block the whole server.
            return .forbidden
        }
    }
}
