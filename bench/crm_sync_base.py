#!/usr/bin/env python3
"""crm_sync_base: the engine's plan and a sync through the test provider.

    python3 bench/crm_sync_base.py [--items 10000] [--bound 100000]

Figures: the engine's plan for 100,000 bound items with 1% changed on each side (and a
full listing of them), and a sync of 10,000 contacts through the test provider's peer
(first import, first export, a sync where nothing changed), each beside the time of a
bare batch create of the same records.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arg_parser, bench_main, peak_rss_mib, progress, timed_batch_create


def args():
    parser = arg_parser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--bound", type=int, default=100_000)
    return parser.parse_args()


def bare_create(env, count, category=None):
    """The yardstick: ORM batch creates of the same partners, nothing else."""
    return timed_batch_create(env, "res.partner", [{
        "name": f"Bare {i}", "email": f"bare{i}@x.test", "phone": f"+7 900 {i:07d}",
        **({"category_id": [(4, category.id)]} if category else {}),
    } for i in range(count)])


def measure_plan(report, bound):
    from odoo.addons.crm_sync_base.engine.adapter import RemoteItem
    from odoo.addons.crm_sync_base.engine.hashing import content_hash
    from odoo.addons.crm_sync_base.engine.plan import Binding, LocalChange, plan
    from odoo.addons.crm_sync_base.engine.policies import SyncSettings

    progress(f"building {bound:,} bindings")
    values = [{"name": f"Contact {i}", "email": f"c{i}@x.test"} for i in range(bound)]
    bindings = [Binding(i, f"r{i}", "v1", content_hash(v), content_hash(v), key=i)
                for i, v in enumerate(values)]
    changed = max(1, bound // 100)
    local = [LocalChange(i, values=dict(values[i], name=f"Local {i}"))
             for i in range(0, bound, bound // changed)]
    remote = [RemoteItem(f"r{i}", "v2", dict(values[i], name=f"Remote {i}"))
              for i in range(1, bound, bound // changed)]
    settings = SyncSettings()
    started = time.perf_counter()
    result = plan(bindings, local, remote, complete=False, settings=settings)
    incremental = time.perf_counter() - started
    assert len(result.writes()) == len(local) + len(remote), result.counts()
    report(f"plan, {bound:,} bound, 1% changed each side", incremental, "s", "< 1 s")

    everything = [RemoteItem(f"r{i}", "v1", v) for i, v in enumerate(values)]
    for item in remote:
        everything[int(item.remote_id[1:])] = item
    started = time.perf_counter()
    result = plan(bindings, local, everything, complete=True, settings=settings)
    full = time.perf_counter() - started
    assert len(result.writes()) == len(local) + len(remote), result.counts()
    report(f"plan, full listing of {bound:,}", full, "s", "< 5 s")
    report("plan rate, full listing", bound / full, "items/s", "> 20,000 items/s")


def measure_sync(env, report, items):
    from peers import ContactsPeer

    peer = ContactsPeer().start()
    try:
        category = env["res.partner.category"].create({"name": "Bench"})
        env.cr.commit()
        bare = bare_create(env, items, category)
        report(f"bare batch create of {items:,} partners", bare, "s", "the yardstick")

        def account(name, direction):
            record = env["crm.sync.account"].create({
                "name": name, "provider": "test", "endpoint": peer.url,
                "test_category_id": category.id, "direction": direction,
                "user_id": env.ref("base.user_admin").id})
            record._sync_store_credentials({"access_token": peer.access_token})
            env.cr.commit()
            return record

        progress(f"loading {items:,} contacts into the peer")
        for i in range(items):
            peer.add_contact({"name": f"Remote {i}", "email": f"r{i}@x.test",
                              "phone": f"+7 900 {i:07d}"})
        importer = account("Import", "import")
        runner = env["crm.sync.runner"]
        progress("first sync: import")
        started = time.perf_counter()
        run = runner._run_account(importer, trigger="manual")
        imported = time.perf_counter() - started
        assert run.local_created == items and run.state == "done", (run.state, run.message)
        report(f"first import of {items:,} contacts", imported, "s",
               f"< 3x the bare create ({3 * bare:.1f} s)")
        report("import rate", items / imported, "items/s", "> 500 items/s")

        progress("sync with nothing changed")
        started = time.perf_counter()
        run = runner._run_account(importer, trigger="manual")
        idle = time.perf_counter() - started
        assert run.local_created + run.local_updated == 0, run.read()
        report(f"incremental sync, {items:,} bound, nothing changed", idle, "s", "< 1 s")

        progress(f"first sync: export of {items:,} partners to an empty peer")
        importer.active = False
        peer.reset()
        exporter = account("Export", "export")
        env["crm.sync.binding"].search([("account_id", "=", importer.id)]).unlink()
        env.cr.commit()
        started = time.perf_counter()
        run = runner._run_account(exporter, trigger="manual")
        exported = time.perf_counter() - started
        assert run.remote_created == items, (run.state, run.message, run.remote_created)
        report(f"first export of {items:,} partners (one HTTP create each)", exported, "s",
               f"< {items / 300:.0f} s")
        report("export rate", items / exported, "items/s", "> 300 items/s")
    finally:
        peer.stop()
    report("peak memory", peak_rss_mib(), "MiB", "< 1,024 MiB")


def measure(env, report):
    options = args()
    measure_plan(report, options.bound)
    measure_sync(env, report, options.items)


if __name__ == "__main__":
    sys.exit(bench_main(["crm_sync_base", "crm_sync_test"], measure))
