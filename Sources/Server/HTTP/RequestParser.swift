/// Resumable byte-level parser of a request line and header section (RFC 9112 §2–5).
public struct RequestParser: Sendable {
    public struct Limits: Sendable {
        public var requestLine = 8192
        public var headerLine = 8192
        public var headerSection = 32768
        public var fieldCount = 100
        public init() {}
    }

    public init(limits: Limits = Limits()) {}

    /// Scans `buffer[start...]`, where `start` is the first byte of this request's head. Only bytes not scanned
    /// by an earlier call are looked at. Returns the head once its final empty line has arrived, nil when more
    /// bytes are needed.
    public mutating func parse(_ buffer: [UInt8], from start: Int) throws(HTTPError) -> RequestHead? { nil }
}
