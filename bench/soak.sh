#!/usr/bin/env bash
# Soak and slow-client tests of webserv on 127.0.0.1 (`make soak`; minutes, never part of `make test`).
#
#   bench/soak.sh [--quick] [A] [B] [C]     default: all three phases
#
#   A  siege -b -c 50 -t 5M on a small page: availability (the brief's evaluators ask >= 99.5 %),
#      transactions, failed, longest.
#   B  about a million mixed requests (wrk + bench/soak-mix.lua: small files, 100 KiB file, 404s, a listing,
#      POST to a static page, Connection: close, a python CGI now and then; HEAD by ab alongside), in chunks,
#      with the server's VmRSS sampled every 10 s: RSS after warm-up vs at the end must not grow.
#   C  slowhttptest in slow-header (-H), slow-body (-B: into an upload store, and into the python CGI with
#      fewer connections) and slow-read (-X) modes, each bounded, while a probe (curl every 0.5 s, --max-time 5)
#      measures what a normal client gets.
#   After each phase: the server is alive and its descriptor count is back to the baseline.
#
# --quick: every phase shortened (siege 30 s, 100,000 requests, 200 slow connections for 20 s): checks the
# harness. Environment: WEBSERV_BIN (a prebuilt binary: skips the build), SOAK_PORT (18281),
# SOAK_SIEGE_TIME (5M), SOAK_SIEGE_CONC (50), SOAK_REQUESTS (1000000), SOAK_CHUNK_S (15), SOAK_CGI_EVERY (500),
# SOAK_SLOW_CONNS (1000), SOAK_SLOW_CGI_CONNS (200), SOAK_SLOW_RATE (200), SOAK_SLOW_LEN (90 s: past the 60 s header timeout),
# SOAK_MAX_CONNECTIONS (unset: the server's default, from its descriptor limit), SOAK_SAMPLE_S (10).
# Results: bench/results/soak-STAMP.{tsv,txt}, soak-STAMP-rss.tsv (the 10 s series), soak-STAMP-logs/.
# Exit status: 0 when every check passed, 1 otherwise.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
PORT="${SOAK_PORT:-18281}"
SIEGE_TIME="${SOAK_SIEGE_TIME:-5M}"
SIEGE_CONC="${SOAK_SIEGE_CONC:-50}"
REQUESTS="${SOAK_REQUESTS:-1000000}"
CHUNK_S="${SOAK_CHUNK_S:-15}"
CGI_EVERY="${SOAK_CGI_EVERY:-500}"
SLOW_CONNS="${SOAK_SLOW_CONNS:-1000}"
SLOW_CGI_CONNS="${SOAK_SLOW_CGI_CONNS:-200}"
SLOW_RATE="${SOAK_SLOW_RATE:-200}"
SLOW_LEN="${SOAK_SLOW_LEN:-90}"
SAMPLE_S="${SOAK_SAMPLE_S:-10}"
FD_WAIT_S=30                      # how long descriptors may take to come back after a phase
B_MAX_S=1200                      # phase B stops after this long whatever the count
PYTHON=/usr/bin/python3           # the system one: a pyenv shim would add its own start-up to every CGI hit
[[ -x $PYTHON ]] || PYTHON="$(command -v python3)"

phases=()
for arg in "$@"; do
    case "$arg" in
        --quick) SIEGE_TIME="${SOAK_SIEGE_TIME:-30S}"; REQUESTS="${SOAK_REQUESTS:-100000}"
                 SLOW_CONNS="${SOAK_SLOW_CONNS:-200}"; SLOW_CGI_CONNS="${SOAK_SLOW_CGI_CONNS:-50}"; SLOW_LEN="${SOAK_SLOW_LEN:-20}"; CHUNK_S="${SOAK_CHUNK_S:-5}"
                 SAMPLE_S="${SOAK_SAMPLE_S:-5}" ;;
        A|B|C) phases+=("$arg") ;;
        -h|--help) sed -n '2,/^set /p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "soak: unknown argument $arg" >&2; exit 2 ;;
    esac
