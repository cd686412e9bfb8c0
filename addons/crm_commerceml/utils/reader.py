"""A streaming, namespace-agnostic CommerceML 2 reader.

``iter_items(path)`` yields ``(kind, dict)`` pairs one business object at a time (group,
property, price_type, warehouse, catalog, product, offers, offer, document,
counterparty) and frees each parsed element, so memory stays flat on files of any size.

Every namespace variant (none, ``urn:1C.ru:commerceml_2``, ``_210``, ``_3``) reads the
same because only local names are compared; ВерсияСхемы is never trusted.

Hostile XML is refused before a single entity can be expanded: no DTD is loaded, no
entity resolved, nothing fetched from the network, and any DOCTYPE (the only place an
entity or an external reference can be declared; 1C never writes one) is an error.
"""

from __future__ import annotations

import os
import re

from lxml import etree

# What a 1C file never needs, and what an attacker needs: a document type declaration.
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)


class CommerceMLError(ValueError):
    """A file that is not CommerceML we can read; the message says what is wrong."""


class HostileXMLError(CommerceMLError):
    """A file that tries entity expansion, external entities or a DTD."""


# A file has a few dozen distinct tags, each seen hundreds of thousands of times: their
# local names are worked out once. The bound keeps a hostile file's endless distinct tags
# from growing the memo.
_LOCAL_NAMES: dict = {}
_LOCAL_NAMES_MAX = 4096


def _local(tag) -> str:
    try:
        return _LOCAL_NAMES[tag]
    except KeyError:
        # comments and processing instructions have a function for a tag
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        if len(_LOCAL_NAMES) < _LOCAL_NAMES_MAX:
            _LOCAL_NAMES[tag] = name
        return name


def _children(el, name=None):
    if el is None:
        return
    for child in el:
        if name is None or _local(child.tag) == name:
            yield child


def _child(el, *path):
    for name in path:
        if el is None:
            return None
        for child in el:
            if _local(child.tag) == name:
                el = child
                break
        else:
            return None
    return el


def _first_children(el) -> dict:
    """Local name → the first child of that name: one pass over an element that is then
    read field by field, instead of a pass per field."""
    first = {}
    for child in el:
        first.setdefault(_local(child.tag), child)
    return first


def _text(el, *path, default="") -> str:
    node = _child(el, *path) if path else el
    if node is None or node.text is None:
        return default
    return node.text.strip()


def _bool(value) -> bool:
    return str(value or "").strip().lower() in ("true", "1", "да", "yes")


def parse_number(value) -> float | None:
    """1C writes "1 234,50", "1234.5", " 12 " or nothing."""
    if value is None:
        return None
    text = str(value).replace("\xa0", "").replace(" ", "").replace(",", ".").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_date(value) -> str | None:
    """ISO date (YYYY-MM-DD) from ISO or dd.mm.yyyy; 1C's empty date "T" is None."""
    text = (value or "").strip()
    if not text or text == "T":
        return None
    m = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return "-".join(m.groups())
    m = re.match(r"^(\d{2})\.(\d{2})\.(\d{4})", text)
    if m:
        return f"{m.group(3)}-{m.group(2)}-{m.group(1)}"
    return None


def split_id(item_id: str) -> tuple[str, str]:
    """``product#characteristic`` → (product, characteristic); no '#' → (id, '')."""
    base, _sep, characteristic = (item_id or "").partition("#")
    return base.strip(), characteristic.strip()


def _requisites(el, first=None) -> dict:
    values = {}
    holder = first.get("ЗначенияРеквизитов") if first is not None else _child(
        el, "ЗначенияРеквизитов")
    for req in _children(holder, "ЗначениеРеквизита"):
        values[_text(req, "Наименование")] = _text(req, "Значение")
    return values


def _unit(el) -> dict | None:
    if el is None:
        return None
    code = (el.get("Код") or _text(el, "Код")).strip()
    return {
        "code": code,
        "name": (el.text or "").strip() or _text(el, "НаименованиеКраткое"),
        "full_name": (el.get("НаименованиеПолное") or _text(el, "НаименованиеПолное")).strip(),
        "intl": (el.get("МеждународноеСокращение") or "").strip(),
    }


def _group(el, parent_id, out):
    group = {"id": _text(el, "Ид"), "name": _text(el, "Наименование"), "parent_id": parent_id}
    out.append(group)
    for sub in _children(_child(el, "Группы"), "Группа"):
        _group(sub, group["id"], out)
    return out


