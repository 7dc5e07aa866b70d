#!/usr/bin/env bash
# Runs several independent webserv processes on one configuration, sharing its ports through SO_REUSEPORT
# (`listen ... reuseport;`): the kernel spreads connections across them. webserv forks nothing but CGI; each
# instance is its own process, started here and stopped here by the PID recorded for it.
#
#   scripts/cluster.sh start [N] CONF   # N instances (default: one per online core)
#   scripts/cluster.sh stop             # SIGTERM each (graceful), SIGKILL after shutdown_timeout + 5 s
#   scripts/cluster.sh status
#
# Files go to $CLUSTER_DIR (default ./run): webserv.$INSTANCE.pid and webserv.$INSTANCE.out (what the instance
# prints: start-up lines, and its logs when the config leaves them on standard error). Each instance gets
# INSTANCE=1..N in its environment (CGI scripts see it too). The config's access_log and error_log files may be
# shared: webserv opens them O_APPEND, so the lines of several instances interleave whole.
# WEBSERV_BIN chooses the binary (default ./webserv).
set -euo pipefail

dir=${CLUSTER_DIR:-./run}
bin=${WEBSERV_BIN:-./webserv}

usage() { echo "usage: $0 start [N] CONF | stop | status" >&2; exit 2; }

# A PID file's process, if it is still a webserv (a recycled PID is left alone).
live_pid() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q webserv \
        && echo "$pid"
}

start() {
    local count conf
    if [ $# -eq 2 ]; then count=$1; conf=$2; elif [ $# -eq 1 ]; then count=$(nproc); conf=$1; else usage; fi
    [[ $count =~ ^[1-9][0-9]*$ ]] || usage
    [ -x "$bin" ] || { echo "cluster: no $bin: run \`make\` first" >&2; exit 1; }
    mkdir -p "$dir"
    for pidfile in "$dir"/webserv.*.pid; do
        [ -e "$pidfile" ] || continue
        if live_pid "$pidfile" >/dev/null; then
            echo "cluster: already running ($pidfile); \`$0 stop\` first" >&2
            exit 1
        fi
        rm -f "$pidfile"
    done
    "$bin" -t "$conf" >/dev/null
    for instance in $(seq 1 "$count"); do
        INSTANCE=$instance "$bin" "$conf" >"$dir/webserv.$instance.out" 2>&1 </dev/null &
        echo $! >"$dir/webserv.$instance.pid"
    done
    # Each instance says "listening" once every listener is bound; a second instance without reuseport
    # fails to bind instead.
    for instance in $(seq 1 "$count"); do
        for _ in $(seq 1 100); do
            grep -q '^webserv: listening on' "$dir/webserv.$instance.out" && break
            live_pid "$dir/webserv.$instance.pid" >/dev/null || break
            sleep 0.05
        done
        if ! grep -q '^webserv: listening on' "$dir/webserv.$instance.out"; then
            echo "cluster: instance $instance did not start:" >&2
            cat "$dir/webserv.$instance.out" >&2
            stop
            exit 1
        fi
    done
    echo "cluster: $count instances of $conf, PIDs $(cat "$dir"/webserv.*.pid | tr '\n' ' ')(files in $dir)"
}

stop() {
    local pids=() pid
    for pidfile in "$dir"/webserv.*.pid; do
        [ -e "$pidfile" ] || continue
        if pid=$(live_pid "$pidfile"); then
            kill -TERM "$pid"
            pids+=("$pid")
        fi
        rm -f "$pidfile"
    done
    # shutdown_timeout (10 s by default) lets requests in flight finish.
    for pid in "${pids[@]}"; do
        for _ in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "cluster: $pid still running after 15 s: SIGKILL" >&2
            kill -KILL "$pid"
        fi
    done
    [ ${#pids[@]} -eq 0 ] || echo "cluster: stopped ${pids[*]}"
}

status() {
    local running=0
    for pidfile in "$dir"/webserv.*.pid; do
        [ -e "$pidfile" ] || continue
        if pid=$(live_pid "$pidfile"); then echo "$pidfile: $pid running"; running=$((running + 1))
        else echo "$pidfile: not running"; fi
    done
    [ $running -gt 0 ]
}

case ${1:-} in
    start) shift; start "$@" ;;
    stop) stop ;;
    status) status ;;
    *) usage ;;
esac
