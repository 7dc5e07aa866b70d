#!/usr/bin/env bash
# User-space instructions and syscalls per request of a server: both deterministic, unlike req/s on a shared
# machine (issue 11's method).
#
#   bench/instr.sh NAME PORT PATH N -- CMD...
#
# CMD runs a server in the foreground listening on 127.0.0.1:PORT. Two passes, each with a fresh server:
#   1. under callgrind: N/10 requests of warm-up, counters zeroed, `ab -k -c C -n N`, counters dumped;
#      instructions per request = Ir of that dump / completed requests.
#   2. plain: the same warm-up, then `strace -c -f` attached for the `ab` run only (start-up, warm-up and
#      shut-down are not counted); syscalls per request = calls / completed requests.
# Prints one line: "NAME instructions_per_request syscalls_per_request" (NA when a pass failed).
# Environment: C (concurrency, default 10); INSTR_KEEP=DIR keeps the dump and strace's table there as
# NAME.callgrind and NAME.strace, and the completed requests of each pass as NAME.callgrind.requests and
# NAME.strace.requests; INSTR_PASSES (callgrind, strace or both, the default); INSTR_TIMEOUT (seconds a
# server may take to answer, default 60).
# The server runs on CPU 0 and ab on CPU 1 when taskset is there. Only the processes started here are stopped,
# by PID.
set -uo pipefail

