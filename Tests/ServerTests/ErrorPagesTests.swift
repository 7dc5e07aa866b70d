import Testing
@testable import Server

@Suite struct ErrorPagesTests {
    static let explained = [400, 401, 403, 404, 405, 408, 409, 411, 412, 413, 414, 415, 416, 431, 500, 501, 502,
                            503, 504, 505, 507]

    func page(_ status: Status) -> String {
        String(decoding: ErrorPages.defaultPage(for: status), as: UTF8.self)
    }

    @Test(arguments: explained)
    func commonStatusHasTitleHeadingExplanationAndFooter(_ code: Int) {
        let status = Status(code: code)
        let text = page(status)
        #expect(text.hasPrefix("<!DOCTYPE html>"))
        #expect(text.contains("<title>\(code) \(status.reason)</title>"))
        #expect(text.contains("<h1>\(code) \(status.reason)</h1>"))
        #expect(text.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(text.contains("<style>\n\(PageStyle.stylesheet)</style>"))
        #expect(text.hasSuffix("<footer><a href=\"/\">Home</a> · webserv</footer>\n</body>\n</html>\n"))
        let generic = ErrorPages.explanation(for: code >= 500 ? 599 : 499)
        #expect(ErrorPages.explanation(for: code) != generic)
        #expect(text.contains("<p>\(ErrorPages.explanation(for: code))</p>"))
    }

    @Test func explanationsAreDistinct() {
        let sentences = Self.explained.map(ErrorPages.explanation(for:))
        #expect(Set(sentences).count == sentences.count)
    }

    @Test func otherStatusGetsAGenericPage() {
        let text = page(Status(418, "I'm a teapot"))
        #expect(text.contains("<title>418 I&#39;m a teapot</title>"))
        #expect(text.contains("<h1>418 I&#39;m a teapot</h1>"))
        #expect(text.contains("<p>\(ErrorPages.explanation(for: 499))</p>"))
        #expect(page(Status(code: 599)).contains("<title>599 Unknown</title>"))
    }

    @Test func customReasonIsHonouredEvenForAStandardCode() {
        #expect(page(Status(404, "Gone <Fishing>")).contains("<h1>404 Gone &lt;Fishing&gt;</h1>"))
        #expect(page(.notFound).contains("<h1>404 Not Found</h1>"))
    }

    @Test func standardPagesAreBuiltOnceAndShared() {
        let first = ErrorPages.defaultPage(for: .notFound)
        let second = ErrorPages.defaultPage(for: .notFound)
        #expect(first == second)
        first.withUnsafeBufferPointer { a in
            second.withUnsafeBufferPointer { b in #expect(a.baseAddress == b.baseAddress) }
        }
    }

    /// The head written for `response`, with a fixed Date line.
    static func head(_ response: Response) -> String {
        var queue = SendQueue(pool: BufferPool(bytes: BufferPool.minimumBytes))
        ResponseWriter.writeHead(response, keepAlive: true, requestVersion: .http11,
                                 dateLine: Array("Date: X\r\n".utf8), into: &queue)
        return String(decoding: SendQueueTests.drain(&queue), as: UTF8.self)
    }

    @Test func framingLinesRenderedOnceReadAsTheWriterWouldWriteThem() {
        var plain = Response(status: .notFound, contentType: ErrorPages.htmlType,
                             body: .bytes(ErrorPages.defaultPage(for: .notFound)))
        var framed = plain
        framed.framingLines = FramingLines(contentType: ErrorPages.htmlType, contentLength: plain.contentLength)
        #expect(Self.head(framed) == Self.head(plain))
        #expect(Self.head(framed).contains("Content-Length: \(plain.contentLength)\r\n"))
        // Once the response changed, the lines are not used.
        plain.contentLength = 3
        framed.contentLength = 3
        #expect(Self.head(framed) == Self.head(plain))
        plain.contentType = "text/plain"
        framed.contentType = "text/plain"
        #expect(Self.head(framed) == Self.head(plain))
    }
}
