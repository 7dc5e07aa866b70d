#!/usr/bin/env python3
"""Turns raw benchmark output into a TSV and a table (stdlib only).

    report.py init RAW.tsv key=value...        start a results file: metadata lines, then the column header
    report.py record RAW.tsv ROUND WORKLOAD SERVER (--wrk LOG --cpu-ticks N | --idle LOG | --na REASON)
                                               append one run
    report.py summarize RAW.tsv                write RAW-summary.tsv (median, min, max per workload and
                                               server) and print the table with webserv's ratio to the
                                               better of nginx and lighttpd next to issue 5's targets, and
                                               its ratio to lighttpd and to h2o next to issue 11's
"""
import argparse
import os
import re
import statistics
import sys

COLUMNS = ["round", "workload", "server", "requests", "seconds", "req_per_s", "mib_per_s", "p50_ms", "p99_ms",
           "errors", "socket_errors", "status_errors", "cpu_s", "cpu_us_per_req",
           "conns", "answered", "held", "rss_before_kb", "rss_after_kb", "kb_per_conn", "open_s", "note"]
METRICS = COLUMNS[3:21]
SERVERS = ["webserv", "nginx", "lighttpd", "h2o"]
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Workloads where a 4xx is the expected answer: wrk counts every status >= 400 as an error.
EXPECTED_4XX = {"404"}

# Issue 5's targets: (workload, metric, better, threshold, peers, label). `better` says which direction wins;
# the ratio is webserv ÷ the best peer; "abs" compares webserv's own figure with the threshold.
TARGETS = [
    ("1k-ka50", "req_per_s", "higher", 0.95, ("nginx", "lighttpd"), "req/s ≥ 0.95×"),
    ("1k-ka50", "cpu_us_per_req", "lower", 1.0, ("nginx", "lighttpd"), "CPU/req ≤ 1.0×"),
    ("404", "req_per_s", "higher", 0.95, ("nginx", "lighttpd"), "req/s ≥ 0.95×"),
    ("404", "cpu_us_per_req", "lower", 1.0, ("nginx", "lighttpd"), "CPU/req ≤ 1.0×"),
    ("1k-ka500", "req_per_s", "higher", 1.0, ("nginx", "lighttpd"), "req/s ≥ 1.0×"),
    ("1k-ka500", "p99_ms", "lower", 1.0, ("nginx", "lighttpd"), "p99 ≤ 1.0×"),
    ("1k-close", "cpu_us_per_req", "lower", 1.0, ("nginx", "lighttpd"), "CPU/req ≤ 1.0×"),
    ("dirlist", "req_per_s", "higher", 1.0, ("nginx", "lighttpd"), "req/s ≥ 1.0×"),
    ("10m", "mib_per_s", "higher", 0.7, ("nginx", "lighttpd"), "MiB/s ≥ 0.7×"),
    ("php", "req_per_s", "higher", 1.0, ("lighttpd",), "req/s ≥ 1.0× lighttpd"),
    ("py", "req_per_s", "higher", 1.0, ("lighttpd",), "req/s ≥ 1.0× lighttpd"),
    ("idle1k", "kb_per_conn", "abs", 1.0, ("nginx", "lighttpd"), "≤ 1 KB/conn, all held"),
    ("idle10k", "kb_per_conn", "abs", 1.0, ("nginx", "lighttpd"), "≤ 1 KB/conn, all held"),
]

# Issue 11's comparison: webserv ÷ each of these C peers, one at a time, on small keep-alive requests.
# (workload, metric, better, threshold)
PEER_RATIOS = [
    ("1k-ka50", "req_per_s", "higher", 1.0),
    ("1k-ka50", "cpu_us_per_req", "lower", 1.0),
    ("404", "req_per_s", "higher", 1.0),
    ("404", "cpu_us_per_req", "lower", 1.0),
]
RATIO_PEERS = ["lighttpd", "h2o"]

FIGURE_NAMES = {"req_per_s": "req/s", "cpu_us_per_req": "CPU µs/req", "p99_ms": "p99 ms",
                "mib_per_s": "MiB/s", "kb_per_conn": "KB/conn"}


def key_values(path, tag):
    """The key=value pairs of the line starting with `tag` in a log (wrk's Lua summary, idle_client's)."""
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(tag):
                return {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.naninf]+)", line)}
    return None


