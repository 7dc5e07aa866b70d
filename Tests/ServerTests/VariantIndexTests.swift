import Foundation
import Testing
@testable import Server

/// A directory's variants are read once per version of the directory, and its stat is trusted for a second.
@Suite struct VariantIndexTests {
    @Test func aDirectoryStatIsTrustedForASecondUnlessTheServerWrote() throws {
        let directory = FileManager.default.temporaryDirectory.path + "/webserv-variants-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["page.html.en", "page.html.fr", "other.txt"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
        guard case .directory(let identity) = FileInfo.lookUp(directory) else {
            Issue.record("not a directory")
            return
        }
        var index = VariantIndex()
        let start = ContinuousClock.now
        #expect(index.trustedVariantFileNames(of: "page.html", in: directory, now: start) == nil)
        let names = index.variantFileNames(of: "page.html", in: directory, identity: identity, now: start)
        #expect(names.sorted() == ["page.html.en", "page.html.fr"])
        #expect(index.trustedVariantFileNames(of: "page.html", in: directory, now: start + .milliseconds(999))?
            .sorted() == ["page.html.en", "page.html.fr"])
        #expect(index.trustedVariantFileNames(of: "missing.html", in: directory, now: start) == [])
        #expect(index.trustedVariantFileNames(of: "page.html", in: directory, now: start + .seconds(1)) == nil)
        index.distrustAll()
        #expect(index.trustedVariantFileNames(of: "page.html", in: directory, now: start) == nil)
    }
}
