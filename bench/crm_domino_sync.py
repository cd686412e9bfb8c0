#!/usr/bin/env python3
"""crm_domino_sync: contacts through Domino Access Services against the DominoPeer.

    python3 bench/crm_domino_sync.py [--items 3000]

Figures: the first import of N Person documents (one view listing of 100 per request,
then one GET per document), a sync where nothing changed (the view listing and one
documents?since: no document is fetched), and the first export of N partners (POST +
GET per document), each beside a bare ORM batch create of the same partners.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arg_parser, bench_main, peak_rss_mib, progress


def args():
    parser = arg_parser()
    parser.add_argument("--items", type=int, default=3000)
    return parser.parse_args()


def measure(env, report):
    from crm_sync_base import bare_create

    from peers import DominoPeer

    items = args().items
    peer = DominoPeer().start()
    try:
        bare = bare_create(env, items)
        report(f"bare batch create of {items:,} partners", bare, "s", "the yardstick")
        admin = env.ref("base.user_admin")

        def account(name, direction):
            record = env["crm.sync.account"].create({
                "name": name, "provider": "domino", "endpoint": peer.url,
                "login": "Ann Admin/Acme", "direction": direction, "user_id": admin.id,
                "sync_events": False, "sync_tasks": False})
            record._sync_store_credentials({"password": "secret"})
            env.cr.commit()
            return record

        progress(f"loading {items:,} Person documents into the peer")
        for i in range(items):
            peer.add_contact(FirstName=f"Remote{i}", LastName="Bench",
                             MailAddress=f"r{i}@x.test", OfficePhoneNumber=f"+7 900 {i:07d}")
        # Documents changed within a second of a listing are fetched again by the next
        # run (DAS's "since" has a one-second resolution): documents that exist before
        # the first sync are older than that, as in a real address book.
        time.sleep(2.1)
        importer = account("Import", "import")
        runner = env["crm.sync.runner"]
        progress("first sync: import")
        started = time.perf_counter()
        run = runner._run_account(importer, trigger="manual")
        imported = time.perf_counter() - started
        assert run.local_created == items and run.state == "done", (run.state, run.message)
        report(f"first import of {items:,} contacts (a GET per document, 6 at a time)",
               imported, "s", f"< {items / 300:.0f} s")
        report("import rate", items / imported, "items/s", "> 300 items/s")

        time.sleep(2.1)
        progress("sync with nothing changed")
        fetched = len(peer.requests_to("GET", r".*/documents/unid/.*"))
        started = time.perf_counter()
        run = runner._run_account(importer, trigger="manual")
        idle = time.perf_counter() - started
        assert run.local_created + run.local_updated == 0, run.read()
        refetched = len(peer.requests_to("GET", r".*/documents/unid/.*")) - fetched
        report(f"incremental sync, {items:,} bound, nothing changed", idle, "s", "< 2 s")
        report("documents fetched again by it", refetched, "documents",
               "only those changed within a second of the previous listing")

        progress(f"first sync: export of {items:,} partners to an empty peer")
        importer.active = False
        peer.reset()
        exporter = account("Export", "export")
        env["crm.sync.binding"].search([("account_id", "=", importer.id)]).unlink()
        env["res.partner"].search([("category_id", "in", importer.domino_category_id.ids)]
                                  ).write({"category_id": [(4, exporter.domino_category_id.id)]})
        env.cr.commit()
        started = time.perf_counter()
        run = runner._run_account(exporter, trigger="manual")
        exported = time.perf_counter() - started
        assert run.remote_created == items, (run.state, run.message, run.remote_created)
        report(f"first export of {items:,} partners (one POST each)", exported, "s",
               f"< {items / 150:.0f} s")
        report("export rate", items / exported, "items/s", "> 150 items/s")
    finally:
        peer.stop()
    report("peak memory", peak_rss_mib(), "MiB", "< 1,024 MiB")


if __name__ == "__main__":
    sys.exit(bench_main(["crm_sync_base", "crm_domino_sync"], measure,
                        with_test_addons=False))
