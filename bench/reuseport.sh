#!/usr/bin/env bash
# One webserv instance against two sharing its port with `listen ... reuseport;` (issue 13), both started with
# scripts/cluster.sh, on the docroot of bench/run.sh, access logs off.
#
#   bench/reuseport.sh [workload...]     workloads: 1k-ka50 1k-close py (default: all three)
#
# Environment: BENCH_ROUNDS (default 3, one and two alternating), BENCH_DURATION (seconds per wrk run, 10),
# BENCH_PORT (default 18190), WEBSERV_BIN. Nothing is pinned: the instances and wrk (two threads) share the
# machine's cores, as they would in production on one machine. On a 2-core machine wrk takes about one core
# itself, so the second instance has little idle CPU to use: read the figures with that in mind.
# Prints req/s (median of rounds) and the servers' CPU µs per request, and writes bench/results/STAMP-reuseport.txt.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
ROUNDS="${BENCH_ROUNDS:-3}"
DURATION="${BENCH_DURATION:-10}"
PORT="${BENCH_PORT:-18190}"
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON="$(command -v python3)"
workloads=("$@")
[[ ${#workloads[@]} -gt 0 ]] || workloads=(1k-ka50 1k-close py)
declare -A WORKLOAD=([1k-ka50]="/1k.bin 50" [1k-close]="/1k.bin 50 close" [py]="/cgi-bin/hello.py 10")

BENCH_TAG=reuseport
# shellcheck source=servers.sh
source "$BENCH/servers.sh"
bench_install wrk:wrk || exit 1
if [[ -n ${WEBSERV_BIN:-} ]]; then WEBSERV="$(realpath "$WEBSERV_BIN")"; else make -C "$ROOT" all >&2; WEBSERV="$ROOT/webserv"; fi
bench_fixtures
ulimit -n "$(ulimit -Hn)"

TMP="$(mktemp -d /tmp/webserv-reuseport.XXXXXX)"
STAMP="$(date +%Y%m%d-%H%M%S)"
mkdir -p "$BENCH/results"
OUT="$BENCH/results/$STAMP-reuseport.txt"
cat >"$TMP/webserv.conf" <<CONF
access_log off;
error_log $TMP/error.log;
server {
    listen 127.0.0.1:$PORT reuseport;
    root $DOCROOT;
    keepalive_timeout 300s;
    location /cgi-bin/ { cgi .py $PYTHON; }
}
CONF
cluster() { CLUSTER_DIR="$TMP/run" WEBSERV_BIN="$WEBSERV" "$ROOT/scripts/cluster.sh" "$@"; }
cleanup() { cluster stop >/dev/null 2>&1 || true; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

cpu_ticks() {  # the running instances' CPU (their process trees), in clock ticks
    local total=0 pid
    for pid in $(cat "$TMP"/run/webserv.*.pid); do total=$((total + $("$PYTHON" "$BENCH/procstat.py" cpu "$pid"))); done
    echo "$total"
}

declare -A RPS CPU
for round in $(seq 1 "$ROUNDS"); do
    for instances in $( ((round % 2)) && echo "1 2" || echo "2 1"); do
        cluster start "$instances" "$TMP/webserv.conf" >/dev/null
        for workload in "${workloads[@]}"; do
            read -r path conns close <<<"${WORKLOAD[$workload]}"
            headers=()
            [[ ${close:-} == close ]] && headers=(-H "Connection: close")
            url="http://127.0.0.1:$PORT$path"
            wrk -t2 -c "$conns" -d 2s "${headers[@]}" "$url" >/dev/null 2>&1 || true
            before=$(cpu_ticks)
            line=$(wrk -t2 -c "$conns" -d "${DURATION}s" --timeout 5s -s "$BENCH/wrk-summary.lua" "${headers[@]}" "$url" \
                | grep '^WRKSTAT')
            after=$(cpu_ticks)
            requests=$(sed 's/.*requests=\([0-9]*\).*/\1/' <<<"$line")
            duration=$(sed 's/.*duration_us=\([0-9]*\).*/\1/' <<<"$line")
            errors=$(awk '{ n = 0; for (i = 5; i <= 9; i++) { split($i, kv, "="); n += kv[2] } print n }' <<<"$line")
            rps=$((requests * 1000000 / duration))
            cpu=$(( (after - before) * 1000000 / $(getconf CLK_TCK) * 100 / (requests > 0 ? requests : 1) ))
            RPS[$workload-$instances]+="$rps "
            CPU[$workload-$instances]+="$cpu "
            bench_say "$(printf 'round %s, %s instance(s), %s: %s req/s, %d.%02d CPU µs/req, %s errors' \
                "$round" "$instances" "$workload" "$rps" $((cpu / 100)) $((cpu % 100)) "$errors")"
        done
        cluster stop >/dev/null
    done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
{
    echo "# webserv $(git -C "$ROOT" describe --always --dirty 2>/dev/null), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "# $ROUNDS round(s) x ${DURATION} s, wrk -t2 and the instances unpinned; medians"
    printf '%-10s %14s %14s %7s %16s %16s\n' workload "1 inst req/s" "2 inst req/s" ratio "1 inst CPU µs" "2 inst CPU µs"
    for workload in "${workloads[@]}"; do
        one=$(median <<<"${RPS[$workload-1]}"); two=$(median <<<"${RPS[$workload-2]}")
        c1=$(median <<<"${CPU[$workload-1]}"); c2=$(median <<<"${CPU[$workload-2]}")
        printf '%-10s %14s %14s %6s× %13s.%02d %13s.%02d\n' "$workload" "$one" "$two" \
            "$(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.2f", a / b }')" $((c1 / 100)) $((c1 % 100)) $((c2 / 100)) $((c2 % 100))
    done
} | tee "$OUT"
