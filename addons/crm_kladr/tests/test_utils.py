"""The plain-Python part: codes, text keys, DBF reading, archives, GAR streaming."""

import datetime
import os
import tempfile
import zipfile
from pathlib import Path

import py7zr

from odoo.tests import BaseCase, tagged

from ..utils import archive, gar, kladr, loader
from ..utils.text import from_latin_layout, query_keys, search_key
from .kladr_files import write_dbf, write_distribution, zip_folder

# ../shared/data/kladr next to the project checkout; absent elsewhere (CI).
SHARED = Path(__file__).resolve().parents[4] / "shared" / "data" / "kladr"
REAL_SOCRBASE = SHARED / "Mirocow__kladr__SOCRBASE.DBF"
REAL_ALTNAMES = SHARED / "Mirocow__kladr__ALTNAMES.DBF"


@tagged("post_install", "-at_install")
class TestKladrUtils(BaseCase):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="kladr_test_")

    def test_code_structure(self):
        moscow = kladr.parse_code("7700000000000")
        self.assertEqual(moscow.level, 1)
        self.assertEqual(moscow.city, "000")  # a region that is a city
        village = kladr.parse_code("6900800001200")
        self.assertEqual((village.region, village.district, village.locality, village.level),
                         ("69", "008", "012", 4))
        street = kladr.parse_code("77000000000000101")
        self.assertEqual((street.level, street.actuality, street.current_code,
                          street.place_code), (5, "01", "77000000000000100", "7700000000000"))
        with self.assertRaises(kladr.KladrFormatError):
            kladr.parse_code("77-000")

    def test_text_keys(self):
        self.assertEqual(search_key("  Королёв  Город "), "королев город")
        self.assertEqual(from_latin_layout("vjcrdf"), "москва")
        self.assertIsNone(from_latin_layout("москва"))
        self.assertEqual(query_keys("Vjcr"), ["vjcr", "моск"])

    def test_house_numbers(self):
        self.assertEqual(kladr.house_numbers("Н(1-7),Ч(2-6),12к1,влд290"),
                         ["1", "3", "5", "7", "2", "4", "6", "12к1", "влд290"])
        self.assertEqual(kladr.house_numbers("1-3"), ["1", "2", "3"])

    def test_read_written_distribution(self):
        folder = write_distribution(os.path.join(self.tmp, "d"))
        self.assertEqual(loader.detect(folder), "kladr")
        data = loader.read_kladr(folder)
        names = {row[1] for row in data["places"]}
        self.assertIn("Москва", names)
        self.assertIn("Королёв", names)
        self.assertNotIn("Калининград", names)  # old name: only an alias
        self.assertNotIn("Исчезнувшее", names)  # 99: gone
        self.assertNotIn("Старое", names)  # 51: re-subordinated
        self.assertIn(("Калининград", "5000001700000"), data["aliases"])
        self.assertIn(("Старое", "6900000100000"), data["aliases"])
        village = next(p for p in data["places"] if p[0] == "6900800001200")
        self.assertEqual(village[6], "Тверская обл., Калининский р-н")
        streets = list(data["streets"])
        self.assertNotIn("Горького", {s[2] for s in streets})

    def test_wrong_encoding_is_refused(self):
        folder = write_distribution(os.path.join(self.tmp, "d"), encoding="cp1251")
        with self.assertRaisesRegex(kladr.KladrFormatError, "not in CP866"):
            loader.read_kladr(folder)

    def test_missing_table_is_named(self):
        folder = write_distribution(os.path.join(self.tmp, "d"), skip=("STREET",))
        with self.assertRaisesRegex(kladr.KladrFormatError, "STREET.DBF missing"):
            loader.read_kladr(folder)

    def test_wrong_layout_is_refused(self):
        folder = write_distribution(os.path.join(self.tmp, "d"))
        write_dbf(os.path.join(folder, "STREET.DBF"), "ALTNAMES", [])
        with self.assertRaisesRegex(kladr.KladrFormatError, "official layout"):
            list(kladr.read_table(os.path.join(folder, "STREET.DBF"), "STREET"))

    def test_real_socrbase_and_altnames(self):
        if not REAL_SOCRBASE.exists():
            self.skipTest("../shared/data/kladr is not available here")
        types = kladr.read_socrbase(str(REAL_SOCRBASE))
        self.assertEqual(len(types), 148)
        self.assertEqual(types[(1, "АО")], "Автономный округ")
        self.assertEqual(types[(3, "г")], "Город")
        altnames = kladr.read_altnames(str(REAL_ALTNAMES))
        self.assertEqual(altnames["0200000600200"], "0200000600000")
        self.assertGreater(len(altnames), 7000)
        # 13 → 17 and 17 → 13 migrations both exist
        self.assertTrue(any(len(o) == 13 and len(n) == 17 for o, n in altnames.items()))

    def test_archives(self):
        folder = write_distribution(os.path.join(self.tmp, "d"))
        zipped = zip_folder(folder, os.path.join(self.tmp, "kladr.zip"), prefix="BASE/")
        out = os.path.join(self.tmp, "z")
        archive.extract(zipped, out)
        self.assertEqual(loader.detect(out), "kladr")
        seven = os.path.join(self.tmp, "Base.7z")
        with py7zr.SevenZipFile(seven, "w") as target:
            for name in os.listdir(folder):
                target.write(os.path.join(folder, name), name)
        out7 = os.path.join(self.tmp, "s")
        archive.extract(seven, out7)
        self.assertTrue(os.path.exists(os.path.join(out7, "KLADR.DBF")))

    def test_hostile_archives_are_refused(self):
        escape = os.path.join(self.tmp, "escape.zip")
        with zipfile.ZipFile(escape, "w") as target:
            target.writestr("../../evil.DBF", b"x")
        with self.assertRaisesRegex(archive.ArchiveError, "outside"):
            archive.extract(escape, os.path.join(self.tmp, "e"))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "evil.DBF")))
        bomb = os.path.join(self.tmp, "bomb.zip")
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
            target.writestr("KLADR.DBF", b"\0" * (40 * 1024 * 1024))
        with self.assertRaisesRegex(archive.ArchiveError, "bomb"):
            archive.extract(bomb, os.path.join(self.tmp, "b"))
        broken = os.path.join(self.tmp, "broken.zip")
        with open(broken, "wb") as out:
            out.write(b"PK\x03\x04" + os.urandom(300))
        with self.assertRaisesRegex(archive.ArchiveError, "damaged"):
            archive.extract(broken, os.path.join(self.tmp, "x"))
        with open(broken, "wb") as out:
            out.write(b"not an archive")
        with self.assertRaisesRegex(archive.ArchiveError, "neither"):
            archive.extract(broken, os.path.join(self.tmp, "x"))

    def test_gar_streaming(self):
        folder = os.path.join(self.tmp, "gar", "77")
        write_gar_region(folder)
        regions = gar.region_files(os.path.join(self.tmp, "gar"))
        places, streets = gar.read_region("77", regions["77"])
        self.assertEqual({p[1] for p in places}, {"Москва", "Зеленоград"})
        self.assertEqual({s[2] for s in streets}, {"Тверская"})  # not the inactive one
        tverskaya = next(s for s in streets if s[2] == "Тверская")
        self.assertEqual(tverskaya[1], "1")
        # postal codes: only the one in force today, only the postal code type
        self.assertEqual(tverskaya[4], "125009")
        self.assertEqual({p[1]: p[7] for p in places}, {"Москва": "", "Зеленоград": "124482"})

    def test_gar_postal_codes_by_dates(self):
        folder = os.path.join(self.tmp, "gar", "77")
        os.makedirs(folder)
        write_gar_params(folder, GAR_PARAMS + [("4", "5", "999999", "2011-01-01",
                                                "2012-01-01")])
        path = os.path.join(
            folder, "AS_ADDR_OBJ_PARAMS_20240101_0a1b2c3d-0000-0000-0000-000000000004.XML")
        self.assertEqual(gar.read_postal_codes(path, datetime.date(2024, 1, 1)),
                         {1: "", 2: "124482", 3: "125009", 4: ""})
        self.assertEqual(gar.read_postal_codes(path, datetime.date(2015, 1, 1))[3], "103009")
        self.assertEqual(gar.read_postal_codes(path, datetime.date(3000, 1, 1)),
                         {1: "", 2: "", 3: "", 4: ""})

    def test_gar_delta_region_with_parameters_only(self):
        root = os.path.join(self.tmp, "delta")
        write_gar_region(os.path.join(root, "77"))
        os.makedirs(os.path.join(root, "50"))
        write_gar_params(os.path.join(root, "50"), [("9", "5", "141700", "2020-01-01",
                                                     "2079-06-06")])
        data = loader.read_gar_delta(root, known_place=lambda object_id: None)
        self.assertEqual((data["zips"][9], data["zips"][3]), ("141700", "125009"))
        self.assertEqual(len(data["streets"]), 1)
        # a region with objects but no hierarchy is still refused
        os.remove(next(str(p) for p in Path(root, "77").glob("AS_ADM_HIERARCHY_*")))
        with self.assertRaisesRegex(gar.GarFormatError, "AS_ADM_HIERARCHY"):
            gar.region_files(root)

    def test_gar_params_are_optional_and_parsed_safely(self):
        folder = os.path.join(self.tmp, "gar", "77")
        write_gar_region(folder, params=None)
        regions = gar.region_files(os.path.join(self.tmp, "gar"))
        places, streets = gar.read_region("77", regions["77"])
        self.assertEqual({s[4] for s in streets} | {p[7] for p in places}, {""})
        write_gar_params(folder, GAR_PARAMS, doctype='<!DOCTYPE x [<!ENTITY e "e">]>')
        with self.assertRaisesRegex(gar.GarFormatError, "DTD"):
            gar.read_region("77", gar.region_files(os.path.join(self.tmp, "gar"))["77"])

    def test_gar_refuses_entities(self):
        folder = os.path.join(self.tmp, "gar", "77")
        write_gar_region(folder, doctype='<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
                         name="&e;")
        regions = gar.region_files(os.path.join(self.tmp, "gar"))
        with self.assertRaises(gar.GarFormatError):
            gar.read_region("77", regions["77"])


