/// One lexical unit of a configuration file, with the line it starts on.
struct ConfigToken: Equatable {
    enum Kind: Equatable {
        /// A bare or quoted word; quoting makes `{`, `;`, `#` and spaces ordinary characters.
        case word(String)
        case openBrace
        case closeBrace
        case semicolon
    }

    var kind: Kind
    var line: Int
}

/// Splits configuration bytes into tokens on demand, so errors come out in file order (as nginx reports them).
struct ConfigLexer {
    private let bytes: [UInt8]
    private var index = 0
    private let file: String
    /// The line the scan is on; at the end of input it is the line nginx names in "unexpected end of file".
    private(set) var line = 1

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// The next token, or nil at the end of the input.
    mutating func next() throws(ConfigError) -> ConfigToken? {
        skipBlanksAndComments()
        guard index < bytes.count else { return nil }
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            return ConfigToken(kind: .openBrace, line: line)
        case UInt8(ascii: "}"):
            index += 1
            return ConfigToken(kind: .closeBrace, line: line)
        case UInt8(ascii: ";"):
            index += 1
            return ConfigToken(kind: .semicolon, line: line)
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            return try quoted(by: byte)
        default:
            return bare()
        }
    }

    private mutating func skipBlanksAndComments() {
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
            } else if byte == UInt8(ascii: "#") {
                // Only at the start of a token, as in nginx: `return 301 /a#top;` keeps its fragment.
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
                continue
            } else if !Self.isBlank(byte) {
                return
            }
            index += 1
        }
    }

    private mutating func bare() -> ConfigToken {
        let start = index
        while index < bytes.count && !Self.endsBareWord(bytes[index]) { index += 1 }
        return ConfigToken(kind: .word(String(decoding: bytes[start..<index], as: UTF8.self)), line: line)
    }

    private mutating func quoted(by quote: UInt8) throws(ConfigError) -> ConfigToken {
        let startLine = line
        var value: [UInt8] = []
        index += 1
        while true {
            guard index < bytes.count else {
                throw ConfigError(file: file, line: startLine,
                                  message: "unexpected end of file, expecting closing quote")
            }
            let byte = bytes[index]
            if byte == quote {
                index += 1
                break
            }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count, Self.isEscapable(bytes[index + 1]) {
                value.append(bytes[index + 1])
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\n") { line += 1 }
            value.append(byte)
            index += 1
        }
        // nginx refuses `"a"b`: a closing quote must end the token.
        if index < bytes.count && !Self.endsBareWord(bytes[index]) {
            throw ConfigError(file: file, line: line,
                              message: "unexpected \"\(String(decoding: [bytes[index]], as: UTF8.self))\"")
        }
        return ConfigToken(kind: .word(String(decoding: value, as: UTF8.self)), line: startLine)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == UInt8(ascii: "\n")
    }

    private static func endsBareWord(_ byte: UInt8) -> Bool {
        isBlank(byte) || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}")
    }

    private static func isEscapable(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\\")
    }
}
