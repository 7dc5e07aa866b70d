#!/usr/bin/env bash
# Runs a private copy of the release ./webserv under valgrind's memcheck through a mixed workload (static
# files, listings, ranges, errors, CGI in PHP and Python with Content-Length and chunked bodies, multipart
# upload, PUT, DELETE, malformed requests, clients that reset mid-upload and mid-download, a CGI killed
# by its timeout), stops it with SIGTERM and fails unless it exited 0 with no memory error and no
# definitely lost block. The full valgrind log is kept on failure; VALGRIND_KEEP=1 keeps it always.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind-leaks: valgrind missing (apt-get install valgrind)" >&2; exit 1; }
[ -x ./webserv ] || { echo "valgrind-leaks: ./webserv missing: run make" >&2; exit 1; }
php=$(command -v php-cgi) || { echo "valgrind-leaks: php-cgi missing (scripts/install-deps.sh)" >&2; exit 1; }
python=$(command -v python3)

work=$(mktemp -d)
pid=""
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
# The copy: `make` renames a new ./webserv into place while we run, and valgrind must keep this one.
cp ./webserv "$work/webserv"

port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
www=$work/www
mkdir -p "$www/dir/sub" "$www/cgi-bin" "$www/private" "$work/store"
echo hello > "$www/index.html"
head -c 3000000 /dev/urandom > "$www/big.bin"
head -c 200000 /dev/urandom > "$work/upload.bin"
echo a > "$www/dir/a.txt"
echo '<b>&</b>' > "$www/dir/sub/b & c.html"
echo secret > "$www/private/s.txt"
printf 'demo:%s\n' "$(openssl passwd -6 demo)" > "$work/htpasswd"
cat > "$www/cgi-bin/echo.py" <<'PY'
import os, sys
data = sys.stdin.buffer.read()
sys.stdout.write("Content-Type: text/plain\r\nX-Query: " + os.environ.get("QUERY_STRING", "") + "\r\n\r\n")
sys.stdout.flush()
sys.stdout.buffer.write(data.upper())
PY
cat > "$www/cgi-bin/slow.py" <<'PY'
import time
time.sleep(30)
PY
cat > "$www/cgi-bin/bad.py" <<'PY'
print("no header block at all")
PY
cat > "$www/cgi-bin/echo.php" <<'PHP'
<?php
header("X-Method: " . $_SERVER["REQUEST_METHOD"]);
echo "get=", $_GET["q"] ?? "", " post=", file_get_contents("php://input"), "\n";
PHP
cat > "$work/webserv.conf" <<CONF
server {
    listen 127.0.0.1:$port;
    root $www;
    index index.html;
    error_page 404 /missing.html;
    client_max_body_size 10m;
    location /dir/ { autoindex on; }
    location /uploads/ { alias $work/store/; allow_methods GET HEAD POST PUT DELETE; upload_store $work/store; autoindex on; }
    location /cgi-bin/ {
        allow_methods GET HEAD POST;
        cgi .py $python;
        cgi .php $php;
        cgi_timeout 30s;
    }
    location /slow/ { alias $www/cgi-bin/; cgi .py $python; cgi_timeout 1s; }
    location /private/ { auth_basic "members"; auth_basic_user_file $work/htpasswd; }
    location /old { return 301 /index.html; }
}
CONF

# --child-silent-after-fork: the CGI children (forked, then exec'd untraced) stay out of the log.
valgrind --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite --error-exitcode=99 \
    --child-silent-after-fork=yes --log-file="$work/valgrind.log" \
    "$work/webserv" "$work/webserv.conf" > "$work/server.out" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
