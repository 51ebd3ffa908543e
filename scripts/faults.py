"""Fault drills against the real binary, run by .ci/run (see docs/ASSURANCE.md, "Fault drills").

    python scripts/faults.py [drill ...]     drills: kill9 sigterm two_instances pg_restart

kill9          kill -9 in the middle of a burst of acceptances, on SQLite and PostgreSQL; after a
               restart no deal is half-written and the lot's books balance.
sigterm        SIGTERM while slow requests (sign-ins, argon2) are in flight: all of them are
               answered and the process exits 0 within the 30 s grace period.
two_instances  two services on one PostgreSQL database: accepts spread over both never oversell,
               and their outbox workers deliver every email exactly once to a real SMTP server.
pg_restart     PostgreSQL stopped and started while acceptances keep coming with Idempotency-Keys
               and retries: 503s while it is down, then recovery without a restart, and every
               accepted offer has exactly one deal.

Needs a built binary (WUFEI_BIN, default target/debug/wufei), the local PostgreSQL cluster
(WUFEI_TEST_POSTGRES_URL) and aiosmtpd (the test virtualenv). Prints one line per finding.
"""
import concurrent.futures as cf
import http.client
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("WUFEI_BIN", os.path.join(ROOT, "target/debug/wufei"))
PG = os.environ.get("WUFEI_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PASSWORD = "Baotou-Demo-Slag-2026"
LOT_T = 100
OFFERS = 150


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None, headers=None, timeout=30):
    """(status, parsed body); status 0 when the connection failed."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            raw = res.read()
            return res.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw
    except (urllib.error.URLError, ConnectionError, TimeoutError, socket.timeout):
        return 0, None


class Service:
    def __init__(self, db_url, data_dir, demo=False, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db_url, self.data_dir, self.demo, self.extra = db_url, data_dir, demo, env or {}
        self.proc = None

    def start(self):
        env = dict(os.environ, WUFEI_DATABASE_URL=self.db_url, WUFEI_BIND=f"127.0.0.1:{self.port}",
                   WUFEI_DATA_DIR=self.data_dir, RUST_LOG="warn", WUFEI_DB_TIMEOUT_SECS="2",
                   **self.extra)
        args = [BIN, "serve"] + (["--demo"] if self.demo else [])
        self.log = open(os.path.join(self.data_dir, f"service-{self.port}.log"), "ab")
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            if call(self.base, "GET", "/health/ready", timeout=2)[0] == 200:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        raise SystemExit(f"service on {self.port} did not start; see {self.log.name}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=40)


def login(base, who):
    status, body = call(base, "POST", "/api/v1/auth/login",
                        body={"email": f"{who}@demo.wufei.local", "password": PASSWORD})
    assert status == 200, (who, status, body)
    return body["access_token"]


def open_lot(base, offers=OFFERS):
    """A published 100 t lot of the demo steel works with `offers` sealed 1 t bids from the
    demo cement plant; returns (lot id, offer ids, producer token)."""
    steel, cement, staff = login(base, "steel"), login(base, "cement"), login(base, "staff")
    me = call(base, "GET", "/api/v1/me", steel)[1]
    sites = call(base, "GET", f"/api/v1/organizations/{me['organization']['id']}/sites", steel)[1]
    site = sites["items"][0]["id"]
    lot = {
        "category": "SW01", "subtype": "steel_slag_bof", "site_id": site,
        "title": f"BOF slag drill lot {uuid.uuid4().hex[:8]}",
        "description": "Hot-stewed converter slag, 0-40 mm.",
        "quantity_t": str(LOT_T), "min_order_t": "1", "supply": {"pattern": "one_off"},
        "generation": "new", "delivery_terms": "pickup",
        "pricing": {"model": "offers", "reserve_per_t": "0.00"},
        "properties": {"free_cao_pct": 2.6, "mgo_pct": 7.9, "immersion_expansion_pct": 1.2,
                       "metallic_iron_pct": 1.1, "aging_days": 90, "treatment": "hot_stewing",
                       "particle_size": "0-40", "i_ra": 0.6, "i_gamma": 0.8},
        "lab_report": {"lab_name": "包头市产品质量计量检测所", "report_no": "DRILL-1",
                       "sampled_on": "2026-10-20"},
    }
    status, body = call(base, "POST", "/api/v1/listings", steel, lot)
    assert status == 201, (status, body)
    lot_id = body["id"]
    assert call(base, "POST", f"/api/v1/listings/{lot_id}/submit", steel, {})[0] == 200
    status, body = call(base, "POST", f"/api/v1/moderation/listings/{lot_id}/decision", staff,
                        {"decision": "approve", "reason": "fault drill"})
    assert status == 200 and body["status"] == "published", (status, body)
    offer = {"quantity_t": "1", "price_per_t": "5.00", "intended_use": "road_base",
             "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 30 * 86400))}

    def place(_):
        status, body = call(base, "POST", f"/api/v1/listings/{lot_id}/offers", cement, offer)
        assert status == 201, (status, body)
        return body["id"]

    with cf.ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(place, range(offers)))
    return lot_id, ids, steel


def query(db_url, sql):
    if db_url.startswith("sqlite://"):
        with sqlite3.connect(db_url[len("sqlite://"):]) as c:
            return [tuple(r) for r in c.execute(sql).fetchall()]
    out = subprocess.run(["psql", db_url, "-At", "-F", "|", "-c", sql], check=True,
                         capture_output=True, text=True).stdout
    return [tuple(line.split("|")) for line in out.splitlines() if line]


def books(db_url, lot_id):
    """The lot's invariants, read straight from the database."""
    (qty, remaining), = [tuple(map(int, r)) for r in query(
        db_url, f"SELECT quantity_kg, remaining_kg FROM listings WHERE id = '{lot_id}'")]
    (deals, distinct, dealt_kg), = [tuple(int(x or 0) for x in r) for r in query(
        db_url, f"SELECT COUNT(*), COUNT(DISTINCT offer_id), COALESCE(SUM(quantity_kg), 0) "
                f"FROM deals WHERE listing_id = '{lot_id}'")]
    (accepted,), = [tuple(map(int, r)) for r in query(
        db_url, f"SELECT COUNT(*) FROM offers WHERE listing_id = '{lot_id}' AND status = 'accepted'")]
    (orphans,), = [tuple(map(int, r)) for r in query(
        db_url, f"SELECT COUNT(*) FROM deals d JOIN offers o ON o.id = d.offer_id "
                f"WHERE d.listing_id = '{lot_id}' AND o.status <> 'accepted'")]
    problems = []
    if deals != distinct:
        problems.append(f"{deals - distinct} offers with two deals")
    if deals != accepted:
        problems.append(f"{accepted} accepted offers but {deals} deals")
    if orphans:
        problems.append(f"{orphans} deals whose offer is not accepted")
    if remaining != qty - dealt_kg or remaining < 0:
        problems.append(f"remaining {remaining} kg but {qty} - {dealt_kg} sold")
    return deals, remaining, problems


