"""Unit tests of scripts/select_audit.py on small strace logs (fixtures/), clean ones and ones it must flag.

    python3 -m unittest discover -s Tests/Audit        (make audit-selftest)
"""
import contextlib
import io
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "scripts"))
import select_audit  # noqa: E402


def fixture(name):
    return os.path.join(HERE, "fixtures", name)


def audit(name, **options):
    return select_audit.run([fixture(name)], **options)


def violation_lines(report):
    """The line numbers of the violations, in order."""
    return [int(violation.split(":")[1]) for violation in report.violations]


def main(*arguments):
    """Exit status and printed text of the command line."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = select_audit.main(list(arguments))
    return status, output.getvalue()


class CleanLogs(unittest.TestCase):
    def test_single_process_log_with_batches_timeouts_and_interrupted_selects_passes(self):
        report = audit("server-ff.log")
        self.assertEqual(report.violations, [])
        self.assertEqual(report.selects, 7)
        self.assertEqual(report.startup, 5)             # the config, /dev/urandom, the banner: before the loop
        self.assertEqual(report.checked, 13)
        self.assertEqual(report.batched_accepts, 3)     # a second success and an EAGAIN, then an EAGAIN again
        self.assertEqual(report.others, {})

    def test_split_lines_of_an_interleaving_cgi_child_pair_up_and_the_childs_io_is_not_the_servers(self):
        report = audit("cgi-f.log")
        self.assertEqual(report.violations, [])
        self.assertEqual(report.server, "8193")
        self.assertEqual(report.selects, 6)
        self.assertEqual(report.checked, 8)             # both split read(8) calls included
        self.assertEqual(report.others, {"8195": 6})    # reads of stdin and a library, writes to stdout, stderr

    def test_bracketed_pids_and_the_unprefixed_lines_strace_prints_when_the_server_is_alone_pass(self):
        report = audit("cgi-stderr.log")
        self.assertEqual(report.violations, [])
        self.assertEqual(report.server, "8202")
        self.assertEqual(report.selects, 4)
        self.assertEqual(report.checked, 4)             # recvfrom, read (split), read (unprefixed), sendto
        self.assertEqual(report.others, {"8204": 4})

    def test_timestamps_durations_select_accept4_writev_and_a_buffer_quoting_a_result_are_read(self):
        report = audit("timestamps.log")
        self.assertEqual(report.violations, [])
        self.assertEqual((report.selects, report.checked, report.startup), (3, 4, 1))

    def test_one_file_of_strace_ff_takes_its_pid_from_the_name(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "strace.4242")
            shutil.copy(fixture("server-ff.log"), path)
            report = select_audit.run([path])
        self.assertEqual((report.server, report.violations), ("4242", []))

    def test_of_several_strace_ff_files_the_one_that_calls_select_is_the_server(self):
        with tempfile.TemporaryDirectory() as directory:
            child, server = os.path.join(directory, "strace.100"), os.path.join(directory, "strace.99")
            with open(child, "w") as log:
                log.write('read(0, "hello world\\n", 4096)    = 12\nwrite(1, "HELLO WORLD\\n", 12) = 12\n')
            shutil.copy(fixture("two-reads.log"), server)
            report = select_audit.run([child, server])
        self.assertEqual((report.server, report.others, violation_lines(report)), ("99", {"100": 2}, [3]))

    def test_strace_f_on_stderr_with_no_prefixed_select_takes_the_pid_strace_did_not_attach(self):
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "stderr.log")
            with open(fixture("cgi-stderr.log")) as source, open(path, "w") as log:
                log.writelines(line for line in source if "pselect6" not in line or not line.startswith("[pid"))
            report = select_audit.run([path])
        self.assertEqual((report.server, report.others), ("8202", {"8204": 4}))


class LogsThatMustBeFlagged(unittest.TestCase):
    def test_read_on_a_descriptor_the_select_did_not_report(self):
        report = audit("read-not-reported.log")
        self.assertEqual(violation_lines(report), [3])
        self.assertIn("read on fd 7: the select() of line 1 did not report it readable", report.violations[0])

    def test_write_on_a_descriptor_reported_only_readable(self):
        report = audit("write-only-readable.log")
        self.assertEqual(violation_lines(report), [2])
        self.assertIn("sendto on fd 6", report.violations[0])
        self.assertIn("reported it readable only", report.violations[0])

    def test_two_reads_on_one_ready_report(self):
        report = audit("two-reads.log")
        self.assertEqual(violation_lines(report), [3])     # the next pass's read is covered by its own select
        self.assertIn("call 2 on one ready report (the select() of line 1)", report.violations[0])

    def test_a_split_read_of_the_server_is_checked_and_reported_where_it_started(self):
        report = audit("split-read-not-reported.log")
        self.assertEqual(violation_lines(report), [6])
        self.assertIn("read on fd 11", report.violations[0])
        self.assertEqual(report.others, {"8195": 3})

    def test_io_after_an_interrupted_or_timed_out_select(self):
        report = audit("read-after-eintr.log")
        self.assertEqual(violation_lines(report), [4, 6])
        self.assertIn("returned -1 EINTR (Interrupted system call): no descriptor is ready", report.violations[0])
        self.assertIn("returned 0 (Timeout)", report.violations[1])

    def test_an_accept_after_the_batch_ended_in_eagain(self):
        report = audit("accept-after-eagain.log")
        self.assertEqual(violation_lines(report), [4])
        self.assertEqual(report.batched_accepts, 1)

    def test_accepts_past_the_batch_size(self):
        report = audit("server-ff.log", accept_batch=2)
        self.assertEqual(violation_lines(report), [11])
        report = audit("server-ff.log", accept_batch=1)
        self.assertEqual(violation_lines(report), [10, 11, 29])

    def test_a_descriptor_number_closed_and_opened_again_in_the_same_pass_is_not_ready(self):
        report = audit("reused-after-close.log")      # reopened by an open() the log does not show
        self.assertEqual(violation_lines(report), [3])

    def test_a_descriptor_number_accept_returned_is_not_ready_even_when_its_close_is_not_traced(self):
        report = audit("reused-by-accept.log")
        self.assertEqual(violation_lines(report), [3])

    def test_a_descriptor_it_cannot_read_is_flagged_not_skipped(self):
        report = audit("strace-y.log")                # strace -y decorates descriptors with their paths
        self.assertEqual(violation_lines(report), [2])
        self.assertIn("no descriptor in argument 1", report.violations[0])


class CommandLine(unittest.TestCase):
    def test_clean_log_exits_zero_with_a_summary(self):
        status, output = main(fixture("cgi-f.log"))
        self.assertEqual(status, 0)
        self.assertIn("server pid 8193: 6 select() calls; 8 descriptor uses checked", output)
        self.assertIn("not the server, not audited: pid 8195 (6 I/O calls)", output)
        self.assertTrue(output.endswith("select-audit: 0 violations\n"))

    def test_violations_exit_one_and_name_the_log_line(self):
        status, output = main(fixture("two-reads.log"))
        self.assertEqual(status, 1)
        self.assertIn("VIOLATION %s:3: recvfrom on fd 6" % fixture("two-reads.log"), output)
        self.assertTrue(output.endswith("select-audit: 1 violation\n"))

    def test_a_log_without_a_select_proves_nothing_and_exits_two(self):
        status, output = main(fixture("no-select.log"))
        self.assertEqual(status, 2)
        self.assertIn("nothing audited", output)

    def test_pid_option_names_the_server(self):
        status, output = main("--pid", "8195", fixture("cgi-f.log"))
        self.assertEqual(status, 2)                     # the CGI child never calls select()
        status, output = main("--pid", "8193", fixture("cgi-f.log"))
        self.assertEqual(status, 0)


if __name__ == "__main__":
    unittest.main()
