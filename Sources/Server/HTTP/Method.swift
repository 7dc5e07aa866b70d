/// The request methods webserv knows. Any other token is answered 501 (RFC 9110 §9.1).
public enum Method: String, CaseIterable, Hashable, Sendable {
    case get = "GET"
    case head = "HEAD"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
    case options = "OPTIONS"
    case trace = "TRACE"
    case connect = "CONNECT"
    case patch = "PATCH"

    public var name: String { rawValue }

    /// Matches a method token (case-sensitive, RFC 9110 §9.1) without making a String.
    public init?<Bytes: Collection>(token: Bytes) where Bytes.Element == UInt8 {
        switch token.count {
        case 3:
            if token.elementsEqual("GET".utf8) { self = .get; return }
            if token.elementsEqual("PUT".utf8) { self = .put; return }
        case 4:
            if token.elementsEqual("HEAD".utf8) { self = .head; return }
            if token.elementsEqual("POST".utf8) { self = .post; return }
        case 5:
            if token.elementsEqual("TRACE".utf8) { self = .trace; return }
            if token.elementsEqual("PATCH".utf8) { self = .patch; return }
        case 6:
            if token.elementsEqual("DELETE".utf8) { self = .delete; return }
        case 7:
            if token.elementsEqual("OPTIONS".utf8) { self = .options; return }
            if token.elementsEqual("CONNECT".utf8) { self = .connect; return }
        default:
            break
        }
        return nil
    }
}
