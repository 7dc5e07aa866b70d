#!/usr/bin/env bash
# Builds the libFuzzer targets with swiftc and runs each for a bounded time.
#
#   Tests/Fuzz/run.sh [seconds-per-target] [target...]      targets: request chunked request-target config
#                                                           multipart cgi-response proxy-header
#   Tests/Fuzz/run.sh 0 request                              build only
#   FUZZ_REPLAY=1 Tests/Fuzz/run.sh 0                        run the seeds and regressions once (no fuzzing)
#
# Binaries, the growing scratch corpora (.build-fuzz/corpus-<target>) and crashing inputs
# (.build-fuzz/<target>.crash-*) stay in .build-fuzz/ (gitignored); committed seeds are only read.
# Exits non-zero when a target crashes, fails a property or fails to build.
set -uo pipefail

cd "$(dirname "$0")/../.."
seconds=${1:-60}
shift || true
all=(request chunked request-target config multipart cgi-response proxy-header)
targets=("${@:-${all[@]}}")
out=.build-fuzz
fuzz=Tests/Fuzz
mkdir -p "$out"

http=Sources/Server/HTTP
sources() {
    case "$1" in
        request) echo "$http/RequestParser.swift $http/PlainGet.swift $http/HostSyntax.swift $http/PercentEncoding.swift $http/Headers.swift $http/RequestHead.swift $http/BodyReader.swift
                       $http/ChunkedDecoder.swift $http/HTTPError.swift $http/Status.swift $http/Method.swift
                       $fuzz/RequestFuzz.swift" ;;
        chunked) echo "$http/ChunkedDecoder.swift $http/HTTPError.swift $http/Status.swift $fuzz/ChunkedFuzz.swift" ;;
        # Location (Config.swift) carries the loaded user file, which pulls in most of the module.
        request-target) echo "$(find Sources/Server -name '*.swift' | sort | tr '\n' ' ') $fuzz/RequestTargetFuzz.swift" ;;
        # The parser now also loads user files (auth_basic_user_file): it needs most of the module.
        config) echo "$(find Sources/Server -name '*.swift' | sort | tr '\n' ' ') $fuzz/ConfigFuzz.swift" ;;
        multipart) echo "Sources/Server/Handlers/MultipartParser.swift $http/HTTPError.swift $http/Status.swift
                         $http/Headers.swift $http/RequestParser.swift $http/PlainGet.swift $http/RequestHead.swift $http/Method.swift
                         $http/BodyReader.swift $http/ChunkedDecoder.swift $http/PercentEncoding.swift $http/HostSyntax.swift
                         $fuzz/MultipartFuzz.swift" ;;
        # Headers.swift and RequestParser.swift lend trimming and the byte classes; the rest is what they need.
        cgi-response) echo "Sources/Server/CGI/CGIResponseParser.swift $http/HTTPError.swift $http/Status.swift
                            $http/Headers.swift $http/RequestParser.swift $http/PlainGet.swift $http/RequestHead.swift $http/Method.swift
                            $http/HostSyntax.swift $http/PercentEncoding.swift $fuzz/CGIResponseFuzz.swift" ;;
        proxy-header) echo "$http/ProxyHeader.swift $http/IPAddress.swift Sources/Server/Reactor/Endpoint.swift
                            $fuzz/ProxyHeaderFuzz.swift" ;;
        *) return 1 ;;
    esac
}

status=0
summary=()
for target in "${targets[@]}"; do
    files=$(sources "$target") || { echo "unknown target: $target (known: ${all[*]})" >&2; exit 2; }
    binary="$out/$target-fuzz"
    echo "== $target: building $binary"
    # shellcheck disable=SC2086  # the file list is meant to split (and the config glob to expand)
    if ! swiftc -swift-version 5 -parse-as-library -module-name Server -O -g -sanitize=fuzzer,address \
            -use-ld=lld -I Sources/CSelect $files $fuzz/FuzzSupport.swift -o "$binary"; then
        summary+=("$target: BUILD FAILED")
        status=1
        continue
    fi

    seeds="$fuzz/corpus/$target"
    regressions="$fuzz/regressions/$target"
    inputs=("$seeds")
    [ -d "$regressions" ] && inputs+=("$regressions")
    log="$out/$target.log"
    # Artifacts are named $out/<target>.crash-<sha1> (also .timeout-, .oom-, .leak-); only this run's count.
    marker="$out/$target.started"
    touch "$marker"

    if [ "${FUZZ_REPLAY:-0}" = 1 ] || [ "$seconds" = 0 ]; then
        [ "${FUZZ_REPLAY:-0}" = 1 ] || { summary+=("$target: built"); continue; }
        # Replay: every committed input once; libFuzzer stops at the first failure.
        mapfile -t files_in < <(find "${inputs[@]}" -type f | sort)
        SWIFT_BACKTRACE=enable=no "$binary" -artifact_prefix="$out/$target." "${files_in[@]}" >"$log" 2>&1
        rc=$?
        execs=${#files_in[@]}
    else
        corpus="$out/corpus-$target"
        mkdir -p "$corpus"
        echo "== $target: fuzzing for ${seconds}s (log: $log)"
        # New units go to the first directory (the scratch corpus); the seeds and regressions are only read.
        SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 "$binary" \
            -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
            -dict="$fuzz/dict/$target.dict" -artifact_prefix="$out/$target." -print_final_stats=1 \
            "$corpus" "${inputs[@]}" >"$log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
    fi

    crashes=$(find "$out" -maxdepth 1 -newer "$marker" \( -name "$target.crash-*" -o -name "$target.timeout-*" \
        -o -name "$target.oom-*" -o -name "$target.leak-*" \) | sort)
    count=$(printf '%s' "$crashes" | grep -c . || true)
    if [ "$rc" -ne 0 ] || [ "$count" -gt 0 ]; then
        status=1
        # Replaying files writes no artifact: the failing input is the last one libFuzzer was running.
        [ -n "$crashes" ] || crashes=$(sed -n 's/^Running: //p' "$log" | tail -1)
        summary+=("$target: ${execs:-?} executions, $count crash(es) (exit $rc): $(echo $crashes)")
        grep -m1 -E 'fuzz property violated|Fatal error|ERROR: AddressSanitizer|ERROR: libFuzzer|deadly signal' "$log" \
            | cut -c1-300 | sed 's/^/    /'
        summary+=("    see $log")
    else
        summary+=("$target: ${execs:-?} executions, 0 crashes")
    fi
done

echo
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
exit $status
