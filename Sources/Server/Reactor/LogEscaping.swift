/// nginx's `escape=default` for log lines: `"`, `\`, and every byte below 0x20 or above 0x7E become `\xHH`,
/// so a client's bytes are kept exactly (nothing turned into U+FFFD) and can neither forge a line nor break
/// a field's quoting.
enum LogEscaping {
    static func append<Bytes: Sequence>(_ bytes: Bytes, to out: inout [UInt8]) where Bytes.Element == UInt8 {
        for byte in bytes {
            if byte < 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "x"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xF)])
            } else {
                out.append(byte)
            }
        }
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
}
