#!/usr/bin/env python3
"""CPU time and resident memory of a server's whole process tree, read from /proc.

    procstat.py cpu PID   ->  clock ticks of utime+stime+cutime+cstime summed over PID and its descendants
    procstat.py rss PID   ->  VmRSS in KB summed over PID and its descendants

The tree matters: nginx serves from a worker under its master, and CGI children are either alive (counted
directly) or reaped (counted in their parent's cutime/cstime), so a delta between two readings is the CPU
the server spent, whichever way it is built.
"""
import os
import sys


def _stat_fields(pid):
    """Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses)."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()


def tree(root):
    """root and every live descendant of it."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            ppid = int(_stat_fields(name)[1])       # field 4 of stat
        except (OSError, ValueError, IndexError):
            continue                                 # the process ended while we looked
        children.setdefault(ppid, []).append(int(name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_ticks(root):
    total = 0
    for pid in tree(root):
        try:
            f = _stat_fields(pid)
        except OSError:
            continue
        total += sum(int(x) for x in f[11:15])      # fields 14-17: utime stime cutime cstime
    return total


def rss_kb(root):
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


if __name__ == "__main__":
    what, pid = sys.argv[1], int(sys.argv[2])
    print(cpu_ticks(pid) if what == "cpu" else rss_kb(pid))
