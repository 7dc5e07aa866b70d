#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as 128 bits, IPv4 kept as its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`), so a range
/// and an address compare whichever way the kernel or a proxy wrote them.
struct IPAddress: Hashable, Sendable {
    var high: UInt64
    var low: UInt64

    /// 16 bytes in network order.
    init<Bytes: Collection<UInt8>>(ipv6 bytes: Bytes) {
        precondition(bytes.count == 16)
        var high: UInt64 = 0, low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    /// 4 bytes in network order.
    init<Bytes: Collection<UInt8>>(ipv4 bytes: Bytes) {
        precondition(bytes.count == 4)
        var value: UInt64 = 0
        for byte in bytes { value = value << 8 | UInt64(byte) }
        high = 0
        low = 0xFFFF_0000_0000 | value
    }

    /// Numeric text only (`192.0.2.1`, `2001:db8::1`, `::ffff:192.0.2.1`), as inet_pton reads it: no names,
    /// no leading zeros in IPv4, no zone.
    init?<Text: StringProtocol>(_ text: Text) {
        var buffer = [UInt8](repeating: 0, count: 16)
        let family = text.utf8.contains(UInt8(ascii: ":")) ? AF_INET6 : AF_INET
        guard text.utf8.count <= 45, String(text).withCString({ inet_pton(family, $0, &buffer) }) == 1 else {
            return nil
        }
        self = family == AF_INET6 ? IPAddress(ipv6: buffer) : IPAddress(ipv4: buffer[0..<4])
    }

    var isIPv4: Bool { high == 0 && low >> 32 == 0xFFFF }

    /// Canonical text: dotted IPv4 (also for a mapped address, as nginx logs it), RFC 5952 IPv6.
    var text: String {
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<8 {
            bytes[index] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(index)))
            bytes[index + 8] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(index)))
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if isIPv4 {
            inet_ntop(AF_INET, Array(bytes[12..<16]), &text, socklen_t(text.count))
        } else {
            inet_ntop(AF_INET6, bytes, &text, socklen_t(text.count))
        }
        return String(cString: text)
    }
}
