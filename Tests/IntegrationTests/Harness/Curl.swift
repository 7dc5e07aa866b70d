import Foundation

/// The real curl, for what a real client does (50 MB downloads, HEAD with -I).
struct CurlResult {
    var exitCode: Int32
    var status: Int
    /// The last response head curl wrote with -D (the final one when following redirects).
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    var stderr: String

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

enum Curl {
    /// Runs `curl -s -S --max-time 60 -D <file> -o <file> ARGS...` and returns what it saw.
    /// With `bodyPath`, the body stays in that file (for big ones) and `body` is empty.
    static func run(_ arguments: [String], in site: TestSite, bodyPath keptBodyPath: String? = nil) throws -> CurlResult {
        let id = UUID().uuidString.prefix(8)
        let headPath = site.directory + "/curl-\(id).head"
        let bodyPath = keptBodyPath ?? site.directory + "/curl-\(id).body"
        defer {
            for p in [headPath] + (keptBodyPath == nil ? [bodyPath] : []) {
                try? FileManager.default.removeItem(atPath: p)
            }
        }
        let outcome = try Subprocess.run("curl", arguments: ["-s", "-S", "--max-time", "60", "-D", headPath, "-o", bodyPath]
                                              + arguments, timeout: .seconds(150))

        let headText = (try? String(contentsOfFile: headPath, encoding: .utf8)) ?? ""
        // With several heads (redirects, 100-continue), keep the last.
        let lastHead = headText.components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }.last ?? ""
        var status = 0
        var headers: [(name: String, value: String)] = []
        for (i, line) in lastHead.components(separatedBy: "\r\n").enumerated() {
            if i == 0 {
                status = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            } else if let colon = line.firstIndex(of: ":") {
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
        }
        let body = keptBodyPath != nil ? [] : FileManager.default.contents(atPath: bodyPath).map { [UInt8]($0) } ?? []
        return CurlResult(exitCode: outcome.termination.shellStatus, status: status, headers: headers, body: body, stderr: outcome.stderr.text)
    }
}
