"""The web-shop role: Odoo plays 1C against a shop (BitrixShopPeer) over real HTTP."""

import xml.etree.ElementTree as ET

from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from peers import BitrixShopPeer, PeerCaseMixin
from peers.bitrix_shop import AUTH_FAILED

from ..utils import shop_client, writer
from .common import SHARED_DATA

REAL_QUERY = SHARED_DATA / "dobromyslov__commerceml-parser__bitrix-query-response-full.xml"
REAL_EMPTY = SHARED_DATA / "dobromyslov__commerceml-parser__bitrix-query-response-empty.xml"


class ShopCase(PeerCaseMixin, TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.peer = cls.start_peer(BitrixShopPeer, file_limit=512, step_items=2)
        rub = cls.env.ref("base.RUB")
        rub.active = True
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Shop roubles", "currency_id": rub.id})
        Category = cls.env["product.category"]
        cls.furniture = Category.create({"name": "Мебель"})
        cls.chairs = Category.create({"name": "Стулья", "parent_id": cls.furniture.id})
        cls.other = Category.create({"name": "Прочее"})
        Product = cls.env["product.product"]
        cls.chair = Product.create({"name": "Стул венский", "default_code": "CH-1",
                                    "list_price": 350, "categ_id": cls.chairs.id,
                                    "type": "consu", "is_storable": True})
        cls.table = Product.create({"name": "Стол обеденный", "default_code": "ST-1",
                                    "list_price": 1500, "categ_id": cls.furniture.id})
        cls.table.product_tmpl_id.cml_id = "p-table"
        cls.pen = Product.create({"name": "Ручка", "list_price": 10,
                                  "categ_id": cls.other.id})
        warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.env.company.id)], limit=1)
        cls.env["stock.quant"]._update_available_quantity(cls.chair, warehouse.lot_stock_id, 7)
        cls.salesman = cls.env["res.users"].create(
            {"name": "Shop manager", "login": "shop_manager"})
        cls.shop = cls.env["crm.commerceml.shop"].create({
            "name": "Bitrix", "url": cls.peer.url + BitrixShopPeer.path,
            "login": BitrixShopPeer.login, "password": BitrixShopPeer.password,
            "user_id": cls.salesman.id, "pricelist_id": cls.pricelist.id,
            "category_ids": [(6, 0, cls.furniture.ids)], "timeout": 10})

    def ref(self, product):
        return self.shop._product_ref(product)

    def shop_orders(self):
        return self.env["sale.order"].search([("cml_shop_id", "=", self.shop.id)], order="id")

    def journal(self, direction):
        return self.env["crm.commerceml.exchange"].search(
            [("shop_id", "=", self.shop.id), ("direction", "=", direction)], order="id")


