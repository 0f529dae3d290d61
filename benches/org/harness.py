#!/usr/bin/env python3
"""The org benchmark's measuring half; benches/org/run.sh installs and builds, then runs this.

Starts the fake org (examples/fake-org.rs) on 127.0.0.1, then in the same run measures the
simple-salesforce script and `scopeaudit org salesforce` against it: wall time (best of
--runs), peak RSS (the child's ru_maxrss from wait4, as /usr/bin/time reports it), API calls
(the org's DailyApiRequests before and after, from the fake's `stats` control line) and the
minimum calls the data needs; then scopeaudit again with --latency-ms of latency per answer,
against the serial sum of its calls. Prints a table and the targets of issue 11.
Only 127.0.0.1 is contacted.
"""

import argparse
import json
import math
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

TODAY = "2026-11-23"  # the fake org's "now"
OBJECTS = [  # (object, WHERE clause the audit needs), every object the audit reads
    ("ConnectedApplication", ""),
    ("AppMenuItem", ""),
    ("ExternalClientApplication", ""),
    ("ExtlClntAppOauthSettings", ""),
    ("ExtlClntAppOauthPlcyCnfg", ""),
    ("SetupEntityAccess", " WHERE SetupEntityType IN ('ConnectedApplication','ExternalClientApplication')"),
    ("Profile", ""),
    ("PermissionSet", ""),
    ("PermissionSetAssignment", ""),
    ("User", ""),
]
BATCH = 2000  # rows per query batch (the REST default and maximum)
TOKEN_BATCH = 500  # OauthToken rows per batch
METADATA_BATCH = 10  # full names per readMetadata call


