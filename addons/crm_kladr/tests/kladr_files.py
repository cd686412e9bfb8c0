"""Writes KLADR tables in the official layout (dBase III, CP866, the field widths of
the FNS description) for the tests and the benchmark. dbfread only reads, so this is a
minimal writer of exactly that format."""

import datetime
import os
import struct
import zipfile

FIELDS = {
    "KLADR": [("NAME", 40), ("SOCR", 10), ("CODE", 13), ("INDEX", 6), ("GNINMB", 4),
              ("UNO", 4), ("OCATD", 11), ("STATUS", 1)],
    "STREET": [("NAME", 40), ("SOCR", 10), ("CODE", 17), ("INDEX", 6), ("GNINMB", 4),
               ("UNO", 4), ("OCATD", 11)],
    "DOMA": [("NAME", 40), ("KORP", 10), ("SOCR", 10), ("CODE", 19), ("INDEX", 6),
             ("GNINMB", 4), ("UNO", 4), ("OCATD", 11)],
    "SOCRBASE": [("LEVEL", 5), ("SCNAME", 10), ("SOCRNAME", 29), ("KOD_T_ST", 3)],
    "ALTNAMES": [("OLDCODE", 19), ("NEWCODE", 19), ("LEVEL", 1)],
}


def write_dbf(path, table, rows, encoding="cp866"):
    """rows: dicts (missing fields blank) or an iterable too large for memory."""
    fields = FIELDS[table]
    record_size = 1 + sum(width for _name, width in fields)
    header_size = 32 + 32 * len(fields) + 1
    today = datetime.date.today()
    with open(path, "wb") as out:
        out.write(b"\0" * header_size)
        count = 0
        for row in rows:
            record = bytearray(b" ")
            for name, width in fields:
                value = str(row.get(name, "") or "").encode(encoding)[:width]
                record += value.ljust(width, b" ")
            out.write(record)
            count += 1
        out.write(b"\x1a")
        out.seek(0)
        out.write(struct.pack("<BBBBIHH20x", 3, today.year - 1900, today.month, today.day,
                              count, header_size, record_size))
        for name, width in fields:
            out.write(struct.pack("<11sc4xBB14x", name.encode("ascii"), b"C", width, 0))
        out.write(b"\r")


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
