import io
import zipfile

from odoo.tests import tagged

from .common import ExchangeCase, catalog_xml, product

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<\xd0\x9a\xd0\xbe\xd0\xbc\xd0\xbc\xd0\xb5\xd1\x80\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb0\xd1\x8f\
\xd0\x98\xd0\xbd\xd1\x84\xd0\xbe\xd1\x80\xd0\xbc\xd0\xb0\xd1\x86\xd0\xb8\xd1\x8f>&xxe;</\
\xd0\x9a\xd0\xbe\xd0\xbc\xd0\xbc\xd0\xb5\xd1\x80\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb0\xd1\x8f\
\xd0\x98\xd0\xbd\xd1\x84\xd0\xbe\xd1\x80\xd0\xbc\xd0\xb0\xd1\x86\xd0\xb8\xd1\x8f>"""

LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                    for i in range(1, 10))
          + ']>\n<КоммерческаяИнформация><Каталог><Наименование>&lol9;</Наименование>'
            '</Каталог></КоммерческаяИнформация>').encode()


@tagged("post_install", "-at_install")
class TestHostileInput(ExchangeCase):

    def upload_and_import(self, name, content, import_name=None):
        client = self.client()
        client.checkauth()
        client.init()
        reply = client.raw({"type": "catalog", "mode": "file", "filename": name}, data=content)
        if reply.startswith("failure"):
            return reply
        return client.raw({"type": "catalog", "mode": "import",
                           "filename": import_name or name})

    def assertRefused(self, reply, *words):
        self.assertTrue(reply.startswith("failure\n"), reply)
        for word in words:
            self.assertIn(word, reply)
        self.assertFalse(self.env["product.template"].search_count([("cml_id", "!=", False)]))

    def test_external_entity(self):
        self.assertRefused(self.upload_and_import("import.xml", XXE), "DOCTYPE")
        exchange = self.journal(exchange_type="catalog")
        self.assertEqual(exchange.state, "failed")
        self.assertIn("DOCTYPE", exchange.error)

    def test_entity_expansion_bomb(self):
        self.assertRefused(self.upload_and_import("import.xml", LAUGHS), "DOCTYPE")

    def test_doctype_hidden_after_a_long_comment(self):
        content = b'<?xml version="1.0"?>\n<!--' + b"x" * 100_000 + b"-->\n" + XXE.split(
            b"\n", 1)[1]
        self.assertRefused(self.upload_and_import("import.xml", content))

    def test_zip_bomb(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("import.xml", b"\0" * (60 * 1024 * 1024))
        self.set_param("file_limit", str(50 * 1024 * 1024))
        self.assertRefused(self.upload_and_import("catalog.zip", buffer.getvalue(),
                                                  "import.xml"), "catalog.zip")

    def test_zip_ratio_bomb_under_the_limit(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("import.xml", b" " * (20 * 1024 * 1024))
        self.assertRefused(self.upload_and_import("catalog.zip", buffer.getvalue(),
                                                  "import.xml"), "zip bomb")

    def test_zip_path_escape(self):
        for evil in ("../../evil.xml", "/etc/cron.d/evil", "C:/Windows/evil.xml"):
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                archive.writestr("import.xml", catalog_xml([product("p-1", "Стол")]))
                archive.writestr(evil, b"owned")
            self.assertRefused(self.upload_and_import("catalog.zip", buffer.getvalue(),
                                                      "import.xml"), "outside")

    def test_file_over_the_limit(self):
        self.set_param("file_limit", "1000")
        client = self.client()
        client.checkauth()
        self.assertEqual(client.init()["file_limit"], "1000")
        reply = client.raw({"type": "catalog", "mode": "file", "filename": "import.xml"},
                           data=b"<a>" + b" " * 2000)
        self.assertRefused(reply, "1000 bytes")

    def test_filename_is_never_trusted(self):
        client = self.client()
        client.checkauth()
        client.init()
        content = catalog_xml([product("p-1", "Стол", "S")])
        reply = client.raw({"type": "catalog", "mode": "file",
                            "filename": "..\\..\\..\\tmp\\import.xml"}, data=content)
        self.assertEqual(reply, "success")
        self.assertTrue(client.import_file("/etc/../import.xml"))
        self.assertTrue(self.templates("p-1"))

    def test_not_commerceml(self):
        self.assertRefused(self.upload_and_import("import.xml", b"<html><body/></html>"),
                           "КоммерческаяИнформация")

    def test_malformed_xml(self):
        self.assertRefused(self.upload_and_import(
            "import.xml", catalog_xml([product("p-1", "Стол")])[:-40]), "malformed")

    def test_import_without_upload(self):
        client = self.client()
        client.checkauth()
        client.init()
        reply = client.raw({"type": "catalog", "mode": "import", "filename": "import.xml"})
        self.assertRefused(reply, "was not uploaded")

    def test_zip_switched_off(self):
        self.set_param("zip", "")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("import.xml", catalog_xml([product("p-1", "Стол")]))
        client = self.client()
        client.checkauth()
        self.assertEqual(client.init()["zip"], "no")
        reply = client.raw({"type": "catalog", "mode": "file", "filename": "c.zip"},
                           data=buffer.getvalue())
        self.assertEqual(reply, "success")
        self.assertRefused(client.raw({"type": "catalog", "mode": "import",
                                       "filename": "import.xml"}), "zip")

    def test_forged_cookie(self):
        client = self.client()
        client.checkauth()
        client.cookie = (client.cookie[0], "2.9999999999.00000000000000000000000000000000")
        self.assertRefused(client.raw({"type": "catalog", "mode": "init"}))

    def test_failed_signins_are_rate_limited(self):
        for _i in range(10):
            self.client(key="wrong").raw({"type": "catalog", "mode": "checkauth"}, auth=True)
        reply = self.client().raw({"type": "catalog", "mode": "checkauth"}, auth=True)
        self.assertRefused(reply, "Too many")