def _property(el) -> dict:
    values = {}
    for ref in _children(_child(el, "ВариантыЗначений"), "Справочник"):
        values[_text(ref, "ИдЗначения")] = _text(ref, "Значение")
    return {"id": _text(el, "Ид"), "name": _text(el, "Наименование"), "values": values}


def _price_type(el) -> dict:
    return {"id": _text(el, "Ид"), "name": _text(el, "Наименование"),
            "currency": _text(el, "Валюта")}


def _warehouse(el) -> dict:
    return {"id": _text(el, "Ид"), "name": _text(el, "Наименование")}


def _product(el) -> dict:
    first = _first_children(el)
    item_id = _text(first.get("Ид"))
    base_id, characteristic_id = split_id(item_id)
    requisites = _requisites(el, first)
    kind_text = " ".join([requisites.get("ТипНоменклатуры", ""),
                          requisites.get("ВидНоменклатуры", "")]).lower()
    groups = [_text(g) for g in _children(first.get("Группы"), "Ид")]
    return {
        "id": item_id,
        "base_id": base_id,
        "characteristic_id": characteristic_id,
        "name": _text(first.get("Наименование")),
        "article": _text(first.get("Артикул")),
        "barcode": _text(first.get("Штрихкод")),
        "description": _text(first.get("Описание")),
        "unit": _unit(first.get("БазоваяЕдиница")),
        "group_ids": [g for g in groups if g],
        "taxes": [{"name": _text(t, "Наименование"), "rate": parse_number(_text(t, "Ставка"))}
                  for t in _children(first.get("СтавкиНалогов"), "СтавкаНалога")],
        "requisites": requisites,
        "properties": [(_text(v, "Ид"), _text(v, "Значение"))
                       for v in _children(first.get("ЗначенияСвойств"), "ЗначенияСвойства")],
        "characteristics": [(_text(c, "Наименование"), _text(c, "Значение"))
                            for c in _children(first.get("ХарактеристикиТовара"),
                                               "ХарактеристикаТовара")],
        "images": [_text(i) for i in _children(el, "Картинка") if _text(i)],
        "is_service": "услуга" in kind_text,
        "deleted": _bool(el.get("Статус") == "Удален")
        or _bool(_text(first.get("ПометкаУдаления"))),
    }


def _offer(el) -> dict:
    first = _first_children(el)
    item_id = _text(first.get("Ид"))
    base_id, characteristic_id = split_id(item_id)
    quantity = parse_number(_text(first.get("Количество")))
    stocks = []
    for st in _children(el, "Склад"):
        # stock as an attribute (<Склад ИдСклада=".." КоличествоНаСкладе=".."/>) or elements
        wid = st.get("ИдСклада") or _text(st, "ИдСклада") or _text(st, "Ид")
        qty = parse_number(st.get("КоличествоНаСкладе") or _text(st, "КоличествоНаСкладе")
                           or _text(st, "Количество"))
        if wid:
            stocks.append({"warehouse_id": wid, "quantity": qty or 0.0})
    for st in _children(first.get("Остатки"), "Остаток"):
        wh = _child(st, "Склад")
        if wh is not None:
            stocks.append({"warehouse_id": _text(wh, "Ид"),
                           "quantity": parse_number(_text(wh, "Количество")) or 0.0})
        elif quantity is None:
            quantity = parse_number(_text(st, "Количество"))
    prices = []
    for price in _children(first.get("Цены"), "Цена"):
        prices.append({
            "price_type_id": _text(price, "ИдТипаЦены"),
            # never Представление: it is a formatted string ("1 719 руб. за шт")
            "price": parse_number(_text(price, "ЦенаЗаЕдиницу")),
            "currency": _text(price, "Валюта"),
            "unit": _text(price, "Единица"),
        })
    return {
        "id": item_id, "base_id": base_id, "characteristic_id": characteristic_id,
        "name": _text(first.get("Наименование")), "article": _text(first.get("Артикул")),
        "barcode": _text(first.get("Штрихкод")),
        "prices": prices, "quantity": quantity, "stocks": stocks,
    }


