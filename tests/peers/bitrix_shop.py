"""A web shop's 1C exchange endpoint, the site side, as 1C-Bitrix answers it.

``/bitrix/admin/1c_exchange.php?type=catalog|sale&mode=...`` (crm_commerceml's web-shop
role, where Odoo plays 1C). What Bitrix's ``bitrix:catalog.import.1c`` and
``bitrix:sale.export.1c`` components do, as far as a client can see it:

- ``checkauth`` checks HTTP Basic and answers ``success\\n<cookie name>\\n<cookie value>``
  with the newer ``sessid=`` and ``timestamp=`` lines. Every other call needs that
  cookie, sent back by 1C in a ``Cookie`` header (no ``Set-Cookie`` here: 1C reads the
  body), and, on sites that check it, ``sessid`` in the query string.
- ``init`` empties the exchange folder and answers ``zip=yes|no\\nfile_limit=<bytes>``.
- ``file`` appends the body to the named file (a file bigger than file_limit arrives
  in several parts); a part larger than file_limit is refused.
- ``import`` unpacks a zip first, then imports ``step_items`` items a call, answering
  ``progress`` until the file is done, then ``success``.
- ``sale`` ``query`` answers the orders not yet exported, in windows-1251 (an empty
  root element when there are none, never an empty body); ``success`` marks them
  exported; ``file`` takes 1C's orders and applies their status at once.

Replies are windows-1251 text. Faults: the base ``inject`` (HTTP statuses, delays,
dropped connections) plus :meth:`fail_next` for Bitrix's own ``failure`` replies and
:attr:`query_reply` to answer a query with given bytes (a real Bitrix reply, or
malformed XML).
"""

from __future__ import annotations

import base64
import io
import os
import secrets
import time
import xml.etree.ElementTree as ET
import zipfile
from xml.sax.saxutils import escape

from .base import Peer, Response, route

CHARSET = "windows-1251"
AUTH_FAILED = "Ошибка авторизации. Неверный логин или пароль."
SESSION_FAILED = "Ошибка авторизации. Сессия истекла или не найдена."
SESSID_FAILED = "Ошибка проверки сессии (sessid)."


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _find(el, *names):
    for name in names:
        if el is None:
            return None
        el = next((c for c in el if _local(c.tag) == name), None)
    return el


def _text(el, *names) -> str:
    node = _find(el, *names) if names else el
    return (node.text or "").strip() if node is not None else ""


def _all(el, name):
    return [c for c in (el if el is not None else ()) if _local(c.tag) == name]


def _requisites(el) -> dict:
    return {_text(r, "Наименование"): _text(r, "Значение")
            for r in _all(_find(el, "ЗначенияРеквизитов"), "ЗначениеРеквизита")}


