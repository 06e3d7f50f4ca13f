#!/usr/bin/env python3
"""The measuring half of scripts/bench.sh: starts the release server on loopback,
drives it with wrk and headless Chromium, prints one table and writes
docs/performance.md. Standard library only.

    run.py <server binary> <dist dir> <docs/performance.md> [<postgres:// URL of a throwaway server>]

With the URL, metering is measured on PostgreSQL too, with one and with two
servers on one database (scripts/bench.sh starts that server and removes it).

Besides single records (`POST /api/workspaces/{ws}/usage`, usage.lua) it measures
batch ingest (`POST /api/usage/batch`, 1,000 records a batch, batch.lua) on SQLite
and PostgreSQL, single records on PostgreSQL with group commit beside
`--write-batch 1`, and the hot workspace (every record to bench-hot) on SQLite and
on one and two PostgreSQL servers; after each of those sections it checks the cap
and the running totals (check_totals, check_totals_pg) and prints the result.
BENCH_SECONDS (8) is the wrk duration of the first sections, BENCH_NEW_SECONDS (5)
that of the batch and hot-workspace runs.
"""
import datetime, gzip, hashlib, json, os, platform, re, secrets, sqlite3, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

SERVER, DIST, OUT = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
PG_ADMIN = sys.argv[4] if len(sys.argv) > 4 else None
WORK = Path(tempfile.mkdtemp(prefix="billing-bench-"))
HERE = Path(__file__).resolve().parent
DURATION = os.environ.get("BENCH_SECONDS", "8")
NEW_DURATION = os.environ.get("BENCH_NEW_SECONDS", "5")
# Batch ingest: records a batch (batch.lua reads it from BENCH_BATCH) and connection counts.
BATCH = 1000
BATCH_CONNS = (1, 4, 16)
# The hot workspace: every single record to it, at this many connections. Flex on, with a
# cap ($10,000,000.00) that keeps the cap check in the path but is not reached in a run.
HOT, HOT_CONNS, HOT_CAP_CENTS = "bench-hot", 64, 1_000_000_000
OWNER = "owner@bench.test"
# The server runs as in production (no --demo): a metering token from a file,
# a session written straight into the database (as its SHA-256, like the server).
TOKEN = secrets.token_hex(24)
SESSION = secrets.token_hex(32)


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Server:
    """A release server with demo data on a free loopback port and a fresh database."""

    def __init__(self, db, *extra):
        self.db = db
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        token_file = WORK / "metering.token"
        token_file.write_text(TOKEN)
        self.proc = subprocess.Popen(
            [SERVER, "--db", str(db), "--static-dir", str(DIST), "--addr", f"127.0.0.1:{self.port}",
             "--metering-token-file", str(token_file), *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "warn"})
        for _ in range(200):
            try:
                urllib.request.urlopen(self.base + "/index.html", timeout=1)
                return
            except Exception:
                time.sleep(0.05)
        raise SystemExit("the server did not start")

    def peak_rss_kib(self):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_cookie(_base=None):
    return f"billing_session={SESSION}"


def cycle_start():
    today = datetime.datetime.now(datetime.timezone.utc).date()
    return today.replace(day=1).isoformat()


def seed_bench_workspaces(db):
    """The page's two workspaces (acme: Flex off; globex: on, annual, $1,200.00 cap), eight
    uncapped metering workspaces, one capped at $2,000.00, the hot workspace (a cap it does
    not reach), one to fill for the flat-cost figures; one owner of all, signed in."""
    con = sqlite3.connect(db, timeout=30)
    con.execute("INSERT INTO users (email) VALUES (?)", (OWNER,))
    con.execute("""INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                   flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled, flex_cap_cents)
                   VALUES ('acme', 'Acme Robotics', 'Growth', 'month', '2025-01-01', 300000, 400, 300, 100000, 0, NULL),
                          ('globex', 'Globex', 'Enterprise', 'year', '2025-03-01', 3600000, 400, 300, 0, 1, 120000)""")
    con.execute("""INSERT INTO memberships (workspace_id, user_id, role)
                   SELECT w.id, u.id, 'owner' FROM workspaces w, users u WHERE u.email = ?""", (OWNER,))
    now = datetime.datetime.now(datetime.timezone.utc)
    fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
    con.execute("""INSERT INTO sessions (token, user_id, created_at, expires_at, last_seen_at)
                   SELECT ?, id, ?, ?, ? FROM users WHERE email = ?""",
                (hashlib.sha256(SESSION.encode()).hexdigest(), fmt(now), fmt(now + datetime.timedelta(days=1)), fmt(now), OWNER))
    rows = [(f"bench-{i}", None) for i in range(8)] + [("bench-capped", 200_000), (HOT, HOT_CAP_CENTS), ("bench-flat", None)]
    for slug, cap in rows:
        con.execute("""INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                       flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled, flex_cap_cents)
                       VALUES (?, ?, 'Growth', 'month', '2025-01-01', 0, 400, 300, 0, 1, ?)""", (slug, slug, cap))
        con.execute("""INSERT INTO memberships (workspace_id, user_id, role)
                       SELECT w.id, u.id, 'owner' FROM workspaces w, users u WHERE w.slug = ? AND u.email = ?""",
                    (slug, OWNER))
    con.commit()
    con.close()


def psql(url, sql):
    """Runs SQL on PostgreSQL; answers the rows, each a list of text fields."""
    out = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtF", "\t", "-c", sql],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line]


def pg_database(name):
    """A new, empty database in the throwaway server: its URL."""
    psql(PG_ADMIN, f"CREATE DATABASE {name}")
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


