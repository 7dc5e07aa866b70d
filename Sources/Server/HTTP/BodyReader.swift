/// How a request's body is delimited (RFC 9112 §6.3).
public enum BodyFraming: Equatable, Sendable {
    case none
    case length(Int)
    case chunked
}

extension RequestHead {
    /// The body framing the headers declare; throws 400 for conflicting or malformed framing and 501 for a
    /// transfer coding other than chunked.
    public func bodyFraming() throws(HTTPError) -> BodyFraming { .none }
}

/// Takes body bytes off the wire for either framing, enforcing the size limit as it goes.
public struct BodyReader: Sendable {
    /// `limit` in payload bytes; 0 means unlimited.
    public init(framing: BodyFraming, limit: Int) {}

    /// Decodes `input[range]`, appending payload bytes to `output`; returns how many input bytes were consumed
    /// (bytes past the end of the body are left for the next request).
    public mutating func read(_ input: [UInt8], _ range: Range<Int>, into output: inout [UInt8]) throws(HTTPError) -> Int { 0 }

    public var isComplete: Bool { true }
    /// Payload bytes decoded so far.
    public var received: Int { 0 }
}
