#!/usr/bin/env bash
# Issue 11's table: user-space instructions and syscalls per request of webserv, lighttpd and h2o on the same
# docroot (bench/instr.sh for each cell; `make bench-instr` builds webserv first).
#
#   bench/instr-table.sh
#
# Rows (INSTR_WORKLOAD in servers.sh): a 1 KiB file over keep-alive (ab -k -c 10 -n 20000), a 404 (same load), the 1 KiB file with 500
# connections (-c 500 -n 20000), a 10 MiB file (-c 1 -n 200: one response at a time, 2 GiB in all). Each cell
# has a warm-up of a tenth of its requests. It installs valgrind, ab (apache2-utils), strace, lighttpd and h2o
# when missing (apt-get, as root). Environment: WEBSERV_BIN (default ./webserv), INSTR_PORT (first of three
# ports, default 18400), INSTR_SERVERS (default "webserv lighttpd h2o"), INSTR_ROWS (default
# "1k 404 1k-c500 10m"). Prints the table and writes it to bench/results/STAMP-instr.txt; the callgrind dumps
# and strace tables behind each cell go to bench/results/STAMP-instr-logs/.
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
BENCH_TAG=instr
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON="$(command -v python3)"
# shellcheck source=servers.sh
source "$BENCH/servers.sh"
export PATH="$PATH:/usr/sbin:/sbin"
bench_install valgrind:valgrind callgrind_control:valgrind ab:apache2-utils strace:strace curl:curl \
    lighttpd:lighttpd h2o:h2o taskset:util-linux timeout:coreutils || exit 1

WEBSERV="$(realpath "${WEBSERV_BIN:-$ROOT/webserv}")"
[[ -x $WEBSERV ]] || { bench_say "no webserv binary at $WEBSERV: run make first"; exit 1; }
read -r -a servers <<<"${INSTR_SERVERS:-webserv lighttpd h2o}"
read -r -a rows <<<"${INSTR_ROWS:-1k 404 1k-c500 10m}"
port0=${INSTR_PORT:-18400}

for row in "${rows[@]}"; do
    [[ -n ${INSTR_WORKLOAD[$row]:-} ]] || { bench_say "unknown row $row (${!INSTR_WORKLOAD[*]})"; exit 2; }
done

ulimit -n "$(ulimit -Hn)"
FDS="$(ulimit -n)"
bench_fixtures
TMP="$(mktemp -d /tmp/webserv-instr-table.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS="$BENCH/results"
LOGS="$RESULTS/$STAMP-instr-logs"
mkdir -p "$LOGS"
declare -A PORT=([webserv]=$port0 [lighttpd]=$((port0 + 1)) [h2o]=$((port0 + 2)))
bench_configs

first_line() { { "$@" 2>&1 || true; } | head -n 1; }
declare -A LABEL=(
    [webserv]="webserv $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
    [lighttpd]="$(first_line lighttpd -v | cut -d' ' -f1 | sed 's|/| |')"
    [h2o]="$(first_line h2o -v | sed 's/ version / /')"
)

# --- measure ---------------------------------------------------------------------------------------------
declare -A IR SC
for row in "${rows[@]}"; do
    read -r path requests conns <<<"${INSTR_WORKLOAD[$row]}"
    for server in "${servers[@]}"; do
        bench_say "$row on $server (ab -k -c $conns -n $requests $path)"
        # shellcheck disable=SC2046
        result=$(C=$conns INSTR_KEEP="$LOGS/$row" "$BENCH/instr.sh" "$server" "${PORT[$server]}" "$path" \
            "$requests" -- $(server_command "$server")) || true
        read -r _ ir sc <<<"${result:-x NA NA}"
        IR[$row,$server]=${ir:-NA}
        SC[$row,$server]=${sc:-NA}
        bench_say "  $server: ${IR[$row,$server]} instructions, ${SC[$row,$server]} syscalls per request"
    done
done

# --- table -----------------------------------------------------------------------------------------------
grouped() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }   # 33184 -> 33,184
cells() {  # row kind: one cell per server; kind is ir, sc or both
    local line="" server
    for server in "${servers[@]}"; do
        case "$2" in
            ir)   line+=" $(grouped "${IR[$1,$server]:-NA}") |" ;;
            sc)   line+=" ${SC[$1,$server]:-NA} |" ;;
            both) line+=" $(grouped "${IR[$1,$server]:-NA}") / ${SC[$1,$server]:-NA} |" ;;
        esac
    done
    printf '%s' "$line"
}
has() { [[ " ${rows[*]} " == *" $1 "* ]]; }
{
    echo "instructions (callgrind Ir) and syscalls (strace -c -f) per request, after a warm-up of a tenth of the requests"
    echo "$(date -Iseconds) · $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(uname -r)"
    echo
    header="| workload |" rule="|---|"
    for server in "${servers[@]}"; do header+=" ${LABEL[$server]} |"; rule+="---|"; done
    echo "$header"
    echo "$rule"
    has 1k      && echo "| 1 KiB file, keep-alive (c=10): instructions per request |$(cells 1k ir)"
    has 1k      && echo "| … syscalls per request |$(cells 1k sc)"
    has 404     && echo "| 404 (c=10): instructions / syscalls per request |$(cells 404 both)"
    has 1k-c500 && echo "| 1 KiB, 500 connections: instructions / syscalls per request |$(cells 1k-c500 both)"
    read -r _ big_n big_c <<<"${INSTR_WORKLOAD[10m]}"
    has 10m     && echo "| 10 MiB file (c=$big_c, n=$big_n): instructions / syscalls per response |$(cells 10m both)"
} | tee "$RESULTS/$STAMP-instr.txt"
bench_say "table in $RESULTS/$STAMP-instr.txt; callgrind dumps and strace tables in $LOGS"