def seed_pg(url):
    """The metering workspaces of seed_bench_workspaces, on PostgreSQL (the server made the schema)."""
    values = ", ".join(f"('{slug}', '{slug}', 'Growth', 'month', '2025-01-01', 0, 400, 300, 0, true, {cap})"
                       for slug, cap in [(f"bench-{i}", "NULL") for i in range(8)]
                       + [("bench-capped", 200_000), (HOT, HOT_CAP_CENTS)])
    psql(url, f"""INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                  flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled, flex_cap_cents) VALUES {values}""")


# The checks after a run, in SQL both stores take. Running totals are compared with the
# sum of their records both ways (a total without records, records without a total):
# per workspace and cycle, per workspace, cycle and feature, and the day's flex spend
# summed per workspace (by workspace, not by day: the day a record's spend counts on is
# the server's, and a run may cross midnight).
CHECKS = {
    "mismatched_totals": """
        SELECT (SELECT COUNT(*) FROM cycle_totals t LEFT JOIN (
                    SELECT workspace_id, cycle_start, SUM(included_e4) i, SUM(prepaid_e4) p, SUM(flex_e4) f,
                           SUM(flex_cost_cents) c
                      FROM usage_events GROUP BY workspace_id, cycle_start) u USING (workspace_id, cycle_start)
                 WHERE t.included_e4 != COALESCE(u.i, 0) OR t.prepaid_e4 != COALESCE(u.p, 0)
                    OR t.flex_e4 != COALESCE(u.f, 0) OR t.flex_cost_cents != COALESCE(u.c, 0))
             + (SELECT COUNT(*) FROM (SELECT DISTINCT workspace_id, cycle_start FROM usage_events) u
                  LEFT JOIN cycle_totals t USING (workspace_id, cycle_start) WHERE t.flex_e4 IS NULL)""",
    "mismatched_feature_totals": """
        SELECT (SELECT COUNT(*) FROM feature_totals t LEFT JOIN (
                    SELECT workspace_id, cycle_start, feature, SUM(credits_e4) cr, SUM(flex_e4) f, SUM(flex_cost_cents) c
                      FROM usage_events GROUP BY workspace_id, cycle_start, feature) u
                    USING (workspace_id, cycle_start, feature)
                 WHERE t.credits_e4 != COALESCE(u.cr, 0) OR t.flex_e4 != COALESCE(u.f, 0)
                    OR t.flex_cost_cents != COALESCE(u.c, 0))
             + (SELECT COUNT(*) FROM (SELECT DISTINCT workspace_id, cycle_start, feature FROM usage_events) u
                  LEFT JOIN feature_totals t USING (workspace_id, cycle_start, feature) WHERE t.credits_e4 IS NULL)""",
    "mismatched_daily_flex": """
        SELECT COUNT(*) FROM workspaces w
          LEFT JOIN (SELECT workspace_id, SUM(flex_cost_cents) c FROM daily_flex GROUP BY workspace_id) d
                 ON d.workspace_id = w.id
          LEFT JOIN (SELECT workspace_id, SUM(flex_cost_cents) c FROM usage_events GROUP BY workspace_id) u
                 ON u.workspace_id = w.id
         WHERE COALESCE(d.c, 0) != COALESCE(u.c, 0)""",
    "records": "SELECT COUNT(*) FROM usage_events",
}
# The capped workspace: its cap and its highest cycle's spend (one cycle, unless the run crossed a month).
CAPPED_SQL = """SELECT w.flex_cap_cents, COALESCE(MAX(t.flex_cost_cents), 0) FROM workspaces w
                  LEFT JOIN cycle_totals t ON t.workspace_id = w.id
                 WHERE w.slug = 'bench-capped' GROUP BY w.id, w.flex_cap_cents"""
# The hot workspace: its records, their flex spend, its running totals' spend, its cap.
HOT_SQL = f"""SELECT (SELECT COUNT(*) FROM usage_events e WHERE e.workspace_id = w.id),
                     (SELECT COALESCE(SUM(e.flex_cost_cents), 0) FROM usage_events e WHERE e.workspace_id = w.id),
                     (SELECT COALESCE(SUM(t.flex_cost_cents), 0) FROM cycle_totals t WHERE t.workspace_id = w.id),
                     w.flex_cap_cents
                FROM workspaces w WHERE w.slug = '{HOT}'"""


def run_checks(query):
    """The checks, with `query` (SQL to rows) on either store. Answers a dict of integers
    (hot_cap_cents None when uncapped; the hot_ keys missing without bench-hot)."""
    num = lambda v: None if v is None or v == "" else int(v)
    out = {key: num(query(sql)[0][0]) for key, sql in CHECKS.items()}
    (cap, spend), = query(CAPPED_SQL)
    out["cap_cents"], out["capped_spend_cents"] = num(cap), num(spend)
    hot = query(HOT_SQL)
    if hot:
        out["hot_records"], out["hot_spend_cents"], out["hot_totals_cents"], out["hot_cap_cents"] = map(num, hot[0])
    return out


def check_ok(tot):
    """Whether a check passed: 0 cents over the cap, every running total equal to its records."""
    hot_ok = tot.get("hot_spend_cents") == tot.get("hot_totals_cents") and (
        tot.get("hot_cap_cents") is None or (tot.get("hot_totals_cents") or 0) <= tot["hot_cap_cents"])
    mismatched = (tot["mismatched_totals"], tot.get("mismatched_feature_totals", 0), tot.get("mismatched_daily_flex", 0))
    return tot["capped_spend_cents"] <= tot["cap_cents"] and hot_ok and not any(mismatched)


def check_totals_pg(url):
    """check_totals, on PostgreSQL."""
    return run_checks(lambda sql: psql(url, sql))