done
[[ ${#phases[@]} -gt 0 ]] || phases=(A B C)

say() { printf 'soak: %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------------------
install_missing() {
    local missing=()
    command -v siege        >/dev/null || missing+=(siege)
    command -v slowhttptest >/dev/null || missing+=(slowhttptest)
    command -v wrk          >/dev/null || missing+=(wrk)
    command -v ab           >/dev/null || missing+=(apache2-utils)
    command -v curl         >/dev/null || missing+=(curl)
    command -v ss           >/dev/null || missing+=(iproute2)
    [[ ${#missing[@]} -eq 0 ]] && return
    if [[ $(id -u) -ne 0 ]]; then
        say "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"; exit 1
    fi
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}
install_missing

# --- webserv: a private copy, so a rebuild of ./webserv during the run changes nothing ---------------------
if [[ -n ${WEBSERV_BIN:-} ]]; then
    SOURCE_BIN="$(realpath "$WEBSERV_BIN")"
else
    make -C "$ROOT" all >&2
    SOURCE_BIN="$ROOT/webserv"
fi
[[ -x $SOURCE_BIN ]] || { say "no webserv binary at $SOURCE_BIN"; exit 1; }

# 1,000 slow connections need more descriptors than the usual 1,024, in slowhttptest and the server alike.
ulimit -n "$(ulimit -Hn)"

TMP="$(mktemp -d /tmp/webserv-soak.XXXXXX)"
cp "$SOURCE_BIN" "$TMP/webserv"
WEBSERV="$TMP/webserv"
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS="$BENCH/results"
TSV="$RESULTS/soak-$STAMP.tsv"
SERIES="$RESULTS/soak-$STAMP-rss.tsv"
SUMMARY="$RESULTS/soak-$STAMP.txt"
LOGS="$RESULTS/soak-$STAMP-logs"
mkdir -p "$LOGS"
BASE="http://127.0.0.1:$PORT"

# --- docroot and config ----------------------------------------------------------------------------------
DOCROOT="$TMP/www"
mkdir -p "$DOCROOT/dir" "$DOCROOT/cgi-bin" "$DOCROOT/post" "$DOCROOT/upload" "$TMP/uploads"
echo '<!doctype html><title>soak</title><p>webserv soak page' >"$DOCROOT/index.html"
cp "$DOCROOT/index.html" "$DOCROOT/post/page.html"
head -c 1024   /dev/urandom >"$DOCROOT/1k.bin"
head -c 102400 /dev/urandom >"$DOCROOT/100k.bin"
for i in $(seq -w 1 200); do printf 'entry %s\n' "$i" >"$DOCROOT/dir/file-$i.txt"; done
cat >"$DOCROOT/cgi-bin/hello.py" <<'EOF'
import os, sys
sys.stdin.read(int(os.environ.get("CONTENT_LENGTH") or 0))
sys.stdout.write("Content-Type: text/plain\r\n\r\nhello from python " + os.environ.get("QUERY_STRING", "") + "\n")
EOF

write_config() {  # with or without the log directives, which a build may not know yet
    {
        if [[ $1 == logs ]]; then
            echo "access_log off;"
            echo "error_log $LOGS/webserv-error.log;"
        fi
        [[ -n ${SOAK_MAX_CONNECTIONS:-} ]] && echo "max_connections $SOAK_MAX_CONNECTIONS;"
        cat <<EOF
server {
    listen 127.0.0.1:$PORT;
    root $DOCROOT;
    location /dir/ { autoindex on; }
    location /post/ { allow_methods GET HEAD POST; }
    location /upload/ { allow_methods GET POST; upload_store $TMP/uploads; }
    location /cgi-bin/ { allow_methods GET HEAD POST; cgi .py $PYTHON; }
}
EOF
    } >"$TMP/webserv.conf"
}
write_config logs
if ! "$WEBSERV" -t "$TMP/webserv.conf" >"$LOGS/config-check.txt" 2>&1; then
    say "config rejected with access_log/error_log ($(head -1 "$LOGS/config-check.txt")); without them"
    write_config plain
    "$WEBSERV" -t "$TMP/webserv.conf" >&2 || { say "config rejected"; exit 1; }
fi
cp "$TMP/webserv.conf" "$LOGS/webserv.conf"

# --- server, sampler, helpers (only processes started here are stopped, by PID) -----------------------------
SERVER_PID="" SAMPLER_PID="" PROBE_PID=""
start_server() {
    "$PYTHON" "$BENCH/http_probe.py" free 127.0.0.1 "$PORT" 10 || { say "port $PORT is taken"; exit 1; }
    "$WEBSERV" "$TMP/webserv.conf" >>"$LOGS/webserv.out" 2>&1 &
    SERVER_PID=$!
    "$PYTHON" "$BENCH/http_probe.py" wait 127.0.0.1 "$PORT" 10 || { say "webserv did not start (see $LOGS)"; exit 1; }
}
stop_pid() {  # pid: TERM, up to 5 s, then KILL
    local pid=$1
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    touch "$TMP/stop" 2>/dev/null || true
    stop_pid "$PROBE_PID"; stop_pid "$SAMPLER_PID"; stop_pid "$SERVER_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$TSV"; }         # phase metric value
record_lines() { local phase=$1; while IFS=$'\t' read -r k v; do record "$phase" "$k" "$v"; done; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo 0; }
fd_count() { find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz}' \
              "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }
conn_count() { ss -Htn state established "( sport = :$PORT )" 2>/dev/null | wc -l; }
set_phase() { echo "$1" >"$TMP/phase"; }

sampler() {  # every SAMPLE_S: elapsed phase rss fds connections cpu; ends with the server or the run
    local start=$SECONDS
    printf 'elapsed_s\tphase\trss_kb\tfds\testablished\tcpu_s\tload1\tchildren\tchildren_rss_kb\n' >"$SERIES"
    while kill -0 "$SERVER_PID" 2>/dev/null && [[ ! -e $TMP/stop ]] && ((SECONDS - start < 4 * 3600)); do
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$((SECONDS - start))" "$(cat "$TMP/phase")" "$(rss_kb)" \
            "$(fd_count)" "$(conn_count)" "$(cpu_s)" "$(cut -d' ' -f1 /proc/loadavg)" \
            "$(ps --ppid "$SERVER_PID" -o rss= 2>/dev/null | awk '{n++; s += $1} END {print n + 0 "\t" s + 0}')" >>"$SERIES"
        sleep "$SAMPLE_S"
    done
}

check_after() {  # phase: alive? descriptors back to the baseline within FD_WAIT_S?
    local phase=$1 status waited=0 fds
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        status=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$BASE/index.html" || true)
        record "$phase" alive "$([[ $status == 200 ]] && echo 1 || echo 0)"
        record "$phase" alive_status "GET /index.html -> $status"
    else
        record "$phase" alive 0
        record "$phase" alive_status "process $SERVER_PID gone: $(tail -3 "$LOGS/webserv.out" | tr '\n' ' ')"
        say "webserv died during phase $phase (see $LOGS/webserv.out)"
        return 0
    fi
    fds=$(fd_count)
    while ((fds != BASE_FDS && waited < FD_WAIT_S * 2)); do sleep 0.5; waited=$((waited + 1)); fds=$(fd_count); done
    record "$phase" fds_after "$fds"
    record "$phase" fds_wait_s "$((waited / 2))"
    record "$phase" fds_back "$([[ $fds == "$BASE_FDS" ]] && echo 1 || echo 0)"
    if [[ $fds != "$BASE_FDS" ]]; then
        ls -l "/proc/$SERVER_PID/fd" >"$LOGS/fds-after-$phase.txt" 2>&1 || true
        say "phase $phase: $fds descriptors, baseline $BASE_FDS (list in $LOGS/fds-after-$phase.txt)"
    fi
    record "$phase" rss_after_kb "$(rss_kb)"
    say "phase $phase done: alive, $fds descriptors (baseline $BASE_FDS), RSS $(rss_kb) KB"
}

# --- start -----------------------------------------------------------------------------------------------
first_line() { { "$@" 2>&1 || true; } | head -1; }
versions="webserv $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown) (binary of $(date -r "$SOURCE_BIN" '+%F %T'))"
versions+=", $(first_line siege -V), $(first_line wrk -v | cut -d' ' -f1-2), $(first_line ab -V | cut -d' ' -f4-5)"
versions+=", slowhttptest $(dpkg-query -W -f '${Version}' slowhttptest 2>/dev/null || echo '?')"
{
    echo "# date=$(date -Iseconds)"
    echo "# machine=$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r)"
    echo "# versions=$versions"
    echo "# load at start: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine)"
    echo "# descriptors: ulimit -n $(ulimit -n) (hard $(ulimit -Hn))"
    printf 'phase\tmetric\tvalue\n'
} >"$TSV"

set_phase start
start_server
# Warm-up: one of each kind, so lazily opened things (logs, caches) are counted in the baseline.
for path in /index.html /1k.bin /100k.bin /dir/ /missing /cgi-bin/hello.py /post/page.html; do
    curl -s -o /dev/null --max-time 10 "$BASE$path" || true
done
sleep 2
BASE_FDS=$(fd_count)
record start rss_kb "$(rss_kb)"
record start fds "$BASE_FDS"
record start max_connections "${SOAK_MAX_CONNECTIONS:-default ((fd limit - 32) / 2)}"
record start load "$(cut -d' ' -f1-3 /proc/loadavg)"
ls -l "/proc/$SERVER_PID/fd" >"$LOGS/fds-baseline.txt" 2>&1 || true
say "webserv $SERVER_PID on $BASE: $BASE_FDS descriptors, RSS $(rss_kb) KB; results in $RESULTS/soak-$STAMP.*"
sampler &
SAMPLER_PID=$!

# --- A: siege -b ------------------------------------------------------------------------------------------
phase_a() {
    set_phase A
    record A load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
    # The stock siegerc (connection = close, json_output = true) with the per-transaction lines off.
    grep -v '^\s*#' /etc/siege/siegerc | grep -v '^\s*$' | grep -v -E '^(verbose|show-logfile|logging) ' \
        >"$TMP/siegerc" || true
    printf 'verbose = false\nshow-logfile = false\nlogging = false\n' >>"$TMP/siegerc"
    local seconds=${SIEGE_TIME%[SMH]} unit=${SIEGE_TIME: -1}
    case "$unit" in M) seconds=$((seconds * 60)) ;; H) seconds=$((seconds * 3600)) ;; esac
    record A url "$BASE/index.html"
    record A concurrency_asked "$SIEGE_CONC"
    record A time "$SIEGE_TIME"
    say "A: siege -b -c $SIEGE_CONC -t $SIEGE_TIME $BASE/index.html"
    timeout $((seconds + 120)) siege -R "$TMP/siegerc" -b -q -c "$SIEGE_CONC" -t "$SIEGE_TIME" "$BASE/index.html" \
        >"$LOGS/siege.out" 2>"$LOGS/siege.err" || record A siege_exit "$?"
    "$PYTHON" "$BENCH/soak_report.py" siege "$LOGS/siege.out" | record_lines A
    record A siege_error_lines "$(grep -c -i -E 'error|fail' "$LOGS/siege.err" || true)"
    record A load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
    check_after A
}

# --- B: a million mixed requests, RSS sampled -------------------------------------------------------------
phase_b() {
    set_phase B
    record B load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
    local total=0 wrk_total=0 head_total=0 head_failed=0 s2xx=0 s404=0 other=0 errors=0 chunk=0 start=$SECONDS
    local worst_p99=0 worst_max=0 chunk_rss=() line
    local head_per_chunk=$((REQUESTS / 100 / 2 * 2))   # about 1 % HEAD, half on each file
    ((head_per_chunk >= 2)) || head_per_chunk=2
    say "B: about $REQUESTS mixed requests in chunks of $CHUNK_S s (wrk -t2 -c50 + ab -i HEAD)"
    while ((total < REQUESTS && SECONDS - start < B_MAX_S)); do
        chunk=$((chunk + 1))
        (   # HEAD alongside: wrk 4.1 waits for the body a HEAD response announces, so ab sends these.
            ab -i -k -c 2 -n $((head_per_chunk / 2)) "$BASE/index.html" >"$LOGS/ab-$chunk-index.txt" 2>&1 || true
            ab -i -k -c 2 -n $((head_per_chunk / 2)) "$BASE/100k.bin" >"$LOGS/ab-$chunk-100k.txt" 2>&1 || true
        ) &
        local ab_pid=$!
        SOAK_CGI_EVERY=$CGI_EVERY timeout $((CHUNK_S + 60)) wrk -t2 -c50 -d "${CHUNK_S}s" --timeout 5s \
            -s "$BENCH/soak-mix.lua" "$BASE/" >"$LOGS/wrk-$chunk.txt" 2>&1 || true
        wait "$ab_pid" || true
        declare -A w=()
        while IFS=$'\t' read -r k v; do w[$k]=$v; done < <("$PYTHON" "$BENCH/soak_report.py" wrk "$LOGS/wrk-$chunk.txt")
        if [[ ${w[wrk_parsed]:-0} != 1 ]]; then
            say "B: chunk $chunk: no wrk summary (see $LOGS/wrk-$chunk.txt)"; errors=$((errors + 1))
        else
            wrk_total=$((wrk_total + ${w[requests]}))
            s2xx=$((s2xx + ${w[s2xx]})); s404=$((s404 + ${w[s404]})); other=$((other + ${w[other]}))
            errors=$((errors + ${w[connect]} + ${w[read]} + ${w[write]} + ${w[timeout]}))
            ((${w[p99_us]} > worst_p99)) && worst_p99=${w[p99_us]}
            ((${w[max_us]} > worst_max)) && worst_max=${w[max_us]}
        fi
        for f in "$LOGS/ab-$chunk-index.txt" "$LOGS/ab-$chunk-100k.txt"; do
            declare -A a=()
            while IFS=$'\t' read -r k v; do a[$k]=$v; done < <("$PYTHON" "$BENCH/soak_report.py" ab "$f")
            head_total=$((head_total + ${a[complete]:-0}))
            head_failed=$((head_failed + ${a[failed]:-0} + ${a[non2xx]:-0} + ${a[socket_error]:-0}))
            unset a
        done
        total=$((wrk_total + head_total))
        sleep 1
        chunk_rss+=("$(rss_kb)")
        printf '%s\t%s\t%s\t%s\t%s\n' "$chunk" "$total" "${chunk_rss[-1]}" "$(fd_count)" "$(cut -d' ' -f1 /proc/loadavg)" \
            >>"$LOGS/chunks.tsv"
        say "B: chunk $chunk: ${w[requests]:-?} wrk requests, $total in all, RSS ${chunk_rss[-1]} KB, $(fd_count) fds"
        unset w
        kill -0 "$SERVER_PID" 2>/dev/null || break
    done
    record B requests_total "$total"
    record B wrk_requests "$wrk_total"
    record B head_requests "$head_total"
    record B head_failed "$head_failed"
    record B chunks "$chunk"
    record B chunk_s "$CHUNK_S"
    record B cgi_every "$CGI_EVERY"
    record B elapsed_s "$((SECONDS - start))"
    record B s2xx "$s2xx"; record B s404 "$s404"; record B other "$other"; record B socket_errors "$errors"
    record B p99_ms "$(awk -v u="$worst_p99" 'BEGIN {printf "%.1f", u / 1000}')"
    record B max_ms "$(awk -v u="$worst_max" 'BEGIN {printf "%.1f", u / 1000}')"
    record B rss_chunks_kb "$(IFS=,; echo "${chunk_rss[*]}")"
    record B rss_chunk_growth_kb "$((chunk_rss[-1] - chunk_rss[0]))"
    "$PYTHON" "$BENCH/soak_report.py" rss "$SERIES" B | record_lines B
    record B load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
    check_after B
}

# --- C: slowhttptest while a probe measures a normal client ------------------------------------------------
probe_loop() {  # out: every 0.5 s one GET, --max-time 5; until the stop file or a bound
    # Columns: epoch code connect_s ttfb_s total_s curl_exit, then the server's CPU ms and its ms runnable but
    # waiting for a CPU while the probe ran (schedstat): a slow probe with a long wait was the machine's load.
    local out=$1 deadline=$((SECONDS + SLOW_LEN + 120)) line rc before after
    while [[ ! -e $TMP/stop-probe ]] && ((SECONDS < deadline)); do
        rc=0
        before=$(cat "/proc/$SERVER_PID/schedstat" 2>/dev/null || echo "0 0 0")
        line=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}\t%{time_connect}\t%{time_starttransfer}\t%{time_total}' \
            "$BASE/index.html") || rc=$?
        after=$(cat "/proc/$SERVER_PID/schedstat" 2>/dev/null || echo "0 0 0")
        printf '%s\t%s\t%s\t%s\n' "$(date +%s.%N)" "$line" "$rc" "$(awk -v a="$before" -v b="$after" \
            'BEGIN {split(a, x); split(b, y); printf "%.1f\t%.1f", (y[1] - x[1]) / 1e6, (y[2] - x[2]) / 1e6}')" >>"$out"
        sleep 0.5
    done
}

phase_c_mode() {  # mode (H B X)
    local mode=$1 phase="C-$1" args
    case "$mode" in
        H) args=(-H -c "$SLOW_CONNS" -r "$SLOW_RATE" -l "$SLOW_LEN" -i 10 -u "$BASE/index.html") ;;
        # Slow body into an upload store: the server must read the body (a POST to a static page sent with
        # `Connection: close`, as slowhttptest sends it, is answered at once and closed, which tests nothing).
        B) args=(-B -c "$SLOW_CONNS" -r "$SLOW_RATE" -l "$SLOW_LEN" -i 10 -s 8192 -u "$BASE/upload/") ;;
        # A CGI's body is spooled to a temporary file before the script starts: a slow body holds a socket
        # and a file, not an interpreter. (Before that change each one held a python; hence the smaller
        # default count, kept so runs compare.)
        Bcgi) args=(-B -c "$SLOW_CGI_CONNS" -r "$SLOW_RATE" -l "$SLOW_LEN" -i 10 -s 8192 -u "$BASE/cgi-bin/hello.py") ;;
        X) args=(-X -c "$SLOW_CONNS" -r "$SLOW_RATE" -l "$SLOW_LEN" -k 3 -n 1 -w 1 -y 512 -z 32 -u "$BASE/100k.bin") ;;
    esac
    set_phase "$phase"
    record "$phase" load_before "$(cut -d' ' -f1-3 /proc/loadavg)"
    record "$phase" args "${args[*]} -p 5"
    say "$phase: slowhttptest ${args[*]} -p 5, probe every 0.5 s"
    rm -f "$TMP/stop-probe"
    probe_loop "$LOGS/probe-$mode.tsv" &
    PROBE_PID=$!
    sleep 2   # a few probes before the attack, for comparison
    local before after
    before=$(cat "/proc/$SERVER_PID/schedstat" 2>/dev/null || echo "0 0 0")
    timeout $((SLOW_LEN + 60)) slowhttptest "${args[@]}" -p 5 -g -o "$LOGS/slowhttptest-$mode" \
        >"$LOGS/slowhttptest-$mode.out" 2>&1 || record "$phase" slow_exit "$?"
    after=$(cat "/proc/$SERVER_PID/schedstat" 2>/dev/null || echo "0 0 0")
    sleep 2
    touch "$TMP/stop-probe"
    wait "$PROBE_PID" 2>/dev/null || true
    PROBE_PID=""
    # The server's CPU time and its time runnable but waiting for a CPU (schedstat, ns): a slow probe with a
    # large wait and little CPU means the machine was busy, not the server's loop.
    record "$phase" server_cpu_ms "$(awk -v a="$before" -v b="$after" 'BEGIN {split(a, x); split(b, y); printf "%d", (y[1] - x[1]) / 1e6}')"
    record "$phase" server_runqueue_wait_ms "$(awk -v a="$before" -v b="$after" 'BEGIN {split(a, x); split(b, y); printf "%d", (y[2] - x[2]) / 1e6}')"
    record "$phase" children_max "$(awk -F'\t' -v p="$phase" '$2 == p {if ($8 > m) m = $8} END {print m + 0}' "$SERIES")"
    "$PYTHON" "$BENCH/soak_report.py" slow "$LOGS/slowhttptest-$mode.out" "$LOGS/slowhttptest-$mode.csv" \
        | record_lines "$phase"
    "$PYTHON" "$BENCH/soak_report.py" probe "$LOGS/probe-$mode.tsv" | record_lines "$phase"
    "$PYTHON" "$BENCH/soak_report.py" rss "$SERIES" "$phase" | grep -E '^(rss_max_kb|fds_max)' | record_lines "$phase"
    record "$phase" load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
    check_after "$phase"
    # Every slow upload was abandoned half-way: nothing may be left in the store, not even a temporary.
    [[ $mode == B ]] && record "$phase" upload_files_left "$(find "$TMP/uploads" -mindepth 1 ! -name .webserv-tmp | wc -l)"
    return 0
}

for phase in "${phases[@]}"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { say "webserv is gone; no more phases"; break; }
    case "$phase" in
        A) phase_a ;;
        B) phase_b ;;
        C) for mode in H B Bcgi X; do
               kill -0 "$SERVER_PID" 2>/dev/null || break
               phase_c_mode "$mode"
           done ;;
    esac
done

set_phase end
record end load "$(cut -d' ' -f1-3 /proc/loadavg)"
grep -c . "$LOGS/webserv-error.log" >/dev/null 2>&1 && record end error_log_lines "$(wc -l <"$LOGS/webserv-error.log")"
status=0
"$PYTHON" "$BENCH/soak_report.py" summary "$TSV" "$SERIES" >"$SUMMARY" || status=$?
cat "$SUMMARY"
say "files: $TSV, $SERIES, $SUMMARY, $LOGS/"
exit "$status"
