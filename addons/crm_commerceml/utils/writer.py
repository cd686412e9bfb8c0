"""CommerceML 2 documents written from plain dicts, streamed with lxml's xmlfile.

``write_orders`` is what Odoo answers to 1C's ``type=sale&mode=query`` (and what the
web-shop role sends back to a shop); ``write_catalog`` / ``write_offers`` write the
import.xml / offers.xml pair (the web-shop role's catalog push, and the benchmark's
1C-shaped catalog). Output is UTF-8 with a BOM: 1C 8.3 refuses UTF-8 order XML without
one.
"""

from __future__ import annotations

import io
from datetime import datetime

from lxml import etree

SCHEMA_VERSION = "2.05"
BOM = b"\xef\xbb\xbf"


def _fmt_number(value) -> str:
    if value is None:
        return "0"
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _leaf(xf, name, value, **attrs):
    el = etree.Element(name, {k: str(v) for k, v in attrs.items()})
    el.text = "" if value is None else str(value)
    xf.write(el)


def _root_attrs(now=None):
    return {"ВерсияСхемы": SCHEMA_VERSION,
            "ДатаФормирования": (now or datetime.now()).strftime("%Y-%m-%dT%H:%M:%S")}


def _requisites(xf, values: dict):
    if not values:
        return
    with xf.element("ЗначенияРеквизитов"):
        for name, value in values.items():
            with xf.element("ЗначениеРеквизита"):
                _leaf(xf, "Наименование", name)
                _leaf(xf, "Значение", value)


def _unit(xf, tag, unit):
    if not unit:
        return
    el = etree.Element(tag, {"Код": unit.get("code") or "796",
                             "НаименованиеПолное": unit.get("full_name") or unit.get("name")
                             or ""})
    el.text = unit.get("name") or ""
    xf.write(el)


def _counterparty(xf, partner: dict):
    with xf.element("Контрагент"):
        _leaf(xf, "Ид", partner["id"])
        _leaf(xf, "Наименование", partner.get("name") or "")
        _leaf(xf, "ПолноеНаименование", partner.get("full_name") or partner.get("name") or "")
        _leaf(xf, "Роль", partner.get("role") or "Покупатель")
        if partner.get("inn"):
            _leaf(xf, "ИНН", partner["inn"])
        if partner.get("kpp"):
            _leaf(xf, "КПП", partner["kpp"])
        if partner.get("address"):
            with xf.element("АдресРегистрации"):
                _leaf(xf, "Представление", partner["address"])
        contacts = [("Почта", partner.get("email")), ("ТелефонРабочий", partner.get("phone"))]
        if any(v for _k, v in contacts):
            with xf.element("Контакты"):
                for kind, value in contacts:
                    if value:
                        with xf.element("Контакт"):
                            _leaf(xf, "Тип", kind)
                            _leaf(xf, "Значение", value)


