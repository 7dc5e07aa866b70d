/// Header fields in arrival order, kept as bytes; names compare case-insensitively.
public struct Headers: Sendable {
    /// Where one field's name and value sit in `bytes` (value already stripped of OWS).
    struct Field: Sendable {
        var nameStart: Int32
        var nameEnd: Int32
        var valueStart: Int32
        var valueEnd: Int32

        var name: Range<Int> { Int(nameStart)..<Int(nameEnd) }
        /// Compared before the bytes: most fields looked at are not the one asked for.
        @inline(__always) var nameLength: Int { Int(nameEnd &- nameStart) }
        var value: Range<Int> { Int(valueStart)..<Int(valueEnd) }
    }

    /// The field lines as received (one copy per request); `fields` indexes into it.
    private(set) var bytes: [UInt8]
    private(set) var fields: [Field]
    /// One bit per name length present: most names looked up are absent (If-Match, Range, Authorization…
    /// on a plain GET), and their length's bit settles it without comparing a single name.
    private var signature: UInt64 = 0

    public init() {
        bytes = []
        fields = []
    }

    /// Takes ownership of the parser's field bytes and their ranges.
    init(bytes: [UInt8], fields: [Field]) {
        self.bytes = bytes
        self.fields = fields
        for field in fields { signature |= signatureBit(of: field) }
    }

    /// Builds headers from name/value pairs (tests, CGI responses, synthetic requests).
    public init(_ pairs: [(name: String, value: String)]) {
        self.init()
        for (name, value) in pairs { append(name: name, value: value) }
    }

    /// Appends a field; the value is stored as given (callers trim it).
    public mutating func append(name: String, value: String) {
        let nameStart = Int32(bytes.count)
        bytes.append(contentsOf: name.utf8)
        let nameEnd = Int32(bytes.count)
        bytes.append(contentsOf: value.utf8)
        fields.append(Field(nameStart: nameStart, nameEnd: nameEnd, valueStart: nameEnd,
                            valueEnd: Int32(bytes.count)))
        signature |= signatureBit(of: fields[fields.count - 1])
    }

    /// The first value of the named field (case-insensitive), without surrounding whitespace.
    public subscript(name: String) -> String? {
        guard let range = firstValueRange(named: name) else { return nil }
        return string(range)
    }

    /// The first value of the named field as the bytes sent (for logs, which must not lose invalid UTF-8).
    public func rawValue(named name: String) -> ArraySlice<UInt8>? {
        firstValueRange(named: name).map { bytes[$0] }
    }

    /// Every value of the named field, in order.
    public func values(named name: String) -> [String] {
        var result: [String] = []
        guard mayContain(name) else { return result }
        let length = name.utf8.count
        for field in fields where field.nameLength == length && nameMatches(field, name) {
            result.append(string(field.value))
        }
        return result
    }

    public func contains(_ name: String) -> Bool {
        firstValueRange(named: name) != nil
    }

    /// Whether a comma-separated list field (Connection, Expect, Transfer-Encoding…) holds `token`,
    /// compared case-insensitively across every field of that name (RFC 9110 §5.6.1, §5.3).
    public func contains(_ name: String, token: String) -> Bool {
        var found = false
        forEachListElement(named: name) { element in
            if !found && asciiCaseInsensitiveEqual(element, token) { found = true }
        }
        return found
    }

    public var count: Int { fields.count }

    /// Every field in order, as sent (name spelling preserved).
    public func forEach(_ body: (_ name: String, _ value: String) -> Void) {
        for field in fields { body(string(field.name), string(field.value)) }
    }

    // MARK: Byte-level access for the HTTP layer

    /// The first value of the named field as a byte range of `bytes`.
    func firstValueRange(named name: String) -> Range<Int>? {
        guard mayContain(name) else { return nil }
        let length = name.utf8.count
        for field in fields where field.nameLength == length && nameMatches(field, name) { return field.value }
        return nil
    }

    /// Calls `body` with each element of a comma-separated list field, trimmed of OWS; empty elements are
    /// skipped (RFC 9110 §5.6.1.2) unless `keepingEmpty`. Covers every field of that name, in order.
    func forEachListElement(named name: String, keepingEmpty: Bool = false, _ body: (ArraySlice<UInt8>) -> Void) {
        guard mayContain(name) else { return }
        let length = name.utf8.count
        for field in fields where field.nameLength == length && nameMatches(field, name) {
            var elementStart = field.value.lowerBound
            for i in field.value.lowerBound...field.value.upperBound
            where i == field.value.upperBound || bytes[i] == UInt8(ascii: ",") {
                let element = Headers.trimmed(bytes[elementStart..<i])
                if keepingEmpty || !element.isEmpty { body(element) }
                elementStart = i + 1
            }
        }
    }

    /// False when no field can have this name: no field has its length (O(1) to read from a native string,
    /// unlike its bytes).
    @inline(__always) private func mayContain(_ name: String) -> Bool {
        signature & Headers.signatureBit(length: name.utf8.count) != 0
    }

    private func signatureBit(of field: Field) -> UInt64 {
        Headers.signatureBit(length: field.name.count)
    }

    @inline(__always)
    private static func signatureBit(length: Int) -> UInt64 {
        1 << UInt64(min(length, 63))
    }

    private func nameMatches(_ field: Field, _ name: String) -> Bool {
        asciiCaseInsensitiveEqual(bytes[field.name], name)
    }

    private func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// Whether a field name is `Connection`, in any case.
    static func isConnection(_ name: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        var i = name.startIndex
        for expected in "connection".utf8 {
            guard i < name.endIndex, asciiLowercased(name[i]) == expected else { return false }
            i += 1
        }
        return i == name.endIndex
    }

    static func trimmed(_ slice: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var lower = slice.startIndex
        var upper = slice.endIndex
        while lower < upper && isOWS(slice[lower]) { lower += 1 }
        while upper > lower && isOWS(slice[upper - 1]) { upper -= 1 }
        return slice[lower..<upper]
    }

    @inline(__always) static func isOWS(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}

extension Headers: ExpressibleByDictionaryLiteral {
    /// `["Host": "example.com"]`; repeated names are kept, in order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements.map { (name: $0.0, value: $0.1) })
    }
}

/// ASCII case-insensitive comparison of bytes with a String, without allocating.
@inline(__always)
func asciiCaseInsensitiveEqual(_ bytes: ArraySlice<UInt8>, _ text: String) -> Bool {
    // Most names looked up are not the field at hand: the length (O(1) on a native string) settles those.
    guard text.utf8.count == bytes.count else { return false }
    // A native string's and an array's bytes are contiguous: compared through pointers, with no index checks.
    return text.utf8.withContiguousStorageIfAvailable { text in
        bytes.withUnsafeBufferPointer { bytes in
            for i in 0..<text.count where asciiLowercased(bytes[i]) != asciiLowercased(text[i]) { return false }
            return true
        }
    } ?? zip(bytes, text.utf8).allSatisfy { asciiLowercased($0) == asciiLowercased($1) }
}

@inline(__always)
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
}
