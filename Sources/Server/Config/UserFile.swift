/// The users of an `auth_basic_user_file` in nginx's format (`user:hash[:comment]` lines, `#` comments),
/// loaded at configuration time; only crypt() hashes are accepted, never plain text.
public struct UserFile: Sendable {
    public let path: String
    /// User → stored hash; the first line for a user wins, as in nginx.
    public private(set) var hashes: [String: String] = [:]

    /// The schemes libxcrypt verifies: yescrypt, gost-yescrypt, scrypt, bcrypt, sha512/256-crypt, md5-crypt.
    static let supportedPrefixes = ["$y$", "$gy$", "$7$", "$2b$", "$2y$", "$2a$", "$6$", "$5$", "$1$"]

    /// Reads and checks the file; errors name the file and line.
    public init(contentsOf path: String) throws(ConfigError) {
        try self.init(bytes: StartupFile.read(path, what: "cannot read user file"), path: path)
    }

    public init(bytes: [UInt8], path: String) throws(ConfigError) {
        self.path = path
        var lineNumber = 0
        for rawLine in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            let content = Headers.trimmed(line)
            if content.isEmpty || content.first == UInt8(ascii: "#") { continue }
            let fields = line.split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, !fields[0].isEmpty,
                  let user = String(validating: fields[0], as: UTF8.self),
                  let hash = String(validating: fields[1], as: UTF8.self)
            else { throw ConfigError(file: path, line: lineNumber, message: "expected \"user:hash\"") }
            guard hash.hasPrefix("$") else {
                throw ConfigError(file: path, line: lineNumber, message:
                    "password of \"\(user)\" is not a crypt() hash: plain-text passwords are refused"
                    + " (make one with htpasswd -B or openssl passwd -6)")
            }
            guard !hash.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
                throw ConfigError(file: path, line: lineNumber, message:
                    "password hash of \"\(user)\" contains whitespace or control characters")
            }
            guard UserFile.supportedPrefixes.contains(where: { hash.hasPrefix($0) }) else {
                let scheme = hash.split(separator: "$", omittingEmptySubsequences: true).first.map { "$\($0)$" } ?? hash
                throw ConfigError(file: path, line: lineNumber, message:
                    "password hash of \"\(user)\" uses a scheme crypt() does not verify (\(scheme));"
                    + " use htpasswd -B, openssl passwd -6 or mkpasswd -m yescrypt")
            }
            if hashes[user] == nil { hashes[user] = hash }
        }
    }
}
