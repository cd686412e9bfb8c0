"""Project-wide pytest hooks (loaded by bin/test through pytest-odoo).

Odoo skips, rather than fails, a browser test when it finds no Chrome or no
websocket-client, and pytest-odoo skips every HttpCase without --odoo-http. A green run
that hid such skips would prove nothing about the UI, so they are written to the file
given by --browser-skips-file and bin/test fails on them.
"""

import logging
import re

import pytest

# pytest-odoo keeps Odoo's test_enable off while loading the registry (with it on, Odoo
# would run every at_install test itself), so odoo.tests.common logs an ERROR
# "Importing test framework" with a stack when pytest-odoo imports it. Expected here:
# drop that one record. Installed at import, because pytest-odoo imports odoo.tests in
# pytest_cmdline_main, before any pytest_configure.
logging.getLogger("odoo.tests.common").addFilter(
    lambda record: "Importing test framework" not in record.getMessage())

BROWSER_SKIP = re.compile(r"chrome|chromium|browser|websocket|devtools|--odoo-http", re.I)


def pytest_addoption(parser):
    parser.addoption("--browser-skips-file", action="store", default=None,
                     help="write the browser tests that were skipped to this file")


def _is_http_case(item) -> bool:
    try:
        from odoo.tests.common import HttpCase
    except ImportError:
        return False
    return isinstance(getattr(item, "instance", None), HttpCase)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped:
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(
        report.longrepr)
    if _is_http_case(item) or BROWSER_SKIP.search(reason):
        path = item.config.getoption("--browser-skips-file")
        if path:
            with open(path, "a") as fh:
                fh.write(f"{item.nodeid}: {reason}\n")



@pytest.fixture(scope="session", autouse=True)
def parse_manifests_once(load_registry):
    """Read every addon's manifest before the HTTP server's threads can.

    CPython 3.11.7's ast.parse is not thread-safe (gh-106905: "SystemError: AST
    constructor recursion depth mismatch"), and Odoo's HTTP server parses the manifests
    lazily on the first static-file request: a browser test's parallel asset requests
    then fail now and again. Done once here, the manifests are served from cache."""
    try:
        import odoo.http
    except ImportError:
        return
    odoo.http.root.statics  # noqa: B018 (a lazy property: computing it is the point)
