/// IMF-fixdate (RFC 9110 §5.6.7): `Sun, 06 Nov 1994 08:49:37 GMT`.
public enum HTTPDate {
    /// Formats seconds since the epoch.
    public static func format(_ secondsSinceEpoch: Int) -> String { "" }

    /// Parses IMF-fixdate and the two obsolete forms (RFC 850, asctime); nil when invalid.
    public static func parse(_ text: String) -> Int? { nil }
}