@tagged("post_install", "-at_install")
class TestShopCatalogPush(ShopCase):

    def test_push_catalog_zipped_in_parts_imported_step_by_step(self):
        self.shop.action_push_catalog()

        exchange = self.journal("to_shop")
        self.assertEqual(exchange.state, "done", exchange.error)
        self.assertEqual(exchange.counterpart, "shop")
        self.assertIn("import: progress | Обработано 2 из 5", exchange.shop_log)
        for secret in (*self.peer.sessions, *self.peer.sessions.values()):
            self.assertNotIn(secret, exchange.shop_log, "no session in the journal")
        self.assertEqual(exchange.sent_count, 2)
        # the shop's store: the chosen category tree and its products, nothing else
        self.assertEqual(set(self.peer.products), {self.ref(self.chair), "p-table"})
        chair = self.peer.products[self.ref(self.chair)]
        self.assertEqual((chair["name"], chair["article"]), ("Стул венский", "CH-1"))
        self.assertEqual({g["name"] for g in self.peer.groups.values()}, {"Мебель", "Стулья"})
        chairs_group = next(gid for gid, g in self.peer.groups.items() if g["name"] == "Стулья")
        self.assertEqual(chair["group_ids"], [chairs_group])
        self.assertEqual(self.peer.offers["p-table"]["prices"], {"odoo-sales-price": 1500.0})
        self.assertEqual(self.peer.offers[self.ref(self.chair)]["quantity"], 7.0)
        # the protocol as 1C speaks it: one zip in parts no larger than file_limit, the
        # cookie and sessid on every call after checkauth, import repeated on progress
        uploads = self.peer.requests_to("POST", BitrixShopPeer.path)
        self.assertGreater(len(uploads), 1, "the archive is bigger than file_limit")
        self.assertEqual({r.query["filename"][0] for r in uploads}, {"import_files.zip"})
        self.assertTrue(all(len(r.body) <= 512 for r in uploads))
        for request in self.peer.requests[1:]:
            self.assertIn("PHPSESSID=", request.headers.get("Cookie"))
            self.assertTrue(request.query.get("sessid"))
        imports = [r for r in self.peer.requests if r.query.get("mode") == ["import"]]
        self.assertGreater(len(imports), 2, "the shop answered progress")
        self.assertEqual(self.shop.state, "ok")
        self.assertTrue(self.shop.last_push_at)

    def test_push_unzipped_when_the_shop_refuses_zip_and_twice_changes_nothing(self):
        self.peer.zip_enabled = False
        products_before = self.env["product.template"].search_count([])
        self.shop.action_push_catalog()
        self.shop.action_push_catalog()

        uploads = self.peer.requests_to("POST", BitrixShopPeer.path)
        self.assertEqual({r.query["filename"][0] for r in uploads},
                         {"import0_1.xml", "offers0_1.xml"})
        self.assertEqual(self.journal("to_shop").mapped("state"), ["done", "done"])
        self.assertEqual(len(self.peer.products), 2)
        self.assertEqual(self.env["product.template"].search_count([]), products_before)

    def test_zip_switched_off_on_the_connection(self):
        self.shop.use_zip = False
        self.shop.action_push_catalog()
        uploads = self.peer.requests_to("POST", BitrixShopPeer.path)
        self.assertEqual({r.query["filename"][0] for r in uploads},
                         {"import0_1.xml", "offers0_1.xml"})
        self.assertEqual(len(self.peer.products), 2)

    def test_a_redirect_is_not_followed(self):
        self.peer.inject("GET", BitrixShopPeer.path, status=301,
                         headers={"Location": "https://shop.example/bitrix/admin/1c_exchange.php"})
        self.shop.action_push_catalog()
        exchange = self.journal("to_shop")
        self.assertEqual(exchange.state, "failed")
        self.assertIn("redirects to https://shop.example/bitrix/admin/1c_exchange.php",
                      exchange.error)
        self.assertEqual(len(self.peer.requests), 1)

    def test_no_categories_pushes_every_saleable_product(self):
        self.shop.category_ids = False
        self.shop.action_push_catalog()
        self.assertTrue({self.ref(self.chair), "p-table", self.ref(self.pen)} <= set(
            self.peer.products))


