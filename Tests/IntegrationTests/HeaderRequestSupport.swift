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
