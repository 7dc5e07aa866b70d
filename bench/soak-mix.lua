-- wrk script for bench/soak.sh, phase B: rotates through a mix of requests and counts statuses per class.
-- soak.sh runs it in fixed-length chunks until about a million requests are done (wrk's main thread sleeps
-- the whole -d even when every thread has stopped, so a request budget cannot end a run early).
--
--   SOAK_CGI_EVERY  every Nth request of a thread goes to the python CGI (0: never)
--
-- No HEAD here: wrk 4.1's parser waits for the body a HEAD response announces and hangs the connection;
-- soak.sh sends its HEAD requests with ab -i alongside.
-- done() prints one line: SOAKMIX requests=... s2xx=... s404=... other=... errors... p50/p99/max.

local mix = {
   { "GET", "/index.html" },
   { "GET", "/100k.bin" },
   { "GET", "/missing-page.html" },                    -- 404
   { "GET", "/index.html" },
   { "GET", "/dir/" },                                 -- a 200-entry listing
   { "POST", "/post/page.html", "name=soak&n=1" },     -- POST to a static page: answered as a GET
   { "GET", "/1k.bin" },
   { "GET", "/100k.bin" },
   { "GET", "/no/such/dir/" },                         -- 404
   { "GET", "/index.html", nil, { ["Connection"] = "close" } },   -- a new connection each round
   { "GET", "/post/page.html" },
   { "GET", "/dir/file-007.txt" },
}
local cgi = { "GET", "/cgi-bin/hello.py?soak=1" }

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

local requests, cgi_every, seq = {}, 0, 0
-- Globals, not locals: done() reads them from each thread with thread:get().
s2xx, s404, other, responses = 0, 0, 0, 0

local function build(entry)
   local headers = entry[4] or {}
   local body = entry[3]
   if body then headers["Content-Type"] = "application/x-www-form-urlencoded" end
   return wrk.format(entry[1], entry[2], headers, body)
end

function init(args)
   cgi_every = tonumber(os.getenv("SOAK_CGI_EVERY") or "0")
   for i, entry in ipairs(mix) do requests[i] = build(entry) end
   requests.cgi = build(cgi)
end

function request()
   seq = seq + 1
   if cgi_every > 0 and seq % cgi_every == 0 then return requests.cgi end
   return requests[(seq % #mix) + 1]
end

function response(status, headers, body)
   responses = responses + 1
   if status >= 200 and status < 300 then
      s2xx = s2xx + 1
   elseif status == 404 then
      s404 = s404 + 1
   else
      other = other + 1
   end
end

function done(summary, latency, reqs)
   local a, b, c, n = 0, 0, 0, 0
   for _, t in ipairs(threads) do
      a = a + (t:get("s2xx") or 0)
      b = b + (t:get("s404") or 0)
      c = c + (t:get("other") or 0)
      n = n + (t:get("responses") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      "SOAKMIX requests=%d responses=%d s2xx=%d s404=%d other=%d connect=%d read=%d write=%d timeout=%d" ..
      " duration_us=%d p50_us=%d p99_us=%d max_us=%d\n",
      summary.requests, n, a, b, c, e.connect, e.read, e.write, e.timeout,
      summary.duration, latency:percentile(50), latency:percentile(99), latency.max))
end
