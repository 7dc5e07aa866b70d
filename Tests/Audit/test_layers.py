"""scripts/layers.py on small trees: it must pass a layered one and flag a use of a layer above."""
import contextlib
import io
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import layers  # noqa: E402


def tree(files):
    root = tempfile.mkdtemp(prefix="layers-")
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), "w", encoding="utf-8") as handle:
            handle.write(text)
    return root


def run(root):
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = layers.main(["--root", root])
    return status, output.getvalue()


class LayersTests(unittest.TestCase):
    def test_downward_uses_pass(self):
        root = tree({
            "Reactor/Descriptor.swift": "struct Descriptor { let raw: Int32 }\n",
            "HTTP/Response.swift": "struct Response { let file: Descriptor? }\n",
            "Connection/Connection.swift": "final class Connection { var r: Response? }\n",
            "Server.swift": "final class Server { var c: [Connection] = [] }\n",
        })
        status, output = run(root)
        self.assertEqual(status, 0, output)

    def test_upward_use_fails_and_names_the_file(self):
        root = tree({
            "Reactor/Queue.swift": "struct Queue { var owner: Connection? }\n",
            "Connection/Connection.swift": "final class Connection { var q: Queue? }\n",
        })
        status, output = run(root)
        self.assertEqual(status, 1)
        self.assertIn("Reactor/Queue.swift: Reactor uses Connection from Connection", output)

    def test_names_in_comments_and_strings_do_not_count_but_interpolations_do(self):
        root = tree({
            "Reactor/Log.swift": 'struct Log {\n  // Connection writes here\n  let s = "Connection"\n}\n',
            "Connection/Connection.swift": "final class Connection {}\n",
        })
        self.assertEqual(run(root)[0], 0)
        root = tree({
            "Reactor/Log.swift": 'struct Log {\n  let s = "\\(Connection.self)"\n}\n',
            "Connection/Connection.swift": "final class Connection {}\n",
        })
        self.assertEqual(run(root)[0], 1)

    def test_private_declarations_are_the_files_own(self):
        root = tree({
            "HTTP/A.swift": "private let cr: UInt8 = 13\nstruct A {}\n",
            "CGI/B.swift": "private let cr: UInt8 = 13\nstruct B { let a: A? }\n",
        })
        self.assertEqual(run(root)[0], 0)


if __name__ == "__main__":
    unittest.main()
