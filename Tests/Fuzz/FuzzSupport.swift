/// Shared by every fuzz target: a failed property stops the run with a message libFuzzer prints above the
/// crash report, so the saved input comes with the reason it was saved.
func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fatalError("fuzz property violated: " + message(), file: file, line: line) }
}

/// The input as printable text for messages (non-printable bytes as \xNN), cut to a readable length.
func describe<C: Collection>(_ bytes: C, limit: Int = 200) -> String where C.Element == UInt8 {
    var out = ""
    for byte in bytes.prefix(limit) {
        switch byte {
        case 0x0D: out += "\\r"
        case 0x0A: out += "\\n"
        case 0x5C: out += "\\\\"
        case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789abcdef")
            out += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
        }
    }
    if bytes.count > limit { out += "…(\(bytes.count) bytes)" }
    return out
}

/// A small deterministic byte source, so one input byte can steer several choices (split points, limits).
struct Steer {
    private var state: UInt64

    init(_ seed: UInt8) {
        state = 0x9E37_79B9_7F4A_7C15 &* (UInt64(seed) &+ 1)
    }

    mutating func next(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return Int(state % UInt64(bound))
    }
}
