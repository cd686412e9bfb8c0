#!/usr/bin/env python3
"""crm_exchange_sync: Exchange Server contacts through EWS (exchangelib) against EwsPeer.

    python3 bench/crm_exchange_sync.py [--items 10000]

Figures: the first import of N contacts (SyncFolderItems pages of 512 with every mapped
field), over a bare ORM batch create of the same partners measured in the same run
(target <= 1.5); the requests each sync sends; a sync where nothing changed (target
< 1 s).
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arg_parser, bench_main, peak_rss_mib, progress


def args():
    parser = arg_parser()
    parser.add_argument("--items", type=int, default=10000)
    return parser.parse_args()


def contact(i):
    return {"given_name": f"Remote{i}", "surname": "Bench", "job_title": "Buyer",
            "emails": [f"r{i}@x.test"], "phones": {"BusinessPhone": f"+7 900 {i:07d}",
                                                    "MobilePhone": f"+7 901 {i:07d}"},
            "addresses": {"Business": {"Street": f"{i} Main Street", "City": "Austin",
                                       "CountryOrRegion": "United States"}},
            "categories": ["Bench"]}


def bare_create(env, items):
    """The yardstick: the same partners (same fields, ids already known) in ORM batches."""
    Partner = env["res.partner"].with_context(tracking_disable=True, mail_create_nolog=True)
    country = env.ref("base.us").id
    category = env["res.partner.category"].create({"name": "Bench bare"}).id
    started = time.perf_counter()
    for start in range(0, items, 1000):
        Partner.create([{
            "name": f"Remote{i} Bench", "function": "Buyer", "email": f"r{i}@x.test",
            "phone": f"+7 900 {i:07d}", "mobile": f"+7 901 {i:07d}",
            "street": f"{i} Main Street", "city": "Austin", "country_id": country,
            "category_id": [(6, 0, [category])],
        } for i in range(start, min(start + 1000, items))])
    env.cr.flush()
    elapsed = time.perf_counter() - started
    env.cr.rollback()
    return elapsed


def measure(env, report):
    from peers.ews import EwsPeer

    items = args().items
    peer = EwsPeer().start()
    try:
        bare = bare_create(env, items)
        report(f"bare batch create of {items:,} partners", bare, "s", "the yardstick")
        progress(f"loading {items:,} contacts into the EWS peer")
        for i in range(items):
            peer.add_contact(**contact(i))
        admin = env.ref("base.user_admin")
        account = env["crm.sync.account"].create({
            "name": "Bench mailbox", "provider": "exchange_server",
            "endpoint": peer.service_url, "login": "user@example.com",
            "exchange_auth_type": "basic", "exchange_export": False, "user_id": admin.id})
        account._sync_store_credentials({"password": "secret"})
        env.cr.commit()
        runner = env["crm.sync.runner"]

        progress("first sync: import")
        peer.requests.clear()
        started = time.perf_counter()
        run = runner._run_account(account, trigger="manual")
        imported = time.perf_counter() - started
        assert run.local_created == items and run.state == "done", (run.state, run.message)
        report(f"first import of {items:,} contacts", imported, "s", "")
        report("first import over the bare create", imported / bare, "x", "<= 1.5")
        report("requests of the first import", len(peer.requests), "requests",
               f"~{items // 512 + 1} SyncFolderItems pages + folder discovery")

        progress("sync with nothing changed")
        peer.requests.clear()
        started = time.perf_counter()
        run = runner._run_account(account, trigger="manual")
        idle = time.perf_counter() - started
        assert run.local_created + run.local_updated == 0, run.read()
        report(f"sync with nothing changed, {items:,} bound", idle, "s", "< 1 s")
        report("requests of that sync", len(peer.requests), "requests",
               "folder discovery + one SyncFolderItems per folder")
    finally:
        peer.stop()
    report("peak memory", peak_rss_mib(), "MiB", "< 1,024 MiB")


if __name__ == "__main__":
    sys.exit(bench_main(["crm_sync_base", "crm_exchange_sync"], measure,
                        with_test_addons=False))
