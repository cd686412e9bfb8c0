"""Finds Odoo and PostgreSQL, prepares databases, and runs the project's two commands.

Used by ``bin/start``, ``bin/test`` and the benchmarks in ``bench/``, so that all of
them find Odoo and PostgreSQL the same way. Runs on any Python 3.10+; Odoo itself runs
in the interpreter found here (``ODOO_PYTHON``), never in this one.

How Odoo is found (the README documents the same order):
1. ``ODOO_PATH``: an Odoo 18.0 source tree (the directory holding ``odoo-bin``);
2. else the ``odoo`` package importable by ``ODOO_PYTHON`` (or ``python3``);
3. else the default source tree ``/opt/odoo``.
The interpreter is ``ODOO_PYTHON``, else ``<tree>/.venv/bin/python`` or
``<tree>/venv/bin/python`` when present, else ``python3``. It must have Odoo's own
requirements installed; this script never installs Odoo or its requirements.
"""

from __future__ import annotations

import getpass
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS_DIR = ROOT / "addons"
TEST_ADDONS_DIR = ROOT / "tests" / "addons"
DEFAULT_ODOO_PATH = Path("/opt/odoo")


class HarnessError(Exception):
    """A missing prerequisite; the message is one sentence saying what to do."""


def say(message: str) -> None:
    print(f"[crm] {message}", flush=True)


# --------------------------------------------------------------------------- Odoo


@dataclass
class Odoo:
    path: Path  # the source tree (holds odoo-bin and addons/)
    python: str

    @property
    def bin(self) -> Path:
        return self.path / "odoo-bin"

    def addons_path(self, with_test_addons: bool = False) -> str:
        paths = [self.path / "odoo" / "addons", self.path / "addons", ADDONS_DIR]
        if with_test_addons:
            paths.append(TEST_ADDONS_DIR)
        return ",".join(str(p) for p in paths if p.is_dir())


def _python_candidates(tree: Path | None) -> list[str]:
    if os.environ.get("ODOO_PYTHON"):
        return [os.environ["ODOO_PYTHON"]]
    found = []
    if tree:
        for venv in (".venv", "venv"):
            candidate = tree / venv / "bin" / "python"
            if candidate.exists():
                found.append(str(candidate))
    found.append(shutil.which("python3") or sys.executable)
    return found


_PROBE = (
    "import sys, os; sys.path.insert(0, sys.argv[1]) if sys.argv[1] else None; "
    "import odoo.release as r; import psycopg2, werkzeug, lxml, babel; "
    "print(os.path.dirname(os.path.dirname(os.path.abspath(r.__file__))), "
    "'%d.%d' % r.version_info[:2])"
)


