import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Names for the files uploads create: temporaries nobody can guess, and published names that never
/// overwrite. The next free `name-N` of a taken name is remembered, so a name taken thousands of times costs a
/// few link() calls on the loop, not one per earlier copy.
final class UploadNames {
    private let unpredictable: () -> String
    /// `directory/name` → the number to try next for it.
    private var nextNumber: [String: Int] = [:]

    /// Numbered variants tried before an unpredictable suffix is used instead.
    static let numberedAttempts = 4
    /// Remembered names; past this the table starts over (a forgotten name only costs its attempts again).
    static let remembered = 4096

    init(unpredictable: @escaping () -> String) { self.unpredictable = unpredictable }

    /// 16 hex digits nobody can guess, for a temporary file.
    func temporaryName() -> String { unpredictable() }

    /// Links `temporary` into `directory` as `name`, or as a numbered variant (`photo-3.jpg`) when taken, or as
    /// one with an unpredictable suffix when the numbers it tries are taken too; returns the name used.
    /// link() fails rather than replace an existing name, so two uploads can never overwrite each other.
    func publish(_ temporary: String, as name: String, in directory: String) throws(HTTPError) -> String {
        if try link(temporary, directory, name) { return name }
        let key = directory + "/" + name
        var number = nextNumber[key] ?? 1
        for _ in 0..<UploadNames.numberedAttempts {
            let candidate = UploadNames.numbered(name, String(number))
            number += 1
            if try link(temporary, directory, candidate) {
                remember(key, number)
                return candidate
            }
        }
        // A run of taken numbers (files kept from before a restart): jump ahead, so the next uploads of this
        // name cross the run in a few requests rather than one attempt at a time.
        remember(key, number * 2)
        for _ in 0..<3 {
            let candidate = UploadNames.numbered(name, unpredictable())
            if try link(temporary, directory, candidate) { return candidate }
        }
        throw HTTPError(.internalServerError, "no free name for \(name) in \(directory)")
    }

    /// true when linked, false when the name is taken; any other failure is the request's status.
    private func link(_ temporary: String, _ directory: String, _ name: String) throws(HTTPError) -> Bool {
        if Glibc.link(temporary, directory + "/" + name) == 0 { return true }
        let code = cselect_errno()
        if code == EEXIST { return false }
        throw UploadNames.failure(code, "cannot store \(name) in \(directory)")
    }

    private func remember(_ key: String, _ number: Int) {
        if nextNumber.count >= UploadNames.remembered && nextNumber[key] == nil { nextNumber.removeAll() }
        nextNumber[key] = number
    }

    /// The status for a failed file-system call: a full disk is 507, permissions 403, the rest ours (500).
    static func failure(_ code: Int32, _ reason: String) -> HTTPError {
        switch code {
        case ENOSPC, EDQUOT, EFBIG: return HTTPError(.insufficientStorage, reason)
        case EACCES, EPERM: return HTTPError(.forbidden, reason)
        default: return HTTPError(.internalServerError, reason)
        }
    }

    /// `photo.jpg` → `photo-1.jpg`; `README` → `README-1`.
    static func numbered(_ name: String, _ suffix: String) -> String {
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            return "\(name[..<dot])-\(suffix)\(name[dot...])"
        }
        return "\(name)-\(suffix)"
    }
}