def accept_all(base, token, offer_ids, keys=None, workers=16, retry_until=None, refused=None):
    """Accepts every offer; with retry_until, retries 0/503 answers with the same key (and
    appends each such answer to `refused`)."""
    keys = keys or {o: uuid.uuid4().hex for o in offer_ids}

    def accept(o):
        while True:
            status, body = call(base, "POST", f"/api/v1/offers/{o}/accept", token, {},
                                {"Idempotency-Key": keys[o]}, timeout=15)
            if retry_until and status in (0, 503) and time.time() < retry_until:
                if refused is not None:
                    refused.append(status)
                time.sleep(0.2)
                continue
            return o, status

    with cf.ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(accept, offer_ids))


def pg_database(tag):
    name = f"wufei_{tag}_{os.getpid()}"
    subprocess.run(["psql", PG, "-qc", f"CREATE DATABASE {name}"], check=True)
    return PG.rsplit("/", 1)[0] + "/" + name, name


def drop_database(name):
    subprocess.run(["psql", PG, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   check=False, capture_output=True)


def pg_cluster(action):
    version = sorted(os.listdir("/etc/postgresql"))[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
                   + (["-m", "fast"] if action == "stop" else []), check=True)


def drill_kill9(tmp):
    ok = True
    for backend in ("sqlite", "postgres"):
        if backend == "sqlite":
            url, name = f"sqlite://{tmp}/kill9.db", None
        else:
            url, name = pg_database("kill9")
        try:
            svc = Service(url, tempfile.mkdtemp(dir=tmp), demo=True).start()
            lot, offers, steel = open_lot(svc.base)
            with cf.ThreadPoolExecutor(1) as bg:
                burst = bg.submit(accept_all, svc.base, steel, offers)
                # Strike once a fifth of the lot is sold: acceptances are mid-flight.
                deadline = time.time() + 30
                while time.time() < deadline and int(query(
                        url, f"SELECT COUNT(*) FROM deals WHERE listing_id = '{lot}'")[0][0]) < 20:
                    time.sleep(0.01)
                svc.proc.kill()
                svc.proc.wait()
                answers = burst.result()
            created = sum(1 for s in answers.values() if s == 201)
            deals, remaining, problems = books(url, lot)
            svc.start()
            again = accept_all(svc.base, steel, offers)
            final, left, after = books(url, lot)
            svc.stop()
            cut = sum(1 for s in answers.values() if s == 0)
            print(f"kill9/{backend}: killed after {created} deals answered ({cut} requests cut off); "
                  f"{deals} deals on disk, books {'balance' if not problems else problems}; "
                  f"after restart {final} deals, {left} kg left, "
                  f"{sum(1 for s in again.values() if s == 201)} more accepted")
            ok &= not problems and not after and final == LOT_T and left == 0 and deals >= created
        finally:
            if name:
                drop_database(name)
    return ok


def drill_sigterm(tmp):
    svc = Service(f"sqlite://{tmp}/sigterm.db", tempfile.mkdtemp(dir=tmp), demo=True).start()
    token = login(svc.base, "cement")
    # 40 sign-ins (argon2 on the blocking pool, the slowest request there is) from five client
    # addresses (under the per-address limit) and 24 searches. Each request is fully sent before
    # the signal, so every one of them is in flight when SIGTERM arrives.
    users = ["steel", "roads", "bricks", "restoration", "lab", "coal", "staff", "admin"]
    jobs = [("POST", "/api/v1/auth/login", None, f"127.0.0.{2 + i // 8}",
             {"email": f"{users[i % 8]}@demo.wufei.local", "password": PASSWORD}) for i in range(40)]
    jobs += [("GET", p, token, "127.0.0.1", None)
             for p in ["/api/v1/listings?q=slag", "/api/v1/listings?sort=price_asc",
                       "/api/v1/stats/summary"] * 8]
    sent = threading.Barrier(len(jobs) + 1)

    def run(job):
        method, path, tok, source, body = job
        conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=40,
                                          source_address=(source, 0))
        headers = {"content-type": "application/json"}
        if tok:
            headers["authorization"] = "Bearer " + tok
        try:
            conn.request(method, path, body=json.dumps(body) if body else None, headers=headers)
        finally:
            sent.wait()
        try:
            res = conn.getresponse()
            res.read()
            return res.status, time.time()
        except (ConnectionError, OSError):
            return 0, time.time()

    with cf.ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(run, j) for j in jobs]
        sent.wait()
        # A moment for the accept loop (starved by argon2 on two cores) to take every connection
        # off the listen queue: a connection still in the kernel's queue is not in flight yet.
        time.sleep(0.2)
        t0 = time.time()
        svc.proc.send_signal(signal.SIGTERM)
        code = svc.proc.wait(timeout=40)
        took = time.time() - t0
        results = [f.result() for f in futures]
    answered = sum(1 for s, _ in results if s == 200)
    late = sum(1 for s, at in results if s == 200 and at > t0)
    print(f"sigterm: {answered}/{len(results)} requests in flight answered 200, {late} of them after "
          f"the signal; exit code {code} after {took:.2f} s (grace 30 s)")
    return answered == len(results) and late > 0 and code == 0 and took < 30


