#!/usr/bin/env python3
"""Where a server's instructions go, per request, from one callgrind dump (stdlib only; profile.sh runs it).

    callgrind_top.py DUMP REQUESTS [--top N] [--title TEXT]

Prints the instructions per request by object (self cost), the top N functions by inclusive and by self Ir per
request, and calls per request to the allocator and to Swift's reference counting. The dump is read directly
rather than through callgrind_annotate: its self figures count a call still open at the zeroing (`calls=0`)
as the caller's own cost, which puts main and the event loop at 100 % self. Inclusive cost is what
`callgrind_annotate --inclusive=yes` computes: self plus the cost of every call made. Swift names are
demangled with swift-demangle --simplified when it is on the PATH.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict

WATCHED_CALLS = ["malloc", "free", "calloc", "realloc", "swift_allocObject", "swift_deallocClassInstance",
                 "swift_retain", "swift_release", "swift_bridgeObjectRetain", "swift_bridgeObjectRelease",
                 "swift_beginAccess", "swift_isUniquelyReferenced_nonNull_native"]
RECURSION = re.compile(r"'\d+$")          # callgrind names a function's deeper recursion levels f'2, f'3
NAME_LINE = re.compile(r"^(ob|fl|fi|fe|fn|cob|cfi|cfl|cfn)=(?:\((\d+)\))?\s*(.*)$")


def parse(path):
    """(self Ir, inclusive Ir, calls) keyed by (object, function), and the dump's total Ir."""
    names = {}                     # (kind, id) -> name; cfn shares fn's ids, cob ob's, cfi/cfl fl's
    shared = {"cfn": "fn", "cob": "ob", "cfi": "fl", "cfl": "fl", "fi": "fl", "fe": "fl"}
    positions = 1
    ob = fn = cob = cfn = None
    after_calls = False
    self_ir, call_ir, calls = defaultdict(int), defaultdict(int), defaultdict(int)
    total = 0
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line[0] == "#":
                continue
            if line[0].isdigit() or line[0] in "+-*":
                fields = line.split()
                ir = int(fields[positions]) if len(fields) > positions else 0
                if after_calls:
                    call_ir[(ob, fn)] += ir
                    after_calls = False
                else:
                    self_ir[(ob, fn)] += ir
                continue
            m = NAME_LINE.match(line)
            if m:
                kind, ident, name = m.groups()
                table = shared.get(kind, kind)
                if ident is not None:
                    if name:
                        names[(table, ident)] = name
                    name = names.get((table, ident), f"?{ident}")
                if kind == "ob":
                    ob = cob = name
                elif kind == "fn":
                    fn = name
                    cob = ob
                elif kind == "cob":
                    cob = name
                elif kind == "cfn":
                    cfn = name
                continue
            if line.startswith("calls="):
                count = int(line[6:].split()[0])
                calls[(cob, cfn)] += count
                after_calls = True
                cob = ob
            elif line.startswith("positions:"):
                positions = len(line.split()) - 1
            elif line.startswith(("totals:", "summary:")):
                total = int(line.split()[1])
    if not total:
        total = sum(self_ir.values())
    inclusive = {key: self_ir.get(key, 0) + call_ir.get(key, 0) for key in set(self_ir) | set(call_ir)}
    return self_ir, inclusive, calls, total


def demangler(names):
    """{name: readable name}; Swift symbols through swift-demangle when it is there."""
    names = list(names)
    tool = shutil.which("swift-demangle")
    readable = names
    if tool and names:
        out = subprocess.run([tool, "--simplified"], input="\n".join(names) + "\n", capture_output=True,
                             text=True).stdout.split("\n")
        if len(out) >= len(names):
            readable = out[:len(names)]
    return dict(zip(names, readable))


def short_object(ob):
    return os.path.basename(ob or "?")


def clip(text, width=110):
    return text if len(text) <= width else text[:width - 1] + "…"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dump")
    parser.add_argument("requests", type=int)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    self_ir, inclusive, calls, total = parse(args.dump)
    n = max(args.requests, 1)
    readable = demangler({fn for _, fn in list(self_ir) + list(inclusive) + list(calls)})

    def label(key):
        return clip(f"{readable.get(key[1], key[1])}  [{short_object(key[0])}]")

    out = []
    if args.title:
        out.append(args.title)
    out.append(f"{total / n:,.0f} instructions per request ({total:,} Ir over {args.requests:,} requests)")
    out.append("")
    out.append("self Ir per request by object")
    by_object = defaultdict(int)
    for (ob, _), ir in self_ir.items():
        by_object[short_object(ob)] += ir
    for ob, ir in sorted(by_object.items(), key=lambda kv: -kv[1])[:8]:
        out.append(f"{ir / n:>12,.0f} {100 * ir / total:6.1f} %  {ob}")

    out.append("")
    out.append(f"top {args.top} by inclusive Ir per request (functions above 99.5 %: the entry and the event loop,"
               " left out)")
    ranked = sorted(((ir, key) for key, ir in inclusive.items() if ir <= 0.995 * total), reverse=True)
    for ir, key in ranked[:args.top]:
        out.append(f"{ir / n:>12,.0f} {100 * ir / total:6.1f} %  {label(key)}")

    out.append("")
    out.append(f"top {args.top} by self Ir per request (a recursion's levels, f'2 ..., counted as f)")
    merged = defaultdict(int)
    for (ob, fn), ir in self_ir.items():
        merged[(ob, RECURSION.sub("", fn or ""))] += ir
    for ir, key in sorted(((ir, key) for key, ir in merged.items()), reverse=True)[:args.top]:
        out.append(f"{ir / n:>12,.0f} {100 * ir / total:6.1f} %  {label(key)}")

    out.append("")
    out.append("calls per request")
    by_name = defaultdict(int)
    for (_, fn), count in calls.items():
        by_name[RECURSION.sub("", fn or "")] += count
    for name in WATCHED_CALLS:
        out.append(f"{by_name.get(name, 0) / n:>12.2f}  {name}")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
