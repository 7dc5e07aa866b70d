#!/usr/bin/env bash
# Installs what the tests need when it is missing: curl (integration tests), php-cgi and python3 (CGI),
# strace (the select() audit), htpasswd and openssl (Basic auth tests, the HAProxy test's certificate),
# haproxy (the deployment test in front of two instances).
# Idempotent and quick when everything is present; without root, a missing tool is an error, not a skip.
set -euo pipefail

# Program -> Debian package. The interpreters are checked at the absolute paths the configs name
# (`cgi .php /usr/bin/php-cgi;`), not merely somewhere on PATH.
declare -A package_for=(
    [curl]=curl
    [/usr/bin/php-cgi]=php-cgi
    [/usr/bin/python3]=python3
    [strace]=strace
    [htpasswd]=apache2-utils
    [openssl]=openssl
    [haproxy]=haproxy
)

present() { command -v "$1" >/dev/null 2>&1 && [ -x "$(command -v "$1")" ]; }

missing_packages=()
missing_commands=()
for command in curl /usr/bin/php-cgi /usr/bin/python3 strace htpasswd openssl haproxy; do
    if ! present "$command"; then
        missing_commands+=("$command")
        missing_packages+=("${package_for[$command]}")
    fi
done

if [ ${#missing_packages[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing: ${missing_commands[*]}" >&2
    echo "install-deps: run as root, or install the Debian packages: ${missing_packages[*]}" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing: ${missing_commands[*]}, and apt-get is not available to install them" >&2
    exit 1
fi

echo "install-deps: installing ${missing_packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null

for command in "${missing_commands[@]}"; do
    if ! present "$command"; then
        echo "install-deps: $command is still missing after installing ${package_for[$command]}" >&2
        exit 1
    fi
done