def record(args):
    row = dict.fromkeys(COLUMNS, "")
    row.update(round=args.round, workload=args.workload, server=args.server)
    if args.na:
        row["note"] = args.na
    elif args.idle:
        s = key_values(args.idle, "IDLESTAT")
        if s is None:
            row["note"] = "idle client failed (see log)"
        else:
            row.update(conns=int(s["count"]), answered=int(s["answered"]), held=int(s["held"]),
                       rss_before_kb=int(s["rss_before_kb"]), rss_after_kb=int(s["rss_after_kb"]),
                       kb_per_conn=f"{s['kb_per_conn']:.3f}", open_s=f"{s['open_s']:.2f}")
            if s["held"] < s["count"]:
                row["note"] = f"{int(s['count'] - s['held'])} connections not held"
    else:
        s = key_values(args.wrk, "WRKSTAT")
        if s is None or s["requests"] == 0:
            row["note"] = "wrk failed or got no response (see log)"
        else:
            seconds = s["duration_us"] / 1e6
            socket_errors = int(s["connect"] + s["read"] + s["write"] + s["timeout"])
            status_errors = 0 if args.workload in EXPECTED_4XX else int(s["status"])
            cpu_s = args.cpu_ticks / CLK_TCK
            row.update(requests=int(s["requests"]), seconds=f"{seconds:.2f}",
                       req_per_s=f"{s['requests'] / seconds:.1f}",
                       mib_per_s=f"{s['bytes'] / seconds / 2**20:.2f}",
                       p50_ms=f"{s['p50_us'] / 1000:.3f}", p99_ms=f"{s['p99_us'] / 1000:.3f}",
                       errors=socket_errors + status_errors, socket_errors=socket_errors,
                       status_errors=status_errors, cpu_s=f"{cpu_s:.2f}",
                       cpu_us_per_req=f"{cpu_s * 1e6 / s['requests']:.2f}")
    with open(args.raw, "a") as f:
        f.write("\t".join(str(row[c]) for c in COLUMNS) + "\n")


def read_raw(path):
    meta, rows = {}, []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                key, _, value = line[1:].strip().partition("\t")
                meta[key] = value
            elif line.startswith("round\t"):
                continue
            elif line:
                rows.append(dict(zip(COLUMNS, line.split("\t"))))
    return meta, rows


def aggregate(rows):
    """{(workload, server): {metric: (median, min, max)} plus 'note'} over the rounds that produced figures."""
    groups = {}
    for row in rows:
        groups.setdefault((row["workload"], row["server"]), []).append(row)
    result = {}
    for key, group in groups.items():
        figures = {}
        for metric in METRICS:
            values = [float(r[metric]) for r in group if r[metric] not in ("", "nan")]
            if values:
                figures[metric] = (statistics.median(values), min(values), max(values))
        notes = sorted({r["note"] for r in group if r["note"]})
        figures["note"] = "; ".join(notes)
        figures["rounds"] = len(group)
        result[key] = figures
    return result


def short(value):
    """A compact number: 115000 -> 115k, 0.4321 -> 0.432."""
    if value != value:
        return "nan"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 1 else f"{value:.3f}"


def spread(figures, metric):
    if metric not in figures:
        return "n/a"
    median, low, high = figures[metric]
    if figures["rounds"] < 2 or low == high:
        return short(median)
    return f"{short(median)} [{short(low)}–{short(high)}]"


def median_of(figures, metric):
    return figures[metric][0] if figures and metric in figures else None


def header_line():
    return (f"{'workload':<9} {'server':<8} {'req/s':>20} {'MiB/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'errors':>6} {'CPU µs/req':>20}  note")


def load_line(workload, server, f):
    def med(metric, fmt=short):
        return fmt(f[metric][0]) if metric in f else "n/a"
    return (f"{workload:<9} {server:<8} {spread(f, 'req_per_s'):>20} {med('mib_per_s'):>7} {med('p50_ms'):>7} "
            f"{med('p99_ms'):>7} {med('errors', lambda x: str(int(x))):>6} {spread(f, 'cpu_us_per_req'):>20}"
            f"  {f['note']}").rstrip()


def idle_line(workload, server, f):
    held = f"{int(f['held'][0])}/{int(f['conns'][0])}" if "held" in f else "n/a"
    opened = f"{f['open_s'][0]:.1f}" if "open_s" in f else "n/a"
    rss = f"{int(f['rss_before_kb'][0])}→{int(f['rss_after_kb'][0])}" if "rss_after_kb" in f else "n/a"
    return (f"{workload:<9} {server:<8} {held:>12} {opened:>7} {rss:>21} {spread(f, 'kb_per_conn'):>20}"
            f"  {f['note']}").rstrip()


