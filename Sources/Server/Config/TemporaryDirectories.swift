import CSelect
#if canImport(Glibc)
import Glibc
#endif

/// Creates every location's body temporaries directory at start-up (nginx creates its temp paths then too), so
/// that a mistake stops the server with `file:line: message` instead of failing uploads later.
enum TemporaryDirectories {
    /// mkdir 0700 (an existing directory is kept), then checks it shares its destination's filesystem.
    /// `file` names the configuration in messages.
    static func prepare(_ config: Config, file: String) throws(ConfigError) {
        var checked: Set<[String]> = []
        for server in config.servers {
            for location in server.locations {
                guard let temporaries = location.bodyTemporaries,
                      checked.insert([temporaries.path, temporaries.destination]).inserted else { continue }
                try prepare(temporaries, file: file)
            }
        }
    }

    private static func prepare(_ temporaries: BodyTemporaries, file: String) throws(ConfigError) {
        // The default of a PUT location without a store is only attempted: its root may be read-only or not
        // exist yet, and the first PUT tries again.
        guard let line = temporaries.line else {
            _ = mkdir(temporaries.path, 0o700)
            return
        }
        let directive = temporaries.isConfigured ? "client_body_temp_path" : "upload_store"
        func failure(_ what: String, _ code: Int32) -> ConfigError {
            ConfigError(file: file, line: line, message: "\(directive): \(what): " + String(cString: strerror(code)))
        }
        if mkdir(temporaries.path, 0o700) != 0 {
            let code = cselect_errno()
            guard code == EEXIST else { throw failure("cannot create \"\(temporaries.path)\"", code) }
        }
        var made = stat()
        // A configured path may be a symlink to a directory; the default one is ours alone: a directory
        // someone else made (or a symlink) in its place could let them read or replace bodies in flight.
        let found = temporaries.isConfigured ? stat(temporaries.path, &made) : lstat(temporaries.path, &made)
        guard found == 0 else { throw failure("\"\(temporaries.path)\"", cselect_errno()) }
        guard made.st_mode & S_IFMT == S_IFDIR else { throw failure("\"\(temporaries.path)\"", ENOTDIR) }
        if !temporaries.isConfigured && (made.st_uid != geteuid() || made.st_mode & 0o077 != 0) {
            throw ConfigError(file: file, line: line, message: "upload_store: \"\(temporaries.path)\" is not "
                                  + "a directory of this user closed to others (mode 0700)")
        }
        var destination = stat()
        guard stat(temporaries.destination, &destination) == 0 else {
            throw failure("\"\(temporaries.destination)\"", cselect_errno())
        }
        guard made.st_dev == destination.st_dev else {
            throw ConfigError(file: file, line: line, message: "\(directive) \"\(temporaries.path)\" is on another "
                                  + "filesystem than \"\(temporaries.destination)\" (files are moved into place "
                                  + "with link() and rename(), which cannot cross filesystems)")
        }
    }
}