@tagged("post_install", "-at_install")
class TestShopOrderPull(ShopCase):

    def add_orders(self):
        self.peer.add_order("1001", "ООО Ромашка", [
            {"id": self.ref(self.chair), "name": "Стул венский", "price": 340.0,
             "quantity": 4},
            {"id": "p-table", "name": "Стол обеденный", "price": 1500.0, "quantity": 1}])
        self.peer.add_order("1002", "ИП Иванов", [
            {"id": "9f1c-unknown", "name": "Табурет", "price": 120.0, "quantity": 2}],
            status="P", status_name="Оплачен, формируется к отправке")

    def test_pull_twice_creates_once_and_leaves_hand_made_orders_alone(self):
        customer = self.env["res.partner"].create({"name": "Ручной клиент"})
        hand_made = self.env["sale.order"].create({
            "name": "1001", "partner_id": customer.id,
            "order_line": [(0, 0, {"product_id": self.pen.id, "product_uom_qty": 3})]})
        self.add_orders()

        self.shop.action_pull_orders()

        exchange = self.journal("from_shop")
        self.assertEqual(exchange.state, "done", exchange.error)
        self.assertEqual((exchange.created_count, exchange.failed_count), (2, 0))
        first, second = self.shop_orders()
        self.assertEqual((first.cml_shop_number, second.cml_shop_number), ("1001", "1002"))
        self.assertEqual(first.partner_id.name, "ООО Ромашка")
        self.assertEqual(first.user_id, self.salesman)
        self.assertEqual(first.currency_id.name, "RUB")
        self.assertEqual(first.state, "draft")  # N → quotation
        self.assertEqual(second.state, "sale")  # P → sales order
        self.assertEqual(
            sorted((ln.product_id.id, ln.product_uom_qty, ln.price_unit)
                   for ln in first.order_line),
            sorted([(self.chair.id, 4.0, 340.0), (self.table.id, 1.0, 1500.0)]))
        stool = second.order_line.product_id
        self.assertEqual((stool.name, stool.cml_id), ("Табурет", "9f1c-unknown"))
        self.assertTrue(all(o["exported"] for o in self.peer.orders.values()))
        self.assertFalse(first.cml_changed_at, "orders from the shop are not sent to 1C")

        self.shop.action_pull_orders()

        self.assertEqual(len(self.shop_orders()), 2)
        self.assertEqual(self.env["product.template"].search_count(
            [("cml_id", "=", "9f1c-unknown")]), 1)
        self.assertEqual(self.env["res.partner"].search_count([("name", "=", "ООО Ромашка")]),
                         1)
        self.assertEqual(self.journal("from_shop")[-1].created_count, 0)
        # the hand-made order with the same number was never touched
        self.assertFalse(hand_made.cml_shop_id)
        self.assertEqual(hand_made.partner_id, customer)
        self.assertEqual(hand_made.order_line.product_id, self.pen)

    def test_shop_changes_update_the_order_and_odoo_changes_go_back(self):
        self.add_orders()
        self.shop.action_pull_orders()
        first, second = self.shop_orders()

        self.peer.edit_order("1001", status="F", lines=[
            {"id": self.ref(self.chair), "name": "Стул венский", "price": 340.0,
             "quantity": 6}])
        second._action_cancel()  # by a person in Odoo
        self.shop.action_pull_orders()

        exchange = self.journal("from_shop")[-1]
        self.assertEqual((exchange.created_count, exchange.updated_count), (0, 1))
        self.assertEqual(first.state, "sale")
        self.assertTrue(first.locked, "F → done (locked)")
        self.assertEqual(first.order_line.product_uom_qty, 6.0)
        # the order changed in Odoo and not by the shop went back with its mapped status
        self.assertEqual(exchange.sent_count, 1)
        sent = self.peer.received[-1]
        self.assertEqual(sent["number"], "1002")
        self.assertEqual(sent["requisites"]["Отменен"], "true")
        self.assertTrue(self.peer.orders["1002"]["cancelled"])
        self.assertFalse(second.cml_shop_dirty)

        self.shop.action_pull_orders()
        self.assertEqual(self.journal("from_shop")[-1].sent_count, 0, "sent once")

    def test_scheduled_actions_serve_every_active_shop(self):
        self.add_orders()
        idle = self.shop.copy({"name": "Closed shop", "active": False})
        self.env.ref("crm_commerceml.ir_cron_shop_pull").method_direct_trigger()
        self.env.ref("crm_commerceml.ir_cron_shop_push").method_direct_trigger()
        self.assertEqual(len(self.shop_orders()), 2)
        self.assertEqual(len(self.peer.products), 2)
        self.assertFalse(idle.exchange_ids)
        # the frequency is edited on a shop connection
        self.shop.write({"pull_interval_number": 5, "pull_interval_type": "minutes"})
        self.assertEqual(self.env.ref("crm_commerceml.ir_cron_shop_pull").interval_number, 5)

    def test_utf8_reply_with_a_bom(self):
        """A shop answering in UTF-8 (WooCommerce / OpenCart plugins), as 1C writes."""
        self.peer.query_reply = writer.write_orders([{
            "id": "wc-1", "number": "wc-1", "date": "2026-02-01", "time": "09:30:00",
            "currency": "RUB", "amount": 680,
            "counterparty": {"id": "c-1", "name": "Анна", "full_name": "Анна Петрова",
                             "email": "anna@example.com"},
            "lines": [{"id": self.ref(self.chair), "name": "Стул венский", "price": 340,
                       "quantity": 2, "amount": 680}],
            "requisites": {"Статус заказа": "[N] Принят"}}])
        self.shop.user_id.tz = "Europe/Moscow"
        self.shop.action_pull_orders()
        order = self.shop_orders()
        self.assertEqual(self.journal("from_shop").state, "done")
        self.assertEqual((order.cml_shop_number, order.state), ("wc-1", "draft"))
        self.assertEqual(order.partner_id.name, "Анна Петрова", "by ПолноеНаименование")
        self.assertEqual(order.partner_id.email, "anna@example.com")
        # the shop's local time, in UTC by the responsible user's time zone (Moscow, +3)
        self.assertEqual(str(order.date_order), "2026-02-01 06:30:00")
        self.assertEqual(str(order.cml_shop_date), "2026-02-01 06:30:00")
        # Odoo dates a sales order by its confirmation; the shop's date is kept apart
        order.action_confirm()
        self.assertNotEqual(str(order.date_order), "2026-02-01 06:30:00")
        self.assertEqual(str(order.cml_shop_date), "2026-02-01 06:30:00")

    def test_real_bitrix_reply(self):
        if not REAL_QUERY.exists():
            self.skipTest("../shared/data/commerceml is absent")
        content = REAL_QUERY.read_bytes()
        numbers = [el.text for el in ET.fromstring(content).iter("Номер")]
        self.peer.query_reply = content

        self.shop.action_pull_orders()
        self.shop.action_pull_orders()

        orders = self.shop_orders()
        self.assertEqual(sorted(orders.mapped("cml_shop_number")), sorted(numbers))
        self.assertEqual(self.journal("from_shop").mapped("state"), ["done", "done"])
        # Bitrix sent buyers with empty names: named after their shop id, found again
        self.assertIn("38#catalog_exchange#", orders[0].partner_id.name)
        self.assertTrue(all(o.currency_id.name == "RUB" for o in orders))

    def test_real_bitrix_empty_reply(self):
        if not REAL_EMPTY.exists():
            self.skipTest("../shared/data/commerceml is absent")
        self.peer.query_reply = REAL_EMPTY.read_bytes()
        self.shop.action_pull_orders()
        exchange = self.journal("from_shop")
        self.assertEqual((exchange.state, exchange.created_count), ("done", 0))


