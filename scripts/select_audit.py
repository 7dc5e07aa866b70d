#!/usr/bin/env python3
"""Checks webserv's select() rule on strace logs: every read-side or write-side call the server makes after
its first select() is on a descriptor that its latest select() reported ready for that side, once.

    scripts/select_audit.py [--pid PID] [--accept-batch N] LOG...

LOG is `strace -ff -o PREFIX` output (one process per file, the pid taken from the `.PID` suffix) or
`strace -f` output (`PID  call(...)` with -o, `[pid  PID] call(...)` on stderr); -t/-tt/-ttt/-r and -T are
understood. Trace at least select,pselect6 and the calls in IO_CALLS; also tracing close lets the audit see a
descriptor number closed and reused within one pass.

The server is the first process in the logs that calls select() or pselect6() (the traced root starts its
loop before any CGI child exists), or --pid. Other processes (CGI children, before and after their exec) are
parsed only so that their split lines pair up, and are never held against the server. strace prints no
prefix while it traces a single process, so unprefixed lines in a prefixed log are the server's: it is the
root and it outlives its children.

Each select() result is a pass: a ready report covers one call on that descriptor and side. The one repeat
allowed is the listener's batch: further accept()s follow a successful one, up to --accept-batch per pass
(the server's Server.acceptBatch), the last usually failing with EAGAIN. Calls before the first select()
(start-up: libraries, the config, /dev/urandom) are not checked.

Exit status: 0 no violation, 1 violations (each printed as LOG:LINE), 2 no select() to audit or bad input.
"""
import argparse
import os
import re
import sys
from dataclasses import dataclass, field

# The descriptor arguments of each audited call (by position) and the select() set that must report them.
READ, WRITE = "readable", "writable"
IO_CALLS = {
    "read": ((0, READ),), "readv": ((0, READ),), "pread64": ((0, READ),), "preadv": ((0, READ),),
    "recv": ((0, READ),), "recvfrom": ((0, READ),), "recvmsg": ((0, READ),),
    "accept": ((0, READ),), "accept4": ((0, READ),),
    "write": ((0, WRITE),), "writev": ((0, WRITE),), "pwrite64": ((0, WRITE),), "pwritev": ((0, WRITE),),
    "send": ((0, WRITE),), "sendto": ((0, WRITE),), "sendmsg": ((0, WRITE),),
    "sendfile": ((0, WRITE), (1, READ)),
    "splice": ((0, READ), (2, WRITE)),
}
SELECTS = ("select", "pselect6")
ACCEPTS = ("accept", "accept4")
DEFAULT_ACCEPT_BATCH = 64

# Optional pid prefix (`-f -o`: "123  ", stderr: "[pid   123] "), optional timestamp, then the event.
PREFIX = re.compile(r"^(?:\[pid\s+(?P<bracketed>\d+)\]\s+|(?P<plain>\d+)\s+)?(?:\d[\d:.]*\s+)?(?P<body>.*)$")
UNFINISHED = re.compile(r"^(?P<name>\w+)\((?P<text>.*?)\s*<unfinished \.\.\.>$")
RESUMED = re.compile(r"^<\.\.\. (?P<name>\w+) resumed>(?P<text>.*)$")
CALL = re.compile(r"^(?P<name>\w+)\((?P<text>.*)$")
# Greedy args: the last `) = ` is the result, whatever the quoted buffers hold. -T adds ` <0.000012>`.
RESULT = re.compile(r"^(?P<args>.*)\)\s+=\s+(?P<value>-?\d+|\?|0x[0-9a-fA-F]+)(?:\s+(?P<detail>.*?))?"
                    r"(?:\s+<\d+\.\d+>)?\s*$")
ATTACHED = re.compile(r"^strace: Process (\d+) attached")
READY_SET = re.compile(r"\b(in|out|except) \[([\d ]*)\]")


@dataclass(frozen=True)
class Where:
    """A line of a log."""
    path: str
    line: int

    def __str__(self):
        return "%s:%d" % (self.path, self.line)


