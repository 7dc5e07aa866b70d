#!/usr/bin/env python3
"""Parsing and reporting for bench/soak.sh: each subcommand reads one tool's output and prints `metric<TAB>value`
lines, which soak.sh appends to the results TSV with the phase in front; `summary` turns that TSV and the RSS
series into the human summary with a verdict per check.

    soak_report.py siege OUT           siege's JSON summary (json_output = true)
    soak_report.py wrk OUT             the SOAKMIX line of bench/soak-mix.lua
    soak_report.py ab OUT              ab's totals
    soak_report.py probe TSV           the probe loop's samples: epoch code connect_s ttfb_s total_s curl_exit
    soak_report.py slow OUT CSV        slowhttptest's console output and its -g CSV
    soak_report.py rss SERIES PHASE    the RSS series of one phase: first, warm-up, end, max, slope
    soak_report.py summary TSV SERIES  the human summary
"""
import json
import re
import sys


def out(metric, value):
    print(f"{metric}\t{value}")


def siege(path):
    text = open(path, errors="replace").read()
    match = re.search(r"\{.*\}", text, re.S)
    if not match:
        out("siege_parsed", 0)
        return
    data = json.loads(match.group(0))
    out("siege_parsed", 1)
    for key in ("transactions", "availability", "elapsed_time", "transaction_rate", "response_time",
                "successful_transactions", "failed_transactions", "longest_transaction", "concurrency"):
        out(key, data.get(key, ""))


def wrk(path):
    text = open(path, errors="replace").read()
    match = re.search(r"^SOAKMIX (.*)$", text, re.M)
    if not match:
        out("wrk_parsed", 0)
        return
    out("wrk_parsed", 1)
    for pair in match.group(1).split():
        key, value = pair.split("=", 1)
        out(key, value)


def ab(path):
    text = open(path, errors="replace").read()
    fields = {"Complete requests": "complete", "Failed requests": "failed", "Non-2xx responses": "non2xx"}
    found = {name: 0 for name in fields.values()}
    for label, name in fields.items():
        match = re.search(rf"^{label}:\s+(\d+)", text, re.M)
        if match:
            found[name] = int(match.group(1))
    found["socket_error"] = 1 if re.search(r"^apr_\w+: ", text, re.M) else 0
    for name, value in found.items():
        out(name, value)


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def probe(path):
    totals, failures, codes, worst = [], 0, {}, None
    for line in open(path):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 6 or parts[0].startswith("#"):
            continue
        code, total, exit_code = parts[1], float(parts[4] or 0), parts[5]
        if worst is None or total > float(worst[4] or 0):
            worst = parts
        codes[code] = codes.get(code, 0) + 1
        if code != "200" or exit_code != "0":
            failures += 1
        totals.append(total)
    out("probes", len(totals))
    out("probe_failures", failures)
    out("probe_codes", ",".join(f"{c}:{n}" for c, n in sorted(codes.items())))
    if totals:
        out("probe_p50_ms", f"{percentile(totals, 50) * 1000:.1f}")
        out("probe_p99_ms", f"{percentile(totals, 99) * 1000:.1f}")
        out("probe_max_ms", f"{max(totals) * 1000:.1f}")
        out("probes_over_1s", sum(1 for t in totals if t >= 1.0))
    if worst is not None and len(worst) >= 8:
        out("probe_worst", f"{float(worst[4]) * 1000:.0f} ms (server CPU {worst[6]} ms, waiting for a CPU "
                           f"{worst[7]} ms meanwhile)")


def slow(console, csv):
    text = re.sub(r"\x1b\[[0-9;]*m", "", open(console, errors="replace").read())
    match = re.search(r"Exit status:\s*(.*)", text)
    out("slow_exit_status", match.group(1).strip() if match else "(none)")
    verdicts = re.findall(r"service available:\s*(\w+)", text)
    out("slow_console_ticks", len(verdicts))
    out("slow_console_unavailable_ticks", sum(1 for v in verdicts if v.upper() != "YES"))
    rows = []
    try:
        for line in open(csv):
            parts = line.strip().split(",")
            if len(parts) == 5 and parts[0].isdigit():
                rows.append([int(x) for x in parts])
    except OSError:
        pass
    out("slow_seconds", len(rows))
    out("slow_unavailable_seconds", sum(1 for r in rows if r[4] == 0))
    out("slow_max_connected", max((r[3] for r in rows), default=0))
    out("slow_max_closed", max((r[1] for r in rows), default=0))
    first_closed = next((r[0] for r in rows if r[1] > 0), "")
    out("slow_first_closed_second", first_closed)
    verdict = "YES" if rows and all(r[4] > 0 for r in rows) and not any(v.upper() != "YES" for v in verdicts) \
        else "NO"
    out("slow_service_available", verdict)