up=""
for _ in $(seq 300); do
    curl -s -o /dev/null --max-time 2 "$base/" && { up=1; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
done
if [ -z "$up" ]; then
    echo "valgrind-leaks: the server did not start within 60 s" >&2
    cat "$work/server.out" "$work/valgrind.log" >&2
    exit 1
fi

# Every status curl saw goes to $work/statuses, summed up at the end: a workload that silently stopped
# reaching the server (all 000) shows.
c() { curl -s -o /dev/null --max-time 30 -w '%{http_code} %{method} %{url_effective}\n' "$@" >> "$work/statuses" || true; }
raw() { "$python" - "$port" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
try:
    while s.recv(65536):
        pass
except OSError:
    pass
s.close()
PY
}
# Sends `head` and `count` body bytes, then resets the connection (SO_LINGER 0) without reading.
reset_after() { "$python" - "$port" "$1" "$2" <<'PY'
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.sendall(b"x" * int(sys.argv[3]))
time.sleep(0.5)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PY
}

started=$(date +%s)
# Static files, listings, redirects, conditional and range requests.
for path in / /index.html /big.bin /dir/ /dir /dir/sub/ /missing /dir/a.txt /old /private/s.txt /%2e%2e/etc/passwd; do
    c "$base$path"
done
c -I "$base/big.bin"
c -u demo:demo "$base/private/s.txt"
c -u demo:wrong "$base/private/s.txt"
c -r 0-99 "$base/big.bin"
c -r 100-199,1000-1099,-50 "$base/big.bin"
c -r 5000000- "$base/big.bin"
c -H 'If-None-Match: "x", *' "$base/index.html"
c -H 'If-Modified-Since: Sun, 06 Nov 2033 08:49:37 GMT' "$base/index.html"
c "$base/" -o /dev/null "$base/dir/" -o /dev/null "$base/missing"     # one keep-alive connection
# CGI: query strings, Content-Length and chunked bodies, a script without a header block, a timeout.
c "$base/cgi-bin/echo.py?a=1&b=%20"
c --data-binary @"$work/upload.bin" "$base/cgi-bin/echo.py"
c -H 'Transfer-Encoding: chunked' --data-binary @"$work/upload.bin" "$base/cgi-bin/echo.py"
c "$base/cgi-bin/echo.php?q=word"
c --data 'x=1&y=2' "$base/cgi-bin/echo.php"
c -H 'Transfer-Encoding: chunked' --data-binary 'chunked body' "$base/cgi-bin/echo.php"
c "$base/cgi-bin/bad.py"
c "$base/cgi-bin/missing.py"
c "$base/slow/slow.py"
# Uploads: multipart (two files), PUT, overwrite, DELETE, listing.
c -F "a=@$work/upload.bin;filename=one.bin" -F "b=@$www/index.html;filename=two.html" -F field=value "$base/uploads/"
c -T "$work/upload.bin" "$base/uploads/put.bin"
c -T "$www/index.html" "$base/uploads/put.bin"
c "$base/uploads/"
c -X DELETE "$base/uploads/put.bin"
c -X DELETE "$base/uploads/nothing-here"
c -X DELETE "$base/index.html"
c -X PATCH "$base/index.html"
# Several clients at once.
clients=()
for _ in 1 2 3 4; do
    c "$base/big.bin" & clients+=($!)
    c --data-binary @"$work/upload.bin" "$base/cgi-bin/echo.py" & clients+=($!)
done
wait "${clients[@]}"                         # a bare `wait` would wait for the server too
# Malformed and unusual requests over raw sockets.
raw 'BAD REQUEST\r\n\r\n'
raw 'GET / HTTP/2.0\r\nHost: a\r\n\r\n'
raw 'GET / HTTP/1.1\r\n\r\n'
raw 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'
raw 'POST /cgi-bin/echo.py HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'
raw 'POST /uploads/ HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 20\r\n\r\n--B\r\nnonsense\r\n\r\n'
raw "GET /$(head -c 20000 /dev/zero | tr '\0' a) HTTP/1.1\r\nHost: a\r\n\r\n"
raw 'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /dir/ HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
raw 'GET /\x00 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
# Clients that reset the connection mid-upload, mid-CGI-body and mid-download.
reset_after 'POST /uploads/ HTTP/1.1\r\nHost: a\r\nContent-Type: multipart/form-data; boundary=B\r\nContent-Length: 1000000\r\n\r\n--B\r\nContent-Disposition: form-data; name="f"; filename="cut.bin"\r\n\r\n' 300000
reset_after 'PUT /uploads/cut.bin HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n' 300000
reset_after 'POST /cgi-bin/echo.py HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n' 300000
reset_after 'GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n' 0
sleep 1
c "$base/"                                                          # still serving
workload=$(( $(date +%s) - started ))

kill -TERM "$pid"
status=""
for _ in $(seq 600); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" && status=0 || status=$?; break; }
    sleep 0.1
done
pid_left=$pid
pid=""
if [ -z "$status" ]; then
    kill -KILL "$pid_left" 2>/dev/null || true
    echo "valgrind-leaks: the server did not exit within 60 s of SIGTERM" >&2
    status=timeout
fi

keep() {
    local kept="${TMPDIR:-/tmp}/webserv-valgrind.log"
    cat "$work/valgrind.log" "$work/statuses" > "$kept"
    echo "valgrind-leaks: log kept in $kept" >&2
}
summary=$(grep -E 'definitely lost|indirectly lost|possibly lost|still reachable|ERROR SUMMARY|All heap blocks' \
          "$work/valgrind.log" | sed 's/^==[0-9]*== *//')
echo "valgrind-leaks: workload ${workload}s, exit status $status; statuses (count status):" \
    $(cut -d' ' -f1 "$work/statuses" | sort | uniq -c | tr -s ' ')
echo "$summary"
if [ "$status" != 0 ] || ! grep -Eq 'definitely lost: 0 bytes|All heap blocks were freed' "$work/valgrind.log" \
        || ! grep -q 'ERROR SUMMARY: 0 errors' "$work/valgrind.log"; then
    tail -20 "$work/server.out" >&2
    keep
    exit 1
fi
[ -n "${VALGRIND_KEEP:-}" ] && keep
echo "valgrind-leaks: passed"
