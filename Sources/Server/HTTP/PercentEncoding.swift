/// Percent-encoding helpers (RFC 3986 §2.1) for building URIs from file names and decoded paths.
public enum PercentEncoding {
    /// The value of an ASCII hex digit, or nil.
    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }

    /// RFC 3986 §2.3 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
    @inline(__always)
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// Appends `segment` with every byte but the unreserved ones escaped, so the result is one path segment
    /// whatever the name holds ("/", "?", "#", "%", ":", spaces, non-ASCII UTF-8).
    static func appendEncodedSegment<S: Sequence>(_ segment: S, to out: inout [UInt8]) where S.Element == UInt8 {
        for byte in segment {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
    }

    /// One path segment, percent-encoded (a "/" inside it becomes %2F).
    public static func encodeSegment(_ segment: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(segment.utf8.count)
        appendEncodedSegment(segment.utf8, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// A decoded path made safe for a `Location` header or an href: each segment encoded, "/" kept.
    public static func encodePath(_ path: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(path.utf8.count)
        var segmentStart = path.utf8.startIndex
        var index = segmentStart
        while index != path.utf8.endIndex {
            if path.utf8[index] == UInt8(ascii: "/") {
                appendEncodedSegment(path.utf8[segmentStart..<index], to: &out)
                out.append(UInt8(ascii: "/"))
                segmentStart = path.utf8.index(after: index)
            }
            index = path.utf8.index(after: index)
        }
        appendEncodedSegment(path.utf8[segmentStart..<index], to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
