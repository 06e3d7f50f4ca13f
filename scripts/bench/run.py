#!/usr/bin/env python3
"""The measuring half of scripts/bench.sh: starts the release server on loopback,
drives it with wrk and headless Chromium, prints one table and writes
docs/performance.md. Standard library only.

    run.py <server binary> <dist dir> <docs/performance.md> [<postgres:// URL of a throwaway server>]

With the URL, metering is measured on PostgreSQL too, with one and with two
servers on one database (scripts/bench.sh starts that server and removes it).
"""
import datetime, gzip, hashlib, json, os, platform, re, secrets, sqlite3, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path

SERVER, DIST, OUT = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
PG_ADMIN = sys.argv[4] if len(sys.argv) > 4 else None
WORK = Path(tempfile.mkdtemp(prefix="billing-bench-"))
HERE = Path(__file__).resolve().parent
DURATION = os.environ.get("BENCH_SECONDS", "8")
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
    uncapped metering workspaces, one capped at $2,000.00, one to fill for the flat-cost
    figures; one owner of all, signed in."""
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
    rows = [(f"bench-{i}", None) for i in range(8)] + [("bench-capped", 200_000), ("bench-flat", None)]
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
                       for slug, cap in [(f"bench-{i}", "NULL") for i in range(8)] + [("bench-capped", 200_000)])
    psql(url, f"""INSERT INTO workspaces (slug, name, plan_name, plan_interval, plan_anchor, included_e4,
                  flex_rate_cents, prepaid_rate_cents, prepaid_e4, flex_enabled, flex_cap_cents) VALUES {values}""")


def check_totals_pg(url):
    """check_totals, on PostgreSQL."""
    (mismatched,), = psql(url, """
        SELECT COUNT(*) FROM cycle_totals t LEFT JOIN (
            SELECT workspace_id, cycle_start, SUM(included_e4) i, SUM(prepaid_e4) p, SUM(flex_e4) f, SUM(flex_cost_cents) c
              FROM usage_events GROUP BY workspace_id, cycle_start) u USING (workspace_id, cycle_start)
         WHERE t.included_e4 != COALESCE(u.i, 0) OR t.prepaid_e4 != COALESCE(u.p, 0)
            OR t.flex_e4 != COALESCE(u.f, 0) OR t.flex_cost_cents != COALESCE(u.c, 0)""")
    (records,), = psql(url, "SELECT COUNT(*) FROM usage_events")
    (cap, spend), = psql(url, """SELECT w.flex_cap_cents, COALESCE(t.flex_cost_cents, 0) FROM workspaces w
                                LEFT JOIN cycle_totals t ON t.workspace_id = w.id WHERE w.slug = 'bench-capped'""")
    return {"mismatched_totals": int(mismatched), "records": int(records), "cap_cents": int(cap),
            "capped_spend_cents": int(spend)}


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


def wrk(url, conns, script=None, headers=(), run="run", duration=DURATION):
    return finish_wrk(start_wrk(url, conns, script, headers, run, duration))


def start_wrk(url, conns, script=None, headers=(), run="run", duration=DURATION):
    threads = min(conns, 2)
    cmd = ["wrk", "--latency", f"-t{threads}", f"-c{conns}", f"-d{duration}s"]
    for h in headers:
        cmd += ["-H", h]
    if script:
        cmd += ["-s", str(HERE / script)]
    return subprocess.Popen(cmd + [url], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "BENCH_RUN": run, "BENCH_TOKEN": TOKEN})


def finish_wrk(proc):
    out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed: {out}")
    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000}[m.group(2)]
    statuses = re.search(r"^STATUSES (\{.*\})$", out, re.M)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": ms("50%"), "p99": ms("99%"),
        "statuses": json.loads(statuses.group(1)) if statuses else None,
    }


def metering(base, label):
    results = {}
    for conns in (1, 16, 64, 256):
        log(f"metering, {label}, {conns} connections")
        results[conns] = wrk(f"{base}/api/workspaces/bench-0/usage", conns, "usage.lua", run=f"{label}-{conns}")
    return results


def metering_split(bases, label):
    """Metering against several servers at once: the connections split evenly, one wrk each.
    Requests/s add up; p50 and p99 are the highest of the wrk runs."""
    results = {}
    for conns in (16, 64, 256):
        log(f"metering, {label}, {conns} connections over {len(bases)} servers")
        per = conns // len(bases)
        procs = []
        for i, base in enumerate(bases):
            procs.append(start_wrk(f"{base}/api/workspaces/bench-0/usage", per, "usage.lua", run=f"{label}-{conns}-{i}"))
        runs = [finish_wrk(p) for p in procs]
        statuses = {}
        for r in runs:
            for k, v in (r["statuses"] or {}).items():
                statuses[k] = statuses.get(k, 0) + v
        results[conns] = {"rps": sum(r["rps"] for r in runs), "p50": max(r["p50"] for r in runs),
                          "p99": max(r["p99"] for r in runs), "statuses": statuses}
    return results


def postgres_metering():
    """PostgreSQL: one server, then two servers on one database, under the same load."""
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
    (version,), = psql(PG_ADMIN, "SHOW server_version")
    out["version"] = version
    return out


def check_totals(db):
    """After the load: the running totals equal the records, and the capped workspace is not a cent over."""
    con = sqlite3.connect(db, timeout=30)
    mismatched = con.execute("""
        SELECT COUNT(*) FROM cycle_totals t LEFT JOIN (
            SELECT workspace_id, cycle_start, SUM(included_e4) i, SUM(prepaid_e4) p, SUM(flex_e4) f, SUM(flex_cost_cents) c
              FROM usage_events GROUP BY workspace_id, cycle_start) u USING (workspace_id, cycle_start)
         WHERE t.included_e4 != COALESCE(u.i, 0) OR t.prepaid_e4 != COALESCE(u.p, 0)
            OR t.flex_e4 != COALESCE(u.f, 0) OR t.flex_cost_cents != COALESCE(u.c, 0)""").fetchone()[0]
    (records,) = con.execute("SELECT COUNT(*) FROM usage_events").fetchone()
    capped = con.execute("""SELECT w.flex_cap_cents, COALESCE(t.flex_cost_cents, 0) FROM workspaces w
                            LEFT JOIN cycle_totals t ON t.workspace_id = w.id WHERE w.slug = 'bench-capped'""").fetchone()
    con.close()
    return {"mismatched_totals": mismatched, "records": records, "cap_cents": capped[0], "capped_spend_cents": capped[1]}


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
    """What the page's code is made of, by crate: twiggy's shallow sizes of the
    wasm before wasm-bindgen and wasm-opt (names and custom sections left out)."""
    if not wasm or not Path(wasm).is_file():
        return None
    out = subprocess.run(["twiggy", "top", "-n", "1000000", "-f", "csv", wasm],
                         capture_output=True, text=True, check=True).stdout
    import csv, collections, io
    skip = {"core", "alloc", "std", "impl", "T", "F", "_", "as", "dyn", "__rustc"}
    by = collections.Counter()
    for row in csv.DictReader(io.StringIO(out)):
        name, size = row["Name"], int(row["ShallowSize"])
        if name.startswith("custom section") or "function names" in name:
            continue
        if name.startswith("data segment"):
            by["(static data: strings, tables)"] += size
            continue
        crates = [t for t in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::", name) if t not in skip]
        by[crates[0] if crates else "(unnamed: wasm-bindgen descriptors and small glue, mostly dropped later)"] += size
    return by.most_common(14), sum(by.values())


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    chromium = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    return f"{os.cpu_count()} cores ({cpu}), {mem} GiB, Linux {platform.release()}; {wrk_v.strip()}; {chromium}"


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

    if PG_ADMIN:
        report["postgres"] = postgres_metering()

    write(report)


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
    if r.get("wasm_profile"):
        top, whole = r["wasm_profile"]
        lines += ["What the page's wasm is made of, by crate (twiggy, shallow bytes of the code and data before "
                  "wasm-bindgen and wasm-opt, which then shrink it to the size above):", "",
                  "| crate | bytes | share |", "|---|---:|---:|"]
        lines += [f"| {name} | {t(size)} | {100 * size / whole:.1f}% |" for name, size in top]
        lines += [""]
    lines += ["## Time to a usable card (navigation start to the card painted with fetched data; 20 cold loads)", "",
              "| CPU | page median | page p90 | static copy median | static p90 | ratio (median) |", "|---|---:|---:|---:|---:|---:|"]
    for throttle, c in r["page"]["card"].items():
        ratio = c["page"]["median"] / c["static"]["median"]
        lines.append(f"| {throttle}x | {ms(c['page']['median'])} | {ms(c['page']['p90'])} | {ms(c['static']['median'])} "
                     f"| {ms(c['static']['p90'])} | {ratio:.2f}x |")
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
    lines += ["", f"After the group-commit runs: {t(r['accepted'])} answers of 200 counted by wrk, {t(tot['records'])} records stored "
              "(the difference: requests still in flight when wrk stopped, which the server committed and answered after wrk "
              "stopped reading); "
              f"running totals that differ from the sum of their records: {tot['mismatched_totals']}; "
              f"capped workspace spend ${tot['capped_spend_cents'] / 100:,.2f} of a ${tot['cap_cents'] / 100:,.2f} cap "
              f"({max(0, tot['capped_spend_cents'] - tot['cap_cents'])} cents over).", "",
              f"Server peak RSS (through the 256-connection run): {r['peak_rss_mib']:.1f} MiB.", ""]
    if r.get("postgres"):
        pg = r["postgres"]
        lines += ["## Metering on PostgreSQL, one and two servers, beside SQLite", "",
                  f"PostgreSQL {pg['version']} (Debian's), a throwaway cluster on loopback on the same 2 cores, "
                  "`fsync=on`, `synchronous_commit=on`; each server keeps a pool of 16 connections. Same load as above "
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
        for label, key in (("one server", "one_totals"), ("two servers", "two_totals")):
            tot = pg[key]
            lines.append("")
            lines.append(f"After the PostgreSQL runs, {label}: {t(tot['records'])} records stored; running totals that "
                         f"differ from the sum of their records: {tot['mismatched_totals']}; capped workspace spend "
                         f"${tot['capped_spend_cents'] / 100:,.2f} of a ${tot['cap_cents'] / 100:,.2f} cap "
                         f"({max(0, tot['capped_spend_cents'] - tot['cap_cents'])} cents over).")
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
    main()
