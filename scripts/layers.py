#!/usr/bin/env python3
"""Checks that the folders of Sources/Server layer without a cycle.

Each folder may use only the folders after it in LAYERS (a type used by two layers lives in the lower one);
Server.swift, at the top of the tree, is the top layer. A folder's names are the types, functions and
constants its files declare at top level; a file uses a name when the name appears in its code (comments and
string literals aside, interpolations included). Prints the folder dependency graph; exits 1 on any edge that
goes up or sideways, naming the file and the name.

    scripts/layers.py [--graph] [--root DIR]
"""
import os
import re
import sys

LAYERS = ["Server", "Connection", "Handlers", "CGI", "Routing", "Config", "HTTP", "Reactor"]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "Server")
# Top-level declarations other files can see (private and fileprivate ones are the file's own).
DECLARATION = re.compile(
    r"^(?:@\w+\s+)*((?:(?:public|internal|private|fileprivate|final|indirect)\s+)*)"
    r"(?:class|struct|enum|protocol|typealias|actor|func|let|var)\s+([A-Za-z_]\w*)", re.M)
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")


def code_only(text):
    """The text with comments and string literals blanked out; string interpolations are kept as code."""
    out = []
    i, n = 0, len(text)
    # Each entry: a string's delimiter, or an open interpolation's parenthesis depth.
    stack = []
    while i < n:
        in_string = stack and isinstance(stack[-1], str)
        c = text[i]
        if in_string:
            delimiter = stack[-1]
            if c == "\\" and text.startswith("\\(", i):
                stack.append(0)
                out.append("  ")
                i += 2
            elif c == "\\":
                out.append("  ")
                i += 2
            elif text.startswith(delimiter, i):
                stack.pop()
                out.append(" " * len(delimiter))
                i += len(delimiter)
            else:
                out.append("\n" if c == "\n" else " ")
                i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif text.startswith('"""', i) or c == '"':
            delimiter = '"""' if text.startswith('"""', i) else '"'
            stack.append(delimiter)
            out.append(" " * len(delimiter))
            i += len(delimiter)
        else:
            if stack and c == "(":
                stack[-1] += 1
            elif stack and c == ")":
                if stack[-1] == 0:
                    stack.pop()
                    out.append(" ")
                    i += 1
                    continue
                stack[-1] -= 1
            out.append(c)
            i += 1
    return "".join(out)


def layer_of(path, root):
    relative = os.path.relpath(path, root)
    return relative.split(os.sep)[0] if os.sep in relative else "Server"


def main(argv):
    root = argv[argv.index("--root") + 1] if "--root" in argv else ROOT
    files = []
    for directory, _, names in os.walk(root):
        files += [os.path.join(directory, name) for name in names if name.endswith(".swift")]
    code = {path: code_only(open(path, encoding="utf-8").read()) for path in sorted(files)}
    problems = []
    owner = {}
    for path, text in code.items():
        layer = layer_of(path, root)
        if layer not in LAYERS:
            problems.append(f"{os.path.relpath(path, root)}: folder {layer} is not in the layer list")
            continue
        for modifiers, name in DECLARATION.findall(text):
            if "private" in modifiers:
                continue
            if name in owner and owner[name] != layer:
                problems.append(f"{name} is declared in both {owner[name]} and {layer}")
            owner[name] = layer
    edges = {}
    for path, text in code.items():
        layer = layer_of(path, root)
        if layer not in LAYERS:
            continue
        for name in set(IDENTIFIER.findall(text)):
            target = owner.get(name)
            if target is None or target == layer:
                continue
            edges.setdefault((layer, target), set()).add(name)
            if LAYERS.index(target) < LAYERS.index(layer):
                problems.append(f"{os.path.relpath(path, root)}: {layer} uses {name} from {target}, a layer above it")
    if "--graph" in argv or problems:
        for layer in LAYERS:
            used = sorted({target for (source, target) in edges if source == layer}, key=LAYERS.index)
            print(f"{layer:10} -> {', '.join(used) if used else '(nothing)'}")
    if problems:
        print("\nLayering broken (order: " + " -> ".join(LAYERS) + "):")
        for problem in sorted(set(problems)):
            print("  " + problem)
        return 1
    print("layers: " + " -> ".join(LAYERS) + ": no folder uses one above it")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