def rss_kib(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def download_csv(server, cookie, path):
    """Downloads `path` as the owner, reading as it streams; samples the server's RSS meanwhile."""
    import threading
    before = rss_kib(server.proc.pid)
    peak, done = [before], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(server.proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    req = urllib.request.Request(server.base + path, headers={"Cookie": cookie})
    size = lines = 0
    with urllib.request.urlopen(req, timeout=600) as r:
        while chunk := r.read(1 << 16):
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.monotonic() - started
    done.set()
    sampler.join()
    return {"rows": lines - 1, "bytes": size, "seconds": seconds,
            "rss_before_mib": before / 1024, "rss_peak_mib": peak[0] / 1024}


def fill(db, slug, upto):
    """Brings `slug`'s current cycle to `upto` usage records, written directly (flex, $1.00 each)."""
    con = sqlite3.connect(db, timeout=30)
    (ws,) = con.execute("SELECT id FROM workspaces WHERE slug = ?", (slug,)).fetchone()
    (have,) = con.execute("SELECT COUNT(*) FROM usage_events WHERE workspace_id = ?", (ws,)).fetchone()
    add = upto - have
    start = cycle_start()
    con.execute("""WITH RECURSIVE n(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM n WHERE i < ?)
                   INSERT INTO usage_events (workspace_id, idempotency_key, cycle_start, credits_e4, included_e4,
                                             prepaid_e4, flex_e4, flex_cost_cents, recorded_at)
                   SELECT ?, 'seed-' || i, ?, 2500, 0, 0, 2500, 100, '2026-01-01T00:00:00Z' FROM n""",
                (have + 1, upto, ws, start))
    con.execute("""INSERT INTO cycle_totals (workspace_id, cycle_start, flex_e4, flex_cost_cents) VALUES (?, ?, ?, ?)
                   ON CONFLICT (workspace_id, cycle_start) DO UPDATE SET
                     flex_e4 = flex_e4 + excluded.flex_e4, flex_cost_cents = flex_cost_cents + excluded.flex_cost_cents""",
                (ws, start, 2500 * add, 100 * add))
    con.commit()
    con.close()


def wrk(url, conns, script=None, headers=(), run="run", duration=DURATION, env=None, timeout=None):
    return finish_wrk(start_wrk(url, conns, script, headers, run, duration, env, timeout))


def start_wrk(url, conns, script=None, headers=(), run="run", duration=DURATION, env=None, timeout=None):
    """wrk in the background; `env` is more environment for the Lua script, `timeout` wrk's (2 s unless told)."""
    threads = min(conns, 2)
    cmd = ["wrk", "--latency", f"-t{threads}", f"-c{conns}", f"-d{duration}s"]
    if timeout:
        cmd += ["--timeout", timeout]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", str(HERE / script)]
    return subprocess.Popen(cmd + [url], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "BENCH_RUN": run, "BENCH_TOKEN": TOKEN, **(env or {})})


def finish_wrk(proc):
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed: {out}")
    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]
    statuses = re.search(r"^STATUSES (\{.*\})$", out, re.M)
    refused = re.search(r"^REFUSED (\d+)$", out, re.M)  # batch.lua: records refused inside 200 answers
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"), "p99": ms("99%"),
        "statuses": json.loads(statuses.group(1)) if statuses else None,
        **({"refused": int(refused.group(1))} if refused else {}),
    }


def metering(base, label, conns_list=(1, 16, 64, 256), env=None, duration=DURATION):
    results = {}
    for conns in conns_list:
        log(f"metering, {label}, {conns} connections")
        results[conns] = wrk(f"{base}/api/workspaces/bench-0/usage", conns, "usage.lua", run=f"{label}-{conns}",
                             duration=duration, env=env)
    return results


def metering_split(bases, label, conns_list=(16, 64, 256), env=None, duration=DURATION):
    """Metering against several servers at once: the connections split evenly, one wrk each.
    Requests/s add up; p50 and p99 are the highest of the wrk runs."""
    results = {}
    for conns in conns_list:
        log(f"metering, {label}, {conns} connections over {len(bases)} servers")
        per = conns // len(bases)
        procs = []
        for i, base in enumerate(bases):
            procs.append(start_wrk(f"{base}/api/workspaces/bench-0/usage", per, "usage.lua", run=f"{label}-{conns}-{i}",
                                   duration=duration, env=env))
        runs = [finish_wrk(p) for p in procs]
        statuses = {}
        for r in runs:
            for k, v in (r["statuses"] or {}).items():
                statuses[k] = statuses.get(k, 0) + v
        results[conns] = {"rps": sum(r["rps"] for r in runs), "p50": max(r["p50"] for r in runs),
                          "p99": max(r["p99"] for r in runs), "statuses": statuses}
    return results


def batch_ingest(base, label):
    """`POST /api/usage/batch` of BATCH records (batch.lua), at BATCH_CONNS connections. Per run, besides
    wrk's figures: records_ps, batches answered 200 a second times BATCH, and recorded_ps, the records
    answered 200 inside them a second (records_ps less the capped workspace's refused records)."""
    results = {}
    for conns in BATCH_CONNS:
        log(f"batch ingest, {label}, {conns} connections, {BATCH:,} records a batch")
        r = wrk(f"{base}/api/usage/batch", conns, "batch.lua", run=f"{label}-{conns}", duration=NEW_DURATION,
                env={"BENCH_BATCH": str(BATCH)}, timeout="10s")
        statuses = r["statuses"] or {}
        answers, ok = sum(statuses.values()), statuses.get("200", 0)
        per_answer = r["rps"] / answers if answers else 0.0  # wrk's requests/s counts every answer
        r["records_ps"] = per_answer * ok * BATCH
        r["recorded_ps"] = per_answer * (ok * BATCH - r.get("refused", 0))
        results[conns] = r
    return results