class BitrixShopPeer(Peer):
    """The shop: its catalog store (groups, products, offers) and its orders."""

    path = "/bitrix/admin/1c_exchange.php"
    login = "admin"
    password = "shop-secret"

    def __init__(self, *, file_limit: int = 4096, step_items: int = 2, zip_enabled=True,
                 check_sessid=True):
        self.default_file_limit = file_limit
        self.default_step_items = step_items
        self.default_zip = zip_enabled
        self.default_check_sessid = check_sessid
        super().__init__()

    def reset_state(self):
        self.file_limit = self.default_file_limit
        self.step_items = self.default_step_items
        self.zip_enabled = self.default_zip
        self.check_sessid = self.default_check_sessid
        self.sessions: dict[str, str] = {}  # cookie value → sessid
        self.folders: dict[str, dict[str, bytes]] = {"catalog": {}, "sale": {}}
        self.positions: dict[str, int] = {}  # file name → items imported
        # the store
        self.groups: dict[str, dict] = {}  # Ид → {"name", "parent_id", "catalog_id"}
        self.products: dict[str, dict] = {}  # Ид → {"name", "article", "group_ids", ...}
        self.offers: dict[str, dict] = {}  # Ид → {"prices": {type: price}, "quantity"}
        self.catalogs: dict[str, str] = {}  # Ид → name
        self.import_counts: dict[str, int] = {}  # file name → times an item was written
        self.orders: dict[str, dict] = {}  # number → order (see add_order)
        self.pending: list[str] = []  # numbers answered by the last query
        self.received: list[dict] = []  # documents 1C sent back (mode=file, type=sale)
        self.failures: dict[str, str] = {}  # mode → the failure text of its next call
        self.query_reply: bytes | None = None  # answer query with these bytes
        self.slow: dict[str, float] = {}  # mode → seconds its next call takes

    # -- test helpers (no HTTP) --------------------------------------------------------

    def fail_next(self, mode: str, text: str) -> None:
        """The next call of ``mode`` answers ``failure\\n<text>`` as Bitrix does."""
        with self.lock:
            self.failures[mode] = text

    def delay_next(self, mode: str, seconds: float) -> None:
        """The next call of ``mode`` takes ``seconds`` before it is carried out (a slow
        shop: the client may give up, the shop still does the work)."""
        with self.lock:
            self.slow[mode] = seconds

    def add_order(self, number: str, customer: str, lines: list[dict], *, status="N",
                  status_name="Принят, ожидается оплата", paid=False, cancelled=False,
                  date="2026-01-15", time="10:00:00", customer_id=None, comment="") -> dict:
        """lines: [{"id", "name", "price", "quantity"}]; the order is exported next."""
        with self.lock:
            order = {"number": str(number), "customer": customer,
                     "customer_id": customer_id or f"{len(self.orders) + 1}#{customer}",
                     "lines": [dict(line) for line in lines], "status": status,
                     "status_name": status_name, "paid": paid, "cancelled": cancelled,
                     "date": date, "time": time, "comment": comment, "exported": False,
                     "history": []}
            self.orders[order["number"]] = order
            return order

    def edit_order(self, number: str, **changes) -> dict:
        """A change in the shop: the order is exported again."""
        with self.lock:
            order = self.orders[str(number)]
            order.update(changes)
            order["exported"] = False
            return order

    # -- protocol plumbing -------------------------------------------------------------

    def _reply(self, text: str, headers=None) -> Response:
        return Response(200, body=text.encode(CHARSET, errors="replace"), headers={
            "Content-Type": f"text/html; charset={CHARSET}", **(headers or {})})

    def _failure(self, text: str) -> Response:
        return self._reply("failure\n" + text)

    def _authorized(self, request) -> str | None:
        """None when the call may go on, else the failure text."""
        cookie = request.headers.get("Cookie") or ""
        values = dict(part.strip().split("=", 1) for part in cookie.split(";") if "=" in part)
        sessid = self.sessions.get(values.get("PHPSESSID", ""))
        if sessid is None:
            return SESSION_FAILED
        if self.check_sessid and request.arg("sessid") != sessid:
            return SESSID_FAILED
        return None

    @route("GET", path)
    def exchange_get(self, request):
        return self._exchange(request)

    @route("POST", path)
    def exchange_post(self, request):
        return self._exchange(request)

    def _exchange(self, request):
        exchange_type = request.arg("type", "")
        mode = request.arg("mode", "")
        if exchange_type not in ("catalog", "sale"):
            return self._failure("Неизвестный тип обмена")
        if mode in self.slow:
            time.sleep(self.slow.pop(mode))
        if mode in self.failures:
            return self._failure(self.failures.pop(mode))
        if mode == "checkauth":
            return self._checkauth(request)
        refused = self._authorized(request)
        if refused:
            return self._failure(refused)
        handler = getattr(self, f"_{exchange_type}_{mode}", None) or getattr(
            self, f"_any_{mode}", None)
        if handler is None:
            return self._failure(f"Неизвестная команда {mode}")
        return handler(request)

    def _checkauth(self, request):
        header = request.headers.get("Authorization") or ""
        user = password = None
        if header.lower().startswith("basic "):
            try:
                user, _sep, password = base64.b64decode(header[6:]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                user = None
        if user != self.login or password != self.password:
            return self._failure(AUTH_FAILED)
        cookie = secrets.token_hex(16)
        sessid = secrets.token_hex(16)
        self.sessions[cookie] = sessid
        return self._reply(f"success\nPHPSESSID\n{cookie}\nsessid={sessid}\n"
                           f"timestamp={int(self.now().timestamp())}")

    def _any_init(self, request):
        exchange_type = request.arg("type")
        self.folders[exchange_type] = {}
        self.positions = {k: v for k, v in self.positions.items()
                          if not k.startswith(exchange_type + "/")}
        return self._reply(f"zip={'yes' if self.zip_enabled else 'no'}\n"
                           f"file_limit={self.file_limit}\n"
                           f"sessid={self._authorized_sessid(request)}\nversion=2.08")

    def _authorized_sessid(self, request) -> str:
        cookie = request.headers.get("Cookie") or ""
        values = dict(part.strip().split("=", 1) for part in cookie.split(";") if "=" in part)
        return self.sessions.get(values.get("PHPSESSID", ""), "")

    def _any_file(self, request):
        exchange_type = request.arg("type")
        # 1C may send a Windows path: the site keeps the base name only
        name = os.path.basename((request.arg("filename") or "").replace("\\", "/"))
        if not name:
            return self._failure("Не указано имя файла")
        if len(request.body) > self.file_limit:
            return self._failure(f"Размер файла превышает {self.file_limit} байт")
        folder = self.folders[exchange_type]
        folder[name] = folder.get(name, b"") + request.body
        if exchange_type == "sale":
            return self._take_orders(name)
        return self._reply("success")

    # -- catalog import ----------------------------------------------------------------

    def _unpack(self):
        folder = self.folders["catalog"]
        for name in [n for n in folder if n.lower().endswith(".zip")]:
            with zipfile.ZipFile(io.BytesIO(folder.pop(name))) as archive:
                for member in archive.infolist():
                    if not member.is_dir():
                        folder[os.path.basename(member.filename)] = archive.read(member)

    def _catalog_import(self, request):
        name = os.path.basename((request.arg("filename") or "").replace("\\", "/"))
        try:
            self._unpack()
        except zipfile.BadZipFile:
            return self._failure("Ошибка распаковки архива")
        content = self.folders["catalog"].get(name)
        if content is None:
            return self._failure(f"Файл {name} не найден")
        try:
            root = ET.fromstring(content)
        except ET.ParseError as exc:
            return self._failure(f"Ошибка разбора XML: {exc}")
        items = self._catalog_items(root)
        key = "catalog/" + name
        start = self.positions.get(key, 0)
        chunk = items[start:start + self.step_items]
        for kind, item_id, values in chunk:
            self._store(kind, item_id, values)
            self.import_counts[name] = self.import_counts.get(name, 0) + 1
        done = start + len(chunk)
        self.positions[key] = done
        if done < len(items):
            return self._reply(f"progress\nОбработано {done} из {len(items)} элементов")
        return self._reply(f"success\nИмпорт файла {name} завершен")

    def _catalog_items(self, root):
        items = []
        classifier = _find(root, "Классификатор")

        def groups(holder, parent, catalog_id):
            for group in _all(_find(holder, "Группы"), "Группа"):
                items.append(("group", _text(group, "Ид"), {
                    "name": _text(group, "Наименование"), "parent_id": parent,
                    "catalog_id": catalog_id}))
                groups(group, _text(group, "Ид"), catalog_id)

        catalog = _find(root, "Каталог")
        if classifier is not None:
            groups(classifier, "", _text(catalog, "Ид") if catalog is not None else "")
        if catalog is not None:
            items.append(("catalog", _text(catalog, "Ид"),
                          {"name": _text(catalog, "Наименование")}))
            for product in _all(_find(catalog, "Товары"), "Товар"):
                items.append(("product", _text(product, "Ид"), {
                    "name": _text(product, "Наименование"),
                    "article": _text(product, "Артикул"),
                    "group_ids": [_text(g) for g in _all(_find(product, "Группы"), "Ид")],
                    "unit": _text(product, "БазоваяЕдиница"),
                    "catalog_id": _text(catalog, "Ид"),
                    "requisites": _requisites(product)}))
        package = _find(root, "ПакетПредложений")
        if package is not None:
            for offer in _all(_find(package, "Предложения"), "Предложение"):
                prices = {_text(p, "ИдТипаЦены"): float(_text(p, "ЦенаЗаЕдиницу") or 0)
                          for p in _all(_find(offer, "Цены"), "Цена")}
                quantity = _text(offer, "Количество")
                items.append(("offer", _text(offer, "Ид"), {
                    "prices": prices, "quantity": float(quantity) if quantity else None}))
        return items

    def _store(self, kind, item_id, values):
        if kind == "group":
            self.groups[item_id] = values
        elif kind == "catalog":
            self.catalogs[item_id] = values["name"]
        elif kind == "product":
            self.products[item_id] = values
        elif kind == "offer":
            self.offers[item_id] = values

    def _catalog_success(self, request):
        return self._reply("success")

    def _catalog_deactivate(self, request):
        return self._reply("success")

    def _catalog_complete(self, request):
        return self._reply("success")

    # -- orders --------------------------------------------------------------------------

    def _sale_query(self, request):
        if self.query_reply is not None:
            self.pending = list(self.orders)
            return Response(200, body=self.query_reply, headers={
                "Content-Type": f"application/xml; charset={CHARSET}"})
        pending = [o for o in self.orders.values() if not o["exported"]]
        self.pending = [o["number"] for o in pending]
        return Response(200, body=self._orders_xml(pending), headers={
            "Content-Type": f"application/xml; charset={CHARSET}"})

    def _sale_success(self, request):
        for number in self.pending:
            if number in self.orders:
                self.orders[number]["exported"] = True
        self.pending = []
        return self._reply("success")

    def _take_orders(self, name):
        content = self.folders["sale"][name]
        try:
            root = ET.fromstring(content)
        except ET.ParseError:
            return self._reply("success")  # not complete yet: more parts follow
        del self.folders["sale"][name]
        for document in _all(root, "Документ"):
            requisites = _requisites(document)
            received = {"id": _text(document, "Ид"), "number": _text(document, "Номер"),
                        "requisites": requisites,
                        "lines": [_text(t, "Ид") for t in _all(_find(document, "Товары"),
                                                              "Товар")]}
            self.received.append(received)
            order = self.orders.get(received["number"]) or self.orders.get(received["id"])
            if order is None:
                continue
            status = requisites.get("Статус заказа ИД") or requisites.get("Статуса заказа ИД")
            if status:
                order["history"].append((order["status"], status))
                order["status"] = status
            if requisites.get("Отменен") == "true":
                order["cancelled"] = True
        return self._reply("success")

    def _orders_xml(self, orders) -> bytes:
        """Orders as Bitrix's sale.export.1c writes them (schema 2.05, windows-1251)."""
        out = [f'<?xml version="1.0" encoding="{CHARSET}"?>',
               '<КоммерческаяИнформация ВерсияСхемы="2.05" ДатаФормирования="'
               f'{self.now().strftime("%Y-%m-%dT%H:%M:%S")}" ФорматДаты="ДФ=yyyy-MM-dd; '
               'ДЛФ=DT" ФорматВремени="ДФ=ЧЧ:мм:сс; ДЛФ=T" РазделительДатаВремя="T" '
               'ФорматСуммы="ЧЦ=18; ЧДЦ=2; ЧРД=." ФорматКоличества="ЧЦ=18; ЧДЦ=2; ЧРД=.">']
        for order in orders:
            total = sum(line["price"] * line["quantity"] for line in order["lines"])
            out.append("<Документ>")
            out.append(f"<Ид>{escape(order['number'])}</Ид><Номер>{escape(order['number'])}"
                       f"</Номер><Дата>{order['date']}</Дата><ХозОперация>Заказ товара"
                       "</ХозОперация><Роль>Продавец</Роль><Валюта>руб</Валюта><Курс>1</Курс>"
                       f"<Сумма>{total:.4f}</Сумма>")
            out.append("<Контрагенты><Контрагент>"
                       f"<Ид>{escape(order['customer_id'])}</Ид>"
                       f"<Наименование>{escape(order['customer'])}</Наименование>"
                       f"<ПолноеНаименование>{escape(order['customer'])}</ПолноеНаименование>"
                       "<АдресРегистрации><Представление></Представление></АдресРегистрации>"
                       "<Роль>Покупатель</Роль></Контрагент></Контрагенты>")
            out.append(f"<Время>{order['time']}</Время>"
                       f"<Комментарий>{escape(order['comment'])}</Комментарий><Товары>")
            for line in order["lines"]:
                out.append(
                    f"<Товар><Ид>{escape(line['id'])}</Ид>"
                    f"<Наименование>{escape(line['name'])}</Наименование>"
                    '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" '
                    'МеждународноеСокращение="PCE">шт</БазоваяЕдиница>'
                    f"<ЦенаЗаЕдиницу>{line['price']:.4f}</ЦенаЗаЕдиницу>"
                    f"<Количество>{line['quantity']:.4f}</Количество>"
                    f"<Сумма>{line['price'] * line['quantity']:.2f}</Сумма>"
                    "<ЗначенияРеквизитов><ЗначениеРеквизита><Наименование>ВидНоменклатуры"
                    "</Наименование><Значение>Товар</Значение></ЗначениеРеквизита>"
                    "<ЗначениеРеквизита><Наименование>ТипНоменклатуры</Наименование>"
                    "<Значение>Товар</Значение></ЗначениеРеквизита></ЗначенияРеквизитов>"
                    "</Товар>")
            out.append("</Товары><ЗначенияРеквизитов>")
            requisites = [
                ("Заказ оплачен", "true" if order["paid"] else "false"),
                ("Отменен", "true" if order["cancelled"] else "false"),
                ("Статус заказа", f"[{order['status']}] {order['status_name']}"),
                ("Статуса заказа ИД", order["status"]),
                ("Сайт", "[s1] Сайт по умолчанию"),
            ]
            for key, value in requisites:
                out.append(f"<ЗначениеРеквизита><Наименование>{escape(key)}</Наименование>"
                           f"<Значение>{escape(value)}</Значение></ЗначениеРеквизита>")
            out.append("</ЗначенияРеквизитов></Документ>")
        out.append("</КоммерческаяИнформация>")
        return "\n".join(out).encode(CHARSET, errors="replace")