def _counterparty(el) -> dict:
    address = _text(el, "АдресРегистрации", "Представление") or _text(el, "Адрес", "Представление")
    contacts = {}
    for contact in _children(_child(el, "Контакты"), "Контакт"):
        contacts[_text(contact, "Тип")] = _text(contact, "Значение")
    return {
        "id": _text(el, "Ид"),
        "name": _text(el, "Наименование"),
        "full_name": _text(el, "ПолноеНаименование") or _text(el, "ОфициальноеНаименование"),
        "inn": _text(el, "ИНН"),
        "kpp": _text(el, "КПП"),
        "role": _text(el, "Роль"),
        "address": address,
        "email": contacts.get("Почта") or contacts.get("Электронная почта", ""),
        "phone": contacts.get("ТелефонРабочий") or contacts.get("Телефон", ""),
        "deleted": _bool(_text(el, "ПометкаУдаления")),
    }


def _document(el) -> dict:
    requisites = _requisites(el)
    lines = []
    for line in _children(_child(el, "Товары"), "Товар"):
        line_req = _requisites(line)
        kind = (line_req.get("ТипНоменклатуры", "") + line_req.get("ВидНоменклатуры", "")).lower()
        lines.append({
            "id": _text(line, "Ид"),
            "name": _text(line, "Наименование"),
            "article": _text(line, "Артикул"),
            "unit": _unit(_child(line, "БазоваяЕдиница")) or _unit(_child(line, "Единица")),
            "price": parse_number(_text(line, "ЦенаЗаЕдиницу") or _text(line, "Цена")),
            "taxes": [{"name": _text(t, "Наименование"),
                       "rate": parse_number(_text(t, "Ставка"))}
                      for t in _children(_child(line, "СтавкиНалогов"), "СтавкаНалога")],
            "quantity": parse_number(_text(line, "Количество")) or 0.0,
            "amount": parse_number(_text(line, "Сумма")),
            "is_service": "услуга" in kind,
        })

    def req(*names):
        for name in names:
            if requisites.get(name):
                return requisites[name]
        return ""

    return {
        "id": _text(el, "Ид"),
        "number": _text(el, "Номер"),
        "date": parse_date(_text(el, "Дата")),
        "time": _text(el, "Время"),
        "operation": _text(el, "ХозОперация"),
        "role": _text(el, "Роль"),
        "currency": _text(el, "Валюта"),
        "amount": parse_number(_text(el, "Сумма")),
        "comment": _text(el, "Комментарий"),
        "number_1c": _text(el, "Номер1С") or req("Номер по 1С"),
        "date_1c": parse_date(_text(el, "Дата1С") or req("Дата по 1С")),
        "deleted": _bool(_text(el, "ПометкаУдаления")) or _bool(req("ПометкаУдаления")),
        "posted": _bool(_text(el, "Проведен")) or _bool(req("Проведен")),
        "paid": bool(req("Номер оплаты по 1С", "Дата оплаты по 1С"))
        or _bool(req("Оплачен", "Заказ оплачен")),
        "cancelled": _bool(req("Отменен")),
        "status": req("Статус заказа", "Статус заказа ИД", "Статуса заказа ИД"),
        "requisites": requisites,
        "counterparties": [_counterparty(c)
                           for c in _children(_child(el, "Контрагенты"), "Контрагент")],
        "lines": lines,
    }


def _header(el, only_changes_attr="СодержитТолькоИзменения") -> dict:
    return {
        "id": _text(el, "Ид"),
        "name": _text(el, "Наименование"),
        "catalog_id": _text(el, "ИдКаталога"),
        "classifier_id": _text(el, "ИдКлассификатора"),
        "only_changes": _bool(el.get(only_changes_attr)) or _bool(
            _text(el, only_changes_attr)),
    }


_HEADER_KIND = {"Каталог": "catalog", "ПакетПредложений": "offers"}
# the elements iter_items acts on at their end; every other element is left to its item
_ITEM_NAMES = frozenset({"Группа", "Свойство", "ТипЦены", "Склад", "Товар", "Предложение",
                         "Документ", "Контрагент", "Владелец", *_HEADER_KIND})


def check_head(path: str, head_size: int = 65536) -> None:
    """Refuse a DOCTYPE/ENTITY declaration before the parser sees the file."""
    with open(path, "rb") as fh:
        head = fh.read(head_size)
    if _DOCTYPE.search(head):
        raise HostileXMLError(
            "The file declares a DOCTYPE or an entity; CommerceML files never do, and such "
            "declarations are how XML entity attacks work. The file was refused.")


