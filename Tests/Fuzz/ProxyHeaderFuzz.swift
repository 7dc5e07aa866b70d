/// PROXY protocol header parser, three ways per input:
/// 1. The input as received: the outcome does not depend on where the header sits in the buffer, nor on the
///    bytes after a complete header; every prefix of a complete header is incomplete; a refused input stays
///    refused whatever follows; an incomplete one is shorter than the longest header.
/// 2. A v1 line and 3. a v2 block built here from the input's bytes (addresses, ports, TLVs): parsing must give
///    back the source address and port written, and the TLS flag of an SSL field.
@_cdecl("LLVMFuzzerTestOneInput")
public func proxyHeaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    checkProperties(input)
    if size >= 12 {
        roundTripV1(input)
        roundTripV2(input)
    }
    return 0
}

private func checkProperties(_ input: [UInt8]) {
    let outcome = ProxyHeader.parse(input)
    require(ProxyHeader.parse([0x47, 0x45] + input, from: 2) == outcome, "outcome depends on the offset: \(describe(input))")
    switch outcome {
    case .complete(_, let length):
        require(length > 0 && length <= input.count, "length \(length) of \(input.count)")
        require(ProxyHeader.parse(Array(input[..<length]) + [0x0D, 0x0A, 0x51]) == outcome,
                "bytes after the header changed it: \(describe(input))")
        for end in stride(from: 0, to: length, by: max(1, length / 64)) {
            require(ProxyHeader.parse(Array(input[..<end])) == .incomplete, "prefix \(end) not incomplete: \(describe(input))")
        }
    case .invalid:
        require(ProxyHeader.parse(input + [0x0D, 0x0A, 0x0D, 0x0A]) == .invalid, "refused input accepted once extended")
    case .incomplete:
        require(input.count < ProxyHeader.maximumV2Length, "\(input.count) bytes still incomplete")
    }
}

private func roundTripV1(_ input: [UInt8]) {
    let ipv6 = input[0] & 1 == 1
    let source: String
    let destination: String
    if ipv6 {
        let groups = (0..<8).map { String(Int(input[$0 % input.count]) << 8 | Int(input[($0 + 1) % input.count]), radix: 16) }
        source = groups.joined(separator: ":")
        destination = "::1"
    } else {
        source = input[1...4].map(String.init).joined(separator: ".")
        destination = "127.0.0.1"
    }
    let port = Int(input[5]) << 8 | Int(input[6])
    let line = "PROXY \(ipv6 ? "TCP6" : "TCP4") \(source) \(destination) \(port) 80\r\n"
    guard case .complete(let header, let length) = ProxyHeader.parse(Array(line.utf8) + input) else {
        require(false, "valid v1 refused: \(line)")
        return
    }
    require(length == line.utf8.count, "v1 length \(length) for \(line)")
    require(header.source.map { IPAddress($0.host) } == IPAddress(source) && header.source?.port == UInt16(port),
            "v1 \(line) gave \(String(describing: header.source))")
}

private func roundTripV2(_ input: [UInt8]) {
    let ipv6 = input[0] & 1 == 1
    let addressLength = ipv6 ? 16 : 4
    var addresses = (0..<(2 * addressLength)).map { input[$0 % input.count] }
    addresses += [input[1], input[2], 0, 80]
    // TLVs from the rest of the input: each a type and a length that fits, so the block stays valid.
    var tlvs: [UInt8] = []
    var index = 3
    var tls = false
    while index + 1 < input.count, tlvs.count < 512 {
        let type = input[index]
        let length = Int(input[index + 1]) % 16
        var value = (0..<length).map { input[(index + $0) % input.count] }
        if type == 0x20 && length >= 5 { tls = tls || value[0] & 1 == 1 } else if type == 0x20 { value = [] }
        tlvs += [type, 0, UInt8(value.count)] + value
        index += 2
    }
    let body = addresses + tlvs
    let block = ProxyHeader.v2Signature + [0x21, ipv6 ? 0x21 : 0x11, UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    guard case .complete(let header, let length) = ProxyHeader.parse(block + input) else {
        require(false, "valid v2 refused: \(describe(block))")
        return
    }
    let expected = ipv6 ? IPAddress(ipv6: addresses[0..<16]) : IPAddress(ipv4: addresses[0..<4])
    require(length == block.count, "v2 length \(length) of \(block.count)")
    require(header.source.flatMap { IPAddress($0.host) } == expected
            && header.source?.port == UInt16(input[1]) << 8 | UInt16(input[2]), "v2 source \(String(describing: header.source))")
    require(header.clientUsedTLS == tls, "v2 TLS flag \(header.clientUsedTLS), expected \(tls)")
}