@dataclass
class Call:
    """One completed system call of one process, with the log line where it started."""
    pid: str
    name: str
    args: list
    value: str
    detail: str
    where: Where

    @property
    def succeeded(self):
        return self.value.lstrip("-").isdigit() and int(self.value) >= 0


@dataclass
class Pass:
    """What the latest select() of the server reported, and what has been done with it since."""
    where: Where
    ready: dict
    failure: str                                  # "-1 EINTR", "0 (Timeout)"... when nothing is ready
    used: dict = field(default_factory=dict)      # (fd, side) -> calls on it in this pass
    last_accept_ok: dict = field(default_factory=dict)


@dataclass
class Report:
    server: str = None
    selects: int = 0
    checked: int = 0
    startup: int = 0
    batched_accepts: int = 0
    violations: list = field(default_factory=list)
    others: dict = field(default_factory=dict)    # pid -> audited-call count of processes not the server


def lex(lines, path, file_pid):
    """(pid or None, body, where) for each line; pid None means strace printed no prefix."""
    for number, raw in enumerate(lines, 1):
        match = PREFIX.match(raw.strip())
        pid = match.group("bracketed") or match.group("plain") or file_pid
        yield pid, match.group("body").strip(), Where(path, number)


def find_server(records):
    """The first prefixed process to start a select(). Failing that (strace -f on stderr, where the server
    selected only while traced alone), the first prefixed process strace did not announce as attached, that
    is the root; None when no line carries a pid."""
    starts = tuple(name + "(" for name in SELECTS)
    for pid, body, _ in records:
        if pid is not None and body.startswith(starts):
            return pid
    attached = set()
    for pid, body, _ in records:
        announced = ATTACHED.match(body)
        if announced:
            attached.add(announced.group(1))
        elif pid is not None and pid not in attached:
            return pid
    return None


def calls(records, server):
    """Completed calls in log order; a call strace split around another process's lines is rebuilt whole
    and placed where it ended (its process did nothing in between)."""
    pending = {}
    for pid, body, where in records:
        pid = pid if pid is not None else server
        resumed = RESUMED.match(body)
        if resumed:
            start = pending.pop(pid, None)
            if start is None or start[0] != resumed.group("name"):
                continue                           # its start was not in the log (attached mid-call)
            name, text, where = start[0], start[1] + resumed.group("text"), start[2]
        else:
            unfinished = UNFINISHED.match(body)
            if unfinished:
                pending[pid] = (unfinished.group("name"), unfinished.group("text") + " ", where)
                continue
            call = CALL.match(body)
            if not call:
                continue                           # signals, "strace: Process N attached", blank lines
            name, text = call.group("name"), call.group("text")
        result = RESULT.match(text)
        if result:
            yield Call(pid, name, split_arguments(result.group("args")), result.group("value"),
                       result.group("detail") or "", where)


def split_arguments(text):
    """The leading plain arguments: descriptors come before any quoted buffer in every audited call."""
    arguments = []
    for piece in text.split(","):
        piece = piece.strip()
        if not re.fullmatch(r"-?\w+", piece):         # 7, NULL, MSG_NOSIGNAL, 0x7ffc091c2200
            break
        arguments.append(piece)
    return arguments


def ready_sets(call):
    """The descriptors the select() reported, by side; nothing when it timed out or failed (EINTR,
    ERESTARTNOHAND: the sets are void)."""
    ready = {READ: set(), WRITE: set()}
    if call.succeeded and int(call.value) > 0:
        for side, numbers in READY_SET.findall(call.detail):
            if side != "except":
                ready[READ if side == "in" else WRITE].update(int(n) for n in numbers.split())
    return ready


def not_ready(current, fd, side):
    """Why a call on fd for side was not covered by the current pass."""
    if current.failure:
        return "the select() of line %d returned %s: no descriptor is ready" % (current.where.line, current.failure)
    other = WRITE if side == READ else READ
    if fd in current.ready[other]:
        return "the select() of line %d reported it %s only" % (current.where.line, other)
    return "the select() of line %d did not report it %s" % (current.where.line, side)


