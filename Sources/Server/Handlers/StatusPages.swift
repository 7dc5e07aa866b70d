/// The pages of `stub_status` (nginx's text, byte for byte, so its exporters read it) and `cgi_status`
/// (JSON). Never cached: each answer is a fresh count.
enum StatusPages {
    static func response(_ page: Location.StatusPage, statistics: ServerStatistics, for request: RoutedRequest)
        -> Response
    {
        let census = statistics.census()
        let text: String
        let type: String
        switch page {
        case .stub:
            // The trailing spaces are nginx's.
            text = "Active connections: \(census.active) \nserver accepts handled requests\n"
                + " \(statistics.accepts) \(statistics.handled) \(statistics.requests(census)) \n"
                + "Reading: \(census.reading) Writing: \(census.writing) Waiting: \(census.waiting) \n"
            type = "text/plain"
        case .cgi:
            text = "{\"running\":\(census.cgiRunning),\"queued\":\(census.cgiQueued),\"limit\":\(census.cgiLimit)}\n"
            type = "application/json"
        }
        var response = Response(status: .ok, contentType: type, body: .bytes(Array(text.utf8)))
        response.headers.append(("Cache-Control", "no-cache"))
        return ErrorPages.headAware(response, for: request)
    }
}
