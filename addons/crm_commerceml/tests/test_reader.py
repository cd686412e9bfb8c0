"""The plain-Python parts on their own: reader, writer, protocol helpers."""

import io
import os
import tempfile
import unittest
import zipfile

from ..utils import protocol, reader, writer

NS_VARIANTS = ["", ' xmlns="urn:1C.ru:commerceml_2"', ' xmlns="urn:1C.ru:commerceml_210"',
               ' xmlns="urn:1C.ru:commerceml_3"']


def _write(content: bytes) -> str:
    fd, path = tempfile.mkstemp(suffix=".xml")
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    return path


class TestReader(unittest.TestCase):

    def items(self, content):
        path = _write(content)
        try:
            return list(reader.iter_items(path))
        finally:
            os.remove(path)

    def test_namespaces_bom_crlf(self):
        for ns in NS_VARIANTS:
            for bom in (b"", b"\xef\xbb\xbf"):
                text = (f'<?xml version="1.0" encoding="UTF-8"?>\r\n<КоммерческаяИнформация{ns}'
                        ' ВерсияСхемы="3.1">\r\n<Каталог СодержитТолькоИзменения="true"><Ид>c</Ид>'
                        '<Товары><Товар><Ид>a#b</Ид><Наименование> Стол </Наименование>'
                        '<БазоваяЕдиница Код="796 ">шт</БазоваяЕдиница></Товар></Товары>'
                        '</Каталог>\r\n</КоммерческаяИнформация>')
                items = self.items(bom + text.encode())
                self.assertEqual(items[0], ("catalog", {
                    "id": "c", "name": "", "catalog_id": "", "classifier_id": "",
                    "only_changes": True}))
                kind, item = items[1]
                self.assertEqual((kind, item["base_id"], item["characteristic_id"],
                                  item["name"], item["unit"]["code"]),
                                 ("product", "a", "b", "Стол", "796"))

    def test_skip_passes_over_counted_items_unbuilt(self):
        """A resumed import step skips what earlier steps did: the same kinds in the same
        order, the first N counted items (each group of a tree counting once) as None."""
        text = ('<КоммерческаяИнформация><Классификатор><Группы><Группа><Ид>g1</Ид>'
                '<Группы><Группа><Ид>g2</Ид></Группа></Группы></Группа></Группы>'
                '<Свойства><Свойство><Ид>p</Ид><Наименование>Цвет</Наименование></Свойство>'
                '</Свойства></Классификатор><Каталог><Ид>c</Ид><Товары>'
                + "".join(f"<Товар><Ид>t{i}</Ид><Наименование>T{i}</Наименование></Товар>"
                          for i in range(4))
                + '</Товары></Каталог></КоммерческаяИнформация>').encode()
        path = _write(text)
        try:
            full = list(reader.iter_items(path))
            for skip in range(0, 8):
                resumed = list(reader.iter_items(path, skip=skip))
                self.assertEqual([k for k, _i in resumed], [k for k, _i in full])
                counted = [(f, r) for f, r in zip(full, resumed, strict=True)
                           if f[0] in reader.COUNTED_KINDS]
                self.assertEqual(len(counted), 6)  # two groups, four products
                for position, (whole, passed) in enumerate(counted):
                    self.assertEqual(passed[1], None if position < skip else whole[1])
                # what is never counted is always built
                self.assertEqual([r for r in resumed if r[0] not in reader.COUNTED_KINDS],
                                 [f for f in full if f[0] not in reader.COUNTED_KINDS])
        finally:
            os.remove(path)

    def test_stock_as_attribute_or_element_and_price_not_from_presentation(self):
        text = ('<КоммерческаяИнформация><ПакетПредложений><Предложения><Предложение>'
                '<Ид>a</Ид><Цены><Цена><Представление>1 719 руб.</Представление>'
                '<ИдТипаЦены>t</ИдТипаЦены><ЦенаЗаЕдиницу>1719,5</ЦенаЗаЕдиницу></Цена></Цены>'
                '<Склад ИдСклада="w1" КоличествоНаСкладе="3"/>'
                '<Склад><ИдСклада>w2</ИдСклада><КоличествоНаСкладе>4</КоличествоНаСкладе>'
                '</Склад></Предложение></Предложения></ПакетПредложений>'
                '</КоммерческаяИнформация>')
        (_kind, item), = [i for i in self.items(text.encode()) if i[0] == "offer"]
        self.assertEqual(item["prices"][0]["price"], 1719.5)
        self.assertEqual(item["stocks"], [{"warehouse_id": "w1", "quantity": 3.0},
                                          {"warehouse_id": "w2", "quantity": 4.0}])

    def test_windows_1251(self):
        text = ('<?xml version="1.0" encoding="windows-1251"?><КоммерческаяИнформация>'
                '<Документ><Ид>1</Ид><Номер>1</Номер><Дата>T</Дата></Документ>'
                '</КоммерческаяИнформация>')
        (_kind, doc), = self.items(text.encode("cp1251"))
        self.assertEqual((doc["number"], doc["date"]), ("1", None))

    def test_hostile(self):
        with self.assertRaises(reader.HostileXMLError):
            self.items(b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>')
        deep = "<КоммерческаяИнформация>" + "<a>" * 100 + "</a>" * 100 + \
            "</КоммерческаяИнформация>"
        with self.assertRaises(reader.HostileXMLError):
            self.items(deep.encode())

    def test_dates_numbers(self):
        self.assertEqual(reader.parse_date("11.02.2021 18:45:21"), "2021-02-11")
        self.assertEqual(reader.parse_date("2015-06-29T15:39:10"), "2015-06-29")
        self.assertIsNone(reader.parse_date("T"))
        self.assertEqual(reader.parse_number("1 234,50"), 1234.5)
        self.assertIsNone(reader.parse_number("abc"))

    def test_writer_round_trip(self):
        body = writer.write_orders([{"id": "S1", "number": "S1", "date": "2026-01-01",
                                     "amount": 5, "lines": [], "counterparty": {
                                         "id": "p", "name": "Иванов", "inn": "1"}}])
        self.assertTrue(body.startswith(writer.BOM))
        (_kind, doc), = self.items(body)
        self.assertEqual(doc["counterparties"][0]["inn"], "1")
        self.assertEqual(self.items(writer.write_orders([])), [])


class TestProtocol(unittest.TestCase):

    def test_safe_names(self):
        self.assertEqual(protocol.safe_relative_name("C:\\1C\\..\\import.xml"), "import.xml")
        self.assertEqual(protocol.safe_relative_name("../../etc/passwd"), "passwd")
        self.assertEqual(protocol.safe_relative_name("import_files/a/b.jpg"),
                         "import_files/a/b.jpg")
        with self.assertRaises(protocol.ProtocolError):
            protocol.safe_relative_name("../..")

    def test_folder_append_and_limit(self):
        with tempfile.TemporaryDirectory() as root:
            folder = protocol.ExchangeFolder(root, 10)
            folder.append("a.xml", io.BytesIO(b"12345"))
            self.assertEqual(folder.append("a.xml", io.BytesIO(b"678"))[1], 8)
            with self.assertRaises(protocol.ProtocolError):
                folder.append("a.xml", io.BytesIO(b"abc"))
            self.assertEqual(folder.files(), [])

    def test_zip_symlink_refused(self):
        with tempfile.TemporaryDirectory() as root:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                info = zipfile.ZipInfo("link")
                info.external_attr = 0o120777 << 16
                archive.writestr(info, "/etc/passwd")
            with open(os.path.join(root, "x.zip"), "wb") as fh:
                fh.write(buffer.getvalue())
            with self.assertRaises(protocol.ProtocolError):
                protocol.ExchangeFolder(root, 10**6).unpack_zip("x.zip")

    def test_session(self):
        value = protocol.sign_session("s", 7, now=1000)
        self.assertEqual(protocol.check_session("s", value, now=1001), 7)
        self.assertIsNone(protocol.check_session("s", value, now=10**12))
        self.assertIsNone(protocol.check_session("t", value, now=1001))