# (OBJECTID, TYPEID, VALUE, STARTDATE, ENDDATE): type 5 is the postal code, 6 OKATO
GAR_PARAMS = [
    ("1", "5", "101000", "2999-01-01", "2999-12-31"),  # not yet in force
    ("1", "6", "45000000000", "2011-01-01", "2079-06-06"),  # OKATO, not a zip
    ("2", "5", "124482", "2011-01-01", "2079-06-06"),
    ("3", "5", "103009", "2011-01-01", "2016-05-01"),  # ended
    ("3", "5", "125009", "2016-05-01", "2079-06-06"),
]


def write_gar_params(folder, params, doctype=""):
    rows = "".join(
        f'<PARAM ID="{n}" OBJECTID="{oid}" CHANGEID="{n}" CHANGEIDEND="0" TYPEID="{typeid}" '
        f'VALUE="{value}" UPDATEDATE="{start}" STARTDATE="{start}" ENDDATE="{end}"/>'
        for n, (oid, typeid, value, start, end) in enumerate(params, 1))
    with open(os.path.join(
            folder, "AS_ADDR_OBJ_PARAMS_20240101_0a1b2c3d-0000-0000-0000-000000000004.XML"),
            "w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="utf-8"?>{doctype}<PARAMS>{rows}</PARAMS>')


def write_gar_region(folder, doctype="", name="Тверская", params=GAR_PARAMS):
    """A GAR region folder: Moscow (level 1, a city), Zelenograd (city in it), a current
    street, an outdated version of it and an inactive one; their parameters (postal
    codes) unless ``params`` is None."""
    os.makedirs(folder, exist_ok=True)
    if params is not None:
        write_gar_params(folder, params)
    objects = [
        ("1", "Москва", "г", "1", "1", "1"),
        ("2", "Зеленоград", "г", "5", "1", "1"),
        ("3", name, "ул", "8", "1", "1"),
        ("3", "Старая Тверская", "ул", "8", "0", "1"),
        ("4", "Закрытая", "ул", "8", "1", "0"),
    ]
    rows = "".join(
        f'<OBJECT ID="{n}" OBJECTID="{oid}" OBJECTGUID="g{oid}" CHANGEID="1" NAME="{nm}" '
        f'TYPENAME="{t}" LEVEL="{lv}" OPERTYPEID="1" PREVID="0" NEXTID="0" '
        f'UPDATEDATE="2024-01-01" STARTDATE="2024-01-01" ENDDATE="2079-06-06" '
        f'ISACTUAL="{act}" ISACTIVE="{active}"/>'
        for n, (oid, nm, t, lv, act, active) in enumerate(objects, 1))
    with open(os.path.join(folder, "AS_ADDR_OBJ_20240101_0a1b2c3d-0000-0000-0000-000000000001.XML"),
              "w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="utf-8"?>{doctype}<ADDRESSOBJECTS>{rows}'
                  "</ADDRESSOBJECTS>")
    items = [("2", "1"), ("3", "1"), ("4", "1")]
    rows = "".join(f'<ITEM ID="{n}" OBJECTID="{o}" PARENTOBJID="{p}" CHANGEID="1" '
                   f'PATH="1.{o}" ISACTIVE="1"/>' for n, (o, p) in enumerate(items, 1))
    with open(os.path.join(folder,
                           "AS_ADM_HIERARCHY_20240101_0a1b2c3d-0000-0000-0000-000000000002.XML"),
              "w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="utf-8"?><ITEMS>{rows}</ITEMS>')
