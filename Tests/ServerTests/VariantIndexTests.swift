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

    @Test func theDirectoryUsedLastAnswersLikeTheTable() throws {
        let base = FileManager.default.temporaryDirectory.path + "/webserv-variants-\(UUID().uuidString.prefix(8))"
        let withVariants = base + "/a", without = base + "/ab"
        for directory in [withVariants, without] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        defer { try? FileManager.default.removeItem(atPath: base) }
        for name in ["page.html.en", "page.html.de"] {
            try Data("x".utf8).write(to: URL(fileURLWithPath: withVariants + "/" + name))
        }
        try Data("x".utf8).write(to: URL(fileURLWithPath: without + "/page.html"))
        guard case .directory(let first) = FileInfo.lookUp(withVariants),
              case .directory(let second) = FileInfo.lookUp(without) else {
            Issue.record("not directories")
            return
        }
        var index = VariantIndex()
        let now = ContinuousClock.now
        _ = index.variantFileNames(of: "page.html", in: withVariants, identity: first, now: now)
        _ = index.variantFileNames(of: "page.html", in: without, identity: second, now: now)
        for _ in 0..<2 {
            // Alternating directories (of lengths that differ by one byte) never answer for each other.
            #expect(index.trustedVariantFileNames(of: "page.html", in: withVariants, now: now)?.sorted()
                == ["page.html.de", "page.html.en"])
            #expect(index.trustedVariantFileNames(of: "page.html", in: without, now: now) == [])
            #expect(index.trustedVariantFileNames(of: "page.html", in: without, now: now) == [])
            #expect(index.trustedVariantFileNames(of: "page.html", in: base + "/b", now: now) == nil)
        }
        index.distrustAll()
        #expect(index.trustedVariantFileNames(of: "page.html", in: without, now: now) == nil)
        _ = index.variantFileNames(of: "page.html", in: without, identity: second, now: now)
        #expect(index.trustedVariantFileNames(of: "page.html", in: without, now: now) == [])
        #expect(index.trustedVariantFileNames(of: "page.html", in: withVariants, now: now) == nil)
    }
}