def hot_workspace(bases, label):
    """Every single record to the hot workspace, HOT_CONNS connections split over `bases` (one wrk each)."""
    return metering_split(bases, label, (HOT_CONNS,), env={"BENCH_WORKSPACES": HOT}, duration=NEW_DURATION)[HOT_CONNS]


def report_check(label, tot):
    """Prints a check's result as it comes (the same words as in docs/performance.md)."""
    log(f"check, {label}: {'passed' if check_ok(tot) else 'FAILED'}: {totals_line(tot)}")


def on_sqlite(name, run, *flags):
    """A fresh SQLite database and server (with `flags`), seeded; run([base]); then the checks,
    printed. Answers (what run answered, the check); the database is removed after."""
    db = WORK / f"{name}.sqlite3"
    server = Server(db, *flags)
    try:
        seed_bench_workspaces(db)
        result = run([server.base])
    finally:
        server.stop()
    tot = check_totals(db)
    report_check(f"SQLite, {name}", tot)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return result, tot


def on_pg(name, run, *flags, servers=1):
    """on_sqlite on PostgreSQL: a fresh database `name`, `servers` servers on it."""
    url = pg_database(name)
    procs = []
    try:
        procs += [Server(url, *flags) for _ in range(servers)]
        seed_pg(url)
        result = run([p.base for p in procs])
    finally:
        for p in procs:
            p.stop()
    tot = check_totals_pg(url)
    report_check(f"PostgreSQL, {name}", tot)
    psql(PG_ADMIN, f"DROP DATABASE {name} WITH (FORCE)")
    return result, tot


def postgres_metering():
    """PostgreSQL: one server, then two servers on one database, under the same load (single
    records, group commit, the default); then one transaction per request (--write-batch 1),
    batch ingest, and the hot workspace on one and on two servers."""
    out = {}
    url = pg_database("bench_one")
    one = Server(url)
    seed_pg(url)
    out["one"] = metering(one.base, "pg-one")
    one.stop()
    out["one_totals"] = check_totals_pg(url)
    url = pg_database("bench_two")
    a = Server(url)
    b = Server(url)
    seed_pg(url)
    out["two"] = metering_split([a.base, b.base], "pg-two")
    a.stop()
    b.stop()
    out["two_totals"] = check_totals_pg(url)
    report_check("PostgreSQL, one server", out["one_totals"])
    report_check("PostgreSQL, two servers", out["two_totals"])
    out["one_tx"], out["one_tx_totals"] = on_pg("bench_one_tx", lambda b: metering(b[0], "pg-one-tx"),
                                                "--write-batch", "1")
    out["batch"], out["batch_totals"] = on_pg("bench_batch", lambda b: batch_ingest(b[0], "batch-pg"))
    out["hot_one"], out["hot_one_totals"] = on_pg("bench_hot_one", lambda b: hot_workspace(b, "hot-pg-one"))
    out["hot_two"], out["hot_two_totals"] = on_pg("bench_hot_two", lambda b: hot_workspace(b, "hot-pg-two"), servers=2)
    (version,), = psql(PG_ADMIN, "SHOW server_version")
    out["version"] = version
    return out


def check_totals(db):
    """After the load: the running totals (per cycle, per feature, per day) equal the records,
    the capped workspace is not a cent over, and the hot workspace's total is its records'."""
    con = sqlite3.connect(db, timeout=30)
    try:
        return run_checks(lambda sql: con.execute(sql).fetchall())
    finally:
        con.close()


def sizes(paths):
    rows = []
    for path in paths:
        f = DIST / path.lstrip("/")
        if path == "/" or not f.is_file():
            f = DIST / "index.html"
        raw = f.read_bytes()
        br = subprocess.run(["brotli", "-c", "-q", "11", str(f)], capture_output=True, check=True).stdout
        rows.append((path, len(raw), len(gzip.compress(raw, 9)), len(br)))
    return rows