def drill_two_instances(tmp):
    url, name = pg_database("two")
    mail = os.path.join(tmp, "mail")
    smtp_port = free_port()
    sink = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/smtp_sink.py"),
                             str(smtp_port), mail], stdout=subprocess.PIPE)
    sink.stdout.readline()
    # Instances behind one balancer share the signing key, or a token from one fails on the other.
    env = {"WUFEI_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "WUFEI_OUTBOX_POLL_MS": "50",
           "WUFEI_JWT_SECRET": secrets.token_urlsafe(48)}
    try:
        a = Service(url, tempfile.mkdtemp(dir=tmp), demo=True, env=env).start()
        b = Service(url, tempfile.mkdtemp(dir=tmp), env=env).start()
        lot, offers, steel = open_lot(a.base)
        half = len(offers) // 2
        with cf.ThreadPoolExecutor(2) as pool:
            ra = pool.submit(accept_all, a.base, steel, offers[:half], None, 8)
            rb = pool.submit(accept_all, b.base, steel, offers[half:], None, 8)
            answers = {**ra.result(), **rb.result()}
        created = sum(1 for s in answers.values() if s == 201)
        refused = sum(1 for s in answers.values() if s == 409)
        deals, remaining, problems = books(url, lot)
        # Every queued email leaves the outbox, each exactly once.
        deadline = time.time() + 60
        while time.time() < deadline:
            (waiting,), = query(url, "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'")
            if int(waiting) == 0:
                break
            time.sleep(0.5)
        ids = [r[0] for r in query(url, "SELECT id FROM outbox")]
        time.sleep(1)
        seen = {}
        for f in os.listdir(mail):
            if f.endswith(".eml"):
                for line in open(os.path.join(mail, f), "rb").read().decode("utf-8", "replace").splitlines():
                    if line.lower().startswith("message-id:"):
                        mid = line.split(":", 1)[1].strip().strip("<>").split("@")[0]
                        seen[mid] = seen.get(mid, 0) + 1
        twice = sum(1 for n in seen.values() if n > 1)
        missing = sum(1 for i in ids if i not in seen)
        # Failed sign-ins alternate between the instances: one shared count (10 by default).
        first_429 = None
        for n in range(1, 16):
            base = a.base if n % 2 else b.base
            status, _ = call(base, "POST", "/api/v1/auth/login", None,
                             {"email": "steel@demo.wufei.local", "password": "wrong-password-1234"})
            if status == 429:
                first_429 = n
                break
        print(f"two_instances: {created} accepted, {refused} refused (409), {deals} deals, "
              f"{remaining} kg left, books {'balance' if not problems else problems}; "
              f"{len(ids)} emails queued, {len(seen)} delivered, {missing} missing, {twice} twice; "
              f"failed sign-ins across both throttled at attempt {first_429}")
        a.stop()
        b.stop()
        return (created == LOT_T and refused == len(offers) - LOT_T and deals == LOT_T
                and remaining == 0 and not problems and missing == 0 and twice == 0
                and len(seen) == len(ids) and first_429 == 11)
    finally:
        sink.terminate()
        drop_database(name)


