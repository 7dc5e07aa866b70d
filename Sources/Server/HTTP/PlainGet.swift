/// A scanned GET head with no body, no condition and no range, as positions relative to the head's first byte:
/// everything a ready answer depends on, so one can be chosen before any field list or String is built.
public struct PlainGet: Sendable {
    public let target: Range<Int>
    /// The Host field's value; empty when there is none.
    public let host: Range<Int>
    /// The field lines, for the few fields an access-log line quotes.
    public let fieldLines: Range<Int>
    public let version: HTTPVersion
    public let connectionOptions: ConnectionOptions

    public var wantsKeepAlive: Bool { connectionOptions.allowKeepAlive(in: version) }

    /// The first value of the field named `lowercaseName`, as sent (a field list would cost an allocation).
    func value(named lowercaseName: StaticString, in head: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let name = UnsafeRawBufferPointer(start: lowercaseName.utf8Start, count: lowercaseName.utf8CodeUnitCount)
        let lines = UnsafeRawBufferPointer(rebasing: head[fieldLines])
        var found: Range<Int>?
        RequestParser.forEachField(in: lines.assumingMemoryBound(to: UInt8.self)) { field, value in
            if field.count == name.count && zip(lines[field], name).allSatisfy({ asciiLowercased($0) == $1 }) {
                found = value
                return false
            }
            return true
        }
        return found.map { UnsafeRawBufferPointer(rebasing: lines[$0]) }
    }
}
