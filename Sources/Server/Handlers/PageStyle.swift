/// The one look of every page the server writes itself (error pages, listings, upload results): a small
/// shared stylesheet, a viewport so phones render at their own width, and a footer that leads back home.
enum PageStyle {
    /// Kept inline and small: a built-in page must not depend on a file the site may not have.
    static let stylesheet = """
        body{font-family:system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222;\
        line-height:1.45}
        h1{font-size:1.4em;font-weight:600;word-break:break-all}
        a{color:#0645ad;text-decoration:none}a:hover{text-decoration:underline}
        table{border-collapse:collapse;width:100%}
        th,td{padding:.25em .75em;text-align:left;white-space:nowrap}
        th{border-bottom:1px solid #ccc}
        td:first-child{white-space:normal;word-break:break-all;width:100%}
        td:nth-child(3){text-align:right;font-variant-numeric:tabular-nums}
        tbody tr:hover{background:#f3f6fa}
        li{margin:.2em 0;word-break:break-all}
        footer{border-top:1px solid #ccc;margin-top:2em;padding-top:.5em;color:#777;font-size:.85em}

        """

    /// Everything up to and including `<body>`; `title` is text (escaped here).
    static func appendHead(title: String, to out: inout [UInt8]) {
        out.append(contentsOf: "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n".utf8)
        out.append(contentsOf: "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n".utf8)
        out.append(contentsOf: "<title>".utf8)
        HTMLEscaping.append(title, to: &out)
        out.append(contentsOf: "</title>\n<style>\n".utf8)
        out.append(contentsOf: stylesheet.utf8)
        out.append(contentsOf: "</style>\n</head>\n<body>\n".utf8)
    }

    /// The footer with its link back to the home page, and the end of the document.
    static func appendFooter(to out: inout [UInt8]) {
        out.append(contentsOf: "<footer><a href=\"/\">Home</a> · webserv</footer>\n</body>\n</html>\n".utf8)
    }
}