def _probe(python: str, tree: Path | None) -> tuple[Path, str] | None:
    try:
        out = subprocess.run(
            [python, "-c", _PROBE, str(tree or "")],
            capture_output=True, text=True, timeout=60, cwd="/",
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    location, version = out.stdout.split()
    return Path(location), version


def find_odoo() -> Odoo:
    """Locate Odoo 18.0 and an interpreter that can run it, or raise HarnessError."""
    explicit = os.environ.get("ODOO_PATH")
    trees: list[Path | None] = [Path(explicit)] if explicit else [None, DEFAULT_ODOO_PATH]
    for tree in trees:
        if tree is not None and not (tree / "odoo-bin").exists():
            continue
        for python in _python_candidates(tree):
            found = _probe(python, tree)
            if not found:
                continue
            location, version = found
            if version != "18.0":
                raise HarnessError(
                    f"Odoo {version} was found at {location}, but these addons need Odoo 18.0: "
                    "point ODOO_PATH at an Odoo 18.0 source tree."
                )
            if not (location / "odoo-bin").exists():
                # Installed as a package (pip install -e / setup.py): odoo-bin is on PATH.
                odoo_bin = shutil.which("odoo") or shutil.which("odoo-bin")
                if not odoo_bin:
                    continue
            return Odoo(path=location, python=python)
    where = explicit or f"an importable 'odoo' package or {DEFAULT_ODOO_PATH}"
    raise HarnessError(
        f"Odoo 18.0 was not found ({where}): install an Odoo 18.0 source tree with its "
        "requirements (see README, 'Prerequisites') and set ODOO_PATH, or ODOO_PYTHON to "
        "the interpreter that has them."
    )


def pip_install(odoo: Odoo, *requirement_files: str) -> None:
    """Install our requirements into Odoo's interpreter, never moving Odoo's own pins."""
    constraints = odoo.path / "requirements.txt"
    cmd = [odoo.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if constraints.exists():
        cmd += ["-c", str(constraints)]
    for req in requirement_files:
        cmd += ["-r", str(ROOT / req)]
    say("installing the project's Python requirements (constrained by Odoo's pins)")
    result = subprocess.run(cmd)
    if result.returncode:
        raise HarnessError(
            "pip could not install requirements.txt into Odoo's interpreter "
            f"({odoo.python}): read pip's message above."
        )


# --------------------------------------------------------------------------- PostgreSQL


def _pg_ready() -> bool:
    if not shutil.which("pg_isready"):
        return False
    return subprocess.run(["pg_isready", "-q"]).returncode == 0


def _as_postgres(cmd: list[str]) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client as the postgres superuser (as root: through runuser,
    which keeps the environment, so the caller's PGUSER/PGPASSWORD must not follow)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PGUSER", "PGPASSWORD")}
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def ensure_postgres() -> None:
    """Reuse a running PostgreSQL, else start the local (Debian) cluster."""
    if not shutil.which("psql"):
        raise HarnessError(
            "PostgreSQL was not found: install PostgreSQL 12 or newer "
            "(Debian/Ubuntu: apt-get install postgresql)."
        )
    if not _pg_ready() and not os.environ.get("PGHOST"):
        if not shutil.which("pg_lsclusters"):
            raise HarnessError(
                "No PostgreSQL server is running: start yours and set PGHOST/PGPORT if it "
                "is not on the default socket."
            )
        clusters = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True)
        lines = [line.split() for line in clusters.stdout.splitlines() if line.strip()]
        if not lines:
            raise HarnessError(
                "PostgreSQL is installed but has no cluster: create one with "
                "'pg_createcluster 15 main' (use your version)."
            )
        version, name = lines[0][0], lines[0][1]
        say(f"starting PostgreSQL cluster {version}/{name}")
        started = subprocess.run(["pg_ctlcluster", version, name, "start"],
                                 capture_output=True, text=True)
        if started.returncode and not _pg_ready():
            raise HarnessError(
                f"PostgreSQL cluster {version}/{name} did not start ({started.stderr.strip()}): "
                "start it yourself with pg_ctlcluster, as root or the postgres user."
            )
    if not _pg_ready():
        raise HarnessError("PostgreSQL does not answer: check that the server is running.")
    _ensure_role()


def _ensure_role() -> None:
    user = os.environ.get("PGUSER") or getpass.getuser()
    probe = subprocess.run(["psql", "-d", "postgres", "-tAc", "select rolcreatedb from pg_roles "
                            "where rolname = current_user"], capture_output=True, text=True)
    if probe.returncode == 0 and probe.stdout.strip() == "t":
        return
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", user):
        raise HarnessError(f"Cannot create a PostgreSQL role for the user name {user!r}.")
    created = _as_postgres(["psql", "-d", "postgres", "-tAc",
                            f'CREATE ROLE "{user}" LOGIN CREATEDB' if probe.returncode
                            else f'ALTER ROLE "{user}" CREATEDB'])
    if created.returncode:
        raise HarnessError(
            f"PostgreSQL has no role {user!r} that may create databases: run "
            f"'sudo -u postgres createuser --createdb {user}'."
        )
    say(f"created PostgreSQL role {user!r} with CREATEDB")


def db_exists(name: str) -> bool:
    out = subprocess.run(["psql", "-d", "postgres", "-tAc",
                          "select 1 from pg_database where datname = %s" % _quote(name)],
                         capture_output=True, text=True)
    return out.stdout.strip() == "1"


def installed_addons(db: str, names: list[str]) -> set[str]:
    """Which of names are installed in db (empty when db is not an Odoo database)."""
    out = subprocess.run(["psql", "-d", db, "-tAc",
                          "select name from ir_module_module where state = 'installed' "
                          "and name in (%s)" % ",".join(_quote(n) for n in names)],
                         capture_output=True, text=True)
    return set(out.stdout.split()) if out.returncode == 0 else set()


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def drop_db(odoo: Odoo, name: str) -> None:
    subprocess.run(["dropdb", "--if-exists", "--force", name], capture_output=True)
    filestore = Path.home() / ".local" / "share" / "Odoo" / "filestore" / name
    shutil.rmtree(filestore, ignore_errors=True)


def throwaway_db_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


# --------------------------------------------------------------------------- addons


def project_addons(with_test_addons: bool = False) -> list[str]:
    dirs = [ADDONS_DIR] + ([TEST_ADDONS_DIR] if with_test_addons else [])
    names = []
    for base in dirs:
        if base.is_dir():
            names += sorted(p.parent.name for p in base.glob("*/__manifest__.py"))
    return names


def odoo_cmd(odoo: Odoo, db: str, *args: str, with_test_addons: bool = False) -> list[str]:
    cmd = [odoo.python, str(odoo.bin)] if odoo.bin.exists() else [
        shutil.which("odoo") or "odoo"]
    return cmd + [
        "-d", db, f"--addons-path={odoo.addons_path(with_test_addons)}",
        f"--db-filter=^{re.escape(db)}$", *args,
    ]


def install_addons(odoo: Odoo, db: str, addons: list[str], *, with_test_addons=False,
                   log_file: Path | None = None, demo: bool = False) -> None:
    """Install (or complete the install of) addons in db; raise with the log's tail."""
    args = ["-i", ",".join(addons), "--stop-after-init", "--log-level=warn"]
    if not demo:
        args.append("--without-demo=all")
    cmd = odoo_cmd(odoo, db, *args, "--http-port=0", with_test_addons=with_test_addons)
    say(f"installing {', '.join(addons)} into database {db}")
    with open(log_file or os.devnull, "w") as log:
        result = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    errors = _log_errors(log_file) if log_file else []
    if result.returncode or errors:
        tail = "\n".join(errors[-20:]) if errors else "(see the log)"
        raise HarnessError(
            f"Installing the addons into {db} failed; the log is {log_file}:\n{tail}"
        )


def _log_errors(log_file: Path) -> list[str]:
    if not log_file.exists():
        return []
    lines = log_file.read_text(errors="replace").splitlines()
    # Odoo's ERROR lines often say only "Failed to load registry": the cause is the
    # last line of the traceback after it (e.g. "TypeError: Model ... inherits from...").
    return [line for line in lines if re.search(r" (ERROR|CRITICAL) ", line)
            or re.match(r"[A-Za-z_][\w.]*\.?[A-Z]\w*: ", line)]


def run_main(main) -> None:
    """Run a command's main(), turning HarnessError into one sentence and exit 2."""
    try:
        sys.exit(main())
    except HarnessError as exc:
        print(f"[crm] {exc}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
