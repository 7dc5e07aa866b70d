#!/usr/bin/env python3
"""What slow readers and stalled uploads cost a server in memory, and whether it still answers.

    slow_readers.py --port P --pid SERVER_PID [--clients 3000] [--pipelined 3] [--path /big.bin]
                    [--puts 200] [--put-path /up/f] [--put-bytes 1048576] [--hold 10]

1. opens --clients connections, each sending --pipelined GETs for --path at once and then reading nothing;
2. opens --puts connections, each sending a PUT announcing 1 GiB and --put-bytes of it, then nothing more;
3. holds them for --hold seconds while a probe client asks for / on a fresh connection every second
   (its status and latency are reported: 200, or 503 with Retry-After, is a server that still serves);
4. prints the server's VmRSS and VmHWM, and (VmRSS after - before) / clients.

The caller raises `ulimit -n` above clients + puts and starts the server with enough descriptors.
"""
import argparse
import resource
import socket
import time


def status_kb(pid, field):
    """A /proc/PID/status figure in KB; 0 once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def alive(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return "State:\tZ" not in f.read()
    except OSError:
        return False


def probe(port, timeout=5.0):
    """(status line, seconds) of `GET /` on a fresh connection; status None when nothing came in time."""
    start = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        head = data.split(b"\r\n\r\n")[0].decode("latin-1")
        status = head.split("\r\n")[0] if head else None
        if status and " 503 " in status and "Retry-After" not in head:
            status += " (no Retry-After)"
        return status, time.monotonic() - start
    except OSError:
        return None, time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--clients", type=int, default=3000)
    parser.add_argument("--pipelined", type=int, default=3)
    parser.add_argument("--path", default="/big.bin")
    parser.add_argument("--puts", type=int, default=200)
    parser.add_argument("--put-path", default="/up/f")
    parser.add_argument("--put-bytes", type=int, default=1 << 20)
    parser.add_argument("--hold", type=float, default=10)
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    before = status_kb(args.pid, "VmRSS")
    request = (f"GET {args.path} HTTP/1.1\r\nHost: slow\r\n\r\n" * args.pipelined).encode()
    held = []
    for _ in range(args.clients):
        try:
            s = socket.create_connection(("127.0.0.1", args.port))
        except OSError:
            break                                # the server is gone
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)   # a reader that takes almost nothing
        s.sendall(request)
        held.append(s)
    body = b"x" * args.put_bytes
    for i in range(args.puts if alive(args.pid) else 0):
        try:
            s = socket.create_connection(("127.0.0.1", args.port))
        except OSError:
            break
        s.setblocking(False)
        head = f"PUT {args.put_path}{i} HTTP/1.1\r\nHost: slow\r\nContent-Length: {1 << 30}\r\n\r\n".encode()
        data = head + body
        sent, deadline = 0, time.monotonic() + 2
        while sent < len(data) and time.monotonic() < deadline:
            try:
                sent += s.send(data[sent:])
            except BlockingIOError:
                time.sleep(0.001)
        held.append(s)
    probes = []
    end = time.monotonic() + args.hold
    while time.monotonic() < end and alive(args.pid):
        probes.append(probe(args.port))
        time.sleep(1)
    rss, hwm = status_kb(args.pid, "VmRSS"), status_kb(args.pid, "VmHWM")
    print(f"server_alive={alive(args.pid)} clients={args.clients} puts={args.puts} "
          f"rss_before_kb={before} rss_kb={rss} hwm_kb={hwm} "
          f"kb_per_client={(rss - before) / max(1, args.clients):.1f}")
    for status, seconds in probes:
        print(f"probe status={status!r} seconds={seconds:.3f}")
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
