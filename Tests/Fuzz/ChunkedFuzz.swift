/// Chunked decoder alone, two ways per input (the first byte steers split points and the size limit):
/// 1. The rest of the input as a chunked body, decoded whole, in two reads, in three reads and one byte per
///    read: every way must give the same payload, consumption and completion, or the same error.
/// 2. The rest of the input as a payload, encoded here as a valid chunked body in varied legal spellings
///    (chunk sizes, hex case, leading zeros, extensions, bare LF, trailers): decoding must give it back exactly,
///    a limit of its length must pass and one byte less must be 413.
@_cdecl("LLVMFuzzerTestOneInput")
public func chunkedFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    var steer = Steer(data[0])
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    decodeEveryWay(input, limit: [0, 0, 0, 1, 5, 16, 100][steer.next(below: 7)], steer: &steer)
    roundTrip(payload: input, steer: &steer)
    return 0
}

private struct Outcome: Equatable {
    var output: [UInt8] = []
    var consumed = 0
    var complete = false
    var received = 0
    var error: HTTPError?
}

private func feed(_ decoder: inout ChunkedDecoder, _ buffer: [UInt8], _ range: Range<Int>, _ outcome: inout Outcome) {
    guard outcome.error == nil && !outcome.complete else { return }
    do {
        let consumed = try decoder.decode(buffer, range, into: &outcome.output)
        require(consumed >= 0 && consumed <= range.count, "decode consumed \(consumed) of \(range.count)")
        outcome.consumed += consumed
    } catch {
        // Where in the failing read the error arose is not reported: only the error is compared.
        outcome.error = error
        outcome.consumed = -1
    }
    outcome.complete = decoder.isComplete
    outcome.received = decoder.received
}

/// Feeds `input` cut at `cuts` (increasing offsets), each read in its own array holding only the unread bytes.
private func decode(_ input: [UInt8], cuts: [Int], limit: Int) -> Outcome {
    var decoder = ChunkedDecoder(limit: limit)
    var outcome = Outcome()
    var start = 0
    var single: [UInt8] = [0]  // reused for one-byte reads: still a read past the range traps
    for end in cuts + [input.count] where end >= start {
        if end - start == 1 {
            single[0] = input[start]
            feed(&decoder, single, 0..<1, &outcome)
        } else {
            let piece = Array(input[start..<end])
            feed(&decoder, piece, 0..<piece.count, &outcome)
        }
        if outcome.error != nil || outcome.complete { break }
        start = end
    }
    return outcome
}

private func decodeEveryWay(_ input: [UInt8], limit: Int, steer: inout Steer) {
    let context = { "limit \(limit) input \(describe(input))" }
    // Whole, and whole but handed over inside a larger array at an offset.
    let whole = decode(input, cuts: [], limit: limit)
    var decoder = ChunkedDecoder(limit: limit)
    var offset = Outcome()
    let padded = [UInt8](repeating: UInt8(ascii: "0"), count: 3) + input + Array("0\r\n\r\n".utf8)
    feed(&decoder, padded, 3..<3 + input.count, &offset)
    require(offset == whole, "decoding at an offset differs:\n  whole \(whole)\n  offset \(offset)\n  \(context())")

    let a = steer.next(below: input.count + 1)
    let b = steer.next(below: input.count + 1)
    var ways: [(String, Outcome)] = [
        ("split at \(a)", decode(input, cuts: [a], limit: limit)),
        ("split at \(min(a, b)),\(max(a, b))", decode(input, cuts: [min(a, b), max(a, b)], limit: limit)),
    ]
    if input.count <= 4096 { ways.append(("byte by byte", decode(input, cuts: Array(0..<input.count), limit: limit))) }
    for (name, other) in ways {
        require(other == whole, "\(name) differs from whole:\n  whole \(whole)\n  \(name) \(other)\n  \(context())")
    }

    require(whole.received == whole.output.count, "received \(whole.received) ≠ output \(whole.output.count); \(context())")
    require(limit == 0 || whole.received <= limit, "payload of \(whole.received) passed the limit \(limit); \(context())")
    guard whole.error == nil else { return }
    require(whole.complete || whole.consumed == input.count, "stopped at \(whole.consumed) of \(input.count) before the end; \(context())")
    if whole.complete {
        require(input[whole.consumed - 1] == UInt8(ascii: "\n"), "complete body does not end with LF; \(context())")
        require(whole.output.count < whole.consumed, "payload not shorter than its encoding; \(context())")
        // Whatever follows the body is the next request's and is not touched.
        let followed = decode(Array(input[..<whole.consumed]) + Array("GET / HTTP/1.1\r\n".utf8), cuts: [], limit: limit)
        require(followed == whole, "bytes after the body changed the outcome: \(followed); \(context())")
    }
}

