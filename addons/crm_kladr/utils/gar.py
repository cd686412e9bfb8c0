"""The FIAS successor GAR (ГАР, "государственный адресный реестр") in its XML form:
a zip of region folders ``01``…``99`` each holding ``AS_ADDR_OBJ_<date>_<guid>.XML``
(``<ADDRESSOBJECTS><OBJECT …/>``, one element per version of an object) and
``AS_ADM_HIERARCHY_…`` (``<ITEMS><ITEM OBJECTID PARENTOBJID ISACTIVE …/>``), and
optionally ``AS_ADDR_OBJ_PARAMS_…`` (``<PARAMS><PARAM OBJECTID TYPEID VALUE STARTDATE
ENDDATE …/>``): the objects' parameters, of which we take the postal code.

Only versions with ISACTUAL="1" and ISACTIVE="1" are kept. The files are streamed
(lxml iterparse, elements cleared as they go) with a parser that resolves no entity,
loads no DTD and touches no network.

Plain Python; no odoo import.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from .errors import ClassifierError, _

# GAR object levels (AS_OBJECT_LEVELS): 1 subject, 2 administrative district,
# 3 municipal district, 4 rural / urban settlement, 5 city, 6 locality,
# 7 planning structure element, 8 street.
PLACE_LEVELS = {5, 6}
STREET_LEVELS = {7, 8}
CITY_TYPES = {"г", "г."}
_FILE = re.compile(r"AS_(ADDR_OBJ|ADM_HIERARCHY|ADDR_OBJ_PARAMS)_(\d{8})_[0-9a-fA-F-]+\.XML$",
                   re.I)
# AS_PARAM_TYPES: 5 = "Почтовый индекс" (code PostIndex)
POSTAL_CODE_TYPE = "5"
_ZIP = re.compile(r"\d{6}$")


class GarFormatError(ClassifierError):
    """The files are not a usable GAR XML distribution."""


@dataclass
class GarObject:
    object_id: int
    name: str
    type_name: str
    level: int


def region_files(folder: str) -> dict[str, dict[str, str]]:
    """region code → {"ADDR_OBJ": path, "ADM_HIERARCHY": path} (one level of nesting
    above the region folders tolerated)."""
    regions: dict[str, dict[str, str]] = {}
    for root, _dirs, files in os.walk(folder):
        region = os.path.basename(root)
        if not (region.isdigit() and len(region) == 2):
            continue
        for name in files:
            match = _FILE.match(name)
            if match:
                regions.setdefault(region, {})[match.group(1).upper()] = os.path.join(root, name)
    if not any("ADDR_OBJ" in files for files in regions.values()):
        raise GarFormatError(_("no region folder with AS_ADDR_OBJ files: this is not a GAR "
                               "XML distribution"))
    for region, files in sorted(regions.items()):
        # AS_ADDR_OBJ_PARAMS is optional (without it the places have no zip), and a
        # delta's region may hold nothing but changed parameters
        if ("ADDR_OBJ" in files or "ADM_HIERARCHY" in files) and (
                "ADDR_OBJ" not in files or "ADM_HIERARCHY" not in files):
            missing = "AS_ADDR_OBJ" if "ADDR_OBJ" not in files else "AS_ADM_HIERARCHY"
            raise GarFormatError(_("region %(region)s: the %(file)s file is missing"),
                                 region=region, file=missing)
    return regions


def _iter_elements(path: str, tag: str) -> Iterator[dict]:
    context = etree.iterparse(
        path, events=("end",), tag=tag, resolve_entities=False, no_network=True,
        load_dtd=False, dtd_validation=False, huge_tree=True, remove_comments=True)
    try:
        for _event, element in context:
            yield dict(element.attrib)
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise GarFormatError(_("%(file)s is not well-formed XML: %(reason)s"),
                             file=os.path.basename(path), reason=str(exc))
    if context.root is not None and context.root.getroottree().docinfo.internalDTD:
        raise GarFormatError(_("%(file)s declares a DTD; refusing it"),
                             file=os.path.basename(path))


def read_objects(path: str, seen: set | None = None) -> dict[int, GarObject]:
    """Actual and active objects of one AS_ADDR_OBJ file, by OBJECTID; ``seen``
    collects every OBJECTID met, current or not (a delta's removals)."""
    objects = {}
    for attrs in _iter_elements(path, "OBJECT"):
        if seen is not None and attrs.get("OBJECTID", "").isdigit():
            seen.add(int(attrs["OBJECTID"]))
        if attrs.get("ISACTUAL") != "1" or attrs.get("ISACTIVE") != "1":
            continue
        try:
            object_id = int(attrs["OBJECTID"])
            level = int(attrs["LEVEL"])
        except (KeyError, ValueError):
            raise GarFormatError(_("%(file)s: an OBJECT without a numeric OBJECTID or LEVEL"),
                                 file=os.path.basename(path))
        objects[object_id] = GarObject(object_id, attrs.get("NAME", ""),
                                       attrs.get("TYPENAME", ""), level)
    return objects


def read_parents(path: str) -> dict[int, int]:
    """OBJECTID → PARENTOBJID of the active administrative hierarchy."""
    parents = {}
    for attrs in _iter_elements(path, "ITEM"):
        if attrs.get("ISACTIVE") != "1":
            continue
        try:
            parents[int(attrs["OBJECTID"])] = int(attrs.get("PARENTOBJID") or 0)
        except ValueError:
            raise GarFormatError(_("%(file)s: an ITEM without a numeric OBJECTID"),
                                 file=os.path.basename(path))
    return parents


def read_postal_codes(path: str, today: datetime.date | None = None) -> dict[int, str]:
    """OBJECTID → postal code in force ``today`` (STARTDATE <= today < ENDDATE), from
    an AS_ADDR_OBJ_PARAMS file. An object whose postal codes all ended maps to ""
    (a delta uses that to clear the zip it had)."""
    today = (today or datetime.date.today()).isoformat()
    codes: dict[int, str] = {}
    started: dict[int, str] = {}
    for attrs in _iter_elements(path, "PARAM"):
        if attrs.get("TYPEID") != POSTAL_CODE_TYPE:
            continue
        try:
            object_id = int(attrs["OBJECTID"])
        except (KeyError, ValueError):
            raise GarFormatError(_("%(file)s: a PARAM without a numeric OBJECTID"),
                                 file=os.path.basename(path))
        value = (attrs.get("VALUE") or "").strip()
        # ISO dates compare as text; a missing end date is open
        start = (attrs.get("STARTDATE") or "")[:10]
        end = (attrs.get("ENDDATE") or "9999-12-31")[:10]
        current = start <= today < end and _ZIP.match(value)
        codes.setdefault(object_id, "")
        if current and start >= started.get(object_id, ""):
            codes[object_id], started[object_id] = value, start
    return codes


def _chain_ids(parents: dict[int, int], object_id: int):
    parent, seen = parents.get(object_id), 0
    while parent and seen < 20:
        yield parent
        parent, seen = parents.get(parent), seen + 1


def _short(obj: GarObject) -> str:
    socr = obj.type_name.rstrip(".")
    if socr in ("обл", "р-н"):
        return f"{obj.name} {socr}." if socr == "обл" else f"{obj.name} р-н"
    return f"{socr}. {obj.name}" if socr else obj.name


def read_region(region: str, files: dict[str, str], known_place=None, seen=None,
                zips=None, today=None):
    """(places, streets) of one region folder, in the shapes the store loads:
    places (code, name, socr, type name, level, region, context, zip, rank) and
    streets (code, place code, name, socr, zip). For a delta, ``known_place(object
    id) -> place code | None`` places a street whose parents are not in the delta,
    ``seen`` collects every OBJECTID of the delta, and ``zips`` every postal code
    the delta's parameters set or end ({OBJECTID: zip or ""})."""
    objects = read_objects(files["ADDR_OBJ"], seen) if "ADDR_OBJ" in files else {}
    parents = read_parents(files["ADM_HIERARCHY"]) if "ADM_HIERARCHY" in files else {}
    postal_codes = (read_postal_codes(files["ADDR_OBJ_PARAMS"], today)
                    if "ADDR_OBJ_PARAMS" in files else {})
    if zips is not None:
        zips.update(postal_codes)

    def ancestors(object_id):
        seen = 0
        parent = parents.get(object_id)
        while parent and seen < 20:
            if parent in objects:
                yield objects[parent]
            parent = parents.get(parent)
            seen += 1

    places, streets = [], []
    for obj in objects.values():
        is_city_region = obj.level == 1 and obj.type_name.rstrip(".") in {"г"}
        if obj.level in PLACE_LEVELS or is_city_region:
            chain = list(ancestors(obj.object_id))
            context = [_short(a) for a in reversed(chain) if a.level in (1, 2, 5)]
            socr = obj.type_name.rstrip(".")
            rank = 0 if is_city_region else (2 if socr == "г" else 4)
            places.append((str(obj.object_id), obj.name, socr, "",
                           1 if is_city_region else (3 if obj.level == 5 else 4),
                           region, ", ".join(context), postal_codes.get(obj.object_id, ""),
                           rank))
        elif obj.level in STREET_LEVELS:
            place = next((a for a in ancestors(obj.object_id)
                          if a.level in PLACE_LEVELS
                          or (a.level == 1 and a.type_name.rstrip(".") == "г")), None)
            place_code = str(place.object_id) if place is not None else None
            if place_code is None and known_place is not None:
                place_code = next(filter(None, map(known_place,
                                                   _chain_ids(parents, obj.object_id))), None)
            if place_code is not None:
                streets.append((str(obj.object_id), place_code, obj.name,
                                obj.type_name.rstrip("."),
                                postal_codes.get(obj.object_id, "")))
    return places, streets