def audit(call, current, report, accept_batch):
    """Checks one I/O call of the server against the current pass; records any violation."""
    for position, side in IO_CALLS[call.name]:
        report.checked += 1
        if position >= len(call.args) or not call.args[position].isdigit():
            report.violations.append("%s: %s: no descriptor in argument %d (strace -y output is not understood)"
                                     % (call.where, call.name, position + 1))
            continue
        fd = int(call.args[position])
        key = (fd, side)
        done = current.used.get(key, 0)
        current.used[key] = done + 1
        if fd not in current.ready[side]:
            report.violations.append("%s: %s on fd %d: %s" % (call.where, call.name, fd, not_ready(current, fd, side)))
        elif done > 0:
            if call.name in ACCEPTS and current.last_accept_ok.get(fd) and done < accept_batch:
                report.batched_accepts += 1
            else:
                report.violations.append("%s: %s on fd %d: call %d on one ready report (the select() of line %d)"
                                         % (call.where, call.name, fd, done + 1, current.where.line))
    if call.name in ACCEPTS and call.args and call.args[0].isdigit():
        current.last_accept_ok[int(call.args[0])] = call.succeeded
        if call.succeeded:                          # a new descriptor: select() reported nothing about it
            forget(current, int(call.value))


def forget(current, fd):
    """fd now names another descriptor than the one the select() reported."""
    for side in (READ, WRITE):
        current.ready[side].discard(fd)


def run(paths, server=None, accept_batch=DEFAULT_ACCEPT_BATCH):
    """Audits the logs (read in the order given) and returns the Report."""
    records = []
    for path in paths:
        suffix = os.path.basename(path).rsplit(".", 1)
        file_pid = suffix[1] if len(suffix) == 2 and suffix[1].isdigit() else None
        with open(path, encoding="utf-8", errors="replace") as log:
            records.extend(lex(log, path, file_pid))
    report = Report(server=server or find_server(records))
    current = None
    for call in calls(records, report.server):
        if call.pid != report.server:
            if call.name in IO_CALLS:
                report.others[call.pid] = report.others.get(call.pid, 0) + 1
            continue
        if call.name in SELECTS:
            report.selects += 1
            ready = ready_sets(call)
            failure = "" if ready[READ] or ready[WRITE] else " ".join(filter(None, (call.value, call.detail)))
            current = Pass(call.where, ready, failure)
        elif call.name == "close" and current is not None and call.args and call.args[0].isdigit():
            forget(current, int(call.args[0]))      # the number may come back from accept() or open()
        elif call.name in IO_CALLS:
            if current is None:
                report.startup += 1
            else:
                audit(call, current, report, accept_batch)
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("logs", nargs="+", metavar="LOG")
    parser.add_argument("--pid", help="the server's pid (default: the first process to call select)")
    parser.add_argument("--accept-batch", type=int, default=DEFAULT_ACCEPT_BATCH,
                        help="accept() calls allowed on one ready report (default %(default)s)")
    options = parser.parse_args(argv)
    try:
        report = run(options.logs, options.pid, options.accept_batch)
    except OSError as error:
        print("select-audit: %s" % error, file=sys.stderr)
        return 2
    for violation in report.violations:
        print("VIOLATION %s" % violation)
    if report.selects == 0:
        print("select-audit: no select() by the server in %s: nothing audited" % " ".join(options.logs))
        return 2
    who = "pid %s" % report.server if report.server else "the traced process"
    print("select-audit: server %s: %d select() calls; %d descriptor uses checked against them (%d accept() "
          "repeats in listener batches); %d I/O calls before the first (start-up, not checked)"
          % (who, report.selects, report.checked, report.batched_accepts, report.startup))
    if report.others:
        print("select-audit: not the server, not audited: %s" % ", ".join(
            "pid %s (%d I/O calls)" % item for item in sorted(report.others.items())))
    print("select-audit: %d violation%s" % (len(report.violations), "" if len(report.violations) == 1 else "s"))
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
