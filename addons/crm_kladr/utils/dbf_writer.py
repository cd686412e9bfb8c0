"""Writes KLADR tables in the official layout (dBase III, CP866, the field widths of
the FNS description): the tests' and the benchmark's sample distributions. dbfread
only reads, so this is a minimal writer of exactly that format. Plain Python."""

import datetime
import struct

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
