"""What every benchmark shares: find Odoo and PostgreSQL the way bin/test does, make a
throwaway database with the addons installed, run the measuring part inside Odoo's
interpreter, print one line per figure, drop the database.

A benchmark file calls ``bench_main(addons, measure)``; ``measure(env, report)`` runs
inside Odoo (a registry on the benchmark's own database) and calls
``report(name, value, unit, target)`` once per figure.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bin"))
import harness  # noqa: E402

INNER = "CRM_BENCH_DB"


def arg_parser() -> argparse.ArgumentParser:
    """A benchmark's options, with the two every benchmark takes (read by _inner)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--profile", action="store_true",
                        help="print the costliest functions (cProfile)")
    parser.add_argument("--debug", action="store_true", help="log each batch of a run")
    return parser


def progress(message: str) -> None:
    print(f"  .. {message}", flush=True)


def bench_main(addons: list[str], measure, *, with_test_addons=True) -> int:
    if os.environ.get(INNER):
        return _inner(measure)
    started = time.monotonic()
    odoo = harness.find_odoo()
    harness.ensure_postgres()
    db = harness.throwaway_db_name("crm_bench")
    try:
        harness.install_addons(odoo, db, addons, with_test_addons=with_test_addons,
                               log_file=Path(f"/tmp/{db}-install.log"))
        env = dict(os.environ, **{INNER: db},
                   CRM_BENCH_ADDONS_PATH=odoo.addons_path(with_test_addons),
                   PYTHONPATH=os.pathsep.join([str(odoo.path), str(ROOT / "tests")]))
        code = subprocess.run([odoo.python, sys.argv[0], *sys.argv[1:]], env=env).returncode
    finally:
        harness.drop_db(odoo, db)
    print(f"  (benchmark took {time.monotonic() - started:.0f} s)")
    return code


def _inner(measure) -> int:
    import odoo
    from odoo import SUPERUSER_ID, api

    db = os.environ[INNER]
    odoo.tools.config.parse_config([
        "-d", db, f"--addons-path={os.environ['CRM_BENCH_ADDONS_PATH']}",
        "--log-level=warn",
        *(["--log-handler=odoo.addons.crm_sync_base.models.sync_runner:DEBUG"]
          if "--debug" in sys.argv else [])])
    registry = odoo.modules.registry.Registry(db)
    figures = []

    def report(name, value, unit, target):
        figures.append(f"{name}: {value:,.2f} {unit} (target {target})")

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        if "--profile" in sys.argv:  # where the time goes: the 25 costliest functions
            import cProfile
            import pstats
            profiler = cProfile.Profile()
            profiler.runcall(measure, env, report)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            # the whole profile, for pstats' callers/callees or a viewer such as snakeviz
            profile_file = f"/tmp/{db}.prof"
            profiler.dump_stats(profile_file)
            print(f"profile written to {profile_file}")
        else:
            measure(env, report)
    for line in figures:
        print(line, flush=True)
    return 0


def settle(env) -> None:
    """Bring the database and the process to the same quiet state before a timed phase.

    What the phase before left behind is otherwise timed with the next one: autovacuum
    working through the rows it wrote, a checkpoint writing its pages, the garbage of
    its records, and statistics from before it, with which PostgreSQL may plan a query
    over a table that has since grown a hundredfold as if it were still small. VACUUM
    cannot run inside a transaction, so it runs on a connection of its own; what the
    caller has not committed is left as it is.
    """
    import contextlib
    import gc

    import psycopg2.errors

    import odoo.sql_db

    # a connection of its own: one of Odoo's pool left in autocommit would commit the
    # next phase's statements one by one
    _db, info = odoo.sql_db.connection_info_for(env.cr.dbname)
    connection = psycopg2.connect(**info)
    try:
        connection.autocommit = True
        with connection.cursor() as cr:
            cr.execute("VACUUM ANALYZE")
            # a role that is neither superuser nor pg_checkpoint: vacuumed only
            with contextlib.suppress(psycopg2.errors.InsufficientPrivilege):
                cr.execute("CHECKPOINT")
    finally:
        connection.close()
    gc.collect()


def peak_rss_mib() -> float:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_batch_create(env, model: str, vals_list: list, batch: int = 1000) -> float:
    """The yardstick of the import benchmarks: the same records through the ORM's batch
    create and nothing else (no tracking, no creation message), flushed, timed, then
    rolled back. The values are built before the clock starts."""
    Model = env[model].with_context(tracking_disable=True, mail_create_nolog=True)
    started = time.perf_counter()
    for start in range(0, len(vals_list), batch):
        Model.create(vals_list[start:start + batch])
    env.cr.flush()
    elapsed = time.perf_counter() - started
    env.cr.rollback()
    return elapsed
