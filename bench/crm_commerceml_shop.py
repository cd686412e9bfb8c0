#!/usr/bin/env python3
"""crm_commerceml, the web-shop role: Odoo plays 1C toward BitrixShopPeer over HTTP.

    python3 bench/crm_commerceml_shop.py [--products 10000] [--orders 2000]

- a catalog push of --products products (import.xml + offers.xml written to files,
  zipped, uploaded in parts of the shop's file_limit, imported while it answers
  progress): its time, its rate and the process's peak memory after it;
- a first order pull of --orders shop orders (3 lines each, products of the catalog,
  customers new to Odoo) beside a bare batch ``sale.order.create`` of the same orders
  (the yardstick, rolled back);
- a pull where nothing changed at the shop, and one where every order changed status.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arg_parser, bench_main, peak_rss_mib, progress


class RollBack(Exception):
    """Undoes the yardstick's orders."""


def args():
    parser = arg_parser()
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=2_000)
    return parser.parse_args()


def measure(env, report):
    from peers import BitrixShopPeer

    options = args()
    env.ref("base.RUB").active = True
    pricelist = env["product.pricelist"].create({"name": "Shop RUB",
                                                 "currency_id": env.ref("base.RUB").id})
    category = env["product.category"].create({"name": "Bench shop"})
    progress(f"creating {options.products} products")
    products = env["product.product"].create([
        {"name": f"Товар {i}", "default_code": f"B-{i:06d}", "list_price": 10 + i % 500,
         "categ_id": category.id} for i in range(options.products)])
    env.cr.commit()

    peer = BitrixShopPeer(file_limit=1 << 20, step_items=2000).start()
    try:
        shop = env["crm.commerceml.shop"].create({
            "name": "Bench shop", "url": peer.url + BitrixShopPeer.path,
            "login": BitrixShopPeer.login, "password": BitrixShopPeer.password,
            "pricelist_id": pricelist.id, "category_ids": [(6, 0, category.ids)],
            "timeout": 300})
        env.cr.commit()

        progress(f"pushing {options.products} products")
        started = time.monotonic()
        exchange = shop._push_catalog()
        elapsed = time.monotonic() - started
        assert exchange.state == "done", exchange.error
        assert len(peer.products) == options.products, len(peer.products)
        report(f"catalog push of {options.products:,} products", elapsed, "s",
               "< 60 s for 10,000")
        report("push rate", options.products / elapsed, "products/s", "> 200 products/s")
        report("peak memory after the push", peak_rss_mib(), "MiB", "< 1,024 MiB")

        refs = [shop._product_ref(p) for p in products[:300]]
        for i in range(options.orders):
            peer.add_order(str(100000 + i), f"Покупатель {i % 700}", [
                {"id": refs[(i + k) % len(refs)], "name": "", "price": 100.0 + k,
                 "quantity": 1 + k} for k in range(3)])

        progress("bare batch create of the same orders (rolled back)")
        partner = env["res.partner"].create({"name": "Yardstick"})
        started = time.monotonic()
        try:
            with env.cr.savepoint():
                env["sale.order"].create([{
                    "partner_id": partner.id, "pricelist_id": pricelist.id,
                    "order_line": [(0, 0, {"product_id": products[(i + k) % 300].id,
                                           "product_uom_qty": 1 + k,
                                           "price_unit": 100.0 + k})
                                   for k in range(3)]} for i in range(options.orders)])
                env.flush_all()
                bare = time.monotonic() - started
                raise RollBack
        except RollBack:
            pass
        env.invalidate_all()
        report(f"bare batch create of {options.orders:,} orders", bare, "s",
               "the yardstick")

        progress(f"first pull of {options.orders} orders")
        started = time.monotonic()
        exchange = shop._pull_orders()
        elapsed = time.monotonic() - started
        assert exchange.state == "done", exchange.error
        assert exchange.created_count == options.orders, exchange.created_count
        report(f"first pull of {options.orders:,} orders", elapsed, "s",
               f"< 4x the bare create ({4 * bare:.1f} s)")
        report("pull rate", options.orders / elapsed, "orders/s", "> 50 orders/s")

        started = time.monotonic()
        exchange = shop._pull_orders()
        report("pull with nothing changed at the shop", time.monotonic() - started, "s",
               "< 1 s")

        for number in list(peer.orders):
            peer.edit_order(number, status="P")
        progress(f"pull of {options.orders} orders whose status changed")
        started = time.monotonic()
        exchange = shop._pull_orders()
        elapsed = time.monotonic() - started
        assert exchange.updated_count == options.orders, exchange.updated_count
        report(f"pull of {options.orders:,} changed orders (confirmed)", elapsed, "s",
               "< 2x the first pull")
        report("peak memory", peak_rss_mib(), "MiB", "< 1,024 MiB")
    finally:
        peer.stop()


if __name__ == "__main__":
    args()
    sys.exit(bench_main(["crm_commerceml"], measure, with_test_addons=False))
