#if canImport(Glibc)
import Glibc
#endif

/// HTTP Basic authentication (RFC 7617): decoding `Authorization` and building the challenge.
public enum BasicAuth {
    /// The user-id and password a client sent; the password stays bytes, as crypt() takes it.
    public struct Credentials: Equatable, Sendable {
        public var user: String
        public var password: [UInt8]

        public init(user: String, password: [UInt8]) {
            self.user = user
            self.password = password
        }
    }

    /// `Basic <base64(user:password)>`; nil for another scheme or anything malformed, which the caller
    /// answers like wrong credentials (401).
    public static func credentials(fromAuthorization value: String) -> Credentials? {
        let bytes = Array(value.utf8)
        let scheme = Array("basic".utf8)
        // RFC 9110 §11.1: the scheme is case-insensitive and followed by 1*SP.
        guard bytes.count > scheme.count + 1, zip(bytes, scheme).allSatisfy({ asciiLowercased($0) == $1 }),
              bytes[scheme.count] == UInt8(ascii: " ")
        else { return nil }
        var start = scheme.count
        while start < bytes.count && bytes[start] == UInt8(ascii: " ") { start += 1 }
        guard let decoded = base64Decode(bytes[start...]),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else { return nil }
        // RFC 7617 §2: neither part may contain control characters (which also keeps NUL away from crypt()
        // and line breaks out of REMOTE_USER).
        guard !decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }),
              let user = String(validating: decoded[..<colon], as: UTF8.self)
        else { return nil }
        return Credentials(user: user, password: Array(decoded[(colon + 1)...]))
    }

    /// `Basic realm="…"` for `WWW-Authenticate` (RFC 7617 §2), the realm as a quoted-string.
    public static func challenge(realm: String) -> String {
        var quoted = ""
        for character in realm {
            if character == "\"" || character == "\\" { quoted.append("\\") }
            quoted.append(character)
        }
        return "Basic realm=\"\(quoted)\""
    }

    /// Standard base64 (RFC 4648 §4); padding optional, nothing else tolerated.
    static func base64Decode(_ input: ArraySlice<UInt8>) -> [UInt8]? {
        var body = input
        var padding = 0
        while body.last == UInt8(ascii: "=") && padding < 2 {
            body.removeLast()
            padding += 1
        }
        guard !body.isEmpty, body.count % 4 != 1,
              padding == 0 || (body.count + padding) % 4 == 0
        else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(body.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in body {
            guard let value = base64Value(byte) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero (RFC 4648 §3.5), so one text has one decoding.
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return output
    }

    private static func base64Value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}

/// Checking a password against the users loaded from the configuration.
extension UserFile {
    /// Whether the password hashes to the user's stored hash. The comparison takes the same time wherever the
    /// hashes differ; an unknown user is refused without hashing.
    public func verify(_ credentials: BasicAuth.Credentials) -> Bool {
        guard let stored = hashes[credentials.user],
              let computed = cryptHash(credentials.password, setting: stored)
        else { return false }
        return constantTimeEqual(Array(computed.utf8), Array(stored.utf8))
    }
}

/// Byte equality whose duration depends on the lengths only, not on where the bytes first differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
    if a.count != b.count { difference |= 1 }
    for i in 0..<min(a.count, b.count) { difference |= a[i] ^ b[i] }
    return difference == 0
}
