#!/usr/bin/env bash
# `make browser-test`: headless Chromium through the demo site (scripts/browser_test.py), against a copy of
# conf/ and www/ in a temporary directory so uploads never touch the repository. Installs chromium,
# chromium-driver and python3-selenium with apt-get when missing (as root). Exit 1 on any failed step.
#
#   WEBSERV_BIN     the server to drive (default: ./webserv of this repository)
#   SCREENSHOT_DIR  where the screenshots go (default: bench/results/browser-STAMP/)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
webserv_bin=${WEBSERV_BIN:-$repo/webserv}
stamp=$(date +%Y%m%d-%H%M%S)
screenshots=${SCREENSHOT_DIR:-$repo/bench/results/browser-$stamp}
# Debian's interpreter: python3-selenium lands in its dist-packages, not in a pyenv or other python3 on PATH.
system_python=/usr/bin/python3

if [ ! -x "$webserv_bin" ]; then
    echo "browser-test: no server at $webserv_bin: run \`make\` first (or set WEBSERV_BIN)" >&2
    exit 1
fi

selenium_works() { "$1" -c 'import selenium.webdriver' >/dev/null 2>&1; }

# What is missing, as Debian packages.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
[ -x "$system_python" ] && selenium_works "$system_python" || missing+=(python3-selenium)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "browser-test: missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "browser-test: installing ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

python=$system_python
if ! selenium_works "$python"; then
    # Debian refuses system-wide pip installs: Selenium from PyPI goes into a virtual environment of its own.
    venv=${XDG_CACHE_HOME:-$HOME/.cache}/webserv-browser-test-venv
    if ! selenium_works "$venv/bin/python"; then
        echo "browser-test: python3-selenium is unusable; installing selenium into $venv"
        "$system_python" -m venv "$venv" || {
            [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv >/dev/null
            "$system_python" -m venv "$venv"
        }
        "$venv/bin/pip" install -q selenium
    fi
    python=$venv/bin/python
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/webserv-browser.XXXXXX")
server_pid=
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp -R "$repo/conf" "$repo/www" "$work/"
rm -f "$work"/www/uploads/* 2>/dev/null || true   # an empty store (the dot-file stays)
port=$("$system_python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -i -E "s/^([[:space:]]*listen[[:space:]]+)[^;]*;/\1127.0.0.1:$port;/" "$work/conf/default.conf"

"$webserv_bin" "$work/conf/default.conf" >"$work/server.log" 2>&1 &
server_pid=$!
# The line the server prints once its listeners are open; 10 s at most.
for _ in $(seq 100); do
    grep -q 'webserv: listening on' "$work/server.log" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q 'webserv: listening on' "$work/server.log"; then
    echo "browser-test: the server did not start on 127.0.0.1:$port:" >&2
    cat "$work/server.log" >&2
    exit 1
fi
echo "browser-test: $webserv_bin on http://127.0.0.1:$port/ (site copied to $work)"

mkdir -p "$screenshots"
status=0
timeout 600 "$python" "$repo/scripts/browser_test.py" --base "http://127.0.0.1:$port" --site "$work/www" \
    --screenshots "$screenshots" --work "$work" || status=$?
if [ "$status" -ne 0 ]; then
    echo "browser-test: the server's log (last 30 lines):"
    tail -n 30 "$work/server.log"
fi
echo "browser-test: screenshots in $screenshots"
ls -1 "$screenshots"
[ "$status" -eq 0 ] || exit 1
