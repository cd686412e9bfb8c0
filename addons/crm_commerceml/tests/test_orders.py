from odoo.tests import tagged

from ..utils import reader
from .common import ExchangeCase


def documents_xml(documents):
    """Orders as 1C (УТ 11) sends them back to the site."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_210" ВерсияСхемы="2.08">']
    for doc in documents:
        lines = "".join(
            f"<Товар><Ид>{ln['id']}</Ид><Наименование>{ln['name']}</Наименование>"
            f"<ЦенаЗаЕдиницу>{ln['price']}</ЦенаЗаЕдиницу><Количество>{ln['qty']}</Количество>"
            f"<Сумма>{ln['price'] * ln['qty']}</Сумма></Товар>" for ln in doc.get("lines", []))
        requisites = "".join(
            f"<ЗначениеРеквизита><Наименование>{k}</Наименование><Значение>{v}</Значение>"
            f"</ЗначениеРеквизита>" for k, v in doc.get("requisites", {}).items())
        parts.append(
            f"<Документ><Ид>{doc['number']}</Ид><Номер>{doc['number']}</Номер>"
            f"<Номер1С>{doc.get('number_1c', '')}</Номер1С><Дата>2026-01-10</Дата>"
            f"<Дата1С>{doc.get('date_1c', '')}</Дата1С>"
            f"<ПометкаУдаления>{str(doc.get('deleted', False)).lower()}</ПометкаУдаления>"
            f"<ХозОперация>Заказ товара</ХозОперация><Валюта>{doc.get('currency', 'RUB')}"
            f"</Валюта>"
            + (f"<Товары>{lines}</Товары>" if lines else "")
            + f"<ЗначенияРеквизитов>{requisites}</ЗначенияРеквизитов></Документ>")
    parts.append("</КоммерческаяИнформация>")
    return "\n".join(parts).encode("utf-8")


@tagged("post_install", "-at_install")
class TestOrderExchange(ExchangeCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_currency = cls.env.company.currency_id
        cls.currency_code = company_currency.name
        cls.customer = cls.env["res.partner"].create({
            "name": "ООО Ромашка", "is_company": True, "vat": "7701234567",
            "cml_kpp": "770101001"})
        cls.chair = cls.env["product.product"].create({
            "name": "Стул", "default_code": "CH-1", "list_price": 300})
        cls.table = cls.env["product.product"].create({
            "name": "Стол", "default_code": "ST-1", "list_price": 1500})
        cls.table.product_tmpl_id.cml_id = "p-table"

    def make_order(self):
        return self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": self.chair.id, "product_uom_qty": 4}),
                           (0, 0, {"product_id": self.table.id, "product_uom_qty": 1})],
        })

    def query(self, client):
        response = client.query_orders()
        self.assertTrue(response.content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM")
        path = self.env["ir.attachment"]._full_path("cml_test_query.xml")
        with open(path, "wb") as fh:
            fh.write(response.content)
        return [item for kind, item in reader.iter_items(path) if kind == "document"]

    def send_documents(self, client, documents):
        return client.send_file("orders-1.xml", documents_xml(documents), exchange_type="sale")

    def test_query_success_and_nothing_left(self):
        self.env["sale.order"].search([]).write({"cml_changed_at": False})
        order = self.make_order()
        client = self.client()
        client.checkauth("sale")
        client.init("sale")
        documents = self.query(client)
        self.assertEqual([d["number"] for d in documents], [order.name])
        buyer = documents[0]["counterparties"][0]
        self.assertEqual((buyer["inn"], buyer["kpp"]), ("7701234567", "770101001"))
        self.assertEqual(len(documents[0]["lines"]), 2)
        self.assertIn("p-table", [ln["id"] for ln in documents[0]["lines"]])
        # not confirmed yet: a second query sends it again
        self.assertEqual(len(self.query(client)), 1)
        self.assertEqual(client.success(), "success")
        self.assertFalse(order.cml_changed_at)
        response = client.query_orders()
        self.assertEqual(self.query(client), [])
        self.assertIn("КоммерческаяИнформация".encode(), response.content,
                      "nothing to send is an empty root element, never an empty body")
        journal = self.journal(direction="to_1c")
        self.assertIn("done", journal.mapped("state"))
        # a person's change sends it again
        order.note = "Позвонить перед доставкой"
        self.assertEqual(len(self.query(client)), 1)

    def test_orders_from_1c_update_never_create(self):
        order = self.make_order()
        client = self.client()
        client.checkauth("sale")
        client.init("sale")
        self.query(client)
        client.success()
        count = self.env["sale.order"].search_count([])
        self.send_documents(client, [
            {"number": order.name, "number_1c": "ТД-0001", "date_1c": "2026-01-11",
             "currency": self.currency_code,
             "requisites": {"Проведен": "true"},
             "lines": [{"id": "p-table", "name": "Стол", "price": 1400, "qty": 2}]},
            {"number": "S99999", "number_1c": "ТД-0002", "requisites": {"Проведен": "true"}},
        ])
        self.assertEqual(self.env["sale.order"].search_count([]), count, "never creates")
        self.assertEqual(order.cml_number_1c, "ТД-0001")
        self.assertEqual(str(order.cml_date_1c), "2026-01-11")
        self.assertEqual(order.state, "sale", "posted without payment → confirmed")
        self.assertFalse(order.locked)
        self.assertEqual(order.order_line.product_id, self.table, "lines follow 1C")
        self.assertEqual((order.order_line.product_uom_qty, order.order_line.price_unit),
                         (2, 1400))
        self.assertFalse(order.cml_changed_at, "the exchange's own change is not sent back")
        failed = self.journal(exchange_type="sale", direction="from_1c").line_ids
        self.assertEqual(failed.item_name, "S99999")
        # paid → done (locked); deletion mark → cancelled
        self.send_documents(client, [{"number": order.name, "requisites": {
            "Проведен": "true", "Номер оплаты по 1С": "ПЛ-1", "Дата оплаты по 1С": "2026-01-12"}}])
        self.assertTrue(order.locked)
        self.send_documents(client, [{"number": order.name, "deleted": True}])
        self.assertEqual(order.state, "cancel")
        # not posted → quotation
        self.send_documents(client, [{"number": order.name,
                                      "requisites": {"Проведен": "false"}}])
        self.assertEqual(order.state, "draft")

    def test_counterparties_matched_by_1c_id_then_name(self):
        order = self.make_order()
        client = self.client()
        client.checkauth("sale")
        client.init("sale")
        xml = documents_xml([{"number": order.name, "requisites": {"Проведен": "false"}}])
        xml = xml.replace("<ХозОперация>".encode(), (
            "<Контрагенты><Контрагент><Ид>cp-1</Ид><Наименование>ООО Ромашка</Наименование>"
            "<ИНН>7701234567</ИНН><КПП>770102002</КПП><Роль>Покупатель</Роль></Контрагент>"
            "</Контрагенты><ХозОперация>").encode())
        client.send_file("orders.xml", xml, exchange_type="sale")
        self.assertEqual(self.customer.cml_id, "cp-1", "found by name, then bound by 1C id")
        self.assertEqual(self.customer.cml_kpp, "770102002")
        self.customer.name = "ООО Ромашка и Ко"
        client.send_file("orders2.xml", xml.replace(b"770102002", b"770103003"),
                         exchange_type="sale")
        self.assertEqual(self.customer.cml_kpp, "770103003", "found again by its 1C id")
        self.assertEqual(self.env["res.partner"].search_count([("cml_id", "=", "cp-1")]), 1)

    def test_inactive_currency_fails_that_order(self):
        order = self.make_order()
        self.env.ref("base.EUR").active = False
        client = self.client()
        client.checkauth("sale")
        client.init("sale")
        self.send_documents(client, [{"number": order.name, "currency": "EUR",
                                      "number_1c": "X-1", "requisites": {"Проведен": "true"},
                                      "lines": [{"id": "p-table", "name": "Стол",
                                                 "price": 1, "qty": 1}]}])
        self.assertFalse(order.cml_number_1c, "nothing of that order is half-written")
        line = self.journal(exchange_type="sale", direction="from_1c").line_ids
        self.assertIn("EUR", line.message)
