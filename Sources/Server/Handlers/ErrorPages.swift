/// The built-in HTML page for each error status the server sends.
public enum ErrorPages {
    /// The page for `status`. Pages of the standard statuses are built once and shared, since this runs on
    /// the error path of a server that may be under attack; a status with a non-standard reason phrase
    /// is built on each call.
    public static func defaultPage(for status: Status) -> [UInt8] {
        if let cached = cache[status.code], cached.status == status { return cached.page }
        return page(for: status)
    }

    private static let cache: [Int: (status: Status, page: [UInt8])] = {
        var pages: [Int: (status: Status, page: [UInt8])] = [:]
        for (code, status) in Status.known { pages[code] = (status, page(for: status)) }
        return pages
    }()

    /// One sentence for a visitor who does not know HTTP.
    static func explanation(for code: Int) -> String {
        switch code {
        case 300..<400: return "This page has moved."
        case 400: return "The server could not understand the request."
        case 401: return "This page needs you to sign in first."
        case 403: return "You do not have permission to see this page."
        case 404: return "The page you asked for is not here. Check the address, or go back to the home page."
        case 405: return "This kind of request is not allowed at this address."
        case 408: return "The request took too long to arrive, so the server stopped waiting."
        case 409: return "The request conflicts with the current state of the resource."
        case 411: return "The request needs a Content-Length header."
        case 412: return "A condition set by the request was not met."
        case 413: return "The request body is larger than this server accepts."
        case 414: return "The address is longer than this server accepts."
        case 415: return "The server does not accept this type of content here."
        case 416: return "The requested range lies outside the resource."
        case 431: return "The request headers are larger than this server accepts."
        case 500: return "Something went wrong on the server. Please try again later."
        case 501: return "The server does not support this request method."
        case 502: return "The server got an invalid answer from the program that builds this page."
        case 503: return "The server is busy right now. Please try again in a moment."
        case 504: return "The program that builds this page did not answer in time."
        case 505: return "The server does not support this version of HTTP."
        case 507: return "The server has no room left to store this."
        default:
            return code >= 500 ? "The server could not complete the request."
                : "The server could not handle the request as sent."
        }
    }

    /// The page for `status`, saying `explanation` (the standard sentence when nil).
    static func page(for status: Status, explanation: String? = nil) -> [UInt8] {
        var title: [UInt8] = Array(String(status.code).utf8)
        title.append(UInt8(ascii: " "))
        HTMLEscaping.append(status.reason, to: &title)
        var out: [UInt8] = []
        out.reserveCapacity(640)
        out.append(contentsOf: "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n".utf8)
        out.append(contentsOf: "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n".utf8)
        out.append(contentsOf: "<title>".utf8)
        out.append(contentsOf: title)
        out.append(contentsOf: "</title>\n<style>".utf8)
        out.append(contentsOf: "body{font-family:system-ui,sans-serif;margin:4em auto;max-width:40em;padding:0 1em;"
            .utf8)
        out.append(contentsOf: "color:#222;text-align:center}h1{font-weight:600}hr{border:0;border-top:1px solid #ccc}"
            .utf8)
        out.append(contentsOf: "center{color:#777;font-size:.85em}</style>\n</head>\n<body>\n<h1>".utf8)
        out.append(contentsOf: title)
        out.append(contentsOf: "</h1>\n<p>".utf8)
        if let explanation {
            HTMLEscaping.append(explanation, to: &out)
        } else {
            out.append(contentsOf: Self.explanation(for: status.code).utf8)
        }
        out.append(contentsOf: "</p>\n<hr><center>webserv</center>\n</body>\n</html>\n".utf8)
        return out
    }
}
