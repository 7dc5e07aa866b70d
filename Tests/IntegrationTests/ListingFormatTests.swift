import Foundation
import Testing

extension Integration {
    /// nginx's `autoindex_exact_size` and `autoindex_format`: one directory listed three ways.
    @Suite struct ListingFormats {
        static let config = """
            server {
                listen 127.0.0.1:@PORT@;
                root @ROOT@;
                location /exact/ { alias @ROOT@/list/; autoindex on; }
                location /rounded/ { alias @ROOT@/list/; autoindex on; autoindex_exact_size off; }
                location /json/ { alias @ROOT@/list/; autoindex on; autoindex_format json; }
            }
            """
        static let mtime = Date(timeIntervalSince1970: 1_700_000_000)
        static let date = "Tue, 14 Nov 2023 22:13:20 GMT"

        static func start() throws -> (TestSite, Webserv) {
            let site = try TestSite()
            try site.write("list/small.txt", "small")
            try site.write("list/big.bin", [UInt8](repeating: 7, count: 12_345))
            try site.write("list/mb.bin", [UInt8](repeating: 8, count: 1_572_864))
            try site.write("list/quo\"te.txt", "q\"\n")
            try site.write("list/.hidden", "not listed\n")
            try site.makeDirectory("list/sub")
            for name in ["small.txt", "big.bin", "mb.bin", "quo\"te.txt", "sub"] {
                try site.setModificationDate(mtime, of: "list/" + name)
            }
            return (site, try Webserv.start(config, site: site))
        }

        @Test func jsonFormatIsNginxsArrayWithoutHiddenFiles() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let response = try server.get("/json/")
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.text == """
                [
                { "name":"sub", "type":"directory", "mtime":"\(Self.date)" },
                { "name":"big.bin", "type":"file", "mtime":"\(Self.date)", "size":12345 },
                { "name":"mb.bin", "type":"file", "mtime":"\(Self.date)", "size":1572864 },
                { "name":"quo\\"te.txt", "type":"file", "mtime":"\(Self.date)", "size":3 },
                { "name":"small.txt", "type":"file", "mtime":"\(Self.date)", "size":5 }
                ]

                """)
            let parsed = try JSONSerialization.jsonObject(with: Data(response.body)) as? [[String: Any]]
            #expect(parsed?.map { $0["name"] as? String } == ["sub", "big.bin", "mb.bin", "quo\"te.txt", "small.txt"])
            let head = try server.get("/json/", method: "HEAD")
            #expect(head.header("Content-Length") == String(response.body.count))
            #expect(head.header("Content-Type") == "application/json")
        }

        @Test func sizesAreRoundedOnlyWhereExactSizeIsOff() throws {
            let (site, server) = try Self.start()
            defer { server.stop(); _ = site }
            let rounded = try server.get("/rounded/").text
            for (name, size) in [("big.bin", "12K"), ("mb.bin", "2M"), ("small.txt", "5")] {
                #expect(rounded.contains("\">\(name)</a></td><td>14-Nov-2023 22:13</td><td>\(size)</td></tr>"), "\(name)")
            }
            let exact = try server.get("/exact/").text
            for (name, size) in [("big.bin", "12345"), ("mb.bin", "1572864"), ("small.txt", "5")] {
                #expect(exact.contains("\">\(name)</a></td><td>14-Nov-2023 22:13</td><td>\(size)</td></tr>"), "\(name)")
            }
            // Each location keeps its own page although the directory is the same one.
            #expect(try server.get("/json/").header("Content-Type") == "application/json")
            #expect(try server.get("/exact/").header("Content-Type") == "text/html; charset=utf-8")
        }
    }
}
