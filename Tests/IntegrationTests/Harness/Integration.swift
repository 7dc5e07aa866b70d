import Foundation
import Testing

/// Every integration suite nests in this one, so they run one at a time: the timing checks (a slow client
/// dropped after 2 s, another served within 1 s) must not compete with a 50 MB download on two cores.
@Suite(.serialized) struct Integration {}

/// A failed expectation in the harness, with what was seen.
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

enum Repo {
    /// The repository root: this file is Tests/IntegrationTests/Harness/Integration.swift.
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The release binary `make` puts at the root, or the absolute path in `WEBSERV_BIN` (an ASan build);
    /// the tests never build it themselves.
    static func webservBinary() throws -> URL {
        let override = ProcessInfo.processInfo.environment["WEBSERV_BIN"] ?? ""
        let binary = override.isEmpty ? root.appendingPathComponent("webserv") : URL(fileURLWithPath: override)
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw HarnessError("\(binary.path) not found: run make first (the integration tests drive the release build)")
        }
        return binary
    }
}

extension Array where Element == UInt8 {
    init(_ text: String) { self = Array(text.utf8) }
    var text: String { String(decoding: self, as: UTF8.self) }

    func firstRange(of needle: [UInt8], from start: Int = 0) -> Range<Int>? {
        guard !needle.isEmpty, count >= needle.count, start <= count - needle.count else { return nil }
        var i = start
        while i <= count - needle.count {
            if self[i] == needle[0] && self[i..<(i + needle.count)].elementsEqual(needle) {
                return i..<(i + needle.count)
            }
            i += 1
        }
        return nil
    }

    func contains(_ needle: [UInt8]) -> Bool { firstRange(of: needle) != nil }
}

/// Deterministic bytes that are not a short repetition, so a dropped, repeated or misplaced chunk shows.
func patternBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    var bytes = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[i] = UInt8(truncatingIfNeeded: state >> 24)
    }
    return bytes
}

/// Writes `size` bytes built from a prime-length random block, each copy stamped with its index.
func writeLargeFile(atPath path: String, size: Int) throws {
    let blockSize = 65_521
    let block = patternBytes(count: blockSize)
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    guard let handle = FileHandle(forWritingAtPath: path) else { throw HarnessError("cannot write \(path)") }
    defer { try? handle.close() }
    var written = 0
    var index: UInt32 = 0
    while written < size {
        var chunk = block
        withUnsafeBytes(of: index.bigEndian) { chunk.replaceSubrange(0..<4, with: $0) }
        let n = Swift.min(blockSize, size - written)
        try handle.write(contentsOf: chunk[0..<n])
        written += n
        index += 1
    }
}

/// IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
enum IMFFixdate {
    static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }

    static func string(from date: Date) -> String { formatter().string(from: date) }

    /// The date, only when `text` is exactly in IMF-fixdate form.
    static func parse(_ text: String) -> Date? {
        guard let date = formatter().date(from: text), string(from: date) == text else { return nil }
        return date
    }
}

extension ArraySlice where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