def read_series(path):
    rows = []
    for line in open(path):
        if line.startswith("#") or line.startswith("elapsed_s"):
            continue
        parts = line.rstrip("\n").split("\t")
        if len(parts) >= 6:
            rows.append({"t": float(parts[0]), "phase": parts[1], "rss": int(parts[2] or 0),
                         "fds": int(parts[3] or 0), "conns": int(parts[4] or 0), "cpu": float(parts[5] or 0)})
    return rows


def rss(series, phase):
    rows = [r for r in read_series(series) if r["phase"] == phase]
    out("rss_samples", len(rows))
    if not rows:
        return
    # Warm-up: the first fifth of the phase's samples (at least one) is discarded.
    skip = max(1, len(rows) // 5) if len(rows) > 2 else 0
    steady = rows[skip:] or rows
    out("rss_first_kb", rows[0]["rss"])
    out("rss_warm_kb", steady[0]["rss"])
    out("rss_end_kb", steady[-1]["rss"])
    out("rss_max_kb", max(r["rss"] for r in rows))
    out("fds_max", max(r["fds"] for r in rows))
    out("rss_min_after_warm_kb", min(r["rss"] for r in steady))
    out("rss_growth_after_warm_kb", steady[-1]["rss"] - steady[0]["rss"])
    if len(steady) >= 2:
        n = len(steady)
        mt = sum(r["t"] for r in steady) / n
        mr = sum(r["rss"] for r in steady) / n
        var = sum((r["t"] - mt) ** 2 for r in steady)
        slope = sum((r["t"] - mt) * (r["rss"] - mr) for r in steady) / var if var else 0.0
        out("rss_slope_kb_per_min", f"{slope * 60:.1f}")
    out("rss_series_kb", ",".join(str(r["rss"]) for r in rows))


def summary(tsv, series):
    meta, data = [], {}
    for line in open(tsv):
        line = line.rstrip("\n")
        if line.startswith("#"):
            meta.append(line[1:].strip())
            continue
        parts = line.split("\t")
        if len(parts) >= 3 and parts[0] != "phase":
            data.setdefault(parts[0], {})[parts[1]] = parts[2]
    lines, checks = ["webserv soak", *("  " + m for m in meta), ""], []

    def check(name, ok, detail):
        checks.append((name, ok, detail))

    def num(phase, key, default=float("nan")):
        try:
            return float(data.get(phase, {}).get(key, default))
        except ValueError:
            return default

    base = data.get("start", {})
    lines.append(f"start: RSS {base.get('rss_kb', '?')} KB, {base.get('fds', '?')} descriptors "
                 f"(baseline), max_connections {base.get('max_connections', '?')}")
    if "A" in data:
        a = data["A"]
        lines.append(f"A  siege -b -c {a.get('concurrency_asked', '?')} -t {a.get('time', '?')} on {a.get('url', '?')}:"
                     f" availability {a.get('availability', '?')} %, {a.get('transactions', '?')} transactions"
                     f" ({a.get('transaction_rate', '?')}/s), {a.get('failed_transactions', '?')} failed,"
                     f" longest {a.get('longest_transaction', '?')} s, mean {a.get('response_time', '?')} s")
        avail = num("A", "availability", 0)
        check("A availability >= 99.5 %", avail >= 99.5, f"{avail} %")
        check("A no failed transactions", num("A", "failed_transactions", 1) == 0,
              a.get("failed_transactions", "?"))
    if "B" in data:
        b = data["B"]
        lines.append(f"B  {b.get('requests_total', '?')} mixed requests ({b.get('wrk_requests', '?')} wrk mix in "
                     f"{b.get('chunks', '?')} chunks of {b.get('chunk_s', '?')} s + {b.get('head_requests', '?')} "
                     f"HEAD by ab) in {b.get('elapsed_s', '?')} s: 2xx {b.get('s2xx', '?')}, 404 {b.get('s404', '?')},"
                     f" other {b.get('other', '?')}, socket errors {b.get('socket_errors', '?')}, wrk p99 "
                     f"{b.get('p99_ms', '?')} ms, max {b.get('max_ms', '?')} ms; ab failed {b.get('head_failed', '?')}")
        lines.append(f"   RSS (10 s samples, KB): first {b.get('rss_first_kb', '?')}, after warm-up "
                     f"{b.get('rss_warm_kb', '?')}, end {b.get('rss_end_kb', '?')}, max {b.get('rss_max_kb', '?')},"
                     f" growth after warm-up {b.get('rss_growth_after_warm_kb', '?')} KB, slope "
                     f"{b.get('rss_slope_kb_per_min', '?')} KB/min")
        lines.append(f"   RSS after each chunk (KB): {b.get('rss_chunks_kb', '?')}")
        warm = num("B", "rss_warm_kb", 0)
        growth = num("B", "rss_growth_after_warm_kb", 1e9)
        chunk_growth = num("B", "rss_chunk_growth_kb", 1e9)
        allowed = max(1024.0, warm * 0.02)
        check("B RSS flat after warm-up (10 s series)", growth <= allowed,
              f"{growth:+.0f} KB (allowed {allowed:.0f})")
        check("B RSS flat after warm-up (per chunk)", chunk_growth <= allowed,
              f"{chunk_growth:+.0f} KB from chunk 1 to the last")
        check("B no unexpected statuses or socket errors",
              num("B", "other", 1) == 0 and num("B", "socket_errors", 1) == 0 and num("B", "head_failed", 1) == 0,
              f"other {b.get('other')}, socket errors {b.get('socket_errors')}, HEAD failed {b.get('head_failed')}")
    for mode in ("C-H", "C-B", "C-Bcgi", "C-X"):
        if mode not in data:
            continue
        c = data[mode]
        lines.append(f"{mode:6} slowhttptest {c.get('args', '')}: service available {c.get('slow_service_available')}"
                     f" ({c.get('slow_unavailable_seconds')} of {c.get('slow_seconds')} s unavailable), exit "
                     f"\"{c.get('slow_exit_status')}\", max connected {c.get('slow_max_connected')}, closed "
                     f"{c.get('slow_max_closed')} (first at {c.get('slow_first_closed_second') or '-'} s)")
        lines.append(f"       probe: {c.get('probes')} requests, {c.get('probe_failures')} failed, p50 "
                     f"{c.get('probe_p50_ms')} ms, p99 {c.get('probe_p99_ms')} ms, max {c.get('probe_max_ms')} ms;"
                     f" server RSS max {c.get('rss_max_kb', '?')} KB, fds max {c.get('fds_max', '?')}, CGI children"
                     f" max {c.get('children_max', '?')}; server CPU {c.get('server_cpu_ms', '?')} ms, waiting for a"
                     f" CPU {c.get('server_runqueue_wait_ms', '?')} ms")
        if "upload_files_left" in c:
            check(f"{mode} no upload left behind", c["upload_files_left"] == "0", f"{c['upload_files_left']} files")
        if c.get("probe_worst"):
            lines.append(f"       slowest probe: {c['probe_worst']}")
        check(f"{mode} slowhttptest: service available", c.get("slow_service_available") == "YES",
              f"{c.get('slow_unavailable_seconds')} s unavailable")
        check(f"{mode} probe: no failures, max < 1 s",
              num(mode, "probe_failures", 1) == 0 and num(mode, "probe_max_ms", 1e9) < 1000,
              f"{c.get('probe_failures')} failed, max {c.get('probe_max_ms')} ms")
    for phase, values in data.items():
        if "alive" in values:
            check(f"{phase} server alive afterwards", values["alive"] == "1", values.get("alive_status", ""))
        if "fds_after" in values:
            check(f"{phase} descriptors back to baseline", values.get("fds_back") == "1",
                  f"{values['fds_after']} vs {base.get('fds', '?')} after {values.get('fds_wait_s', '?')} s")
    lines.append("")
    for name, ok, detail in checks:
        lines.append(f"  {'PASS' if ok else 'FAIL'}  {name}: {detail}")
    failed = sum(1 for _, ok, _ in checks if not ok)
    lines.append("")
    lines.append(f"{len(checks) - failed}/{len(checks)} checks passed")
    print("\n".join(lines))
    return 1 if failed else 0


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    command, args = sys.argv[1], sys.argv[2:]
    handlers = {"siege": siege, "wrk": wrk, "ab": ab, "probe": probe, "slow": slow, "rss": rss, "summary": summary}
    if command not in handlers:
        print(__doc__, file=sys.stderr)
        return 2
    return handlers[command](*args) or 0


if __name__ == "__main__":
    sys.exit(main())
