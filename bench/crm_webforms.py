#!/usr/bin/env python3
"""crm_webforms: a load run against a running multi-process Odoo.

    python3 bench/crm_webforms.py [--seconds 60] [--clients 8] [--workers 3]

Makes a throwaway database with crm_webforms, starts Odoo on it (odoo-bin as bin/start
runs it, with --workers so posts are served by several processes, and --proxy-mode so
each client can say which address it posts from), creates a form over XML-RPC, then from
this second process posts to it with concurrent clients for the given time: each
ordinary client posts as a new visitor (its own address), one more client floods from a
single address. Prints submissions per second, whether the records created equal the
posts accepted (nothing lost, nothing doubled), and the share of the flood refused by
the rate limit. Stops Odoo and drops the database.
"""

import argparse
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import xmlrpc.client
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bin"))
import harness  # noqa: E402

FLOOD_IP = "203.0.113.7"
IP_LIMIT = 20  # per hour per address, the form's setting in the run


def args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8, help="ordinary concurrent clients")
    parser.add_argument("--flood-clients", type=int, default=4,
                        help="concurrent connections of the single flooding address")
    parser.add_argument("--workers", type=int, default=3, help="Odoo HTTP worker processes")
    return parser.parse_args()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_up(url, process, timeout=120):
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"Odoo stopped while starting (exit {process.returncode})")
        try:
            if requests.get(f"{url}/web/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit("Odoo did not answer /web/health in time")


def make_form(url, db):
    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    uid = common.authenticate(db, "admin", "admin", {})
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)

    def call(model, method, *a, **kw):
        return models.execute_kw(db, uid, "admin", model, method, list(a), kw)

    field_ids = {f["name"]: f["id"] for f in call(
        "ir.model.fields", "search_read",
        [("model", "=", "crm.lead"), ("name", "in", ["contact_name", "email_from", "phone",
                                                      "partner_name"])], fields=["name"])}
    form_id = call("crm.webform", "create", {
        "name": "Bench form", "target": "lead", "user_id": uid, "captcha": False,
        "ip_rate_limit": IP_LIMIT, "form_rate_limit": 10_000_000,
        "field_ids": [(0, 0, {"field_id": field_ids["contact_name"], "required": True}),
                      (0, 0, {"field_id": field_ids["email_from"], "required": True}),
                      (0, 0, {"field_id": field_ids["phone"]}),
                      (0, 0, {"field_id": field_ids["partner_name"],
                              "override_value": "Bench visitor"})]})
    key = call("crm.webform", "read", [form_id], fields=["key"])[0]["key"]
    return call, form_id, key


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {}
        self.latencies = []

    def add(self, who, status, latency):
        with self.lock:
            self.counts[(who, status)] = self.counts.get((who, status), 0) + 1
            if who == "visitor":
                self.latencies.append(latency)

    def get(self, who, status=None):
        return sum(n for (w, s), n in self.counts.items()
                   if w == who and (status is None or s == status))


def client(submit_url, stop, tally, sequence, flood):
    import requests

    session = requests.Session()
    while not stop.is_set():
        n = next(sequence)
        ip = FLOOD_IP if flood else f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        started = time.perf_counter()
        try:
            answer = session.post(
                submit_url,
                data={"contact_name": f"Visitor {n}", "email_from": f"v{n}@bench.test",
                      "phone": f"+7 900 {n:07d}", "_wf_page": "https://site.example/bench"},
                headers={"Accept": "application/json", "X-Forwarded-For": ip,
                         "X-Forwarded-Host": "site.example"}, timeout=60)
            status = answer.status_code
        except requests.RequestException:
            status = "error"
        tally.add("flood" if flood else "visitor", status, time.perf_counter() - started)


def main():
    options = args()
    odoo = harness.find_odoo()
    if os.environ.get("CRM_BENCH_CLIENT") != "1":
        # The clients use requests: run them under Odoo's interpreter, which has it.
        os.environ["CRM_BENCH_CLIENT"] = "1"
        os.execv(odoo.python, [odoo.python, __file__, *sys.argv[1:]])
    harness.ensure_postgres()
    db = harness.throwaway_db_name("crm_bench")
    server = None
    try:
        harness.install_addons(odoo, db, ["crm_webforms"],
                               log_file=Path(f"/tmp/{db}-install.log"))
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = harness.odoo_cmd(odoo, db, f"--http-port={port}", f"--workers={options.workers}",
                               "--max-cron-threads=0", "--proxy-mode", "--log-level=warn",
                               "--limit-time-real=120", "--db_maxconn=32")
        # Odoo's gevent (websocket) process may fail to start where gevent's plugins are
        # incomplete; it does not serve these posts, so its complaint goes to the log.
        with open(f"/tmp/{db}-server.log", "w") as log:
            server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                      start_new_session=True)
        print(f"  .. Odoo with {options.workers} workers on {url}, database {db}", flush=True)
        wait_up(url, server)
        call, form_id, key = make_form(url, db)
        import requests

        submit_url = f"{url}/crm_webforms/{key}/submit"
        # One post to warm every worker's registry before the clock starts.
        for _ in range(options.workers * 2):
            requests.post(submit_url, data={"contact_name": "warm", "email_from": "w@x.test"},
                          headers={"Accept": "application/json",
                                   "X-Forwarded-For": "192.0.2.1",
                                   "X-Forwarded-Host": "site.example"}, timeout=60)
        warm_records = call("crm.lead", "search_count", [("partner_name", "=", "Bench visitor")])

        stop, tally, sequence = threading.Event(), Tally(), itertools.count(1)
        threads = [threading.Thread(target=client, args=(submit_url, stop, tally, sequence,
                                                         i >= options.clients))
                   for i in range(options.clients + options.flood_clients)]
        print(f"  .. {options.clients} visitors and 1 flooding address "
              f"({options.flood_clients} connections) for {options.seconds:.0f} s", flush=True)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(options.seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started

        accepted = tally.get("visitor", 200) + tally.get("flood", 200)
        records = call("crm.lead", "search_count",
                       [("partner_name", "=", "Bench visitor")]) - warm_records
        submissions = call("crm.webform.submission", "search_count",
                           [("form_id", "=", form_id), ("state", "=", "accepted")]) \
            - warm_records
        flood_total = tally.get("flood")
        flood_refused = tally.get("flood", 429)
        latencies = sorted(tally.latencies) or [0]
        errors = {k: v for k, v in tally.counts.items() if k[1] not in (200, 429)}
        total_posts = tally.get("visitor") + flood_total
        print(f"accepted submissions: {accepted / elapsed:,.2f} submissions/s "
              f"({accepted:,} in {elapsed:.0f} s; every post answered: "
              f"{total_posts / elapsed:,.1f}/s) (target > 10 submissions/s)")
        print(f"visitor post latency: median {latencies[len(latencies) // 2] * 1000:,.0f} ms, "
              f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:,.0f} ms (target < 2,000 ms)")
        print(f"records created vs accepted: {records:,} records, {accepted:,} accepted, "
              f"{submissions:,} logged (target all equal: "
              f"{'yes' if records == accepted == submissions else 'NO'})")
        print(f"flood refused by the rate limit: {flood_refused / max(flood_total, 1):.1%} "
              f"({flood_refused:,} of {flood_total:,} posts from one address; "
              f"{tally.get('flood', 200)} accepted, limit {IP_LIMIT}/hour) (target > 90%)")
        print(f"other answers: {errors or 'none'} (target none)")
        return 0 if records == accepted == submissions and not errors else 1
    finally:
        if server and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        harness.drop_db(odoo, db)


if __name__ == "__main__":
    harness.run_main(main)
