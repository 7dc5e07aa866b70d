/// The `Content-Type` and `Content-Length` lines of a response sent many times unchanged (a built-in error
/// page), rendered once. The writer uses them only while the response still has that type and length.
final class FramingLines: Sendable {
    let contentType: String
    let contentLength: Int
    let bytes: [UInt8]

    init(contentType: String, contentLength: Int) {
        self.contentType = contentType
        self.contentLength = contentLength
        bytes = Array("Content-Type: \(contentType)\r\nContent-Length: \(contentLength)\r\n".utf8)
    }

    /// Still true of `response`: nothing changed its type or length since these lines were rendered.
    func describe(_ response: Response) -> Bool {
        response.contentLength == contentLength && response.contentType == contentType
    }
}