if [[ $# -lt 6 || $5 != "--" ]]; then
    sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2
fi
name=$1 port=$2 path=$3 n=$4; shift 5
conc=${C:-10}
warmup=$((n / 10 > 0 ? n / 10 : 1))
timeout=${INSTR_TIMEOUT:-60}
passes=${INSTR_PASSES:-both}
url="http://127.0.0.1:$port$path"

say() { printf 'instr %s: %s\n' "$name" "$*" >&2; }
for tool in valgrind callgrind_control ab strace curl; do
    command -v "$tool" >/dev/null || { say "needs $tool (apt-get install valgrind apache2-utils strace curl)"; exit 2; }
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true   # 500 connections need more than 1,024 descriptors
server_cpu=() client_cpu=()
if command -v taskset >/dev/null && [[ $(nproc) -ge 2 ]]; then server_cpu=(taskset -c 0); client_cpu=(taskset -c 1); fi

tmp=$(mktemp -d /tmp/webserv-instr.XXXXXX)
pids=()        # every process started here that may still run
cleanup() {
    local pid
    for pid in "${pids[@]}"; do stop_pid "$pid"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {  # TERM, up to 15 s for a clean exit (valgrind writes its last dump), then KILL
    local pid=$1 _
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}
forget() { local keep=() p; for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done; pids=("${keep[@]}"); }

port_free() {  # nothing answers on the port, within 10 s
    local _
    for _ in $(seq 100); do curl -s -m 1 -o /dev/null "http://127.0.0.1:$port/" || return 0; sleep 0.1; done
    return 1
}
wait_up() {  # pid: the server answers on the URL, within $timeout s, and is still the one that started
    local pid=$1 _
    for _ in $(seq $((timeout * 10))); do
        kill -0 "$pid" 2>/dev/null || return 1
        curl -s -m 1 -o /dev/null "$url" && return 0
        sleep 0.1
    done
    return 1
}
load() {  # requests output: ab keep-alive run on the client CPU; waited for in the background, so that an
          # interrupt runs the cleanup at once
    local apid
    timeout 900 "${client_cpu[@]}" ab -k -c "$conc" -n "$1" "$url" >"$2" 2>&1 &
    apid=$!; pids+=("$apid")
    wait "$apid"
    forget "$apid"
}
ab_field() { sed -n "s/^$1: *\([0-9]*\).*/\1/p" "$2" | head -n 1; }
check_ab() {  # output: completed requests on stdout, warnings for failures and missing keep-alive
    local completed failed kept
    completed=$(ab_field "Complete requests" "$1") failed=$(ab_field "Failed requests" "$1")
    kept=$(ab_field "Keep-Alive requests" "$1")
    [[ -n $completed ]] || { say "ab failed: $(tail -n 2 "$1" | tr '\n' ' ')"; echo 0; return; }
    [[ ${failed:-0} -eq 0 ]] || say "warning: ab counted $failed failed requests"
    [[ ${kept:-0} -ge $completed ]] || say "warning: only ${kept:-0} of $completed requests were kept alive"
    echo "$completed"
}

port_free || { say "port $port is taken"; exit 1; }

keep() {  # file kept-name count
    [[ -n ${INSTR_KEEP:-} ]] || return 0
    mkdir -p "$INSTR_KEEP" && cp "$1" "$INSTR_KEEP/$2" && echo "$3" >"$INSTR_KEEP/$2.requests"
}

# --- pass 1: callgrind ------------------------------------------------------------------------------------
# Each pass sets its figure in a global (not printed into a $(...)): the cleanup trap must see every PID.
callgrind_pass() {  # sets ir_per: instructions per request, or NA
    local vpid completed dump="" ir="" _
    "${server_cpu[@]}" valgrind --tool=callgrind ${CALLGRIND_OPTIONS:-} --callgrind-out-file="$tmp/cg.%p" "$@" >"$tmp/valgrind.log" 2>&1 &
    vpid=$!; pids+=("$vpid")
    if ! wait_up "$vpid"; then
        say "the server never answered under callgrind: $(tail -n 3 "$tmp/valgrind.log" | tr '\n' ' ')"
    else
        load "$warmup" "$tmp/warmup.txt"
        callgrind_control -z "$vpid" >/dev/null 2>&1 || say "callgrind_control -z failed"
        load "$n" "$tmp/ab.txt"
        completed=$(check_ab "$tmp/ab.txt")
        callgrind_control -d "$vpid" >/dev/null 2>&1 || say "callgrind_control -d failed"
        for _ in $(seq 300); do   # the server's own thread writes the dump: wait for its totals line
            dump=$(ls "$tmp"/cg."$vpid".* 2>/dev/null | head -n 1)
            [[ -n $dump ]] && ir=$(sed -n 's/^\(totals\|summary\): *\([0-9]*\).*/\2/p' "$dump" | tail -n 1)
            [[ -n $ir ]] && break
            sleep 0.1
        done
        if [[ -n $ir && $completed -gt 0 ]]; then
            ir_per=$(awk -v ir="$ir" -v n="$completed" 'BEGIN { printf "%.0f", ir / n }')
            keep "$dump" "$name.callgrind" "$completed"
        else
            say "no callgrind dump after the run"
        fi
    fi
    stop_pid "$vpid"; forget "$vpid"
}

# --- pass 2: strace over the measured run only ------------------------------------------------------------
strace_pass() {  # sets sc_per: syscalls per request, or NA
    local spid tpid completed calls attached=no _
    "${server_cpu[@]}" "$@" >"$tmp/server.log" 2>&1 &
    spid=$!; pids+=("$spid")
    if ! wait_up "$spid"; then
        say "the server never answered: $(tail -n 3 "$tmp/server.log" | tr '\n' ' ')"
        stop_pid "$spid"; forget "$spid"; return
    fi
    load "$warmup" "$tmp/warmup2.txt"
    strace -c -f -p "$spid" -o "$tmp/strace.txt" 2>"$tmp/strace.err" &
    tpid=$!; pids+=("$tpid")
    for _ in $(seq 100); do   # every thread of the server traced before the load starts
        if grep -q '^TracerPid:[[:space:]]*[1-9]' /proc/"$spid"/task/*/status 2>/dev/null &&
           ! grep -q '^TracerPid:[[:space:]]*0$' /proc/"$spid"/task/*/status 2>/dev/null; then
            attached=yes; break
        fi
        sleep 0.1
    done
    if [[ $attached == yes ]]; then
        load "$n" "$tmp/ab2.txt"
        completed=$(check_ab "$tmp/ab2.txt")
        sleep 0.5                        # the server sees ab's connections close and closes its own
        kill -TERM "$tpid" 2>/dev/null   # strace detaches and writes its table
        for _ in $(seq 100); do kill -0 "$tpid" 2>/dev/null || break; sleep 0.1; done
        calls=$(awk '$NF == "total" { print $4 }' "$tmp/strace.txt" 2>/dev/null | tail -n 1)
        if [[ -n $calls && $completed -gt 0 ]]; then
            sc_per=$(awk -v c="$calls" -v n="$completed" 'BEGIN { printf "%.2f", c / n }')
            keep "$tmp/strace.txt" "$name.strace" "$completed"
        else
            say "strace wrote no table: $(head -c 300 "$tmp/strace.err")"
        fi
    else
        say "strace could not attach: $(head -c 300 "$tmp/strace.err")"
    fi
    stop_pid "$tpid"; forget "$tpid"
    stop_pid "$spid"; forget "$spid"
}

ir_per=NA sc_per=NA
[[ $passes == strace ]] || callgrind_pass "$@"
if [[ $passes != callgrind ]]; then
    if port_free; then strace_pass "$@"; else say "port $port still taken after the callgrind pass"; fi
fi
echo "$name $ir_per $sc_per"
