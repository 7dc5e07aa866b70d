import Testing
@testable import Server

@Suite struct ConditionalTests {
    static let modified = HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT")!
    static let current = Validators(etag: EntityTag(opaque: "v1"), lastModified: modified)
    static let same = "Sun, 06 Nov 1994 08:49:37 GMT"
    static let earlier = "Sun, 06 Nov 1994 08:49:36 GMT"
    static let later = "Sun, 06 Nov 1994 08:49:38 GMT"

    @Test func etagsAreNginxHexMtimeDashHexSizeWithNanosecondsWhenPresent() {
        #expect(Conditional.etag(size: 420, modifiedSeconds: 0x5F5E_1000, modifiedNanoseconds: 0).field
            == "\"5f5e1000-1a4\"")
        #expect(Conditional.etag(size: 0, modifiedSeconds: 1, modifiedNanoseconds: 255).field == "\"1.ff-0\"")
        let a = Conditional.etag(for: FileIdentity(device: 1, inode: 2, size: 10, modifiedSeconds: 100,
                                                   modifiedNanoseconds: 1))
        let b = Conditional.etag(for: FileIdentity(device: 1, inode: 2, size: 10, modifiedSeconds: 100,
                                                   modifiedNanoseconds: 2))
        #expect(a != b && !a.isWeak)
    }

    @Test(arguments: [
        ("\"abc\"", EntityTag(opaque: "abc")),
        ("W/\"abc\"", EntityTag(opaque: "abc", isWeak: true)),
        ("\"\"", EntityTag(opaque: "")),
        ("\"a,b\"", EntityTag(opaque: "a,b")),
        ("abc", nil), ("\"abc", nil), ("\"a\"b", nil), ("w/\"a\"", nil), ("\"a b\"", nil), (" \"a\"", nil),
    ] as [(String, EntityTag?)])
    func entityTagsParseExactly(_ text: String, _ expected: EntityTag?) {
        #expect(EntityTag(text) == expected)
        if let expected { #expect(expected.field == text) }
    }

    @Test func strongAndWeakComparisonFollowRFC9110Table() {
        let strong1 = EntityTag(opaque: "1"), weak1 = EntityTag(opaque: "1", isWeak: true)
        let weak2 = EntityTag(opaque: "2", isWeak: true)
        #expect(!weak1.strongMatch(weak1) && weak1.weakMatch(weak1))
        #expect(!weak1.strongMatch(weak2) && !weak1.weakMatch(weak2))
        #expect(!weak1.strongMatch(strong1) && weak1.weakMatch(strong1))
        #expect(strong1.strongMatch(strong1) && strong1.weakMatch(strong1))
    }

    typealias Row = (method: Method, fields: [(name: String, value: String)], exists: Bool, expected: Precondition)

    static let rows: [Row] = [
        (.get, [], true, .proceed),
        (.get, [("If-None-Match", "\"v1\"")], true, .notModified),
        (.head, [("If-None-Match", "\"v1\"")], true, .notModified),
        (.get, [("If-None-Match", "W/\"v1\"")], true, .notModified),
        (.get, [("If-None-Match", "\"v0\", \"v1\"")], true, .notModified),
        (.get, [("If-None-Match", "\"v0\""), ("If-None-Match", "\"v1\"")], true, .notModified),
        (.get, [("If-None-Match", "\"v0\"")], true, .proceed),
        (.get, [("If-None-Match", "*")], true, .notModified),
        (.get, [("If-None-Match", "*")], false, .proceed),
        (.get, [("If-None-Match", "v1")], true, .proceed),
        (.post, [("If-None-Match", "\"v1\"")], true, .preconditionFailed),
        (.put, [("If-None-Match", "*")], true, .preconditionFailed),
        (.put, [("If-None-Match", "*")], false, .proceed),
        (.get, [("If-Modified-Since", same)], true, .notModified),
        (.get, [("If-Modified-Since", later)], true, .notModified),
        (.get, [("If-Modified-Since", earlier)], true, .proceed),
        (.get, [("If-Modified-Since", "yesterday")], true, .proceed),
        (.get, [("If-Modified-Since", same), ("If-Modified-Since", same)], true, .proceed),
        (.get, [("If-Modified-Since", same)], false, .proceed),
        (.post, [("If-Modified-Since", same)], true, .proceed),
        (.get, [("If-None-Match", "\"v0\""), ("If-Modified-Since", same)], true, .proceed),
        (.get, [("If-Match", "\"v1\"")], true, .proceed),
        (.get, [("If-Match", "\"v0\"")], true, .preconditionFailed),
        (.get, [("If-Match", "W/\"v1\"")], true, .preconditionFailed),
        (.get, [("If-Match", "\"v0\", \"v1\"")], true, .proceed),
        (.get, [("If-Match", "*")], true, .proceed),
        (.put, [("If-Match", "*")], false, .preconditionFailed),
        (.put, [("If-Match", "\"v1\"")], false, .preconditionFailed),
        (.put, [("If-Match", "\"v1\"")], true, .proceed),
        (.delete, [("If-Match", "\"v0\"")], true, .preconditionFailed),
        (.get, [("If-Match", "garbage")], true, .preconditionFailed),
        (.get, [("If-Unmodified-Since", same)], true, .proceed),
        (.get, [("If-Unmodified-Since", later)], true, .proceed),
        (.put, [("If-Unmodified-Since", earlier)], true, .preconditionFailed),
        (.put, [("If-Unmodified-Since", "not a date")], true, .proceed),
        (.put, [("If-Unmodified-Since", earlier)], false, .proceed),
        (.put, [("If-Match", "\"v1\""), ("If-Unmodified-Since", earlier)], true, .proceed),
        (.get, [("If-Match", "\"v1\""), ("If-None-Match", "\"v1\"")], true, .notModified),
        (.get, [("If-Match", "\"v0\""), ("If-None-Match", "\"v1\"")], true, .preconditionFailed),
        (.get, [("If-Unmodified-Since", earlier), ("If-None-Match", "\"v1\"")], true, .preconditionFailed),
        (.options, [("If-Match", "\"v0\"")], true, .proceed),
        (.trace, [("If-None-Match", "*")], true, .proceed),
    ]

    @Test(arguments: rows.indices)
    func preconditionsAreEvaluatedInRFC9110Order(_ index: Int) {
        let row = Self.rows[index]
        let result = Conditional.evaluate(Headers(row.fields), method: row.method,
                                          current: row.exists ? Self.current : nil)
        #expect(result == row.expected, "\(row.method) \(row.fields) exists=\(row.exists)")
    }

    @Test func entityTagListsMayHoldCommasInsideTags() {
        let current = Validators(etag: EntityTag(opaque: "a,b"), lastModified: nil)
        #expect(Conditional.evaluate(["If-None-Match": "\"x\", \"a,b\""], method: .get, current: current)
            == .notModified)
        #expect(Conditional.evaluate(["If-None-Match": "\"a\", \"b\""], method: .get, current: current) == .proceed)
    }

    @Test(arguments: [
        (nil, true),
        ("\"v1\"", true),
        ("W/\"v1\"", false),
        ("\"v0\"", false),
        (same, true),
        (later, false),
        (earlier, false),
        ("garbage", false),
    ] as [(String?, Bool)])
    func ifRangeAllowsPartialOnlyOnAStrongMatch(_ ifRange: String?, _ allowed: Bool) {
        let headers = Headers(ifRange.map { [(name: "If-Range", value: $0)] } ?? [])
        #expect(Conditional.ifRangeAllowsPartial(headers, current: Self.current) == allowed)
    }

    @Test func ifRangeWithoutValidatorsNeverMatches() {
        let bare = Validators(etag: nil, lastModified: nil)
        #expect(!Conditional.ifRangeAllowsPartial(["If-Range": "\"v1\""], current: bare))
        #expect(!Conditional.ifRangeAllowsPartial(["If-Range": Self.same], current: bare))
        #expect(Conditional.ifRangeAllowsPartial([:], current: bare))
    }
}
