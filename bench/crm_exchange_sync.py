#!/usr/bin/env python3
"""crm_exchange_sync: MS Exchange contacts against both peers: Exchange Server through
EWS (exchangelib, EwsPeer) and Exchange Online through Microsoft Graph (msal + requests
over HTTPS, GraphPeer).

    python3 bench/crm_exchange_sync.py [--items 10000] [--peer ews|graph|both]

Figures per peer: the first import of N contacts, over a bare ORM batch create of the
same partners measured in the same run (target <= 1.5); the requests each sync sends; a
sync where nothing changed (target < 1 s).
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arg_parser, bench_main, peak_rss_mib, progress, timed_batch_create


def args():
    parser = arg_parser()
    parser.add_argument("--items", type=int, default=10000)
    parser.add_argument("--peer", choices=("ews", "graph", "both"), default="both")
    return parser.parse_args()


def contact(i):
    return {"given_name": f"Remote{i}", "surname": "Bench", "job_title": "Buyer",
            "emails": [f"r{i}@x.test"], "phones": {"BusinessPhone": f"+7 900 {i:07d}",
                                                    "MobilePhone": f"+7 901 {i:07d}"},
            "addresses": {"Business": {"Street": f"{i} Main Street", "City": "Austin",
                                       "CountryOrRegion": "United States"}},
            "categories": ["Bench"]}


def graph_contact(i):
    return {"givenName": f"Remote{i}", "surname": "Bench", "displayName": f"Remote{i} Bench",
            "jobTitle": "Buyer", "emailAddresses": [{"address": f"r{i}@x.test"}],
            "businessPhones": [f"+7 900 {i:07d}"], "mobilePhone": f"+7 901 {i:07d}",
            "businessAddress": {"street": f"{i} Main Street", "city": "Austin",
                                "countryOrRegion": "United States"},
            "categories": ["Bench"]}


def bare_create(env, items):
    """The yardstick: the same partners (same fields, ids already known) in ORM batches."""
    country = env.ref("base.us").id
    category = env["res.partner.category"].create({"name": "Bench bare"}).id
    return timed_batch_create(env, "res.partner", [{
        "name": f"Remote{i} Bench", "function": "Buyer", "email": f"r{i}@x.test",
        "phone": f"+7 900 {i:07d}", "mobile": f"+7 901 {i:07d}",
        "street": f"{i} Main Street", "city": "Austin", "country_id": country,
        "category_id": [(6, 0, [category])],
    } for i in range(items)])


def measure(env, report):
    options = args()
    items = options.items
    if options.peer in ("ews", "both"):
        measure_ews(env, report, items)
    if options.peer in ("graph", "both"):
        measure_graph(env, report, items)
    report("peak memory", peak_rss_mib(), "MiB", "< 1,024 MiB")


def measure_ews(env, report, items):
    from peers.ews import EwsPeer

    peer = EwsPeer().start()
    try:
        progress(f"loading {items:,} contacts into the EWS peer")
        for i in range(items):
            peer.add_contact(**contact(i))
        account = env["crm.sync.account"].create({
            "name": "Bench mailbox", "provider": "exchange_server",
            "endpoint": peer.service_url, "login": "user@example.com",
            "exchange_auth_type": "basic", "exchange_export": False,
            "user_id": env.ref("base.user_admin").id})
        account._sync_store_credentials({"password": "secret"})
        env.cr.commit()
        measure_runs(env, report, "EWS", peer, account, items,
                     f"~{items // 512 + 1} SyncFolderItems pages + folder discovery",
                     "folder discovery + one SyncFolderItems per folder")
    finally:
        peer.stop()
    env["crm.sync.account"].browse(account.id).active = False
    env.cr.commit()


def measure_graph(env, report, items):
    from peers import GraphPeer

    peer = GraphPeer().start()
    try:
        progress(f"loading {items:,} contacts into the Graph peer")
        for i in range(items):
            peer.add_contact(graph_contact(i))
        account = env["crm.sync.account"].create({
            "name": "Bench tenant", "provider": "exchange_online",
            "endpoint": f"{peer.url}/v1.0", "login": "ann@contoso.com",
            "exchange_tenant": peer.TENANT_DOMAIN, "exchange_client_id": peer.CLIENT_ID,
            "exchange_auth_flow": "client_credentials", "exchange_authority_host": peer.url,
            "exchange_ca_bundle": peer.ca_file, "exchange_export": False,
            "user_id": env.ref("base.user_admin").id})
        account._sync_store_credentials({"client_secret": peer.CLIENT_SECRET})
        env.cr.commit()
        measure_runs(env, report, "Graph", peer, account, items,
                     "token + folders + delta pages", "token + folders + one delta per folder")
    finally:
        peer.stop()


def measure_runs(env, report, name, peer, account, items, first_target, idle_target):
    # The yardstick right before the import: this shared machine's load drifts.
    bare = bare_create(env, items)
    report(f"{name}: bare batch create of {items:,} partners", bare, "s", "the yardstick")
    runner = env["crm.sync.runner"]
    progress(f"{name}: first sync (import)")
    peer.requests.clear()
    started = time.perf_counter()
    run = runner._run_account(account, trigger="manual")
    imported = time.perf_counter() - started
    assert run.local_created == items and run.state == "done", (run.state, run.message)
    report(f"{name}: first import of {items:,} contacts", imported, "s", "")
    report(f"{name}: first import over the bare create", imported / bare, "x", "<= 1.5")
    report(f"{name}: requests of the first import", len(peer.requests), "requests",
           first_target)
    progress(f"{name}: sync with nothing changed")
    peer.requests.clear()
    started = time.perf_counter()
    run = runner._run_account(account, trigger="manual")
    idle = time.perf_counter() - started
    assert run.local_created + run.local_updated == 0, run.read()
    report(f"{name}: sync with nothing changed, {items:,} bound", idle, "s", "< 1 s")
    report(f"{name}: requests of that sync", len(peer.requests), "requests", idle_target)


if __name__ == "__main__":
    sys.exit(bench_main(["crm_sync_base", "crm_exchange_sync"], measure,
                        with_test_addons=False))
