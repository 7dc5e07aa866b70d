#!/usr/bin/env bash
# Runs ./webserv under strace through a mixed workload (static files, listings, errors, keep-alive,
# pipelining, uploads, CGI with Content-Length and chunked bodies, a reload with an include and a user file,
# a log reopening) and checks with scripts/select_audit.py that every read/write/recv/send/accept happened on
# a descriptor the preceding select() reported ready.
# SELECT_AUDIT=path runs another auditor on the same log (same arguments, exit 0 when clean).
set -euo pipefail
cd "$(dirname "$0")/.."
audit=${SELECT_AUDIT:-scripts/select_audit.py}
[ -f "$audit" ] || { echo "select-audit: $audit not found" >&2; exit 1; }
command -v strace >/dev/null || { echo "select-audit: strace missing (scripts/install-deps.sh installs it)" >&2; exit 1; }
[ -x ./webserv ] || { echo "select-audit: ./webserv missing: run make" >&2; exit 1; }

work=$(mktemp -d)
pid=""
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/www/dir" "$work/www/cgi-bin"
head -c 300000 /dev/urandom > "$work/www/big.bin"
echo hello > "$work/www/index.html"
echo a > "$work/www/dir/a.txt"
cat > "$work/www/cgi-bin/echo.py" <<'PY'
import sys
data = sys.stdin.buffer.read()
sys.stdout.write("Content-Type: text/plain\r\n\r\n")
sys.stdout.flush()
sys.stdout.buffer.write(data.upper())
PY
mkdir -p "$work/www/up"
cat > "$work/audit.conf" <<CONF
access_log $work/access.log;
server {
    listen 127.0.0.1:$port;
    root $work/www;
    location /dir/ { autoindex on; }
    location /up/ { allow_methods GET PUT POST DELETE; upload_store $work/www/up; }
    location /cgi-bin/ { allow_methods GET POST; cgi .py $(command -v python3); }
}
CONF

# -ff: one log per process, so the server's log is whole and needs no pairing of split lines (the auditor
# pairs them too, for -f logs). close: a descriptor number closed and reused within a pass is not ready.
calls=select,pselect6,read,write,recvfrom,sendto,recvmsg,sendmsg,readv,writev,pread64,pwrite64,preadv,pwritev
calls+=,accept,accept4,sendfile,splice,close
strace -ff -qq -o "$work/strace" -e trace=$calls \
    ./webserv "$work/audit.conf" > /dev/null 2> "$work/server.err" &
pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
done
# strace's child is the server: that is the process to stop, and strace follows it out.
server=$(pgrep -P "$pid" -x webserv || true)
[ -n "$server" ] || { echo "select-audit: the server did not start" >&2; cat "$work/server.err" >&2; exit 1; }

base="http://127.0.0.1:$port"
for path in / /big.bin /dir/ /dir /missing /dir/a.txt; do
    curl -s -o /dev/null "$base$path"
done
curl -s -o /dev/null -X DELETE "$base/index.html"
curl -s -o /dev/null -T "$work/www/big.bin" "$base/up/big.bin"
curl -s -o /dev/null -F "file=@$work/www/big.bin" "$base/up/"
curl -s -o /dev/null --data-binary @"$work/www/big.bin" "$base/cgi-bin/echo.py"
curl -s -o /dev/null -H 'Transfer-Encoding: chunked' --data-binary @"$work/www/big.bin" "$base/cgi-bin/echo.py"
printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /dir/ HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
    | curl -s --max-time 3 -o /dev/null telnet://127.0.0.1:$port || true
printf 'BAD REQUEST\r\n\r\n' | curl -s --max-time 3 -o /dev/null telnet://127.0.0.1:$port || true

# SIGHUP: the new configuration, its include and its user file are read through select() too; SIGUSR1
# reopens the access log.
cat > "$work/types.conf" <<'TYPES'
types { text/plain txt; application/x-audit bin; }
TYPES
echo 'auditor:$6$saltsalt$notarealhashbutwellformed' > "$work/users"
cat > "$work/audit.conf" <<CONF
access_log $work/access.log;
include $work/types.conf;
server {
    listen 127.0.0.1:$port;
    root $work/www;
    location /dir/ { autoindex on; }
    location /private/ { auth_basic "Audit"; auth_basic_user_file $work/users; }
}
CONF
kill -HUP "$server"
for _ in $(seq 100); do
    grep -q 'webserv: reloaded' "$work/server.err" && break
    sleep 0.1
done
grep -q 'webserv: reloaded' "$work/server.err" || { echo "select-audit: the reload did not take" >&2; cat "$work/server.err" >&2; exit 1; }
type=$(curl -s -o /dev/null -w '%{content_type}' "$base/big.bin")
[ "$type" = application/x-audit ] || { echo "select-audit: the reloaded types are not in force ($type)" >&2; exit 1; }
curl -s -o /dev/null "$base/private/"
mv "$work/access.log" "$work/access.log.1"
kill -USR1 "$server"
for _ in $(seq 100); do
    grep -q 'webserv: logs reopened' "$work/server.err" && break
    sleep 0.1
done
curl -s -o /dev/null "$base/dir/"

kill -TERM "$server"
wait "$pid" || true
pid=""
server_pid=$server
server=""
# The access log is written through select() too: make sure the traffic above went into it.
logged=$(cat "$work/access.log.1" "$work/access.log" | wc -l)
[ "$logged" -ge 15 ] || { echo "select-audit: only $logged access-log lines" >&2; exit 1; }
echo "select-audit: $logged access-log lines written"
# CGI children write other files (strace.<their pid>): only the server's is audited.
if ! python3 "$audit" "$work/strace.$server_pid"; then
    cp "$work/strace.$server_pid" "${TMPDIR:-/tmp}/webserv-select-audit.log"
    echo "select-audit: log kept in ${TMPDIR:-/tmp}/webserv-select-audit.log" >&2
    exit 1
fi