class FakeOrg:
    def __init__(self, binary, args):
        self.proc = subprocess.Popen(
            [binary, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
            text=True,
            bufsize=1,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.info = {}
        deadline = time.monotonic() + 300
        while True:
            line = self._next(deadline)
            if line == "ready":
                break
            for key, prefix in [
                ("instance_url", "instance url:"),
                ("login_url", "login url:"),
                ("data", "data:"),
                ("token", "SF_ACCESS_TOKEN="),
                ("ready_ms", "fake Salesforce org ready in"),
            ]:
                if line.startswith(prefix):
                    self.info[key] = line[len(prefix):].strip()
            if line.strip().startswith("tokens_total:"):
                self.info["tokens_total"] = int(line.split(":")[1].strip(" ,"))
        url = urllib.parse.urlparse(self.info["instance_url"])
        if url.hostname != "127.0.0.1":
            sys.exit(f"fake org is not on 127.0.0.1: {url.geturl()}")

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _next(self, deadline):
        try:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            sys.exit("fake org: no answer in time")
        if line is None:
            sys.exit(f"fake org exited (status {self.proc.wait()})")
        return line

    def control(self, command, answer_prefix):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        deadline = time.monotonic() + 30
        while True:
            line = self._next(deadline)
            if line.startswith(answer_prefix):
                return line[len(answer_prefix):]

    def stats(self):
        return json.loads(self.control("stats", "stats "))

    def reset(self):
        self.proc.stdin.write("reset\n")
        self.proc.stdin.flush()

    def latency(self, ms):
        self.control(f"latency {ms}", "latency ")

    def count(self, obj, where, version):
        q = urllib.parse.quote(f"SELECT COUNT() FROM {obj}{where}")
        req = urllib.request.Request(
            f"{self.info['instance_url']}/services/data/v{version}/query?q={q}",
            headers={"Authorization": f"Bearer {self.info['token']}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.load(r)["totalSize"]
        except urllib.error.HTTPError as e:
            if e.code in (400, 404):  # INVALID_TYPE: an edition without the object
                return 0
            raise

    def stop(self):
        self.proc.stdin.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def run_measured(cmd, env, stdout_path):
    """Runs cmd; returns (exit code, wall seconds, peak RSS in KiB, CPU seconds, stderr)."""
    with open(stdout_path, "w") as out:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.PIPE)
        err_reader = threading.Thread(target=lambda: setattr(p, "err_text", p.stderr.read()), daemon=True)
        err_reader.start()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        err_reader.join()
        p.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return p.returncode, wall, usage.ru_maxrss, cpu, p.err_text.decode("utf-8", "replace")


def measure(name, org, cmd, env, runs, ok_codes, check):
    """Best-of-`runs` wall, the largest peak RSS, the API calls of each run. `{report}` in cmd
    is replaced by a report path in a fresh directory; check(report, stdout) says what is off."""
    results = []
    for i in range(runs):
        org.reset()
        before = org.stats()
        with tempfile.TemporaryDirectory(prefix="bench-org-") as tmp:
            report = os.path.join(tmp, "report.json")
            stdout = os.path.join(tmp, "stdout")
            code, wall, rss, cpu, err = run_measured([a.replace("{report}", report) for a in cmd], env, stdout)
            after = org.stats()
            if code not in ok_codes:
                sys.stderr.write(err[-4000:])
                sys.exit(f"{name}: exit {code} (run {i + 1}); stderr above")
            note = check(report, stdout)
        calls = after["api_used"] - before["api_used"]
        results.append(
            {"wall": wall, "cpu": cpu, "rss_kib": rss, "calls": calls, "requests": after["requests"], "by_kind": after["by_kind"]}
        )
        print(f"  {name} run {i + 1}: {wall:.2f} s ({cpu:.2f} s CPU), {rss / 1024:.0f} MiB, {calls} API calls"
              f"{', ' + note if note else ''}", file=sys.stderr)
    return {
        "tool": name,
        "wall": min(r["wall"] for r in results),
        "cpu": min(r["cpu"] for r in results),
        "rss_mib": max(r["rss_kib"] for r in results) / 1024,
        "calls": sorted({r["calls"] for r in results}),
        "requests": results[0]["requests"],
        "by_kind": results[0]["by_kind"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fake-org", required=True, help="the fake-org example binary")
    ap.add_argument("--scopeaudit", required=True)
    ap.add_argument("--python", required=True, help="the venv's python, with simple-salesforce")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--apps", type=int, default=500)
    ap.add_argument("--users", type=int, default=20000)
    ap.add_argument("--tokens", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--no-python", action="store_true")
    ap.add_argument("--no-scopeaudit", action="store_true")
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--python-latency", action="store_true", help="also run the script with latency")
    ap.add_argument("--hardis", action="store_true",
                    help="also measure the script selecting OauthToken columns as sfdx-hardis does")
    ap.add_argument("--json", help="write the figures here too")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))

    t0 = time.monotonic()
    org = FakeOrg(
        args.fake_org,
        ["--apps", str(args.apps), "--users", str(args.users), "--tokens", str(args.tokens), "--seed", str(args.seed)],
    )
    try:
        info = org.info
        print(f"fake org: {info['data']} on {info['instance_url']} (seed {args.seed}, ready in {info['ready_ms']})",
              file=sys.stderr)
        version = "67.0"
        with urllib.request.urlopen(f"{info['instance_url']}/services/data/", timeout=60) as r:
            version = max(json.load(r), key=lambda v: float(v["version"]))["version"]

        # The minimum calls the data needs.
        rows = {obj: org.count(obj, where, version) for obj, where in OBJECTS}
        tokens = org.count("OauthToken", "", version)
        if "tokens_total" in info and tokens != info["tokens_total"]:
            sys.exit(f"COUNT() of OauthToken {tokens} != planted {info['tokens_total']}")
        read_objects = [o for o, _ in OBJECTS if rows[o] or not o.startswith("Ext")]
        minimum_parts = {
            "limits": 1,
            "describe": len(read_objects) + 1,
            "count": 1,
            "query": sum(max(1, math.ceil(rows[o] / BATCH)) for o in read_objects)
            + math.ceil(tokens / TOKEN_BATCH),
            "read_metadata": math.ceil(rows["ConnectedApplication"] / METADATA_BATCH),
        }
        minimum = sum(minimum_parts.values())
        print(
            "minimum API calls = 1 /limits + 1 describe per object read (incl. OauthToken) + 1 COUNT() "
            "+ sum over objects of max(1, ceil(rows/2000)) + ceil(tokens/500) + ceil(connected apps/10) readMetadata",
            file=sys.stderr,
        )
        print(f"  rows: {json.dumps(rows)}, OauthToken {tokens}", file=sys.stderr)
        print(f"  = {' + '.join(f'{v} {k}' for k, v in minimum_parts.items())} = {minimum}", file=sys.stderr)

        base_env = {k: v for k, v in os.environ.items() if not k.startswith("SF_") and not k.startswith("SCOPEAUDIT_")}
        env = dict(base_env, SF_ACCESS_TOKEN=info["token"], SF_INSTANCE_URL=info["instance_url"], SCOPEAUDIT_TODAY=TODAY)
        rows_out = []

        def check_python(_report, stdout):
            with open(stdout) as f:
                got = json.load(f)["tokens_total"]
            return "" if got == tokens else f"TOKENS READ {got} != {tokens}"

        def check_scopeaudit(report, _stdout):
            try:
                with open(report) as f:
                    report = json.load(f)
            except (OSError, ValueError) as e:
                return f"report not JSON: {e}"
            o = report.get("org") or {}
            notes = []
            if o.get("tokens_total") != tokens:
                notes.append(f"org.tokens_total {o.get('tokens_total')} != {tokens}")
            if o.get("complete") is False:
                notes.append("report marked incomplete")
            if "api_calls" in o:
                notes.append(f"it reports {o['api_calls']} API calls")
            return "; ".join(notes)

        py_cmd = [args.python, os.path.join(here, "simple_salesforce_audit.py"), "--today", TODAY]
        sa_cmd = [args.scopeaudit, "org", "salesforce", "--instance-url", info["instance_url"],
                  "--login-url", info["instance_url"], "-f", "json", "-o", "{report}"]
        sa_available = False
        if not args.no_scopeaudit:
            probe = subprocess.run([args.scopeaudit, "org", "salesforce", "--help"], capture_output=True, env=base_env)
            sa_available = probe.returncode == 0
            if not sa_available:
                print("scopeaudit: SKIPPED: `scopeaudit org salesforce --help` failed (the org command is not "
                      "built yet); re-run benches/org/run.sh once it exists", file=sys.stderr)

        if not args.no_python:
            rows_out.append(measure("simple-salesforce", org, py_cmd, env, args.runs, {0}, check_python))
            if args.hardis:
                rows_out.append(measure("simple-salesforce (hardis)", org, py_cmd + ["--hardis-token-fields"], env,
                                        args.runs, {0}, check_python))
        if sa_available:
            rows_out.append(measure("scopeaudit", org, sa_cmd, env, args.runs, {0, 1}, check_scopeaudit))

        latency_rows = []
        if args.latency_ms and not args.no_latency and (sa_available or args.python_latency):
            org.latency(args.latency_ms)
            if args.python_latency and not args.no_python:
                r = measure(f"simple-salesforce +{args.latency_ms}ms", org, py_cmd, env, 1, {0}, check_python)
                latency_rows.append(r)
            if sa_available:
                r = measure(f"scopeaudit +{args.latency_ms}ms", org, sa_cmd, env, args.runs, {0, 1}, check_scopeaudit)
                latency_rows.append(r)
            org.latency(0)
    finally:
        org.stop()

    print()
    print(f"org: {args.apps} apps, {args.users} users, {args.tokens} tokens, seed {args.seed}; "
          f"best of {args.runs} (CPU: user+sys, least of the runs; the fake org's own work is not in it); "
          f"minimum API calls {minimum}; load average {os.getloadavg()[0]:.1f}")
    print(f"{'tool':<26} {'wall':>8} {'CPU':>8} {'peak RSS':>10} {'API calls':>10} {'minimum':>8} {'ratio':>6} {'requests':>9}")
    for r in rows_out:
        calls = r["calls"][-1]
        shown = "/".join(str(c) for c in r["calls"])
        print(f"{r['tool']:<26} {r['wall']:>7.2f}s {r['cpu']:>7.2f}s {r['rss_mib']:>7.0f} MiB {shown:>10} {minimum:>8} "
              f"{calls / minimum:>6.2f} {r['requests']:>9}")
    for r in rows_out:
        print(f"  {r['tool']} calls by kind: {json.dumps(r['by_kind'])}")
    for r in latency_rows:
        calls = r["calls"][-1]
        serial = calls * args.latency_ms / 1000
        print(f"{r['tool']:<26} {r['wall']:>7.2f}s  serial sum {calls} x {args.latency_ms} ms = {serial:.2f}s, "
              f"wall/serial {r['wall'] / serial:.2f}")

    by = {r["tool"]: r for r in rows_out}
    py, sa = by.get("simple-salesforce"), by.get("scopeaudit")
    if sa:
        print("targets (issue 11):")
        if py:
            print(f"  speed: {py['wall'] / sa['wall']:.1f}x faster than the script (target >= 3x)")
        print(f"  peak RSS: {sa['rss_mib']:.0f} MiB (target < 100 MiB)")
        print(f"  API calls: {sa['calls'][-1]} = {sa['calls'][-1] / minimum:.3f} x minimum (target <= 1.05)")
        lat = [r for r in latency_rows if r["tool"].startswith("scopeaudit")]
        if lat:
            serial = lat[0]["calls"][-1] * args.latency_ms / 1000
            print(f"  latency {args.latency_ms} ms: wall {lat[0]['wall']:.2f}s = {lat[0]['wall'] / serial:.2f} x "
                  f"serial sum (target < 0.33)")
    else:
        print("scopeaudit: not measured (see above)")
    print(f"benchmark took {time.monotonic() - t0:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"minimum": minimum, "minimum_parts": minimum_parts, "rows": rows, "tokens": tokens,
                       "results": rows_out, "latency": latency_rows, "latency_ms": args.latency_ms}, f, indent=1)


if __name__ == "__main__":
    main()
