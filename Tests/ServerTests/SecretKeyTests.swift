import Testing
@testable import Server

@Suite struct SecretKeyTests {
    /// The reference key of the SipHash paper: bytes 00 01 … 0f, little-endian words.
    private let referenceKey = SecretKey(k0: 0x0706_0504_0302_0100, k1: 0x0f0e_0d0c_0b0a_0908)

    @Test(arguments: [
        (0, 0x726f_db47_dd0e_0e31 as UInt64),
        (1, 0x74f8_39c5_93dc_67fd),
        (8, 0x93f5_f579_9a93_2462),
        (15, 0xa129_ca61_49be_45e5),
        (63, 0x958a_324c_eb06_4572),
    ])
    func sipHashMatchesTheReferenceVectors(length: Int, expected: UInt64) {
        let message = (0..<length).map { UInt8($0) }
        #expect(referenceKey.hash(message) == expected)
    }

    @Test func hashOfAWordEqualsHashOfItsEightLittleEndianBytes() {
        let value: UInt64 = 0x0123_4567_89ab_cdef
        let bytes = (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        #expect(referenceKey.hash(value) == referenceKey.hash(bytes))
    }

    @Test func namesAreSixteenHexDigitsAndNeverRepeat() {
        var names = UnpredictableNames(key: SecretKey.draw())
        var seen = Set<String>()
        for _ in 0..<10_000 {
            let name = names.next()
            #expect(name.utf8.count == 16 && name.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) })
            seen.insert(name)
        }
        #expect(seen.count == 10_000)
    }

    @Test func twoDrawnKeysDiffer() {
        let a = SecretKey.draw(), b = SecretKey.draw()
        #expect(a.k0 != b.k0 || a.k1 != b.k1)
    }
}
