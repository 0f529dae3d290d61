#!/usr/bin/env bash
# Runs the cargo-fuzz targets one after another, each for SECONDS (default 180), from copies of
# the committed seeds, so fuzz/seeds/ stays clean. Exits non-zero if any target crashed, hit a
# timeout or ran out of memory.
#
#   fuzz/run.sh                 # every target, 180 s each
#   fuzz/run.sh 60              # every target, 60 s each
#   fuzz/run.sh 600 manifest    # one target (or several), 600 s
#
# Environment:
#   TOOLCHAIN  rustup toolchain for cargo fuzz (default: nightly)
#   TIMEOUT    libFuzzer -timeout: seconds one input may take before it counts as a hang (default 10)
#   RSS_MB     libFuzzer -rss_limit_mb (default 2048)
#   FUZZ_ARGS  extra libFuzzer flags, e.g. FUZZ_ARGS="-jobs=1" or "-max_len=65536"
#
# Works from any directory; runs in the crate root (the parent of this fuzz/ directory).
# The scratch corpus is fuzz/corpus/<target>/, crash/timeout/oom inputs land in
# fuzz/artifacts/<target>/, and each target's full libFuzzer output in
# fuzz/artifacts/logs/<target>.log (all git-ignored).
set -uo pipefail

FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$FUZZ_DIR")"
cd "$ROOT"

SECONDS_PER_TARGET="${1:-180}"
[ "$#" -gt 0 ] && shift
ALL_TARGETS=(xml_tree connected_app external_client_app hubspot_config authorize_url manifest json_lines certificate)
if [ "$#" -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi
TOOLCHAIN="${TOOLCHAIN:-nightly}"
TIMEOUT="${TIMEOUT:-10}"
RSS_MB="${RSS_MB:-2048}"
read -r -a EXTRA <<< "${FUZZ_ARGS:-}"

dict_for() {
    case "$1" in
        xml_tree | connected_app | external_client_app) echo xml ;;
        hubspot_config | json_lines) echo json ;;
        authorize_url) echo url ;;
        manifest) echo yaml ;;
        certificate) echo pem ;;
        *) echo "" ;;
    esac
}

if ! cargo "+$TOOLCHAIN" fuzz --version > /dev/null 2>&1; then
    echo "cargo fuzz is missing: rustup toolchain install $TOOLCHAIN && cargo install cargo-fuzz --locked" >&2
    exit 2
fi

# Build every target first, so the time budget below is all fuzzing.
if ! cargo "+$TOOLCHAIN" fuzz build; then
    echo "build failed" >&2
    exit 2
fi

LOGS="fuzz/artifacts/logs"
mkdir -p "$LOGS"
failed=()
summary=()
for target in "${TARGETS[@]}"; do
    if [ ! -f "fuzz/fuzz_targets/$target.rs" ]; then
        echo "unknown target: $target" >&2
        failed+=("$target")
        continue
    fi
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    # Seeds are copied, never fuzzed in place: libFuzzer writes new inputs to the first corpus dir.
    cp -n "fuzz/seeds/$target"/* "$corpus"/ 2> /dev/null || true
    args=(-max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT" -print_final_stats=1)
    dict="$(dict_for "$target")"
    if [ -n "$dict" ] && [ -f "fuzz/dicts/$dict.dict" ]; then
        args+=(-dict="fuzz/dicts/$dict.dict")
    fi
    args+=("${EXTRA[@]}")
    log="$LOGS/$target.log"
    echo "=== $target: ${SECONDS_PER_TARGET}s (log: $log)"
    cargo "+$TOOLCHAIN" fuzz run "$target" "$corpus" -- "${args[@]}" > "$log" 2>&1
    status=$?
    # libFuzzer's last "Done N runs in S second(s)" line, or the line that says what went wrong.
    done_line="$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1)"
    if [ "$status" -eq 0 ]; then
        summary+=("$target: ok, ${done_line:-no stats line}")
    else
        what="$(grep -E 'ERROR: libFuzzer|^thread .* panicked|SUMMARY: ' "$log" | head -n 2 | tr '\n' ' ')"
        artifact="$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -n 1 | sed 's/Test unit written to //')"
        summary+=("$target: FAILED (exit $status) ${what}${artifact:+ artifact: $artifact}")
        failed+=("$target")
        tail -n 40 "$log"
    fi
    echo "${summary[-1]}"
done

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "failed: ${failed[*]}" >&2
    exit 1
fi
