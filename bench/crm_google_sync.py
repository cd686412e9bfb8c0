#!/usr/bin/env python3
"""crm_google_sync: Google Contacts through the People API against the Google peer.

    python3 bench/crm_google_sync.py [--items 10000] [--changed 100]

Figures, measured in one run: the initial import of 10,000 Google contacts divided by
the time of a bare batch ``res.partner.create`` of the same contacts (target <= 1.5),
the HTTP requests each sync makes (<= 12 for the initial import, <= 2 when nothing
changed), and the wall time of a sync with nothing changed and of one with 100 changed.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arg_parser, bench_main, peak_rss_mib, progress, timed_batch_create


def args():
    parser = arg_parser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=100)
    return parser.parse_args()


def person(i):
    return {"names": [{"unstructuredName": f"Remote {i}"}],
            "emailAddresses": [{"value": f"r{i}@x.test"}],
            "phoneNumbers": [{"value": f"+7 900 {i:07d}", "type": "work"}],
            "organizations": [{"name": "Acme", "title": "Buyer"}]}


def bare_create(env, count, category):
    """The yardstick: ORM batch creates of the same partners, nothing else."""
    return timed_batch_create(env, "res.partner", [{
        "name": f"Remote {i}", "email": f"r{i}@x.test", "phone": f"+7 900 {i:07d}",
        "company_name": "Acme", "function": "Buyer", "category_id": [(4, category.id)],
    } for i in range(count)])


def measure(env, report):
    from peers import GooglePeer

    options = args()
    items = options.items
    peer = GooglePeer().start()
    try:
        params = env["ir.config_parameter"].sudo()
        params.set_param("crm_google_sync.client_id", peer.client_id)
        params.set_param("crm_google_sync.client_secret", peer.client_secret)
        account = env["crm.sync.account"].create({
            "name": "Bench Google", "provider": "google", "endpoint": peer.url,
            "oauth_token_url": peer.url + "/token", "google_group_name": "Bench Odoo",
            "user_id": env.ref("base.user_admin").id, "direction": "both"})
        account._sync_store_credentials({"access_token": peer.access_token,
                                         "refresh_token": peer.refresh_token})
        env.cr.commit()
        bare = bare_create(env, items, account.google_category_id)
        report(f"bare batch create of {items:,} partners", bare, "s", "the yardstick")

        progress(f"loading {items:,} contacts into the peer's group")
        group = peer.add_group("Bench Odoo")["resourceName"]
        for i in range(items):
            peer.add_person(person(i), groups=("contactGroups/myContacts", group))
        runner = env["crm.sync.runner"]

        def sync(label):
            before = len(peer.requests)
            started = time.perf_counter()
            run = runner._run_account(account, trigger="manual")
            elapsed = time.perf_counter() - started
            assert run.state == "done", (label, run.state, run.message)
            return run, elapsed, len(peer.requests) - before

        progress("initial import")
        run, imported, requests = sync("initial")
        assert run.local_created == items, run.local_created
        report(f"initial import of {items:,} Google contacts", imported, "s", "")
        report("initial import / bare create", imported / bare, "x", "<= 1.5")
        report("HTTP requests, initial import", requests, "requests", "<= 12")

        progress("sync with nothing changed")
        run, idle, requests = sync("idle")
        assert run.local_updated + run.remote_updated == 0, run.read()
        report(f"sync with nothing changed, {items:,} bound", idle, "s", "< 1 s")
        report("HTTP requests, nothing changed", requests, "requests", "<= 2")

        progress(f"sync with {options.changed} changed in Google")
        for p in peer.live_people(group)[:options.changed]:
            peer.edit_person(p["resourceName"], {
                "emailAddresses": [{"value": "changed." + p["emailAddresses"][0]["value"]}]})
        run, changed, requests = sync("changed")
        assert run.local_updated == options.changed, run.local_updated
        report(f"sync with {options.changed} changed", changed, "s", "")
        report(f"HTTP requests, {options.changed} changed", requests, "requests", "<= 2")
    finally:
        peer.stop()
    report("peak memory", peak_rss_mib(), "MiB", "< 1,024 MiB")


if __name__ == "__main__":
    sys.exit(bench_main(["crm_sync_base", "crm_google_sync"], measure,
                        with_test_addons=False))
