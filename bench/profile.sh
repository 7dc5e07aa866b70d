#!/usr/bin/env bash
# Where webserv's instructions go: webserv under callgrind on one of instr-table.sh's workloads, then the top
# functions by inclusive and self Ir per request and the calls per request to malloc/free and Swift's
# allocation and reference counting (bench/callgrind_top.py).
#
#   bench/profile.sh [workload]        1k (default: the 1 KiB file, ab -k -c 10 -n 20000), 404, 1k-c500, 10m
#
# Environment: WEBSERV_BIN (default ./webserv; build it first with make), PROFILE_PORT (default 18410),
# PROFILE_REQUESTS (overrides the workload's request count), PROFILE_TOP (default 25). Prints the report and
# writes it to bench/results/STAMP-profile-WORKLOAD.txt, with the dump beside it (STAMP-profile-WORKLOAD.callgrind,
# for callgrind_annotate or kcachegrind).
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
BENCH_TAG=profile
PYTHON=/usr/bin/python3
[[ -x $PYTHON ]] || PYTHON="$(command -v python3)"
# shellcheck source=servers.sh
source "$BENCH/servers.sh"
bench_install valgrind:valgrind callgrind_control:valgrind ab:apache2-utils curl:curl taskset:util-linux \
    timeout:coreutils || exit 1

workload=${1:-1k}
[[ -n ${INSTR_WORKLOAD[$workload]:-} ]] || { bench_say "unknown workload $workload (${!INSTR_WORKLOAD[*]})"; exit 2; }
read -r path requests conns <<<"${INSTR_WORKLOAD[$workload]}"
requests=${PROFILE_REQUESTS:-$requests}
WEBSERV="$(realpath "${WEBSERV_BIN:-$ROOT/webserv}")"
[[ -x $WEBSERV ]] || { bench_say "no webserv binary at $WEBSERV: run make first"; exit 1; }

ulimit -n "$(ulimit -Hn)"
FDS="$(ulimit -n)"
bench_fixtures
TMP="$(mktemp -d /tmp/webserv-profile.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT
STAMP="$(date +%Y%m%d-%H%M%S)"
RESULTS="$BENCH/results"
LOGS="$TMP"
mkdir -p "$RESULTS"
declare -A PORT=([webserv]=${PROFILE_PORT:-18410})
bench_configs

bench_say "webserv under callgrind: ab -k -c $conns -n $requests $path (after $((requests / 10)) of warm-up)"
result=$(C=$conns INSTR_PASSES=callgrind INSTR_KEEP="$TMP/keep" "$BENCH/instr.sh" webserv "${PORT[webserv]}" \
    "$path" "$requests" -- "$WEBSERV" "$TMP/webserv.conf") || true
[[ -s $TMP/keep/webserv.callgrind ]] || { bench_say "no profile (instr.sh said: ${result:-nothing})"; exit 1; }
base="$RESULTS/$STAMP-profile-$workload"
cp "$TMP/keep/webserv.callgrind" "$base.callgrind"
"$PYTHON" "$BENCH/callgrind_top.py" "$base.callgrind" "$(cat "$TMP/keep/webserv.callgrind.requests")" \
    --top "${PROFILE_TOP:-25}" \
    --title "webserv $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?') · $workload: ab -k -c $conns -n $requests $path · $(date -Iseconds)" \
    | tee "$base.txt"
bench_say "report in $base.txt; dump in $base.callgrind"
