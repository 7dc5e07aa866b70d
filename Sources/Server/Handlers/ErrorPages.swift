/// The built-in HTML page for each error status the server sends.
public enum ErrorPages {
    public static func defaultPage(for status: Status) -> [UInt8] { [] }
}
