-- Appends wrk's own totals as one machine-readable line, parsed by report.py.
-- Only done() is defined: a request() or response() hook would make wrk run Lua per request and slow the client.
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "WRKSTAT requests=%d bytes=%d duration_us=%d connect=%d read=%d write=%d status=%d timeout=%d" ..
      " p50_us=%d p99_us=%d max_us=%d\n",
      summary.requests, summary.bytes, summary.duration,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(99), latency.max))
end