def write_orders(orders, *, now=None) -> bytes:
    """The orders document; an empty list is an empty root element, never an empty body."""
    buffer = io.BytesIO()
    buffer.write(BOM)
    with etree.xmlfile(buffer, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("КоммерческаяИнформация", _root_attrs(now)):
            for order in orders:
                with xf.element("Документ"):
                    _leaf(xf, "Ид", order["id"])
                    _leaf(xf, "Номер", order["number"])
                    _leaf(xf, "Дата", order["date"])
                    if order.get("time"):
                        _leaf(xf, "Время", order["time"])
                    _leaf(xf, "ХозОперация", "Заказ товара")
                    _leaf(xf, "Роль", "Продавец")
                    _leaf(xf, "Валюта", order.get("currency") or "RUB")
                    _leaf(xf, "Курс", _fmt_number(order.get("rate") or 1))
                    _leaf(xf, "Сумма", _fmt_number(order.get("amount")))
                    if order.get("counterparty"):
                        with xf.element("Контрагенты"):
                            _counterparty(xf, order["counterparty"])
                    if order.get("comment"):
                        _leaf(xf, "Комментарий", order["comment"])
                    with xf.element("Товары"):
                        for line in order.get("lines", ()):
                            with xf.element("Товар"):
                                _leaf(xf, "Ид", line["id"])
                                if line.get("article"):
                                    _leaf(xf, "Артикул", line["article"])
                                _leaf(xf, "Наименование", line["name"])
                                _unit(xf, "БазоваяЕдиница", line.get("unit"))
                                _leaf(xf, "ЦенаЗаЕдиницу", _fmt_number(line.get("price")))
                                _leaf(xf, "Количество", _fmt_number(line.get("quantity")))
                                _leaf(xf, "Сумма", _fmt_number(line.get("amount")))
                                if line.get("taxes"):
                                    with xf.element("СтавкиНалогов"):
                                        for tax in line["taxes"]:
                                            with xf.element("СтавкаНалога"):
                                                _leaf(xf, "Наименование", tax["name"])
                                                _leaf(xf, "Ставка", _fmt_number(tax["rate"]))
                                _requisites(xf, {
                                    "ВидНоменклатуры": "Услуга" if line.get("is_service")
                                    else "Товар",
                                    "ТипНоменклатуры": "Услуга" if line.get("is_service")
                                    else "Товар"})
                    _requisites(xf, order.get("requisites") or {})
    return buffer.getvalue()


def write_catalog(fh, header: dict, groups, products, *, now=None) -> None:
    """import.xml: Классификатор with groups and a Каталог of products (streamed to fh)."""
    with etree.xmlfile(fh, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("КоммерческаяИнформация", _root_attrs(now)):
            with xf.element("Классификатор"):
                _leaf(xf, "Ид", header["classifier_id"])
                _leaf(xf, "Наименование", header.get("classifier_name") or header["name"])
                with xf.element("Группы"):
                    for group in groups:
                        _write_group(xf, group)
            with xf.element("Каталог", {"СодержитТолькоИзменения":
                                        "true" if header.get("only_changes") else "false"}):
                _leaf(xf, "Ид", header["id"])
                _leaf(xf, "ИдКлассификатора", header["classifier_id"])
                _leaf(xf, "Наименование", header["name"])
                with xf.element("Товары"):
                    for product in products:
                        with xf.element("Товар"):
                            _leaf(xf, "Ид", product["id"])
                            if product.get("barcode"):
                                _leaf(xf, "Штрихкод", product["barcode"])
                            _leaf(xf, "Артикул", product.get("article") or "")
                            _leaf(xf, "Наименование", product["name"])
                            _unit(xf, "БазоваяЕдиница", product.get("unit"))
                            if product.get("group_ids"):
                                with xf.element("Группы"):
                                    for gid in product["group_ids"]:
                                        _leaf(xf, "Ид", gid)
                            if product.get("description"):
                                _leaf(xf, "Описание", product["description"])
                            if product.get("taxes"):
                                with xf.element("СтавкиНалогов"):
                                    for tax in product["taxes"]:
                                        with xf.element("СтавкаНалога"):
                                            _leaf(xf, "Наименование", tax["name"])
                                            _leaf(xf, "Ставка", _fmt_number(tax["rate"]))
                            kind = "Услуга" if product.get("is_service") else "Товар"
                            _requisites(xf, {"ВидНоменклатуры": kind, "ТипНоменклатуры": kind})


def _write_group(xf, group):
    with xf.element("Группа"):
        _leaf(xf, "Ид", group["id"])
        _leaf(xf, "Наименование", group["name"])
        if group.get("children"):
            with xf.element("Группы"):
                for child in group["children"]:
                    _write_group(xf, child)


def write_offers(fh, header: dict, price_types, warehouses, offers, *, now=None) -> None:
    """offers.xml: ПакетПредложений with price types, warehouses and offers (streamed)."""
    with etree.xmlfile(fh, encoding="UTF-8") as xf:
        xf.write_declaration()
        only_changes = "true" if header.get("only_changes") else "false"
        with xf.element("КоммерческаяИнформация", _root_attrs(now)), xf.element(
                "ПакетПредложений", {"СодержитТолькоИзменения": only_changes}):
                _leaf(xf, "Ид", header["id"])
                _leaf(xf, "Наименование", header["name"])
                _leaf(xf, "ИдКаталога", header["catalog_id"])
                _leaf(xf, "ИдКлассификатора", header["classifier_id"])
                with xf.element("ТипыЦен"):
                    for price_type in price_types:
                        with xf.element("ТипЦены"):
                            _leaf(xf, "Ид", price_type["id"])
                            _leaf(xf, "Наименование", price_type["name"])
                            _leaf(xf, "Валюта", price_type.get("currency") or "RUB")
                if warehouses:
                    with xf.element("Склады"):
                        for warehouse in warehouses:
                            with xf.element("Склад"):
                                _leaf(xf, "Ид", warehouse["id"])
                                _leaf(xf, "Наименование", warehouse["name"])
                with xf.element("Предложения"):
                    for offer in offers:
                        with xf.element("Предложение"):
                            _leaf(xf, "Ид", offer["id"])
                            _leaf(xf, "Наименование", offer.get("name") or "")
                            with xf.element("Цены"):
                                for price in offer.get("prices", ()):
                                    with xf.element("Цена"):
                                        _leaf(xf, "Представление",
                                              f"{_fmt_number(price['price'])} "
                                              f"{price.get('currency') or 'RUB'}")
                                        _leaf(xf, "ИдТипаЦены", price["price_type_id"])
                                        _leaf(xf, "ЦенаЗаЕдиницу", _fmt_number(price["price"]))
                                        _leaf(xf, "Валюта", price.get("currency") or "RUB")
                            _leaf(xf, "Количество", _fmt_number(offer.get("quantity")))
                            for stock in offer.get("stocks", ()):
                                xf.write(etree.Element("Склад", {
                                    "ИдСклада": stock["warehouse_id"],
                                    "КоличествоНаСкладе": _fmt_number(stock["quantity"])}))
