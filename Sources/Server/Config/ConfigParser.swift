/// A configuration problem, reported as `file:line: message`.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}

/// Reads an nginx-style configuration into a validated `Config`.
public enum ConfigParser {
    /// Reads and parses the file (relative paths inside it resolve against its directory).
    public static func parse(contentsOf path: String) throws(ConfigError) -> Config {
        throw ConfigError(file: path, line: 0, message: "not implemented")
    }

    /// Parses text; `sourcePath` names it in messages and anchors relative paths.
    public static func parse(text: String, sourcePath: String) throws(ConfigError) -> Config {
        throw ConfigError(file: sourcePath, line: 0, message: "not implemented")
    }
}
