import Testing
@testable import Server

@Test func knownCodesHaveTheirReasonPhrase() {
    #expect(Status(code: 404).reason == "Not Found")
    #expect(Status(code: 599).reason == "Unknown")
}
