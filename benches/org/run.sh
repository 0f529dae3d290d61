#!/usr/bin/env bash
# The org benchmark (issue 11, "Speed and memory"): `scopeaudit org salesforce` against what a
# user would write instead, a Python script on simple-salesforce (simple_salesforce_audit.py),
# both against the same fake Salesforce org (examples/fake-org.rs) in the same run.
#
#   benches/org/run.sh [--runs N] [--apps N] [--users N] [--tokens N] [--seed N]
#                      [--latency-ms N] [--no-python] [--no-scopeaudit] [--no-latency]
#                      [--python-latency] [--hardis] [--json FILE]
#
# Defaults: 500 apps, 20,000 users, 100,000 tokens, seed 1, best of 3 runs, 50 ms latency.
# --hardis adds a row for the script selecting OauthToken as sfdx-hardis does (relationship
# fields on every token: about twice the script's time and memory); --python-latency runs the
# script with latency too; --json FILE keeps the figures.
# What it does, in order:
#   1. a venv in target/bench-venv with benches/org/requirements.txt from PyPI (once; again
#      when the requirements change);
#   2. `cargo build --release` of scopeaudit and the fake-org example (CARGO_TARGET_DIR is
#      honoured);
#   3. benches/org/harness.py: starts the fake org on 127.0.0.1, counts the rows of each object
#      to get the minimum API calls the data needs, then measures the script and
#      `scopeaudit org salesforce --instance-url URL --login-url URL -f json -o FILE`
#      (credential through SF_ACCESS_TOKEN + SF_INSTANCE_URL, SCOPEAUDIT_TODAY=2026-11-23):
#      wall time (best of N), peak RSS (the child's ru_maxrss, as /usr/bin/time -v reports it),
#      API calls (the org's DailyApiRequests before and after each run, which is what the
#      Sforce-Limit-Info header reports; the harness's own calls are outside those brackets)
#      and requests by kind; then scopeaudit again with --latency-ms per answer, against the
#      serial sum of its calls (calls x latency). It prints a table and the issue's targets.
#
# Minimum API calls = 1 /limits + 1 describe per object read (OauthToken included)
#   + 1 COUNT() of OauthToken + sum over the other objects of max(1, ceil(rows / 2000))
#   + ceil(tokens / 500) + ceil(connected apps / 10) readMetadata calls.
# (The versions list and the token endpoint are not API calls: the org does not count them.)
#
# When `scopeaudit org salesforce --help` fails (the command is not built yet) scopeaudit is
# skipped with a message and only the script is measured. Nothing but 127.0.0.1 is contacted
# (PyPI and crates.io aside, for the installs). A full run takes about 2 minutes after the
# builds.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$root/target/bench-venv"
req="$root/benches/org/requirements.txt"
stamp="$venv/.requirements.sha256"

if [[ ! -x "$venv/bin/python" ]] || ! sha256sum --check --status "$stamp" 2>/dev/null; then
    echo "bench-org: installing benches/org/requirements.txt into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
    sha256sum "$req" >"$stamp"
fi

echo "bench-org: building scopeaudit and the fake org (release)" >&2
nice cargo build --release --locked --quiet --bin scopeaudit --example fake-org

exec "$venv/bin/python" "$root/benches/org/harness.py" \
    --fake-org "$target/release/examples/fake-org" \
    --scopeaudit "$target/release/scopeaudit" \
    --python "$venv/bin/python" \
    "$@"
