# Sourced by run.sh, instr-table.sh and profile.sh: the docroot and every server's configuration, so each
# script measures the same servers configured the same way.
#
# The sourcing script sets BENCH (this folder) before sourcing, and before calling bench_configs: TMP (a private
# directory), LOGS, FDS (descriptor limit), PYTHON, and an associative array PORT with one port per server.

bench_say() { printf '%s: %s\n' "${BENCH_TAG:-bench}" "$*" >&2; }

# bench_install COMMAND:PACKAGE...  installs the Debian packages whose command is missing (apt-get, as root).
bench_install() {
    local missing=() pair command
    for pair in "$@"; do
        command=${pair%%:*}
        command -v "$command" >/dev/null || [[ -x /usr/sbin/$command ]] || missing+=("${pair#*:}")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        bench_say "missing ${missing[*]}: install them (apt-get install ${missing[*]}) or run as root"; return 1
    fi
    bench_say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The workloads of instr-table.sh and profile.sh: name -> "path requests connections" for `ab -k`.
declare -A INSTR_WORKLOAD=(
    [1k]="/1k.bin 20000 10"
    [404]="/no-such-file 20000 10"
    [1k-c500]="/1k.bin 20000 500"
    [10m]="/10m.bin 200 1"
)

# bench_fixtures  generates $BENCH/fixtures/www once per fixture version; sets DOCROOT.
DOCROOT="$BENCH/fixtures/www"
bench_fixtures() {
    local version=1 i
    [[ $(cat "$BENCH/fixtures/.version" 2>/dev/null) == "$version" ]] && return 0
    bench_say "generating fixtures in $DOCROOT"
    rm -rf "$BENCH/fixtures"
    mkdir -p "$DOCROOT/dir" "$DOCROOT/cgi-bin"
    head -c 1024     /dev/urandom >"$DOCROOT/1k.bin"
    head -c 102400   /dev/urandom >"$DOCROOT/100k.bin"
    head -c 10485760 /dev/urandom >"$DOCROOT/10m.bin"
    echo '<!doctype html><title>bench</title><p>webserv bench docroot' >"$DOCROOT/index.html"
    for i in $(seq -w 1 200); do         # names of varied length, a few needing escaping in the listing
        printf 'entry %s\n' "$i" >"$DOCROOT/dir/file-$i$( ((10#$i % 10 == 0)) && echo ' & more')-$((10#$i * 37)).txt"
    done
    cat >"$DOCROOT/cgi-bin/hello.php" <<'EOF'
<?php
header("Content-Type: text/plain");
echo "hello from php\n";
EOF
    cat >"$DOCROOT/cgi-bin/hello.py" <<'EOF'
#!/usr/bin/env python3
import sys
sys.stdout.write("Content-Type: text/plain\r\n\r\nhello from python\n")
EOF
    chmod +x "$DOCROOT/cgi-bin/hello.py" "$DOCROOT/cgi-bin/hello.php"
    echo "$version" >"$BENCH/fixtures/.version"
}

# bench_configs  writes a config for each server in ${!PORT[@]} into $TMP, access logs off everywhere.
# Keep-alive limits are lifted (or set to their maximum) and idle timeouts set to 300 s, so the keep-alive
# workloads measure serving, not reconnecting, and the idle workloads measure holding. Connection caps are set
# explicitly rather than left to each one's default: webserv half the descriptors plus headroom; lighttpd clamps
# its own to half of server.max-fds (10,000 with the usual 20,000); nginx gets nearly all descriptors, because
# it starts closing idle keep-alive connections well before its cap; h2o half the descriptors.
# CGI (php-cgi, python) is configured in webserv and lighttpd only when php-cgi is installed.
bench_configs() {
    local php_cgi webserv_cgi="" lighttpd_cgi="" h2o_user=""
    php_cgi="$(command -v php-cgi || true)"
    if [[ -n $php_cgi ]]; then
        webserv_cgi="location /cgi-bin/ { cgi .php $php_cgi; cgi .py $PYTHON; }"
        lighttpd_cgi="\$HTTP[\"url\"] =~ \"^/cgi-bin/\" { cgi.assign = (\".php\" => \"$php_cgi\", \".py\" => \"$PYTHON\") }"
    fi
    [[ $(id -u) -eq 0 ]] && h2o_user="user: root"   # as root h2o would otherwise switch to nobody

    [[ -n ${PORT[webserv]:-} ]] && cat >"$TMP/webserv.conf" <<EOF
access_log off;
error_log $LOGS/webserv-error.log;
max_connections $((FDS / 2 + 100));
server {
    listen 127.0.0.1:${PORT[webserv]};
    root $DOCROOT;
    keepalive_timeout 300s;
    location /dir/ { autoindex on; }
    $webserv_cgi
}
EOF

    [[ -n ${PORT[nginx]:-} ]] && mkdir -p "$TMP/nginx" && cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
worker_rlimit_nofile $FDS;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $LOGS/nginx-error.log warn;
events { worker_connections $((FDS - 100)); }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:${PORT[nginx]};
        root $DOCROOT;
        location /dir/ { autoindex on; }
    }
}
EOF

    # lighttpd: one process (max-worker 0); no mod_accesslog means no access log.
    [[ -n ${PORT[lighttpd]:-} ]] && cat >"$TMP/lighttpd.conf" <<EOF
server.modules = ("mod_dirlisting", "mod_cgi")
server.document-root = "$DOCROOT"
server.bind = "127.0.0.1"
server.port = ${PORT[lighttpd]}
server.max-worker = 0
server.errorlog = "$LOGS/lighttpd-error.log"
server.max-fds = $FDS
server.max-connections = $((FDS / 2))
server.max-keep-alive-requests = 65535
server.max-keep-alive-idle = 300
server.max-read-idle = 300
index-file.names = ("index.html")
mimetype.assign = (".html" => "text/html", ".txt" => "text/plain", "" => "application/octet-stream")
\$HTTP["url"] =~ "^/dir/" { dir-listing.activate = "enable" }
$lighttpd_cgi
EOF

    # h2o: one thread; no access-log directive means no access log; no CGI (it would go through a FastCGI
    # wrapper, not comparable).
    [[ -n ${PORT[h2o]:-} ]] && cat >"$TMP/h2o.conf" <<EOF
num-threads: 1
$h2o_user
error-log: $LOGS/h2o-error.log
max-connections: $((FDS / 2))
http1-request-timeout: 300
listen:
  host: 127.0.0.1
  port: ${PORT[h2o]}
hosts:
  default:
    paths:
      /dir/:
        file.dir: $DOCROOT/dir
        file.dirlisting: ON
      /:
        file.dir: $DOCROOT
EOF
    return 0
}

# server_command NAME  prints the command that runs NAME in the foreground with its bench config.
server_command() {
    case "$1" in
        webserv)  echo "$WEBSERV $TMP/webserv.conf" ;;
        nginx)    echo "nginx -p $TMP/nginx -e $LOGS/nginx-error.log -c $TMP/nginx/nginx.conf" ;;
        lighttpd) echo "lighttpd -D -f $TMP/lighttpd.conf" ;;
        h2o)      echo "h2o -c $TMP/h2o.conf" ;;
    esac
}
