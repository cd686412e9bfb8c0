#!/usr/bin/env python3
"""crm_commerceml: a 1C catalog of 50,000 products with offers, through the protocol.

    python3 bench/crm_commerceml.py [--products 50000] [--small 5000]

Generates a 1C-shaped import.xml (classifier with groups, products with article, barcode,
unit, VAT) and offers.xml (two price types, a warehouse, stock per offer), then runs the
1C exchange over Odoo's own WSGI application in this process (checkauth → init → file in
parts of file_limit → import until success), as 1C does over HTTP:

- the first import of --small products and the process's peak memory after it;
- the first import of --products products, its rate / the bare create's rate, and the
  peak memory after it (the growth is what streaming must keep small);
- a re-import of the same unchanged files, its rate / the first import's rate;
- the first import of the same catalog with every quantity 0 (no inventory move), to
  show what Odoo's stock validation takes of the first import;
- last, a bare batch ``product.template.create`` of the same products (the yardstick,
  rolled back; last so that its own peak memory does not hide the imports').

Each timed phase starts from a settled database (``settle``: vacuumed, analyzed,
checkpointed), so that none pays for what the one before it left.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arg_parser, bench_main, peak_rss_mib, progress, settle, timed_batch_create


def args():
    parser = arg_parser()
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=5_000)
    return parser.parse_args()


GROUPS = 50


def catalog_items(count, prefix):
    units = [{"code": "796", "name": "шт", "full_name": "Штука"},
             {"code": "166", "name": "кг", "full_name": "Килограмм"}]
    for i in range(count):
        yield {
            "id": f"{prefix}-{i:06d}-0000-0000-0000-000000000000",
            "name": f"Товар {prefix} {i}", "article": f"{prefix.upper()}-{i:06d}",
            "barcode": f"46{abs(hash(prefix)) % 1000:03d}{i:07d}"[:12] + "0",
            "unit": units[i % 7 == 0], "group_ids": [f"grp-{i % GROUPS}"],
            "taxes": [{"name": "НДС", "rate": 20}],
        }


def offer_items(count, prefix, bump=0.0, stock=True):
    for i in range(count):
        price = 100 + (i % 997) + bump
        quantity = i % 50 if stock else 0  # 0 on a new product moves nothing
        yield {
            "id": f"{prefix}-{i:06d}-0000-0000-0000-000000000000",
            "name": f"Товар {prefix} {i}",
            "prices": [{"price_type_id": "pt-retail", "price": price, "currency": "RUB"},
                       {"price_type_id": "pt-whole", "price": price * 0.8, "currency": "RUB"}],
            "quantity": quantity, "stocks": [{"warehouse_id": "wh-1", "quantity": quantity}],
        }


def write_files(folder, count, prefix, stock=True):
    from odoo.addons.crm_commerceml.utils import writer

    header = {"id": f"cat-{prefix}", "classifier_id": f"cls-{prefix}", "name": "Каталог"}
    groups = [{"id": f"grp-{g}", "name": f"Группа {g}"} for g in range(GROUPS)]
    import_path = os.path.join(folder, f"import-{prefix}.xml")
    offers_path = os.path.join(folder, f"offers-{prefix}.xml")
    with open(import_path, "wb") as fh:
        fh.write(writer.BOM)
        writer.write_catalog(fh, header, groups, catalog_items(count, prefix))
    with open(offers_path, "wb") as fh:
        fh.write(writer.BOM)
        writer.write_offers(fh, {"id": f"cat-{prefix}#", "name": "Предложения",
                                 "catalog_id": header["id"],
                                 "classifier_id": header["classifier_id"]},
                            [{"id": "pt-retail", "name": "Розничная", "currency": "RUB"},
                             {"id": "pt-whole", "name": "Оптовая", "currency": "RUB"}],
                            [{"id": "wh-1", "name": "Склад"}],
                            offer_items(count, prefix, stock=stock))
    return [import_path, offers_path]


class WsgiOneC:
    """1C's side of the protocol against Odoo's WSGI application (no socket needed)."""

    def __init__(self, login, key):
        from werkzeug.test import Client

        import odoo.http

        self.client = Client(odoo.http.root)
        self.login, self.key = login, key

    def call(self, params, data=None, auth=False):
        import base64

        headers = {}
        if auth:
            token = base64.b64encode(f"{self.login}:{self.key}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        response = self.client.open("/1c_exchange.php", query_string=params,
                                    method="POST" if data is not None else "GET",
                                    data=data, headers=headers,
                                    environ_base={"REMOTE_ADDR": "127.0.0.1"})
        text = response.get_data().decode("windows-1251")
        if response.status_code != 200 or text.startswith("failure"):
            raise RuntimeError(f"{params}: {response.status_code} {text[:500]}")
        return text

    def exchange(self, paths):
        self.call({"type": "catalog", "mode": "checkauth"}, auth=True)
        limit = int(self.call({"type": "catalog", "mode": "init"}).split("file_limit=")[1])
        calls = 0
        for path in paths:
            name = os.path.basename(path).split("-")[0] + ".xml"
            with open(path, "rb") as fh:
                while chunk := fh.read(limit):
                    self.call({"type": "catalog", "mode": "file", "filename": name},
                              data=chunk)
            while True:
                calls += 1
                if self.call({"type": "catalog", "mode": "import",
                              "filename": name}).startswith("success"):
                    break
        return calls


def bare_create(env, count, prefix):
    """The yardstick: ORM batch creates of the same products, nothing else (rolled back)."""
    categ = env["product.category"].create({"name": "Bare"})
    tax = env["account.tax"].search([("type_tax_use", "=", "sale"),
                                     ("amount", "=", 20)], limit=1)
    kg = env.ref("uom.product_uom_kgm").id
    unit = env.ref("uom.product_uom_unit").id
    items = list(catalog_items(count, prefix))
    offers = {o["id"]: o for o in offer_items(count, prefix)}
    vals_list = [{
        "name": item["name"], "default_code": item["article"],
        "barcode": item["barcode"], "type": "consu", "is_storable": True,
        "uom_id": kg if item["unit"]["code"] == "166" else unit,
        "uom_po_id": kg if item["unit"]["code"] == "166" else unit,
        "categ_id": categ.id, "taxes_id": [(6, 0, tax.ids)],
        "list_price": offers[item["id"]]["prices"][0]["price"], "cml_id": item["id"],
    } for item in items]
    settle(env)
    return timed_batch_create(env, "product.template", vals_list)


def measure(env, report):
    options = args()
    env["ir.config_parameter"].set_param("crm_commerceml.enabled", "True")
    env["ir.config_parameter"].set_param("crm_commerceml.file_limit", str(500 * 1024 * 1024))
    env.ref("base.RUB").active = True
    user = env["res.users"].create({
        "name": "1C bench", "login": f"onec-bench-{int(time.time())}",
        "groups_id": [(6, 0, [env.ref("base.group_user").id,
                              env.ref("sales_team.group_sale_manager").id,
                              env.ref("stock.group_stock_manager").id])]})
    key = env["res.users.apikeys"].with_user(user).sudo()._generate(None, "bench", None)
    env.cr.commit()

    onec = WsgiOneC(user.login, key)
    with tempfile.TemporaryDirectory() as folder:
        progress(f"writing 1C files: {options.small:,} and {options.products:,} products")
        small = write_files(folder, options.small, "s")
        large = write_files(folder, options.products, "l")
        size = sum(os.path.getsize(p) for p in large)
        report(f"import.xml + offers.xml of {options.products:,} products", size / 2**20,
               "MiB", "generated")
        progress(f"first import of {options.small:,} products")
        onec.exchange(small)
        rss_small = peak_rss_mib()
        report(f"peak memory after {options.small:,} products", rss_small, "MiB", "-")

        progress(f"first import of {options.products:,} products")
        settle(env)
        started = time.perf_counter()
        calls = onec.exchange(large)
        first = time.perf_counter() - started
        first_rate = options.products / first
        rss_large = peak_rss_mib()
        report(f"first import of {options.products:,} products ({calls} import calls)",
               first, "s", "-")
        report("first import rate", first_rate, "products/s", ">= 0.7 x bare create")
        report(f"peak memory after {options.products:,} products", rss_large, "MiB", "-")
        report(f"memory growth {options.small:,} -> {options.products:,}",
               rss_large - rss_small, "MiB", "< 100 MiB")

        progress("re-import of the same unchanged files")
        settle(env)
        started = time.perf_counter()
        onec.exchange(large)
        again = time.perf_counter() - started
        report("unchanged re-import rate", options.products / again, "products/s",
               f">= 10 x first import ({10 * first_rate:,.0f})")
        report("unchanged re-import / first import", first / again, "x", ">= 10")

        # the same catalog with every quantity 0: no inventory move, what the import
        # itself costs beside Odoo's stock validation
        progress(f"first import of {options.products:,} products without quantities")
        no_stock = write_files(folder, options.products, "n", stock=False)
        settle(env)
        started = time.perf_counter()
        onec.exchange(no_stock)
        no_stock_rate = options.products / (time.perf_counter() - started)
    # the yardstick last: run first, its own peak memory would hide the imports' peaks
    progress(f"bare batch create of {options.products:,} products")
    bare = bare_create(env, options.products, "bare")
    bare_rate = options.products / bare
    report(f"bare batch create of {options.products:,} products", bare, "s",
           "the yardstick")
    report("first import / bare create", first_rate / bare_rate, "x", ">= 0.7")
    report("first import without quantities / bare create", no_stock_rate / bare_rate, "x",
           "- (the same without the inventory moves)")
    env.cr.rollback()
    count = env["product.template"].search_count([("cml_id", "like", "l-%")])
    assert count == options.products, count
    assert not env["stock.move"].search_count([("product_id.cml_id", "like", "n-%")])


if __name__ == "__main__":
    args()
    sys.exit(bench_main(["crm_commerceml"], measure, with_test_addons=False))
