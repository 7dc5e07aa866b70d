#!/usr/bin/env bash
# Builds webserv with AddressSanitizer (release, .build-asan/) and runs the integration suite against it
# (WEBSERV_BIN). Any ASan report, a leak at exit included, makes the server exit $asan_status, which
# Webserv.stop() records as an issue; the reports themselves go to $reports/asan.<pid>, listed at the end.
#
#   scripts/asan-tests.sh [extra swift test arguments]      e.g. --skip CGI
#
# Both scratch paths are private: the default .build and ./webserv are left alone.
set -uo pipefail
cd "$(dirname "$0")/.."
swift=${SWIFT:-swift}
asan_status=86                # none of the server's own statuses (0, 1, 2)
reports=.build-asan/reports

# lld: gold links too, but warns about every ASan helper symbol it cannot export.
if ! $swift build -c release --scratch-path .build-asan -Xswiftc -sanitize=address -Xswiftc -use-ld=lld \
        --product webserv; then
    echo "asan: the sanitized build failed" >&2
    exit 1
fi
# A private copy: a rebuild during the run cannot swap the binary under a test.
binary=$PWD/.build-asan/webserv-asan
cp .build-asan/release/webserv "$binary.new" && mv -f "$binary.new" "$binary"

rm -rf "$reports" && mkdir -p "$reports"
symbolizer=$(command -v llvm-symbolizer || echo "$(dirname "$(command -v "$swift")")/llvm-symbolizer")
# halt_on_error: the first report ends the server (with $asan_status, abort_on_error=0 so no core);
# detect_leaks: LeakSanitizer runs at exit() after SIGTERM and turns a leak into the same status.
# quarantine_size_mb=16 (default 256): freed blocks wait there before reuse, so streaming 300 MB through
# 64 KiB buffers parks 256 MB in it, more than the tests' peak-RSS bounds allow ASan on top of ours.
# A use after free is still caught unless 16 MB were freed in between.
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:exitcode=$asan_status:quarantine_size_mb=16"
ASAN_OPTIONS+=":log_path=$PWD/$reports/asan"
[ -f scripts/lsan.supp ] && export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
[ -x "$symbolizer" ] && export ASAN_SYMBOLIZER_PATH="$symbolizer"
# The runtime's backtracer would race ASan for the crash and print the report twice.
export SWIFT_BACKTRACE=enable=no

# WEBSERV_SANITIZED: peak-RSS bounds allow for ASan's own memory (Tests/IntegrationTests/Harness/MemoryBound.swift).
WEBSERV_BIN=$binary WEBSERV_SANITIZED=1 $swift test --scratch-path .build-asan-tests --filter IntegrationTests "$@"
status=$?

found=$(find "$reports" -type f | sort)
if [ -n "$found" ]; then
    echo "asan: $(echo "$found" | wc -l) report(s):" >&2
    for report in $found; do
        echo "==== $report" >&2
        cat "$report" >&2
    done
    status=1
fi
exit $status
