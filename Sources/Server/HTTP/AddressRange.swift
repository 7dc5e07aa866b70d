/// An address range written in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`, or one address), as nginx's
/// `set_real_ip_from` takes it.
public struct AddressRange: Equatable, Sendable {
    let network: IPAddress
    /// Prefix length out of 128 (an IPv4 prefix counts the 96 bits of the mapped form).
    let prefix: Int

    /// nil when malformed; bits set past the prefix (`10.0.0.1/8`) are cleared, as nginx does.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(parts[0]) else { return nil }
        let width = address.isIPv4 ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard (1...3).contains(parts[1].utf8.count), parts[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let value = Int(parts[1]), value <= width else { return nil }
            length = value
        }
        prefix = length + (128 - width)
        network = AddressRange.masked(address, prefix)
    }

    func contains(_ address: IPAddress) -> Bool {
        AddressRange.masked(address, prefix) == network
    }

    private static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        var result = address
        result.high &= prefix >= 64 ? .max : (prefix == 0 ? 0 : ~(UInt64.max >> UInt64(prefix)))
        result.low &= prefix >= 128 ? .max : (prefix <= 64 ? 0 : ~(UInt64.max >> UInt64(prefix - 64)))
        return result
    }
}
