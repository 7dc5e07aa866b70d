#if canImport(Glibc)
import Glibc
#endif

/// 128 random bits drawn from /dev/urandom once, at start-up: unpredictable names and keyed hashes
/// (SipHash-2-4) with no system call per use, so nothing on the loop reads outside select().
struct SecretKey {
    let k0: UInt64
    let k1: UInt64

    init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// Reads the key from /dev/urandom (start-up only). Without it the clock and the pid stand in: names
    /// stay unique, only less unpredictable.
    static func draw() -> SecretKey {
        var words: (UInt64, UInt64) = (0, 0)
        let fd = open("/dev/urandom", O_RDONLY)
        var filled = false
        if fd >= 0 {
            filled = withUnsafeMutableBytes(of: &words) { Glibc.read(fd, $0.baseAddress, $0.count) == $0.count }
            close(fd)
        }
        if !filled {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            words = (UInt64(truncatingIfNeeded: now.tv_nsec) ^ UInt64(truncatingIfNeeded: now.tv_sec) << 32,
                     UInt64(truncatingIfNeeded: getpid()) &* 0x9E37_79B9_7F4A_7C15)
        }
        return SecretKey(k0: words.0, k1: words.1)
    }

    /// SipHash-2-4 of `bytes` under this key.
    func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
        var state = SipState(k0: k0, k1: k1)
        var word: UInt64 = 0
        var count = 0
        for byte in bytes {
            word |= UInt64(byte) << (8 * UInt64(count & 7))
            count += 1
            if count & 7 == 0 {
                state.compress(word)
                word = 0
            }
        }
        state.compress(word | UInt64(truncatingIfNeeded: count) << 56)
        return state.finalize()
    }

    /// SipHash-2-4 of one 64-bit value: the `n`th unpredictable number.
    func hash(_ value: UInt64) -> UInt64 {
        var state = SipState(k0: k0, k1: k1)
        state.compress(value)
        state.compress(8 << 56)
        return state.finalize()
    }
}

/// The four-word state of SipHash (Aumasson and Bernstein).
private struct SipState {
    var v0: UInt64, v1: UInt64, v2: UInt64, v3: UInt64

    init(k0: UInt64, k1: UInt64) {
        v0 = k0 ^ 0x736f_6d65_7073_6575
        v1 = k1 ^ 0x646f_7261_6e64_6f6d
        v2 = k0 ^ 0x6c79_6765_6e65_7261
        v3 = k1 ^ 0x7465_6462_7974_6573
    }

    private mutating func round() {
        v0 = v0 &+ v1; v1 = v1.rotatedLeft(13); v1 ^= v0; v0 = v0.rotatedLeft(32)
        v2 = v2 &+ v3; v3 = v3.rotatedLeft(16); v3 ^= v2
        v0 = v0 &+ v3; v3 = v3.rotatedLeft(21); v3 ^= v0
        v2 = v2 &+ v1; v1 = v1.rotatedLeft(17); v1 ^= v2; v2 = v2.rotatedLeft(32)
    }

    mutating func compress(_ m: UInt64) {
        v3 ^= m
        round(); round()
        v0 ^= m
    }

    mutating func finalize() -> UInt64 {
        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

private extension UInt64 {
    func rotatedLeft(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}

/// Names nobody can guess: the secret key's hash of a counter, as 16 hex digits.
struct UnpredictableNames {
    private let key: SecretKey
    private var counter: UInt64 = 0

    init(key: SecretKey) { self.key = key }

    mutating func next() -> String {
        counter += 1
        let value = key.hash(counter)
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { text[i] = digits[Int(value >> (60 - 4 * UInt64(i)) & 0xf)] }
        return String(decoding: text, as: UTF8.self)
    }
}
