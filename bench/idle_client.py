#!/usr/bin/env python3
"""Holds N idle keep-alive connections to a server and measures what they cost it in memory.

    idle_client.py --port P --pid SERVER_PID --count N [--path /1k.bin] [--timeout 120]

1. warms the server up with a few requests on one connection, then reads its RSS (process tree, /proc);
2. opens N connections (at most --window connecting or waiting at once, so the listen backlog never
   overflows), sends one GET on each and reads the whole response; the connections then stay open, idle;
3. reads the server's RSS again: (after - before) / N is the memory one idle connection costs;
4. sends a second GET on every connection still open, to prove each was held, not silently dropped.

Prints one line of key=value pairs for report.py. The caller raises `ulimit -n` above N.
"""
import argparse
import errno
import selectors
import socket
import time

import procstat


class Client:
    """One connection: the request to send and the bytes of the response read so far."""

    def __init__(self, sock):
        self.sock = sock
        self.inbound = bytearray()
        self.connected = False
        self.status = None          # status code of the last complete response, None while waiting

    def response_complete(self):
        """True once inbound holds a whole response with a Content-Length body; sets status, keeps the rest."""
        end = self.inbound.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = self.inbound[:end].decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        if len(self.inbound) < end + 4 + length:
            return False
        self.status = int(head[0].split()[1])
        del self.inbound[:end + 4 + length]
        return True


def exchange(selector, clients, request, seconds):
    """Sends `request` on each client (connecting first where needed) and waits for each response.

    Returns the clients that got a 200 within `seconds`; the others are closed. `clients` may be a generator: new ones are
    taken from it only while fewer than the window are in flight.
    """
    deadline = time.monotonic() + seconds
    answered, in_flight = [], 0
    pending = iter(clients)
    exhausted = False
    while (in_flight or not exhausted) and time.monotonic() < deadline:
        while not exhausted and in_flight < WINDOW:
            client = next(pending, None)
            if client is None:
                exhausted = True
                break
            in_flight += 1
            client.status = None
            if client.connected:
                try:
                    client.sock.send(request)
                except OSError:                 # the server closed it while it was idle
                    client.sock.close()
                    in_flight -= 1
                    continue
                selector.register(client.sock, selectors.EVENT_READ, client)
            else:
                selector.register(client.sock, selectors.EVENT_WRITE, client)
        for key, _ in selector.select(timeout=0.5):
            client = key.data
            if not client.connected:
                failure = client.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if failure:
                    selector.unregister(client.sock)
                    client.sock.close()
                    in_flight -= 1
                    continue
                client.connected = True
                client.sock.send(request)       # a few dozen bytes: one send on a fresh socket takes it all
                selector.modify(client.sock, selectors.EVENT_READ, client)
                continue
            try:
                data = client.sock.recv(65536)
            except OSError:
                data = b""
            if data:
                client.inbound += data
                if not client.response_complete():
                    continue
            selector.unregister(client.sock)
            in_flight -= 1
            if data and client.status == 200:
                answered.append(client)
            else:
                client.sock.close()             # closed by the server, or not a 200
    for key in list(selector.get_map().values()):   # timed out: give up on these
        selector.unregister(key.fileobj)
        key.fileobj.close()
    return answered


def new_clients(port, count):
    for _ in range(count):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        code = sock.connect_ex(("127.0.0.1", port))
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            continue
        yield Client(sock)


WINDOW = 256

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--path", default="/1k.bin")
    parser.add_argument("--timeout", type=float, default=60, help="seconds for each pass")
    args = parser.parse_args()
    request = f"GET {args.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    selector = selectors.DefaultSelector()

    # 1. Warm-up: first-use allocations (buffers, caches) are not what an idle connection costs.
    warm = exchange(selector, list(new_clients(args.port, 1)), request, args.timeout)
    for _ in range(20):
        warm = exchange(selector, warm, request, args.timeout)
    for client in warm:
        client.sock.close()
    time.sleep(0.5)
    rss_before = procstat.rss_kb(args.pid)

    # 2. and 3. Open, ask once each, leave idle, measure.
    started = time.monotonic()
    opened = exchange(selector, new_clients(args.port, args.count), request, args.timeout)
    open_seconds = time.monotonic() - started
    time.sleep(1.0)
    rss_after = procstat.rss_kb(args.pid)

    # 4. Every connection still held answers a second request.
    started = time.monotonic()
    held = exchange(selector, opened, request, args.timeout)
    held_seconds = time.monotonic() - started
    for client in held:
        client.sock.close()

    per_conn = (rss_after - rss_before) / len(opened) if opened else float("nan")
    print(f"IDLESTAT count={args.count} answered={len(opened)} held={len(held)} "
          f"rss_before_kb={rss_before} rss_after_kb={rss_after} kb_per_conn={per_conn:.3f} "
          f"open_s={open_seconds:.2f} second_pass_s={held_seconds:.2f}")
