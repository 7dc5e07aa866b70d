#!/usr/bin/env bash
# webserv against nginx, lighttpd and h2o on 127.0.0.1, same docroot, servers in turn (issue 5, "Benchmarks").
#
#   bench/run.sh [--quick] [workload...]      default: every workload below, 3 rounds
#
# Workloads: 1k-ka50 1k-ka500 1k-close 10m 404 dirlist php py idle1k idle10k (and 100k, only when named).
# Environment: BENCH_ROUNDS, BENCH_DURATION (seconds per wrk run), BENCH_WARMUP (seconds),
#              WEBSERV_BIN (a prebuilt binary: skips the build), BENCH_PORT (first of four ports).
# Servers run on CPU 0 and the client on CPU 1 (taskset). Each measurement starts a fresh server, warms it
# up, runs wrk and reads the server's CPU time from /proc before and after; then the next server. The order of
# servers rotates each round so none always runs first or last on a machine whose load drifts.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
ROUNDS="${BENCH_ROUNDS:-3}"
DURATION="${BENCH_DURATION:-10}"
WARMUP="${BENCH_WARMUP:-2}"
PORT0="${BENCH_PORT:-18181}"
DEFAULT_WORKLOADS=(1k-ka50 1k-ka500 1k-close 10m 404 dirlist php py idle1k idle10k)
SERVERS=(webserv nginx lighttpd h2o)
PYTHON=/usr/bin/python3             # the system one: a pyenv shim would add its own start-up to every CGI hit
[[ -x $PYTHON ]] || PYTHON="$(command -v python3)"

workloads=()
for arg in "$@"; do
    case "$arg" in
        --quick) ROUNDS="${BENCH_ROUNDS:-1}"; DURATION="${BENCH_DURATION:-3}"; WARMUP="${BENCH_WARMUP:-1}" ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "bench: unknown option $arg" >&2; exit 2 ;;
        *) workloads+=("$arg") ;;
    esac
