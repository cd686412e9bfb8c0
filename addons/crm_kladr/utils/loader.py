"""Reading a whole distribution folder into the row streams the store loads.

Both formats give the same shapes: places (code, name, socr, type name, level,
region, context, zip, rank), aliases (old name, current code), streets (code, place
code, name, socr, zip), houses (parent code, numbers, korpus, zip), altnames
{old: new}. ``progress(fraction, message)`` is called as it goes.
"""

from __future__ import annotations

import os

from . import gar, kladr
from .errors import _


def detect(folder: str) -> str:
    """"kladr" or "gar" for an unpacked distribution, else raises KladrFormatError."""
    for _root, _dirs, files in os.walk(folder):
        for name in files:
            upper = name.upper()
            if upper.startswith("AS_ADDR_OBJ_"):
                return "gar"
            if upper in ("KLADR.DBF", "STREET.DBF", "SOCRBASE.DBF", "ALTNAMES.DBF"):
                return "kladr"
    raise kladr.KladrFormatError(_(
        "no KLADR table (KLADR.DBF, STREET.DBF, SOCRBASE.DBF, ALTNAMES.DBF) and no GAR "
        "file (AS_ADDR_OBJ_*.XML) found: this is not an address classifier distribution"))


def read_kladr(folder: str, progress=lambda fraction, message: None):
    tables = kladr.find_tables(folder)
    progress(0.02, "SOCRBASE, ALTNAMES")
    types = kladr.read_socrbase(tables["SOCRBASE"])
    altnames = kladr.read_altnames(tables["ALTNAMES"])
    progress(0.05, "KLADR")
    places, aliases = kladr.read_places(tables, types, altnames)
    rows = [(p.code, p.name, p.socr, p.type_name, p.level, p.region, p.context, p.zip,
             p.rank) for p in places]
    return {
        "places": rows,
        "aliases": aliases,
        "streets": (s[:5] for s in kladr.read_streets(tables)),
        "houses": kladr.read_houses(tables),
        "altnames": altnames,
    }


def read_gar(folder: str, progress=lambda fraction, message: None):
    regions = gar.region_files(folder)
    places, streets = [], []
    for number, (region, files) in enumerate(sorted(regions.items()), 1):
        progress(0.05 + 0.5 * number / len(regions), f"GAR region {region}")
        region_places, region_streets = gar.read_region(region, files)
        places.extend(region_places)
        streets.extend(region_streets)
    return {"places": places, "aliases": [], "streets": streets, "houses": [],
            "altnames": {}}


def read_gar_delta(folder: str, known_place, progress=lambda fraction, message: None):
    """A GAR delta: the changed objects (current ones to upsert), every object id
    the delta mentions (to replace or remove) and the postal codes it sets or ends
    (also of objects the delta does not otherwise change)."""
    regions = gar.region_files(folder)
    places, streets, seen, zips = [], [], set(), {}
    for number, (region, files) in enumerate(sorted(regions.items()), 1):
        progress(0.05 + 0.5 * number / len(regions), f"GAR delta region {region}")
        region_places, region_streets = gar.read_region(region, files, known_place, seen,
                                                        zips)
        places.extend(region_places)
        streets.extend(region_streets)
    return {"places": places, "streets": streets, "seen": seen, "zips": zips}
