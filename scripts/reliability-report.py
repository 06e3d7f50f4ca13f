#!/usr/bin/env python3
"""Renders docs/reliability.md from the figures the test run recorded (name TAB
value, one a line, summed by name) and the test runner's own log."""
import collections, datetime, re, sys

figures = collections.OrderedDict()
for line in open(sys.argv[1], encoding="utf-8"):
    name, _, value = line.rstrip("\n").partition("\t")
    figures[name] = figures.get(name, 0) + int(value)
log = open(sys.argv[2], encoding="utf-8", errors="replace").read()
passed = sum(int(n) for n in re.findall(r"^test result: ok\. (\d+) passed", log, re.M))
suites = {
    "hostile input (table-driven)": "hostile.rs",
    "process: SIGKILL, SIGTERM, unsafe starts": "process.rs",
    "forged requests, sessions, headers, races, audit": "security.rs",
    "the OpenAPI document lists every route": "openapi.rs",
    "two server processes on one database": "scale_out.rs",
    "batch metering and group commit: order, the cap, a SIGKILL mid-batch": "batch.rs",
    "PostgreSQL stopped and started under load": "pg_restart.rs",
    "live usage over Server-Sent Events": "live.rs",
    "webhooks, email, the outbox and its retries": "alerts.rs",
    "the edges: webhook addresses, slow and greedy clients, streams, probes": "edges.rs",
}
print("# Reliability\n")
print(f"Written by `scripts/test.sh` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC} "
      f"from that run ({passed} tests passed). Every figure below was counted by a test as it ran; “(PostgreSQL)” marks "
      "those of the second run of the API tests, on PostgreSQL, the rest are from the run on SQLite.\n")
print("| figure | value |\n|---|---:|")
for name, value in figures.items():
    print(f"| {name} | {value:,} |")
print("\nWhere they come from: `crates/server/tests/api.rs` (concurrency at the cap, retries of one key), "
      + ", ".join(f"`crates/server/tests/{f}` ({what})" for what, f in suites.items())
      + ", the property tests of the parsers and JSON bodies in `crates/domain` "
      "(proptest: any input is refused or read exactly, never a panic), and `scripts/schemathesis.sh` "
      "(schemathesis against the running server and its own `/api/openapi.json`: no 5xx, every "
      "answer as documented).")