def summarize(args):
    meta, rows = read_raw(args.raw)
    agg = aggregate(rows)
    workloads = list(dict.fromkeys(r["workload"] for r in rows))
    out = []
    out.append(f"webserv bench · {meta.get('date', '?')} · {meta.get('machine', '?')}")
    out.append(f"versions: {meta.get('versions', '?')}")
    out.append(f"runs: {meta.get('runs', '?')} · medians over rounds, [min–max] where they differ")
    out.append("")
    if any(not w.startswith("idle") for w in workloads):
        out.append(header_line())
    for workload in workloads:
        if workload.startswith("idle"):
            continue
        for server in SERVERS:
            f = agg.get((workload, server))
            if f is not None:
                out.append(load_line(workload, server, f))
    idle = [w for w in workloads if w.startswith("idle")]
    if idle:
        out.append("")
        out.append(f"{'workload':<9} {'server':<8} {'held/asked':>12} {'open s':>7} {'RSS before→after KB':>21} "
                   f"{'KB per conn':>20}  note")
        for workload in idle:
            for server in SERVERS:
                f = agg.get((workload, server))
                if f is not None:
                    out.append(idle_line(workload, server, f))
    out.append("")
    out.append("targets (issue 5): webserv ÷ the better peer, medians")
    out.append(f"{'workload':<9} {'figure':<15} {'webserv':>9} {'better peer':>20} {'ratio':>7}  "
               f"{'target':<22} verdict")
    summary_rows = []
    for workload, metric, better, threshold, peers, label in TARGETS:
        if workload not in workloads:
            continue
        ours = median_of(agg.get((workload, "webserv")), metric)
        candidates = [(median_of(agg.get((workload, p)), metric), p) for p in peers]
        candidates = [(v, p) for v, p in candidates if v is not None]
        best = None
        if candidates:
            best = (max if better == "higher" else min)(candidates)
        ratio = ours / best[0] if ours is not None and best and best[0] else None
        if ours is None:
            verdict = "n/a"
        elif better == "abs":
            f = agg[(workload, "webserv")]
            all_held = "held" in f and f["held"][1] >= f["conns"][0]
            verdict = "ok" if ours <= threshold and all_held else "MISS"
        elif ratio is None:
            verdict = "n/a"
        elif better == "higher":
            verdict = "ok" if ratio >= threshold else "MISS"
        else:
            verdict = "ok" if ratio <= threshold else "MISS"
        name = FIGURE_NAMES[metric]
        peer_text = f"{short(best[0])} ({best[1]})" if best else "n/a"
        out.append(f"{workload:<9} {name:<15} {short(ours) if ours is not None else 'n/a':>9} {peer_text:>20} "
                   f"{f'{ratio:.2f}×' if ratio is not None else '—':>7}  {label:<22} {verdict}")

    peer_lines = []
    for workload, metric, better, threshold in PEER_RATIOS:
        if workload not in workloads:
            continue
        ours = median_of(agg.get((workload, "webserv")), metric)
        cells = []
        for peer in RATIO_PEERS:
            theirs = median_of(agg.get((workload, peer)), metric)
            if ours is None or not theirs:
                cells.append(f"{'n/a':>22}")
                continue
            ratio = ours / theirs
            ok = ratio >= threshold if better == "higher" else ratio <= threshold
            cells.append(f"{f'{ratio:.2f}× ({short(theirs)})':>17} {'ok' if ok else 'MISS':>4}")
        sign = "≥" if better == "higher" else "≤"
        peer_lines.append(f"{workload:<9} {FIGURE_NAMES[metric]:<15} "
                          f"{short(ours) if ours is not None else 'n/a':>9} {' '.join(cells)}  {sign} {threshold:.1f}×")
    if peer_lines:
        out.append("")
        out.append("issue 11: webserv ÷ lighttpd and ÷ h2o (the peer's median in brackets), medians")
        out.append(f"{'workload':<9} {'figure':<15} {'webserv':>9} {'÷ lighttpd':>22} {'÷ h2o':>22}  target")
        out.extend(peer_lines)

    for (workload, server), f in agg.items():
        for metric in METRICS:
            if metric in f:
                summary_rows.append([workload, server, metric, *(f"{x:.3f}" for x in f[metric])])
    summary_path = re.sub(r"\.tsv$", "", args.raw) + "-summary.tsv"
    with open(summary_path, "w") as s:
        for key, value in meta.items():
            s.write(f"# {key}\t{value}\n")
        s.write("workload\tserver\tmetric\tmedian\tmin\tmax\n")
        for r in summary_rows:
            s.write("\t".join(r) + "\n")
    print("\n".join(out))


def init(args):
    with open(args.raw, "w") as f:
        for pair in args.meta:
            key, _, value = pair.partition("=")
            f.write(f"# {key}\t{value}\n")
        f.write("\t".join(COLUMNS) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("init")
    p.add_argument("raw")
    p.add_argument("meta", nargs="*")
    p.set_defaults(run=init)
    p = sub.add_parser("record")
    p.add_argument("raw")
    p.add_argument("round")
    p.add_argument("workload")
    p.add_argument("server")
    p.add_argument("--wrk")
    p.add_argument("--cpu-ticks", type=int, default=0)
    p.add_argument("--idle")
    p.add_argument("--na")
    p.set_defaults(run=record)
    p = sub.add_parser("summarize")
    p.add_argument("raw")
    p.set_defaults(run=summarize)
    args = parser.parse_args()
    args.run(args)
