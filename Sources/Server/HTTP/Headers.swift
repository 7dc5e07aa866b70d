/// Header fields in arrival order, kept as bytes; names compare case-insensitively.
public struct Headers: Sendable {
    public init() {}

    /// The first value of the named field (case-insensitive), without surrounding whitespace.
    public subscript(name: String) -> String? { nil }

    /// Every value of the named field, in order.
    public func values(named name: String) -> [String] { [] }

    public func contains(_ name: String) -> Bool { false }

    public var count: Int { 0 }

    /// Every field in order, as sent (name spelling preserved).
    public func forEach(_ body: (_ name: String, _ value: String) -> Void) {}
}