done
[[ ${#workloads[@]} -gt 0 ]] || workloads=("${DEFAULT_WORKLOADS[@]}")

say() { printf 'bench: %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------------------
# shellcheck source=servers.sh
source "$BENCH/servers.sh"
bench_install nginx:nginx lighttpd:lighttpd h2o:h2o wrk:wrk php-cgi:php-cgi taskset:util-linux || exit 1
export PATH="$PATH:/usr/sbin:/sbin"

# --- webserv ---------------------------------------------------------------------------------------------
# Always (re)build unless a binary is given: benchmarking a stale ./webserv would measure old code.
if [[ -n ${WEBSERV_BIN:-} ]]; then
    WEBSERV="$(realpath "$WEBSERV_BIN")"
else
    if [[ -f $ROOT/Makefile ]]; then
        make -C "$ROOT" all >&2
    else
        (cd "$ROOT" && swift build -c release --product webserv >&2 && cp .build/release/webserv ./webserv)
    fi
    WEBSERV="$ROOT/webserv"
fi
[[ -x $WEBSERV ]] || { say "no webserv binary at $WEBSERV"; exit 1; }

# 10,000 idle connections need more descriptors than the usual 1,024, in the servers and the client alike.
ulimit -n "$(ulimit -Hn)"
FDS="$(ulimit -n)"
[[ $FDS -gt 10100 ]] || say "warning: ulimit -n is $FDS; the 10,000-connection workload will fall short"

# --- fixtures and configs --------------------------------------------------------------------------------
bench_fixtures
TMP="$(mktemp -d /tmp/webserv-bench.XXXXXX)"
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS="$BENCH/results"
RAW="$RESULTS/$STAMP.tsv"
LOGS="$RESULTS/$STAMP-logs"
mkdir -p "$RESULTS" "$LOGS"
declare -A PORT=([webserv]=$PORT0 [nginx]=$((PORT0 + 1)) [lighttpd]=$((PORT0 + 2)) [h2o]=$((PORT0 + 3)))
PHP_CGI="$(command -v php-cgi)"
bench_configs

# --- starting and stopping servers (only the ones started here, by PID) ---------------------------------
SERVER_PID=""
start_server() {  # name -> SERVER_PID
    local name=$1 port=${PORT[$1]}
    "$PYTHON" "$BENCH/http_probe.py" free 127.0.0.1 "$port" 10 || { say "port $port is taken"; exit 1; }
    # shellcheck disable=SC2046
    taskset -c 0 $(server_command "$name") >>"$LOGS/$name.out" 2>&1 &
    SERVER_PID=$!
    if ! "$PYTHON" "$BENCH/http_probe.py" wait 127.0.0.1 "$port" 10; then
        say "$name did not start listening on $port (see $LOGS/$name.out)"; stop_server; return 1
    fi
}
stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
cleanup() { stop_server; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- workloads -------------------------------------------------------------------------------------------
# name -> "path connections [close]"; "close" sends every request with `Connection: close`.
declare -A WORKLOAD=(
    [1k-ka50]="/1k.bin 50"
    [1k-ka500]="/1k.bin 500"
    [1k-close]="/1k.bin 50 close"
    [100k]="/100k.bin 50"
    [10m]="/10m.bin 10"
    [404]="/no-such-file 50"
    [dirlist]="/dir/ 50"
    [php]="/cgi-bin/hello.php 10"
    [py]="/cgi-bin/hello.py 10"
)
run_wrk() {  # round workload server
    local round=$1 workload=$2 server=$3 port=${PORT[$3]} path conns close
    read -r path conns close <<<"${WORKLOAD[$workload]}"
    local url="http://127.0.0.1:$port$path" log="$LOGS/$workload-$server-r$round.txt" headers=()
    [[ $close == close ]] && headers=(-H "Connection: close")
    taskset -c 1 wrk -t1 -c "$conns" -d "${WARMUP}s" "${headers[@]}" "$url" >/dev/null 2>&1 || true
    local before after
    before=$("$PYTHON" "$BENCH/procstat.py" cpu "$SERVER_PID")
    taskset -c 1 wrk -t1 -c "$conns" -d "${DURATION}s" --timeout 5s --latency \
        -s "$BENCH/wrk-summary.lua" "${headers[@]}" "$url" >"$log" 2>&1 || true
    after=$("$PYTHON" "$BENCH/procstat.py" cpu "$SERVER_PID")
    "$PYTHON" "$BENCH/report.py" record "$RAW" "$round" "$workload" "$server" \
        --wrk "$log" --cpu-ticks $((after - before))
}

run_idle() {  # round workload server; idle10k holds 10,000 connections
    local round=$1 workload=$2 server=$3 log="$LOGS/$2-$3-r$1.txt" count=${2#idle}
    count=${count/k/000}
    taskset -c 1 "$PYTHON" "$BENCH/idle_client.py" --port "${PORT[$server]}" --pid "$SERVER_PID" \
        --count "$count" --timeout 120 >"$log" 2>&1 || true
    "$PYTHON" "$BENCH/report.py" record "$RAW" "$round" "$workload" "$server" --idle "$log"
}

declare -A CGI_BODY=([php]=$'hello from php\n' [py]=$'hello from python\n')

# CGI: nginx has none; webserv is measured only once its CGI answers with exactly the script's output (a 200
# carrying the script's source, or any other status, means CGI is not there yet).
cgi_missing() {  # workload server -> prints the reason, or nothing when CGI answers
    local workload=$1 server=$2 answer
    [[ $server == nginx ]] && { echo "nginx has no CGI"; return; }
    [[ $server == h2o ]] && { echo "h2o: CGI only through a FastCGI wrapper, not measured"; return; }
    answer=$("$PYTHON" "$BENCH/http_probe.py" get "http://127.0.0.1:${PORT[$server]}${WORKLOAD[$workload]%% *}" \
        "${CGI_BODY[$workload]}") || echo "CGI not answering (status ${answer%%$'\t'*}, not the script's output)"
}

measure() {  # round workload server
    local round=$1 workload=$2 server=$3 reason=""
    if ! start_server "$server"; then
        "$PYTHON" "$BENCH/report.py" record "$RAW" "$round" "$workload" "$server" --na "did not start"
        return
    fi
    case "$workload" in
        php|py) reason=$(cgi_missing "$workload" "$server") ;;
    esac
    if [[ -n $reason ]]; then
        "$PYTHON" "$BENCH/report.py" record "$RAW" "$round" "$workload" "$server" --na "$reason"
    elif [[ $workload == idle* ]]; then
        run_idle "$round" "$workload" "$server"
    else
        run_wrk "$round" "$workload" "$server"
    fi
    stop_server
}

for w in "${workloads[@]}"; do
    [[ -n ${WORKLOAD[$w]:-} || $w =~ ^idle[0-9]+k$ ]] || { say "unknown workload $w"; exit 2; }
done

# --- run -------------------------------------------------------------------------------------------------
first_line() { { "$@" 2>&1 || true; } | head -1; }   # version banners; some exit non-zero
versions="webserv $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
versions+=", $(first_line nginx -v | sed 's/^nginx version: //')"
versions+=", $(first_line lighttpd -v | cut -d' ' -f1)"
versions+=", $(first_line h2o -v | sed 's/ version /-/')"
versions+=", wrk $(first_line wrk -v | cut -d' ' -f2)"
versions+=", $(first_line "$PHP_CGI" -v | cut -d' ' -f1-2), $(first_line "$PYTHON" --version)"
machine="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r)"
"$PYTHON" "$BENCH/report.py" init "$RAW" "date=$(date -Iseconds)" "machine=$machine" "versions=$versions" \
    "runs=$ROUNDS round(s) × ${DURATION} s (+${WARMUP} s warm-up); servers on CPU 0, client on CPU 1"

say "results in $RAW; $ROUNDS round(s) of ${workloads[*]}"
for round in $(seq 1 "$ROUNDS"); do
    shift_by=$(((round - 1) % ${#SERVERS[@]}))
    order=("${SERVERS[@]:$shift_by}" "${SERVERS[@]:0:$shift_by}")
    for workload in "${workloads[@]}"; do
        for server in "${order[@]}"; do
            say "round $round/$ROUNDS: $workload on $server"
            measure "$round" "$workload" "$server"
        done
    done
done

"$PYTHON" "$BENCH/report.py" summarize "$RAW" | tee "$RESULTS/$STAMP.txt"
