/// A `Range: bytes=…` field resolved against a representation's length (RFC 9110 §14.1.1, §14.2).
public enum ByteRange: Equatable, Sendable {
    /// Serve the whole representation with 200: the field is not valid `bytes` syntax, names another unit,
    /// lists more than `maxRanges` ranges, or selects nothing expressible (a suffix of an empty file).
    case ignored
    /// 416 with `Content-Range: bytes */length`: no range overlaps the representation.
    case unsatisfiable
    /// 206: one range (single part) or several (`multipart/byteranges`), each within `0..<length`;
    /// overlapping and adjacent ranges are coalesced, ordered by their first appearance in the field.
    case ranges([ClosedRange<Int>])

    /// More range-specs than this in one field are taken as abuse and the field is ignored (RFC 9110 §14.2
    /// allows ignoring a range set that indicates "a broken client or a deliberate denial-of-service attack").
    public static let maxRanges = 16

    /// Resolves a Range field value against `length` bytes.
    public static func resolve(_ field: String, length: Int, maxRanges: Int = ByteRange.maxRanges) -> ByteRange {
        precondition(length >= 0, "a representation length is never negative")
        guard let specs = parse(Array(field.utf8)), specs.count <= maxRanges else { return .ignored }
        var resolved: [(range: ClosedRange<Int>, order: Int)] = []
        var suffixOfEmpty = false
        for (order, spec) in specs.enumerated() {
            switch spec {
            case .from(let first, let last):
                // RFC 9110 §14.1.1: satisfiable when first-pos < length; last-pos is clamped to the end.
                guard first < length else { continue }
                resolved.append((first...min(last ?? Int.max, length - 1), order))
            case .suffix(let count):
                // RFC 9110 §14.1.1: satisfiable when the suffix length is not zero; longer means whole.
                guard count > 0 else { continue }
                guard length > 0 else {
                    suffixOfEmpty = true
                    continue
                }
                resolved.append((max(0, length - count)...(length - 1), order))
            }
        }
        if resolved.isEmpty { return suffixOfEmpty ? .ignored : .unsatisfiable }
        return .ranges(coalesced(resolved))
    }

    /// `bytes first-last/length` for a 206 (RFC 9110 §14.4).
    public static func contentRange(_ range: ClosedRange<Int>, length: Int) -> String {
        "bytes \(range.lowerBound)-\(range.upperBound)/\(length)"
    }

    /// `bytes */length` for a 416 (RFC 9110 §14.4).
    public static func unsatisfiedContentRange(length: Int) -> String {
        "bytes */\(length)"
    }

    /// One range-spec as written; positions saturate at Int.max, since any number is valid syntax.
    enum Spec: Equatable {
        case from(Int, last: Int?)
        case suffix(Int)
    }

    /// `bytes=` then a comma-separated list (RFC 9110 §14.1.1, §5.6.1: OWS around elements, empty elements
    /// skipped); nil when anything does not fit the grammar, so the whole field is ignored.
    static func parse(_ bytes: [UInt8]) -> [Spec]? {
        let unit = Array("bytes=".utf8)
        // RFC 9110 §14.1: range units compare case-insensitively.
        guard bytes.count > unit.count,
              zip(bytes, unit).allSatisfy({ asciiLowercased($0) == $1 })
        else { return nil }
        var specs: [Spec] = []
        var i = unit.count
        while i <= bytes.count {
            var end = i
            while end < bytes.count && bytes[end] != UInt8(ascii: ",") { end += 1 }
            let element = Headers.trimmed(bytes[i..<end])
            if !element.isEmpty {
                guard let spec = parseSpec(element) else { return nil }
                specs.append(spec)
            }
            i = end + 1
        }
        return specs.isEmpty ? nil : specs
    }

    private static func parseSpec(_ element: ArraySlice<UInt8>) -> Spec? {
        guard let dash = element.firstIndex(of: UInt8(ascii: "-")) else { return nil }
        let firstDigits = element[..<dash]
        let lastDigits = element[(dash + 1)...]
        if firstDigits.isEmpty {
            guard let count = number(lastDigits) else { return nil }
            return .suffix(count)
        }
        guard let first = number(firstDigits) else { return nil }
        if lastDigits.isEmpty { return .from(first, last: nil) }
        // RFC 9110 §14.1.1: an int-range whose last-pos is less than its first-pos is invalid.
        guard let last = number(lastDigits), last >= first else { return nil }
        return .from(first, last: last)
    }

    /// 1*DIGIT, saturating at Int.max.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            guard isDigit(byte) else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            value = overflow1 || overflow2 ? Int.max : sum
        }
        return value
    }

    /// Merges ranges that overlap or touch (RFC 9110 §14.2 allows coalescing), keeping each merged range at
    /// the position of its earliest member so the parts follow the request's order (RFC 9110 §14.6).
    private static func coalesced(_ items: [(range: ClosedRange<Int>, order: Int)]) -> [ClosedRange<Int>] {
        let sorted = items.sorted { $0.range.lowerBound < $1.range.lowerBound }
        var merged: [(range: ClosedRange<Int>, order: Int)] = []
        for item in sorted {
            if let last = merged.last, item.range.lowerBound <= last.range.upperBound + 1 {
                merged[merged.count - 1] = (last.range.lowerBound...max(last.range.upperBound, item.range.upperBound),
                                            min(last.order, item.order))
            } else {
                merged.append(item)
            }
        }
        return merged.sorted { $0.order < $1.order }.map(\.range)
    }
}

/// The framing of a `multipart/byteranges` body (RFC 9110 §14.6): each part's head precedes that range of
/// the file and `closing` ends the body, so a response can stream file ranges with an exact Content-Length.
public struct ByteRangesBody: Sendable {
    public let ranges: [ClosedRange<Int>]
    public let boundary: String
    /// The whole representation's length and type, repeated in every part.
    public let length: Int
    public let partContentType: String?

    /// `boundary` defaults to 24 random hex digits: it must not occur in the file, which is binary-safe
    /// only by chance, so it is made unguessable rather than sequential.
    public init(ranges: [ClosedRange<Int>], length: Int, contentType: String?, boundary: String? = nil) {
        self.ranges = ranges
        self.length = length
        self.partContentType = contentType
        self.boundary = boundary ?? ByteRangesBody.randomBoundary()
    }

    /// The response's Content-Type.
    public var contentType: String { "multipart/byteranges; boundary=\(boundary)" }

    /// `CRLF--boundary CRLF Content-Type CRLF Content-Range CRLF CRLF` before part `index`; starting with
    /// CRLF is an empty preamble (RFC 2046 §5.1.1), as nginx sends it.
    public func partHead(_ index: Int) -> [UInt8] {
        var head = "\r\n--\(boundary)\r\n"
        if let partContentType { head += "Content-Type: \(partContentType)\r\n" }
        head += "Content-Range: \(ByteRange.contentRange(ranges[index], length: length))\r\n\r\n"
        return Array(head.utf8)
    }

    /// The close delimiter after the last part.
    public var closing: [UInt8] { Array("\r\n--\(boundary)--\r\n".utf8) }

    /// The exact body length: every head, every range and the closing.
    public var contentLength: Int {
        var total = closing.count
        for index in ranges.indices { total += partHead(index).count + ranges[index].count }
        return total
    }

    static func randomBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: (0..<24).map { _ in hex[Int(generator.next() & 15)] }, as: UTF8.self)
    }
}
