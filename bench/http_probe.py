#!/usr/bin/env python3
"""Small HTTP checks for run.sh, so the harness needs no curl.

    http_probe.py wait HOST PORT SECONDS   exit 0 once the port accepts connections, 1 on timeout
    http_probe.py free HOST PORT SECONDS   exit 0 once nothing listens on the port, 1 on timeout
    http_probe.py get URL [BODY]           print "STATUS<TAB>BODY" (body's first 200 bytes, escaped); with BODY,
                                           exit 0 only for a 200 whose body is exactly BODY
"""
import http.client
import socket
import sys
import time
import urllib.parse


def accepts(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def until(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def get(url):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    try:
        conn.request("GET", u.path or "/")
        response = conn.getresponse()
        body = response.read()
        return response.status, body
    except (OSError, http.client.HTTPException) as error:
        return 0, str(error).encode()
    finally:
        conn.close()


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "wait":
        host, port, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        sys.exit(0 if until(lambda: accepts(host, port), seconds) else 1)
    if command == "free":
        host, port, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        sys.exit(0 if until(lambda: not accepts(host, port), seconds) else 1)
    if command == "get":
        status, body = get(sys.argv[2])
        print(f"{status}\t{body[:200]!r}")
        if len(sys.argv) > 3:
            sys.exit(0 if status == 200 and body == sys.argv[3].encode() else 1)
        sys.exit(0)
    sys.exit(f"unknown command {command!r}")