private func roundTrip(payload: [UInt8], steer: inout Steer) {
    let (encoded, spelling) = encode(payload, steer: &steer)
    let context = { "spelling \(spelling) encoded \(describe(encoded, limit: 400))" }
    let cut = steer.next(below: encoded.count + 1)
    var ways: [(String, [Int])] = [("whole", []), ("split at \(cut)", [cut])]
    if encoded.count <= 4096 { ways.append(("byte by byte", Array(0..<encoded.count))) }
    for (name, cuts) in ways {
        let outcome = decode(encoded, cuts: cuts, limit: 0)
        require(outcome.error == nil, "valid chunked body refused (\(name)): \(outcome.error!); \(context())")
        require(outcome.complete && outcome.consumed == encoded.count,
                "valid chunked body not consumed exactly (\(name)): \(outcome.consumed) of \(encoded.count), complete \(outcome.complete); \(context())")
        require(outcome.output == payload, "payload not given back (\(name)); \(context())")
    }
    let exact = decode(encoded, cuts: [cut], limit: max(payload.count, 1))
    require(exact.error == nil && exact.output == payload, "limit equal to the payload refused it: \(exact); \(context())")
    if payload.count > 1 {
        let under = decode(encoded, cuts: [cut], limit: payload.count - 1)
        require(under.error?.status == .payloadTooLarge, "limit one under the payload not 413: \(under); \(context())")
        require(under.received <= payload.count - 1, "payload past the limit delivered; \(context())")
    }
}

/// A valid chunked encoding of `payload`, spelled in ways RFC 9112 §7.1 allows (and bare LF, accepted here).
private func encode(_ payload: [UInt8], steer: inout Steer) -> ([UInt8], String) {
    let crlf = steer.next(below: 3) != 0
    let maxChunk = [1, 3, 16, 255, 4096][steer.next(below: 5)]
    let upper = steer.next(below: 2) == 0
    let zeros = steer.next(below: 3)
    let extensions = steer.next(below: 3)
    let trailers = steer.next(below: 3)
    let spelling = "crlf \(crlf) max \(maxChunk) upper \(upper) zeros \(zeros) ext \(extensions) trailers \(trailers)"
    let eol: [UInt8] = crlf ? [0x0D, 0x0A] : [0x0A]

    func sizeLine(_ n: Int, _ out: inout [UInt8]) {
        var hex = String(n, radix: 16, uppercase: upper)
        hex = String(repeating: "0", count: zeros) + hex
        out += Array(hex.utf8)
        switch extensions {
        case 1: out += Array(";name=value".utf8)
        case 2: out += Array(" \t; a=\"q;uo\\\"te\" ;b".utf8)
        default: break
        }
        out += eol
    }

    var out: [UInt8] = []
    var p = 0
    while p < payload.count {
        let n = min(1 + steer.next(below: maxChunk), payload.count - p)
        sizeLine(n, &out)
        out += payload[p..<p + n]
        out += eol
        p += n
    }
    sizeLine(0, &out)
    for i in 0..<trailers { out += Array("X-Trailer-\(i): v\(i)".utf8) + eol }
    out += eol
    return (out, spelling)
}