def wasm_profile(wasm):
    """What each of the page's modules is made of, by crate: the wasm split, bound and
    shrunk as scripts/split-wasm.sh and post-build.sh do, but with wasm-opt keeping the
    function names, then twiggy's shallow sizes (names and custom sections left out)."""
    if not wasm or not Path(wasm).is_file():
        return None
    import csv, collections, io
    work = Path(tempfile.mkdtemp(prefix="bench-wasm-", dir=WORK))
    subprocess.run(["wasm-split-cli", wasm, str(work), "--out-name", "main"], check=True, capture_output=True)
    subprocess.run(["wasm-bindgen", "--target", "web", "--no-typescript", "--keep-lld-exports", "--out-dir",
                    str(work / "bound"), "--out-name", "main", str(work / "main.wasm")], check=True, capture_output=True)
    features = ["--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
                "--enable-reference-types", "--enable-multivalue"]
    modules = {"first module": work / "bound" / "main_bg.wasm"}
    modules.update({f"later module (`{re.sub(r'^split_|_[0-9]+$', '', f.stem)}`)": f
                    for f in sorted(work.glob("split_*.wasm"))})
    skip = {"core", "alloc", "std", "impl", "T", "F", "_", "as", "dyn", "__rustc"}
    out = {}
    for label, f in modules.items():
        named = f.with_suffix(".named.wasm")
        subprocess.run(["wasm-opt", "-Oz", "-g", *features, str(f), "-o", str(named)], check=True, capture_output=True)
        listing = subprocess.run(["twiggy", "top", "-n", "1000000", "-f", "csv", str(named)],
                                 capture_output=True, text=True, check=True).stdout
        by = collections.Counter()
        for row in csv.DictReader(io.StringIO(listing)):
            name, size = row["Name"], int(row["ShallowSize"])
            if name.startswith("custom section") or "function names" in name or "subsection" in name:
                continue
            if name.startswith("data segment"):
                by["(static data: strings, tables)"] += size
                continue
            crates = [t for t in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::", name) if t not in skip]
            by[crates[0] if crates else "(unnamed: glue, descriptors)"] += size
        out[label] = (by.most_common(12), sum(by.values()))
    return out


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    chromium = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, Linux {platform.release()}; {wrk_v.strip()}; {chromium}"


def pg_has(r, key):
    return bool((r.get("postgres") or {}).get(key))


def main():
    work = WORK
    report = {"machine": machine(), "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}

    # Group commit (the product as shipped).
    db = work / "bench.sqlite3"
    server = Server(db)
    seed_bench_workspaces(db)
    cookie = session_cookie(server.base)

    log("page weight and timings (headless Chromium)")
    page = json.loads(subprocess.run(["node", str(HERE / "page.mjs"), server.base, str(DIST), SESSION],
                                     capture_output=True, text=True, check=True).stdout)
    assets = [l["path"] for l in page["loaded"] if not l["path"].startswith("/api/")]
    report["page"] = page
    report["weight"] = sizes(assets)
    report["api_calls"] = [l["path"] for l in page["loaded"] if l["path"].startswith("/api/")]
    report["wasm_profile"] = wasm_profile(os.environ.get("BENCH_WASM"))

    reads, statics = {}, {}
    static_asset = next(p for p in assets if p.endswith(".css") or p.endswith(".js"))
    for conns in (1, 16, 64):
        log(f"reads, {conns} connections")
        reads[conns] = wrk(f"{server.base}/api/workspaces/acme/billing", conns, headers=[f"Cookie: {cookie}"])
        statics[conns] = wrk(f"{server.base}{static_asset}", conns)
    report["reads"], report["static"], report["static_asset"] = reads, statics, static_asset

    report["metering"] = metering(server.base, "group")
    report["peak_rss_mib"] = server.peak_rss_kib() / 1024
    report["totals"] = check_totals(db)
    report_check("SQLite, group commit", report["totals"])
    accepted = sum(r["statuses"].get("200", 0) for r in report["metering"].values())
    report["accepted"] = accepted

    log("flat cost: 0, 100,000 and 1,000,000 records in the cycle")
    flat = {}
    for n in (0, 100_000, 1_000_000):
        if n:
            server.stop()
            fill(db, "bench-flat", n)
            server = Server(db)
            cookie = session_cookie(server.base)
        read = wrk(f"{server.base}/api/workspaces/bench-flat/billing", 1, headers=[f"Cookie: {cookie}"], duration="4")
        rec = wrk(f"{server.base}/api/workspaces/bench-flat/usage", 1, "usage.lua", run=f"flat-{n}", duration="4")
        flat[n] = {"read": read, "record": rec}
        if n:
            log(f"usage CSV of {n:,} records")
            flat[n]["csv"] = download_csv(server, cookie, "/api/workspaces/bench-flat/usage.csv")
    report["flat"] = flat
    server.stop()

    # Baseline: one transaction (and one fsync) per request, same load.
    base_db = work / "baseline.sqlite3"
    baseline = Server(base_db, "--write-batch", "1")
    seed_bench_workspaces(base_db)
    report["baseline"] = metering(baseline.base, "baseline")
    baseline.stop()
    report["baseline_totals"] = check_totals(base_db)
    report_check("SQLite, one transaction per request", report["baseline_totals"])

    report["batch"], report["batch_totals"] = on_sqlite("batch", lambda b: batch_ingest(b[0], "batch-sqlite"))
    report["hot"], report["hot_totals"] = on_sqlite("hot", lambda b: hot_workspace(b, "hot-sqlite"))

    if PG_ADMIN:
        report["postgres"] = postgres_metering()

    write(report)


def totals_line(tot):
    """A check in words: records stored, running totals off, the capped (and the hot) workspace."""
    over = max(0, tot["capped_spend_cents"] - tot["cap_cents"])
    line = (f"{tot['records']:,} records stored; running totals that differ from the sum of their records: "
            f"{tot['mismatched_totals']} per cycle, {tot.get('mismatched_feature_totals', 0)} per feature, "
            f"{tot.get('mismatched_daily_flex', 0)} of the daily flex spend (summed per workspace); "
            f"capped workspace spend ${tot['capped_spend_cents'] / 100:,.2f} of a ${tot['cap_cents'] / 100:,.2f} cap "
            f"({over} cents over)")
    if tot.get("hot_records"):
        equal = "equal to" if tot["hot_totals_cents"] == tot["hot_spend_cents"] else "NOT equal to"
        line += (f"; hot workspace: {tot['hot_records']:,} records, running total ${tot['hot_totals_cents'] / 100:,.2f}, "
                 f"{equal} the sum of its records (${tot['hot_spend_cents'] / 100:,.2f})")
    return line + "."


def answers(runs):
    """The answers wrk counted over `runs`, by status: "1,234 × 200, 5 × 503"."""
    total = {}
    for run in runs:
        for k, v in (run.get("statuses") or {}).items():
            total[k] = total.get(k, 0) + v
    return ", ".join(f"{v:,} × {k}" for k, v in sorted(total.items())) or "none"


def targets(r):
    """The targets: (what, measured, met) each; measured "not measured" (met None) without its runs."""
    rows = []
    ms = lambda v: f"{v:.2f} ms"
    pg = r.get("postgres") or {}

    def best(runs):
        c, v = max(runs.items(), key=lambda kv: kv[1]["rps"])
        return v["rps"], c

    card = (r.get("page") or {}).get("card") or {}
    if card.get("slow"):
        b = card["slow"]["page"]["bytes"]
        rows.append(("At most 90 KB brotli before the card is usable (HTML, CSS, JS, wasm)",
                     f"{b['before']:,} B", b["before"] <= 90 * 1024))
        rows.append(("At most 160 KB brotli in all", f"{b['total']:,} B", b["total"] <= 160 * 1024))
        for key, label in (("1x", "1x CPU"), ("4x", "4x CPU throttle"), ("slow", "the slow network")):
            c = card[key]
            ratio = c["page"]["median"] / c["static"]["median"]
            rows.append((f"Usable card within 1.5x of the static copy, {label}",
                         f"{ratio:.2f}x ({ms(c['page']['median'])} against {ms(c['static']['median'])})", ratio <= 1.5))
        shifts = [c["page"]["cls"] for c in card.values()] + [r["page"]["globex"]["cls"]]
        rows.append(("Layout shift 0 during a cold load", f"{max(shifts):g} at most, over every cold load measured",
                     max(shifts) == 0))
    if r.get("batch"):
        c, v = max(r["batch"].items(), key=lambda kv: kv[1]["recorded_ps"])
        rows.append(("SQLite batch ingest ≥ 250,000 durable records/s (records answered 200, best connection count)",
                     f"{v['recorded_ps']:,.0f} records/s ({c} connections)", v["recorded_ps"] >= 250_000))
    for key, label in (("one", "one server"), ("two", "two servers")):
        what = (f"PostgreSQL single records ≥ 15,000/s, {label}" if key == "one" else
                "PostgreSQL single records, two servers: no fewer (≥ 15,000/s)")
        if pg.get(key):
            rps, c = best(pg[key])
            rows.append((what, f"{rps:,.0f} req/s ({c} connections)", rps >= 15_000))
        else:
            rows.append((what, "not measured", None))
    if pg.get("hot_two"):
        rows.append(("Hot workspace ≥ 10,000/s on PostgreSQL across two servers",
                     f"{pg['hot_two']['rps']:,.0f} req/s ({HOT_CONNS} connections)", pg["hot_two"]["rps"] >= 10_000))
    else:
        rows.append(("Hot workspace ≥ 10,000/s on PostgreSQL across two servers", "not measured", None))
    # p99 at 64 connections, single records, each store: the nine-workspace load and the hot workspace.
    for label, spread, hot in (("SQLite", (r.get("metering") or {}).get(64), r.get("hot")),
                               ("PostgreSQL, one server", (pg.get("one") or {}).get(64), pg.get("hot_one")),
                               ("PostgreSQL, two servers", (pg.get("two") or {}).get(64), pg.get("hot_two"))):
        what = f"p99 < 25 ms at 64 connections, single records, {label}"
        got = [(name, run["p99"]) for name, run in (("nine workspaces", spread), ("hot workspace", hot)) if run]
        if got:
            rows.append((what, ", ".join(f"{ms(v)} ({name})" for name, v in got), all(v < 25 for _, v in got)))
        else:
            rows.append((what, "not measured", None))
    return rows


def write(r):
    t = lambda v: f"{v:,.0f}"
    ms = lambda v: f"{v:.2f} ms"
    lines = [
        "# Performance", "",
        f"Measured by `scripts/bench.sh` on {r['date']}: {r['machine']}.",
        "Release build, loopback, one server process; load from wrk on the same machine "
        "(it shares the 2 cores with the server). SQLite with `synchronous=FULL`.", "",
        "## Page weight (cold load of /workspaces/acme/billing)", "",
        "| file | raw | gzip | brotli |", "|---|---:|---:|---:|",
    ]
    total = [0, 0, 0]
    for path, raw, gz, br in r["weight"]:
        lines.append(f"| `{path}` | {t(raw)} B | {t(gz)} B | {t(br)} B |")
        total = [total[0] + raw, total[1] + gz, total[2] + br]
    lines += [f"| **{len(r['weight'])} requests** | **{t(total[0])} B** | **{t(total[1])} B** | **{t(total[2])} B** |", "",
              f"Served encodings seen by the browser: {', '.join(sorted({l['encoding'] for l in r['page']['loaded']}))}. "
              f"Data fetched after load: {', '.join(sorted(set(r['api_calls'])))}.", ""]
    slow = r["page"]["card"]["slow"]["page"]
    b = slow["bytes"]
    first = set(b["beforeFiles"])
    lines += [f"**Before the card is usable: {t(b['before'])} B** of files (HTML, CSS, JS, wasm; brotli bodies as sent) "
              f"in {len(first)} requests; **{t(b['total'])} B in all** once the later half is in. Read from Resource "
              "Timing on the slow network (below), where the card's first frame comes before the later module arrives.", "",
              "| file | bytes as sent | before the card is usable |", "|---|---:|---|"]
    lines += [f"| `{f['path']}` | {t(f['body'])} B | {'yes' if f['path'] in first else 'no: after'} |" for f in b["files"]]
    lines += [""]
    if r.get("wasm_profile"):
        lines += ["What each wasm module is made of, by crate (twiggy, shallow bytes after wasm-bindgen and wasm-opt -Oz, "
                  "names kept for the count; brotli then shrinks each to about a third):", ""]
        for label, (top, whole) in r["wasm_profile"].items():
            lines += [f"{label[0].upper()}{label[1:]}, {t(whole)} B:", "", "| crate | bytes | share |", "|---|---:|---:|"]
            lines += [f"| {name} | {t(size)} | {100 * size / whole:.1f}% |" for name, size in top]
            lines += [""]
    lines += ["## Time to a usable card (navigation start to the card painted with fetched data; cold loads)", "",
              "Slow network: Chromium's network emulation at Lighthouse's slow 4G (150 ms round trip, 1.6 Mbps down, "
              "750 Kbps up), CPU not throttled. The later half is the card's second module (chart, breakdown, statements, "
              "history, alert delivery) painted. Layout shift: the largest cumulative layout shift of any of the loads, "
              "from the first byte until two frames after the later half is painted.", "",
              "| conditions | loads | page median | page p90 | static copy median | static p90 | ratio (median) "
              "| later half median | layout shift |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    names = {"1x": "1x CPU", "4x": "4x CPU throttle", "slow": "slow network"}
    for key, c in r["page"]["card"].items():
        ratio = c["page"]["median"] / c["static"]["median"]
        lines.append(f"| {names.get(key, key)} | {c['page']['n']} | {ms(c['page']['median'])} | {ms(c['page']['p90'])} "
                     f"| {ms(c['static']['median'])} | {ms(c['static']['p90'])} | {ratio:.2f}x "
                     f"| {ms(c['page']['later']['median'])} | {c['page']['cls']:g} |")
    g = r["page"]["globex"]
    lines += ["", f"Globex (Flex Billing on: the meter, the forecast, then the chart and the breakdown in the later half), "
              f"{g['n']} cold loads at 1x CPU: card {ms(g['median'])} median, later half {ms(g['later']['median'])}, "
              f"layout shift {g['cls']:g}.", ""]
    cuts = HERE.parent.parent / "docs" / "page-cuts.md"
    if cuts.is_file():
        lines += [cuts.read_text().strip(), ""]
    d, s = r["page"]["dialog"], r["page"]["capSaved"]
    lines += ["", "## Interaction (20 each)", "", "| what | median | p90 |", "|---|---:|---:|",
              f"| click Enable to the dialog painted | {ms(d['median'])} | {ms(d['p90'])} |",
              f"| Enter in the cap field to \"Cap saved\" painted (includes the PUT) | {ms(s['median'])} | {ms(s['p90'])} |", ""]
    lines += ["## API reads: `GET .../billing` beside a static file from the same server", "",
              f"Static file: `{r['static_asset']}`.", "",
              "| connections | billing req/s | p50 | p99 | static req/s | static p50 | static p99 |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for c, v in r["reads"].items():
        st = r["static"][c]
        lines.append(f"| {c} | {t(v['rps'])} | {ms(v['p50'])} | {ms(v['p99'])} | {t(st['rps'])} | {ms(st['p50'])} | {ms(st['p99'])} |")
    lines += ["", "## Metering: `POST .../usage`, unique keys, durable", "",
              "Nine workspaces in turn, one capped at $2,000.00 (it fills, then answers 402).", "",
              "| connections | group commit req/s | p50 | p99 | one transaction per request req/s | p50 | p99 |",
              "|---:|---:|---:|---:|---:|---:|---:|"]
    for c, g in r["metering"].items():
        b = r["baseline"][c]
        lines.append(f"| {c} | {t(g['rps'])} | {ms(g['p50'])} | {ms(g['p99'])} | {t(b['rps'])} | {ms(b['p50'])} | {ms(b['p99'])} |")
    tot = r["totals"]
    lines += ["", f"After the group-commit runs: {t(r['accepted'])} answers of 200 counted by wrk, {totals_line(tot)} "
              "(Records stored beyond the answers counted: requests still in flight when wrk stopped, which the server "
              "committed and answered after wrk stopped reading.)", ""]
    if r.get("baseline_totals"):
        lines += [f"After the one-transaction-per-request runs: {totals_line(r['baseline_totals'])}", ""]
    lines += [f"Server peak RSS (through the 256-connection run): {r['peak_rss_mib']:.1f} MiB.", ""]
    if r.get("postgres"):
        pg = r["postgres"]
        lines += ["## Metering on PostgreSQL, one and two servers, beside SQLite", "",
                  f"PostgreSQL {pg['version']} (Debian's), a throwaway cluster on loopback on the same 2 cores, "
                  "`fsync=on`, `synchronous_commit=on`; each server keeps a pool of 16 connections and commits single "
                  "records in groups (the default; one transaction per request is in the next section). Same load as above "
                  "(nine workspaces in turn, one capped). With two servers the connections split evenly, one wrk per "
                  "server at the same time: requests/s add up, and p50/p99 are the higher of the two runs. Both servers, "
                  "PostgreSQL and wrk share this machine's 2 cores, so a second server cannot add capacity here; "
                  "what the column shows is the cap and the totals holding with the load split across servers "
                  "(the lines below the table).", "",
                  "| connections | SQLite (group commit) req/s | p99 | PostgreSQL, 1 server req/s | p50 | p99 "
                  "| PostgreSQL, 2 servers req/s | p50 | p99 |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for c, g in r["metering"].items():
            one = pg["one"][c]
            two = pg["two"].get(c)
            two_cells = f"{t(two['rps'])} | {ms(two['p50'])} | {ms(two['p99'])}" if two else "– | – | –"
            lines.append(f"| {c} | {t(g['rps'])} | {ms(g['p99'])} | {t(one['rps'])} | {ms(one['p50'])} | {ms(one['p99'])} "
                         f"| {two_cells} |")
        lines += [""]
        for label, key in (("one server", "one_totals"), ("two servers", "two_totals")):
            lines += [f"After the PostgreSQL runs, {label}: {totals_line(pg[key])}", ""]
    if pg_has(r, "one_tx"):
        pg = r["postgres"]
        lines += ["## PostgreSQL single records: group commit beside one transaction per request", "",
                  "One server, the load of the tables above (nine workspaces in turn, one capped). Group commit is the "
                  "server as shipped (the 1-server runs of the section above); one transaction per request is a second "
                  "server with `--write-batch 1` on a fresh database, same durations.", "",
                  "| connections | group commit req/s | p50 | p99 | one transaction per request req/s | p50 | p99 |",
                  "|---:|---:|---:|---:|---:|---:|---:|"]
        for c, g in pg["one"].items():
            b = pg["one_tx"].get(c)
            cells = f"{t(b['rps'])} | {ms(b['p50'])} | {ms(b['p99'])}" if b else "– | – | –"
            lines.append(f"| {c} | {t(g['rps'])} | {ms(g['p50'])} | {ms(g['p99'])} | {cells} |")
        lines += ["", f"After the one-transaction-per-request runs: {totals_line(pg['one_tx_totals'])}", ""]
    if r.get("batch"):
        pgb = (r.get("postgres") or {}).get("batch") or {}
        lines += [f"## Batch ingest: `POST /api/usage/batch`, {BATCH:,} records a batch, durable", "",
                  f"One server on a fresh database, {NEW_DURATION} s a run. Each batch's records go to the eight "
                  "uncapped workspaces in turn and every 50th to the capped one (2%: it fills to its $2,000.00 cap, "
                  "then its records are answered 402 inside the batch), three features in turn, every key unique. "
                  f"records/s: batches answered 200 a second × {BATCH:,}; recorded/s: the records answered 200 inside "
                  "them a second (the difference: the capped workspace's refused records). p50 and p99 are per batch.", ""]
        if pgb:
            lines += ["| connections | SQLite records/s | recorded/s | p50 | p99 | PostgreSQL records/s | recorded/s | p50 | p99 |",
                      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        else:
            lines += ["| connections | SQLite records/s | recorded/s | p50 | p99 |", "|---:|---:|---:|---:|---:|"]
        for c, v in r["batch"].items():
            row = f"| {c} | {t(v['records_ps'])} | {t(v['recorded_ps'])} | {ms(v['p50'])} | {ms(v['p99'])} |"
            if pgb:
                p = pgb.get(c)
                row += (f" {t(p['records_ps'])} | {t(p['recorded_ps'])} | {ms(p['p50'])} | {ms(p['p99'])} |" if p
                        else " – | – | – | – |")
            lines.append(row)
        refused = sum(v.get("refused", 0) for v in r["batch"].values())
        lines += ["", f"SQLite: batches answered {answers(r['batch'].values())}; records refused inside them: {t(refused)}. "
                  f"After the runs: {totals_line(r['batch_totals'])}", ""]
        if pgb:
            refused = sum(v.get("refused", 0) for v in pgb.values())
            lines += [f"PostgreSQL: batches answered {answers(pgb.values())}; records refused inside them: {t(refused)}. "
                      f"After the runs: {totals_line(r['postgres']['batch_totals'])}", ""]
    if r.get("hot"):
        pg = r.get("postgres") or {}
        lines += [f"## The hot workspace: every single record to one workspace, {HOT_CONNS} connections", "",
                  f"`POST /api/workspaces/{HOT}/usage`, unique keys, durable, {NEW_DURATION} s a run on a fresh database: "
                  f"Flex on, a ${HOT_CAP_CENTS / 100:,.2f} cap that is checked on every record but not reached. With two "
                  f"servers the {HOT_CONNS} connections split evenly, one wrk per server at the same time (requests/s add "
                  "up, p50/p99 the higher of the two).", "",
                  "| store | req/s | p50 | p99 |", "|---|---:|---:|---:|"]
        for label, run in (("SQLite, one server", r["hot"]), ("PostgreSQL, one server", pg.get("hot_one")),
                           ("PostgreSQL, two servers", pg.get("hot_two"))):
            if run:
                lines.append(f"| {label} | {t(run['rps'])} | {ms(run['p50'])} | {ms(run['p99'])} |")
        lines += ["", f"After the SQLite run: {totals_line(r['hot_totals'])}", ""]
        for label, key in (("one server", "hot_one_totals"), ("two servers", "hot_two_totals")):
            if pg.get(key):
                lines += [f"After the PostgreSQL run, {label}: {totals_line(pg[key])}", ""]
    rows = targets(r)
    lines += ["## Targets", "", "| target | measured | result |", "|---|---|---|"]
    for what, measured, met in rows:
        lines.append(f"| {what} | {measured} | {'–' if met is None else 'met' if met else 'not met'} |")
    lines += [""]
    lines += ["## Flat cost: one connection, after N records in the current cycle", "",
              "| records in the cycle | billing read p50 | req/s | usage record p50 | req/s |", "|---:|---:|---:|---:|---:|"]
    for n, v in r["flat"].items():
        lines.append(f"| {t(int(n))} | {ms(v['read']['p50'])} | {t(v['read']['rps'])} | {ms(v['record']['p50'])} | {t(v['record']['rps'])} |")
    lines += ["", "## The usage CSV: `GET .../usage.csv`, streamed, of the same cycle", "",
              "Server RSS sampled every 20 ms while the download runs; the records are read 5,000 at a time.", "",
              "| records in the cycle | rows | size | time | server RSS before | server RSS peak |",
              "|---:|---:|---:|---:|---:|---:|"]
    for n, v in r["flat"].items():
        c = v.get("csv")
        if c:
            lines.append(f"| {t(int(n))} | {t(c['rows'])} | {c['bytes'] / 1e6:.1f} MB | {c['seconds']:.1f} s | "
                         f"{c['rss_before_mib']:.1f} MiB | {c['rss_peak_mib']:.1f} MiB |")
    text = "\n".join(lines) + "\n"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    try:
        main()
    finally:
        # The databases of the run (hundreds of MB after the 1,000,000-record fill).
        import shutil
        shutil.rmtree(WORK, ignore_errors=True)
