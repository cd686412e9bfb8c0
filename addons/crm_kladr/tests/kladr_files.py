"""A small KLADR distribution in the official layout, written by the tests."""

import os
import zipfile

from ..utils.dbf_writer import write_dbf

SOCRBASE = [
    {"LEVEL": "1", "SCNAME": "г", "SOCRNAME": "Город", "KOD_T_ST": "103"},
    {"LEVEL": "1", "SCNAME": "обл", "SOCRNAME": "Область", "KOD_T_ST": "105"},
    {"LEVEL": "2", "SCNAME": "р-н", "SOCRNAME": "Район", "KOD_T_ST": "201"},
    {"LEVEL": "3", "SCNAME": "г", "SOCRNAME": "Город", "KOD_T_ST": "301"},
    {"LEVEL": "4", "SCNAME": "г", "SOCRNAME": "Город", "KOD_T_ST": "405"},
    {"LEVEL": "4", "SCNAME": "с", "SOCRNAME": "Село", "KOD_T_ST": "434"},
    {"LEVEL": "4", "SCNAME": "д", "SOCRNAME": "Деревня", "KOD_T_ST": "419"},
    {"LEVEL": "5", "SCNAME": "ул", "SOCRNAME": "Улица", "KOD_T_ST": "529"},
    {"LEVEL": "5", "SCNAME": "пр-кт", "SOCRNAME": "Проспект", "KOD_T_ST": "520"},
]

PLACES = [
    ("Москва", "г", "7700000000000", "", "0"),
    ("Санкт-Петербург", "г", "7800000000000", "", "0"),
    ("Тверская", "обл", "6900000000000", "", "0"),
    ("Калининский", "р-н", "6900800000000", "", "0"),
    ("Тверь", "г", "6900000100000", "170000", "2"),
    ("Ивановка", "с", "6900800001200", "171000", "0"),
    ("Старое", "с", "6900800001351", "", "0"),  # re-subordinated: see ALTNAMES
    ("Исчезнувшее", "д", "6900800001499", "", "0"),  # gone
    ("Московская", "обл", "5000000000000", "", "0"),
    ("Королёв", "г", "5000001700000", "141070", "0"),
    ("Калининград", "г", "5000001700001", "", "0"),  # Korolyov's old name
    ("Ивановка", "с", "5000000005600", "140000", "0"),
    ("Псковская", "обл", "6000000000000", "", "0"),
    ("Псков", "г", "6000000100000", "180000", "2"),
]
STREETS = [
    ("Тверская", "ул", "77000000000000100", "125009"),
    ("Арбат", "ул", "77000000000000200", "119002"),
    ("Горького", "ул", "77000000000000101", "125009"),  # old name of Тверская
    ("Советская", "ул", "69000001000000100", "170100"),
    ("Невский", "пр-кт", "78000000000000100", "191025"),
    ("Ёлочная", "ул", "78000000000000200", ""),
]
HOUSES = [("Н(1-15),Ч(2-10),22к1", "7700000000000010001", "125009")]
ALTNAMES = [{"OLDCODE": "6900800001351", "NEWCODE": "6900000100000", "LEVEL": "4"}]


def write_distribution(folder, *, encoding="cp866", skip=(), socrbase=None, altnames=None,
                       places=PLACES, streets=STREETS):
    """The small test distribution; ``socrbase`` / ``altnames`` paths of real files
    to use instead of the written ones."""
    os.makedirs(folder, exist_ok=True)
    tables = {
        "KLADR": [{"NAME": n, "SOCR": s, "CODE": c, "INDEX": i, "STATUS": st}
                  for n, s, c, i, st in places],
        "STREET": [{"NAME": n, "SOCR": s, "CODE": c, "INDEX": i} for n, s, c, i in streets],
        "DOMA": [{"NAME": n, "SOCR": "ДОМ", "CODE": c, "INDEX": i}
                 for n, c, i in HOUSES],
        "SOCRBASE": SOCRBASE,
        "ALTNAMES": ALTNAMES,
    }
    for table, rows in tables.items():
        if table in skip:
            continue
        path = os.path.join(folder, f"{table}.DBF")
        source = {"SOCRBASE": socrbase, "ALTNAMES": altnames}.get(table)
        if source:
            with open(source, "rb") as src, open(path, "wb") as out:
                out.write(src.read())
        else:
            write_dbf(path, table, rows, encoding=encoding)
    return folder


def zip_folder(folder, path, prefix=""):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(os.listdir(folder)):
            archive.write(os.path.join(folder, name), prefix + name)
    return path