COUNTED_KINDS = ("group", "product", "offer", "document", "counterparty")


def iter_items(path: str, *, max_depth: int = 64, skip: int = 0):
    """Yield ``(kind, values)`` for each business object of a CommerceML file.

    The first ``skip`` objects of the ``COUNTED_KINDS`` (in file order, each group of a
    tree counting as one) are yielded as ``(kind, None)``, not built: a step-wise import
    that resumes in a large file passes over what earlier steps did at little more than
    the parser's own cost. Headers, price types, warehouses and properties are always
    built.
    """
    if not os.path.exists(path):
        raise CommerceMLError(f"file {os.path.basename(path)} was not uploaded")
    check_head(path)
    context = etree.iterparse(
        path, events=("start", "end"), resolve_entities=False, no_network=True,
        load_dtd=False, dtd_validation=False, huge_tree=False, remove_comments=True,
        remove_pis=True)
    stack: list[str] = []
    headers_sent = set()
    counted = 0

    def passed_over():
        nonlocal counted
        counted += 1
        return counted <= skip
    try:
        for event, el in context:
            name = _local(el.tag)
            if event == "start":
                if not stack:
                    docinfo = el.getroottree().docinfo
                    if docinfo.doctype or docinfo.internalDTD is not None:
                        raise HostileXMLError("The file declares a DOCTYPE; refused.")
                    if name != "КоммерческаяИнформация":
                        raise CommerceMLError(
                            f"the root element is <{name}>, not <КоммерческаяИнформация>: "
                            "this is not a CommerceML file")
                stack.append(name)
                depth = len(stack)
                if depth > max_depth:
                    raise HostileXMLError("The XML is nested too deeply; refused.")
                # the header fields (Ид, ИдКлассификатора...) precede the item list
                if depth == 3 and name in ("Товары", "Предложения") and (
                        stack[1] in _HEADER_KIND):
                    holder = el.getparent()
                    if stack[1] not in headers_sent:
                        headers_sent.add(stack[1])
                        yield _HEADER_KIND[stack[1]], _header(holder)
                continue
            stack.pop()
            if name not in _ITEM_NAMES:
                continue  # a field of an item (most elements): read with its item
            parent = stack[-1] if stack else ""
            grand = stack[-2] if len(stack) > 1 else ""
            done = True
            if name == "Группа" and parent == "Группы" and grand == "Классификатор":
                for group in _group(el, "", []):
                    yield "group", None if passed_over() else group
            elif name == "Свойство" and parent == "Свойства" and grand == "Классификатор":
                yield "property", _property(el)
            elif name == "ТипЦены" and parent == "ТипыЦен":
                yield "price_type", _price_type(el)
            elif name == "Склад" and parent == "Склады" and grand in (
                    "Классификатор", "ПакетПредложений"):
                yield "warehouse", _warehouse(el)
            elif name == "Товар" and parent == "Товары" and grand == "Каталог":
                yield "product", None if passed_over() else _product(el)
            elif name == "Предложение" and parent == "Предложения":
                yield "offer", None if passed_over() else _offer(el)
            elif name == "Документ" and len(stack) == 1:
                yield "document", None if passed_over() else _document(el)
            elif name == "Контрагент" and parent == "Контрагенты" and len(stack) == 2:
                yield "counterparty", None if passed_over() else _counterparty(el)
            elif name in _HEADER_KIND and len(stack) == 1:
                if name not in headers_sent:  # a catalog without products
                    headers_sent.add(name)
                    yield _HEADER_KIND[name], _header(el)
            elif name == "Владелец" and len(stack) == 2:
                el.clear(keep_tail=False)  # the owner's details are not used: free them
                done = False  # keep the header fields before it
            else:
                done = False
            if done:
                # free what was read: the element and the siblings before it
                el.clear(keep_tail=False)
                parent_el = el.getparent()
                if parent_el is not None:
                    while el.getprevious() is not None:
                        parent_el.remove(el.getprevious())
    except etree.XMLSyntaxError as exc:
        text = str(exc)
        if "entity" in text.lower() or "DOCTYPE" in text:
            raise HostileXMLError(f"The XML was refused: {text}") from None
        raise CommerceMLError(f"The XML is malformed: {text}") from None
