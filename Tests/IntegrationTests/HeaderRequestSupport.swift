import Foundation
import Testing

extension Webserv {
    /// `METHOD path` with the given header lines (`Name: value`) and `Connection: close`.
    func get(_ path: String, headers: [String], method: String = "GET",
             sourceLocation: SourceLocation = #_sourceLocation) throws -> HTTPResponse {
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        for line in headers { request += line + "\r\n" }
        request += "Connection: close\r\n\r\n"
        return try exchange(request, head: method == "HEAD", sourceLocation: sourceLocation)
    }
}

/// A command-line tool run to completion for its standard output (htpasswd, openssl).
enum Tool {
    static func output(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let text = String(data: output, encoding: .utf8) else {
            throw HarnessError("\(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus))")
        }
        return text
    }
}