@tagged("post_install", "-at_install")
class TestShopFailures(ShopCase):

    def pull_fails(self):
        self.shop.action_pull_orders()
        exchange = self.journal("from_shop")[-1]
        self.assertEqual(exchange.state, "failed")
        self.assertEqual(self.shop.state, "error")
        self.assertEqual(self.shop.last_error, exchange.error)
        return exchange

    def rerun_pull_creates_once(self):
        self.shop.timeout = 10
        self.shop.action_pull_orders()
        exchange = self.journal("from_shop")[-1]
        self.assertEqual(exchange.state, "done", exchange.error)
        self.assertEqual(sorted(self.shop_orders().mapped("cml_shop_number")), ["2001", "2002"])
        self.assertEqual(self.env["product.template"].search_count(
            [("cml_id", "=", "new-1")]), 1)
        self.assertEqual(self.shop.state, "ok")

    def add_orders(self):
        self.peer.add_order("2001", "Покупатель", [
            {"id": "new-1", "name": "Новинка", "price": 10.0, "quantity": 1}])
        self.peer.add_order("2002", "Покупатель", [
            {"id": "new-1", "name": "Новинка", "price": 10.0, "quantity": 3}])

    def test_wrong_password(self):
        self.add_orders()
        self.shop.password = "wrong"
        exchange = self.pull_fails()
        self.assertIn("checkauth", exchange.error)
        self.assertIn(AUTH_FAILED, exchange.error, "the shop's own words")
        self.assertFalse(self.shop_orders())
        self.shop.password = BitrixShopPeer.password
        self.rerun_pull_creates_once()

    def test_failure_reply_at_query(self):
        self.add_orders()
        self.peer.fail_next("query", "Модуль интернет-магазина не установлен")
        exchange = self.pull_fails()
        self.assertIn("Модуль интернет-магазина не установлен", exchange.error)
        self.assertIn("Модуль интернет-магазина не установлен", exchange.shop_log)
        self.rerun_pull_creates_once()

    def test_failure_at_success_undoes_the_import(self):
        self.add_orders()
        self.peer.fail_next("success", "Ошибка записи")
        exchange = self.pull_fails()
        self.assertIn("Ошибка записи", exchange.error)
        self.assertFalse(self.shop_orders(), "nothing half-written")
        self.assertFalse(any(o["exported"] for o in self.peer.orders.values()))
        self.rerun_pull_creates_once()

    def test_timeout(self):
        self.add_orders()
        self.shop.timeout = 1
        self.peer.delay_next("query", 2.5)
        exchange = self.pull_fails()
        self.assertIn("did not answer within 1 seconds", exchange.error)
        self.rerun_pull_creates_once()

    def test_http_error(self):
        self.add_orders()
        self.peer.inject("GET", BitrixShopPeer.path, status=503)
        exchange = self.pull_fails()
        self.assertIn("HTTP 503", exchange.error)
        self.rerun_pull_creates_once()

    def test_malformed_xml_after_a_good_order(self):
        self.add_orders()
        good = self.peer._orders_xml([self.peer.orders["2001"]])
        self.peer.query_reply = good.replace("</КоммерческаяИнформация>".encode("cp1251"),
                                             "<Документ><Ид>2002".encode("cp1251"))
        exchange = self.pull_fails()
        self.assertIn("malformed", exchange.error)
        self.assertFalse(self.shop_orders(), "the good order before the break is undone")
        self.peer.query_reply = None
        self.rerun_pull_creates_once()

    def test_hostile_xml_is_refused(self):
        self.peer.query_reply = (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
            b"<x>&a;</x>")
        exchange = self.pull_fails()
        self.assertIn("DOCTYPE", exchange.error)

    def test_inactive_currency_keeps_the_orders_at_the_shop(self):
        self.add_orders()
        self.shop.pricelist_id = False  # orders in the company currency, the shop's in RUB
        if self.env.company.currency_id.name == "RUB":
            self.skipTest("the company works in roubles")
        self.shop.action_pull_orders()
        exchange = self.journal("from_shop")
        self.assertEqual(exchange.failed_count, 2)
        self.assertIn("choose a pricelist", exchange.line_ids[0].message)
        self.assertFalse(any(o["exported"] for o in self.peer.orders.values()),
                         "no success: the shop sends them again")
        self.shop.pricelist_id = self.pricelist
        self.rerun_pull_creates_once()

    def test_one_failed_order_does_not_break_the_next_one(self):
        """The first order fails after its new customer and product were created (and
        undone with it); the second, same customer and product, is imported."""
        self.add_orders()
        both = self.peer._orders_xml(list(self.peer.orders.values()))
        self.peer.query_reply = both.replace("<Валюта>руб</Валюта>".encode("cp1251"),
                                             "<Валюта>XTS</Валюта>".encode("cp1251"), 1)
        self.shop.action_pull_orders()
        exchange = self.journal("from_shop")
        self.assertEqual((exchange.created_count, exchange.failed_count), (1, 1))
        self.assertEqual(exchange.line_ids.item_name, "2001")
        order = self.shop_orders()
        self.assertEqual(order.cml_shop_number, "2002")
        self.assertEqual(order.partner_id.name, "Покупатель")
        self.assertEqual(order.order_line.product_id.cml_id, "new-1")
        self.assertFalse(any(o["exported"] for o in self.peer.orders.values()))
        self.peer.query_reply = None
        self.rerun_pull_creates_once()

    def test_an_interrupted_exchange_is_closed_by_the_next_one(self):
        self.add_orders()
        stale = self.env["crm.commerceml.exchange"].create({
            "direction": "from_shop", "exchange_type": "sale", "shop_id": self.shop.id})
        self.rerun_pull_creates_once()
        self.assertEqual(stale.state, "failed")
        self.assertIn("Interrupted", stale.error)

    def test_one_pull_per_shop_at_a_time(self):
        """Another worker pulling this shop's orders: this pull does not start; a
        catalog push of the same shop is not held up."""
        from ..models.crm_commerceml_shop import EXCHANGE_LOCK_KEY
        self.add_orders()
        with self.env.registry.cursor() as other:
            other.execute("SELECT pg_advisory_xact_lock(%s, %s)",
                          [EXCHANGE_LOCK_KEY, self.shop.id * 2 + 1])
            self.shop.action_pull_orders()
            self.shop.action_push_catalog()
            other.rollback()
        pull = self.journal("from_shop")
        self.assertEqual(pull.state, "failed")
        self.assertIn("Another exchange", pull.error)
        self.assertFalse([r for r in self.peer.requests if r.query.get("type") == ["sale"]],
                         "the shop was not called for orders")
        self.assertEqual(self.journal("to_shop").state, "done")
        self.rerun_pull_creates_once()

    def test_catalog_failures_then_rerun(self):
        self.peer.fail_next("import", "Ошибка импорта: инфоблок не найден")
        self.shop.action_push_catalog()
        exchange = self.journal("to_shop")
        self.assertEqual(exchange.state, "failed")
        self.assertIn("инфоблок не найден", exchange.error)

        self.shop.timeout = 1
        self.peer.delay_next("file", 2.5)
        self.shop.action_push_catalog()
        self.assertIn("did not answer", self.journal("to_shop")[-1].error)

        self.shop.timeout = 10
        self.shop.action_push_catalog()
        self.assertEqual(self.journal("to_shop")[-1].state, "done")
        self.assertEqual(set(self.peer.products), {self.ref(self.chair), "p-table"})


@tagged("post_install", "-at_install")
class TestShopSecurity(ShopCase):

    def test_password_is_write_only_and_for_administrators(self):
        self.assertFalse(self.shop.password)
        self.assertTrue(self.shop.password_set)
        manager = self.env["res.users"].create({
            "name": "Sales boss", "login": "sales_boss",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_manager").id])]})
        shop = self.shop.with_user(manager)
        self.assertEqual(shop.read(["password", "password_set"])[0]["password"], False)
        with self.assertRaises(AccessError):
            shop.read(["password_secret"])
        with self.assertRaises(AccessError):
            shop.write({"password": "stolen"})

    def test_client_decodes_windows_1251(self):
        self.assertEqual(shop_client.decode_reply("failure\nОшибка".encode("cp1251")),
                         "failure\nОшибка")
        self.assertEqual(shop_client.decode_reply(b"\xef\xbb\xbfsuccess"), "success")