def drill_pg_restart(tmp):
    url, name = pg_database("restart")
    try:
        svc = Service(url, tempfile.mkdtemp(dir=tmp), demo=True).start()
        lot, offers, steel = open_lot(svc.base)
        keys = {o: uuid.uuid4().hex for o in offers}
        statuses = []

        def probe():
            statuses.append(call(svc.base, "GET", "/health/ready", timeout=5)[0])

        with cf.ThreadPoolExecutor(1) as bg:
            refused = []
            burst = bg.submit(accept_all, svc.base, steel, offers, keys, 4, time.time() + 90,
                              refused)
            time.sleep(0.3)
            pg_cluster("stop")
            down_at = time.time()
            probe()
            time.sleep(3)
            probe()
            pg_cluster("start")
            while time.time() - down_at < 60:
                probe()
                if statuses[-1] == 200:
                    break
                time.sleep(0.25)
            recovered = time.time() - down_at
            answers = burst.result()
        created = sum(1 for s in answers.values() if s == 201)
        deals, remaining, problems = books(url, lot)
        # A retry of an answered key replays the answer; it never makes a second deal.
        replay = accept_all(svc.base, steel, offers, keys)
        same = sum(1 for o in offers if replay[o] == answers[o])
        final, _, after = books(url, lot)
        svc.stop()
        print(f"pg_restart: readiness while down {sorted(set(statuses))}, ready again "
              f"{recovered:.1f} s after the stop; acceptances answered 503 {refused.count(503)} "
              f"times and were cut {refused.count(0)} times, each retried; {created} accepted, {deals} deals, {remaining} kg "
              f"left, books {'balance' if not problems else problems}; replaying every key gave the "
              f"same answer {same}/{len(offers)} times and {final} deals")
        return (503 in statuses and statuses[-1] == 200 and 503 in refused and created == deals == LOT_T
                and not problems and not after and final == deals and same == len(offers))
    finally:
        pg_cluster("start") if subprocess.run(["pg_isready", "-h", "127.0.0.1"],
                                               capture_output=True).returncode else None
        drop_database(name)


DRILLS = {"kill9": drill_kill9, "sigterm": drill_sigterm, "two_instances": drill_two_instances,
          "pg_restart": drill_pg_restart}


def main():
    chosen = sys.argv[1:] or list(DRILLS)
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for d in chosen:
            if not DRILLS[d](tmp):
                failed.append(d)
    if failed:
        print("FAILED:", ", ".join(failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
