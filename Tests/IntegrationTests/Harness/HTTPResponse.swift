import Foundation

/// A parsed response: the status line, the header fields in order, and the body as bytes.
struct HTTPResponse: CustomStringConvertible {
    var version: String
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8] = []
    var wasChunked = false
    var wasCloseDelimited = false

    /// Parses the head (without the final empty line). Strict: CRLF line ends, `name: value` fields.
    init(head: [UInt8]) throws {
        let lines = head.text.components(separatedBy: "\r\n")
        let statusLine = lines[0]
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), parts[1].count == 3, let status = Int(parts[1]) else {
            throw HarnessError("bad status line: \(statusLine)")
        }
        version = String(parts[0])
        self.status = status
        reason = parts.count > 2 ? String(parts[2]) : ""
        headers = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw HarnessError("bad header line: \(line)")
            }
            let name = String(line[..<colon])
            guard !name.contains(" ") else { throw HarnessError("space in header name: \(line)") }
            headers.append((name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
    }

    /// The first value of a header, by case-insensitive name.
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    func headerValues(_ name: String) -> [String] {
        headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
    }

    /// A comma-separated header as a set of trimmed tokens (`Allow: GET, HEAD`).
    func tokens(_ name: String) -> Set<String> {
        Set(headerValues(name).flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) })
    }

    var text: String { body.text }

    var description: String {
        "\(version) \(status) \(reason)\n" + headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
            + "\n\n" + String(body.prefix(300).text)
    }
}
