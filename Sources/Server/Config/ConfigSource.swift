/// The configuration file being read: names it in messages and anchors its relative paths.
struct ConfigSource {
    /// The path as the user gave it, for messages.
    let file: String
    /// Absolute directory of the file, which relative paths inside it are resolved against.
    let directory: String
    /// `$PATH` directories, where bare CGI interpreter names are looked up.
    let searchPath: [String]

    func error(_ line: Int, _ message: String) -> ConfigError {
        ConfigError(file: file, line: line, message: message)
    }

    func origin(_ line: Int) -> String { "\(file):\(line)" }

    func absolute(_ path: String, keepTrailingSlash: Bool = false) -> String {
        ConfigValues.absolutePath(path, relativeTo: directory, keepTrailingSlash: keepTrailingSlash)
    }

    /// A CGI interpreter: absolute as written; a bare name from `$PATH` (kept as written when absent, which
    /// becomes a 502 at request time rather than a refusal to start); otherwise relative to the config.
    func interpreter(_ program: String) -> String {
        if program.hasPrefix("/") { return ConfigValues.absolutePath(program, relativeTo: "/") }
        if !program.contains("/") { return ConfigValues.findExecutable(program, in: searchPath) ?? program }
        return absolute(program)
    }
}
