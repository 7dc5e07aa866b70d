/// Streaming multipart/form-data parser, two ways per input (the first byte steers split points):
/// 1. The rest of the input as a body with boundary "b0und": parsed whole, in steered pieces and one byte
///    per feed, the parts (headers and reassembled content) and the error must be the same every way.
/// 2. The rest of the input as file content, wrapped here in a valid two-part body: the parser must give
///    the content back exactly, wherever the feeds are cut.
@_cdecl("LLVMFuzzerTestOneInput")
public func multipartFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    var steer = Steer(data[0])
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let whole = parse(input, cuts: [])
    let cuts = (0..<steer.next(below: 4)).map { _ in steer.next(below: input.count + 1) }.sorted()
    require(parse(input, cuts: cuts) == whole, "split parse differs from whole parse")
    if input.count <= 512 {
        require(parse(input, cuts: Array(0..<input.count)) == whole, "byte-by-byte parse differs from whole parse")
    }
    roundTrip(content: input, steer: &steer)
    return 0
}

private struct Parsed: Equatable {
    var parts: [(part: MultipartPart, content: [UInt8])] = []
    var ended = false
    var error: HTTPError?

    /// A failing body is compared by its error only: events of the feed that threw are not delivered, so
    /// how much was seen before the error depends on where the feeds were cut.
    static func == (a: Parsed, b: Parsed) -> Bool {
        if a.error != nil || b.error != nil { return a.error == b.error }
        return a.ended == b.ended && a.parts.count == b.parts.count
            && zip(a.parts, b.parts).allSatisfy { $0.part == $1.part && $0.content == $1.content }
    }
}

private func parse(_ input: [UInt8], cuts: [Int], boundary: String = "b0und") -> Parsed {
    var parsed = Parsed()
    var parser: MultipartParser
    do { parser = try MultipartParser(boundary: boundary) } catch { parsed.error = error; return parsed }
    var start = 0
    for end in cuts + [input.count] where end >= start {
        do {
            for event in try parser.feed(input[start..<end]) {
                switch event {
                case .partBegin(let part): parsed.parts.append((part, []))
                case .data(let slice):
                    require(!parsed.parts.isEmpty, "data before any part")
                    parsed.parts[parsed.parts.count - 1].content += slice
                case .partEnd: break
                case .end: parsed.ended = true
                }
            }
        } catch {
            parsed.error = error
            return parsed
        }
        start = end
    }
    do { try parser.finish() } catch { parsed.error = error }
    return parsed
}

private func roundTrip(content: [UInt8], steer: inout Steer) {
    let boundary = "----fuzz\(steer.next(below: 1000))"
    var body = Array("preamble\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
    body += content
    body += Array("\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nvalue\r\n--\(boundary)--\r\n".utf8)
    let cuts = (0..<steer.next(below: 5)).map { _ in steer.next(below: body.count + 1) }.sorted()
    let parsed = parse(body, cuts: cuts, boundary: boundary)
    require(parsed.error == nil, "valid body rejected: \(String(describing: parsed.error))")
    require(parsed.ended && parsed.parts.count == 2, "expected two parts, got \(parsed.parts.count)")
    require(parsed.parts[0].content == content, "file content not returned exactly")
    require(parsed.parts[0].part.filename == "a.bin" && parsed.parts[1].content == Array("value".utf8),
            "part headers or field value wrong")
}
