"""The official KLADR distribution (GNIVC / FNS, "Описание классификатора адресов
РФ (КЛАДР)" v4.0): DBF tables in CP866, with codes

    KLADR.DBF   CODE C13  SS RRR GGG PPP AA        (region, district, city, locality)
    STREET.DBF  CODE C17  SS RRR GGG PPP UUUU AA   (… street)
    DOMA.DBF    CODE C19  SS RRR GGG PPP UUUU DDDD (DDDD: a row number, no actuality)

AA is the actuality: 00 current, 01–50 an old name of the object, 51 re-subordinated
(ALTNAMES.DBF gives the new code), 99 gone. Only current objects are offered; the
old names point at the current object so a search by the old name still finds it.

Plain Python over dbfread; no odoo import.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

from dbfread import DBF
from dbfread.exceptions import DBFNotFound, MissingMemoFile

from .errors import ClassifierError, _
from .text import search_key

ENCODING = "cp866"
REQUIRED_TABLES = ("KLADR", "STREET", "SOCRBASE", "ALTNAMES")
OPTIONAL_TABLES = ("DOMA",)
TABLE_FIELDS = {
    "KLADR": ("NAME", "SOCR", "CODE", "INDEX", "GNINMB", "UNO", "OCATD", "STATUS"),
    "STREET": ("NAME", "SOCR", "CODE", "INDEX", "GNINMB", "UNO", "OCATD"),
    "DOMA": ("NAME", "KORP", "SOCR", "CODE", "INDEX", "GNINMB", "UNO", "OCATD"),
    "SOCRBASE": ("LEVEL", "SCNAME", "SOCRNAME", "KOD_T_ST"),
    "ALTNAMES": ("OLDCODE", "NEWCODE", "LEVEL"),
}
# Box drawing and block characters: what Windows-1251 or UTF-8 Cyrillic bytes turn
# into when read as CP866. Real KLADR names never contain them.
_NOT_CP866_TEXT = re.compile("[\u2500-\u259f]")
# Types whose region-level object is a city: Moscow, Saint Petersburg, Sevastopol,
# Baikonur are regions with city code 000 and are offered as cities.
CITY_SOCR = {"г", "г."}

# KLADR region (SS) → ISO 3166-2:RU subdivision (the code of Odoo's res.country.state).
REGION_ISO = {
    "01": "AD", "02": "BA", "03": "BU", "04": "AL", "05": "DA", "06": "IN", "07": "KB",
    "08": "KL", "09": "KC", "10": "KR", "11": "KO", "12": "ME", "13": "MO", "14": "SA",
    "15": "SE", "16": "TA", "17": "TY", "18": "UD", "19": "KK", "20": "CE", "21": "CU",
    "22": "ALT", "23": "KDA", "24": "KYA", "25": "PRI", "26": "STA", "27": "KHA",
    "28": "AMU", "29": "ARK", "30": "AST", "31": "BEL", "32": "BRY", "33": "VLA",
    "34": "VGG", "35": "VLG", "36": "VOR", "37": "IVA", "38": "IRK", "39": "KGD",
    "40": "KLU", "41": "KAM", "42": "KEM", "43": "KIR", "44": "KOS", "45": "KGN",
    "46": "KRS", "47": "LEN", "48": "LIP", "49": "MAG", "50": "MOS", "51": "MUR",
    "52": "NIZ", "53": "NGR", "54": "NVS", "55": "OMS", "56": "ORE", "57": "ORL",
    "58": "PNZ", "59": "PER", "60": "PSK", "61": "ROS", "62": "RYA", "63": "SAM",
    "64": "SAR", "65": "SAK", "66": "SVE", "67": "SMO", "68": "TAM", "69": "TVE",
    "70": "TOM", "71": "TUL", "72": "TYU", "73": "ULY", "74": "CHE", "75": "ZAB",
    "76": "YAR", "77": "MOW", "78": "SPE", "79": "YEV", "83": "NEN", "86": "KHM",
    "87": "CHU", "89": "YAN",
}


class KladrFormatError(ClassifierError):
    """The files are not a usable KLADR distribution; the message says why."""


@dataclass(frozen=True)
class KladrCode:
    region: str
    district: str
    city: str
    locality: str
    street: str  # "" for a 13-digit code
    actuality: str

    @property
    def level(self) -> int:
        """1 region, 2 district, 3 city, 4 locality, 5 street."""
        if self.street:
            return 5
        if self.locality != "000":
            return 4
        if self.city != "000":
            return 3
        if self.district != "000":
            return 2
        return 1

    @property
    def object_code(self) -> str:
        """The code without its actuality: the same for an object and its old names."""
        return self.region + self.district + self.city + self.locality + self.street

    @property
    def current_code(self) -> str:
        return self.object_code + "00"

    @property
    def place_code(self) -> str:
        """The 13-digit current code of the place a street belongs to (itself for a
        place)."""
        return self.region + self.district + self.city + self.locality + "00"


def parse_code(code: str) -> KladrCode:
    code = (code or "").strip()
    if not code.isdigit() or len(code) not in (13, 17):
        raise KladrFormatError(_("%(code)s is not a KLADR code (13 or 17 digits)"),
                               code=repr(code))
    street = code[11:15] if len(code) == 17 else ""
    return KladrCode(code[:2], code[2:5], code[5:8], code[8:11], street, code[-2:])


def find_tables(folder: str) -> dict[str, str]:
    """Paths of the distribution's tables in ``folder`` (names compared without case,
    searched one level down too, as archives often hold a folder)."""
    found = {}
    for root, _dirs, files in os.walk(folder):
        if root != folder and os.path.dirname(root) != folder:
            continue
        for name in files:
            stem, ext = os.path.splitext(name)
            if ext.lower() == ".dbf" and stem.upper() in TABLE_FIELDS:
                found.setdefault(stem.upper(), os.path.join(root, name))
    missing = [f"{table}.DBF" for table in REQUIRED_TABLES if table not in found]
    if missing:
        raise KladrFormatError(
            _("the KLADR distribution is incomplete: %(missing)s missing (found: %(found)s)"),
            missing=", ".join(missing),
            found=", ".join(sorted(f"{t}.DBF" for t in found)) or "-")
    return found


def read_table(path: str, table: str) -> Iterator[dict]:
    """The rows of one table as dicts of stripped strings, decoded from CP866.
    Raises KladrFormatError on a damaged file, a wrong layout or text in another
    encoding."""
    try:
        dbf = DBF(path, encoding=ENCODING, char_decode_errors="strict", load=False,
                  ignore_missing_memofile=True)
        names = set(dbf.field_names)
    except (DBFNotFound, MissingMemoFile, OSError, ValueError, UnicodeError, IndexError,
            EOFError) as exc:
        raise KladrFormatError(_("%(table)s.DBF cannot be read as a DBF file: %(reason)s"),
                               table=table, reason=str(exc))
    missing = [f for f in TABLE_FIELDS[table] if f not in names]
    if missing:
        raise KladrFormatError(_("%(table)s.DBF does not have the official layout: fields "
                                 "%(fields)s missing"), table=table, fields=", ".join(missing))
    try:
        for number, record in enumerate(dbf, 1):
            row = {key: (value or "").strip() if isinstance(value, str) else value
                   for key, value in record.items()}
            name = row.get("NAME") or row.get("SOCRNAME") or ""
            if _NOT_CP866_TEXT.search(name):
                raise KladrFormatError(
                    _("%(table)s.DBF row %(row)s: the text is not in CP866 (%(text)s); the "
                      "official files are CP866 (DOS): use the files as published, not "
                      "re-encoded ones"), table=table, row=number, text=repr(name[:20]))
            yield row
    except KladrFormatError:
        raise
    except (OSError, ValueError, UnicodeError, IndexError, EOFError, TypeError) as exc:
        raise KladrFormatError(_("%(table)s.DBF is damaged: %(reason)s"), table=table,
                               reason=str(exc))


def read_socrbase(path: str) -> dict[tuple[int, str], str]:
    """(level, abbreviation) → full type name ("г" at level 3 → "Город")."""
    types = {}
    for row in read_table(path, "SOCRBASE"):
        try:
            level = int(row["LEVEL"])
        except (TypeError, ValueError):
            raise KladrFormatError(_("SOCRBASE.DBF: level %(level)s is not a number"),
                                   level=repr(row["LEVEL"]))
        types[(level, row["SCNAME"])] = row["SOCRNAME"]
    return types


def read_altnames(path: str) -> dict[str, str]:
    """Old code → new code, as listed (a chain is followed by ``resolve``)."""
    mapping = {}
    for row in read_table(path, "ALTNAMES"):
        old, new = row["OLDCODE"], row["NEWCODE"]
        if old and new and old != new:
            mapping[old] = new
    return mapping


def resolve(code: str, altnames: dict[str, str], limit: int = 20) -> str:
    """Follow ALTNAMES from an old code to the newest (a cycle or an over-long chain
    stops where it is)."""
    seen = 0
    while code in altnames and seen < limit:
        code = altnames[code]
        seen += 1
    return code


def house_numbers(spec: str, limit: int = 2000) -> list[str]:
    """DOMA.DBF NAME as house numbers: a comma list of numbers ("12", "12к1",
    "влд290") and ranges "Н(1-15)" (odd), "Ч(2-20)" (even), "1-9" (all)."""
    numbers: list[str] = []
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"([НЧнч])?\(?(\d+)-(\d+)\)?", part)
        if match:
            kind, low, high = match.group(1), int(match.group(2)), int(match.group(3))
            if high < low or high - low > limit:
                numbers.append(part)
                continue
            step = 2 if kind else 1
            if kind and kind.upper() == "Н" and low % 2 == 0:
                low += 1
            if kind and kind.upper() == "Ч" and low % 2 == 1:
                low += 1
            numbers.extend(str(n) for n in range(low, high + 1, step))
        else:
            numbers.append(part)
        if len(numbers) >= limit:
            break
    return numbers[:limit]


@dataclass
class Place:
    code: str
    name: str
    socr: str
    type_name: str
    level: int
    region: str
    context: str  # ", Тверская обл., Калининский р-н"
    zip: str
    rank: int  # lower first: region centres, cities, then the rest


def _short(name: str, socr: str, level: int) -> str:
    """"Тверская обл." style: the name with its abbreviation where Russians put it."""
    if level == 1 and socr in {"обл", "край", "АО", "Аобл"}:
        return f"{name} {socr}." if socr == "обл" else f"{name} {socr}"
    if level == 2 and socr == "р-н":
        return f"{name} р-н"
    return f"{socr}. {name}" if socr else name


def read_places(tables: dict[str, str], types: dict, altnames: dict[str, str]):
    """(places, aliases) from KLADR.DBF: the current settlements offered as cities
    (levels 3 and 4, and regions that are cities), and (old name, current code) for
    the old names and re-subordinated objects that resolve to a current one."""
    parents: dict[str, tuple[str, str, int]] = {}
    for row in read_table(tables["KLADR"], "KLADR"):
        code = parse_code(row["CODE"])
        if code.actuality == "00" and code.level in (1, 2, 3):
            parents[code.object_code] = (row["NAME"], row["SOCR"], code.level)
    if not parents:
        raise KladrFormatError(_("KLADR.DBF holds no current region: is it the right file?"))

    places: list[Place] = []
    aliases: list[tuple[str, str]] = []
    for row in read_table(tables["KLADR"], "KLADR"):
        code = parse_code(row["CODE"])
        level = code.level
        if code.actuality != "00":
            if code.actuality == "99" or level == 2:
                continue
            # 51: moved under another parent, ALTNAMES says where; 01–50: old name
            target = (resolve(row["CODE"], altnames) if code.actuality == "51"
                      else code.current_code)
            if target != row["CODE"] and len(target) == 13:
                aliases.append((row["NAME"], target))
            continue
        socr = row["SOCR"]
        if level == 2 or (level == 1 and socr not in CITY_SOCR):
            continue
        context = []
        region = parents.get(code.region + "000000000")
        if level > 1 and region:
            context.append(_short(region[0], region[1], 1))
        district = parents.get(code.region + code.district + "000000")
        if code.district != "000" and district:
            context.append(_short(district[0], district[1], 2))
        city = parents.get(code.region + code.district + code.city + "000")
        if level == 4 and code.city != "000" and city:
            context.append(_short(city[0], city[1], 3))
        status = row.get("STATUS") or "0"
        if level == 1 or status in ("2", "3"):
            rank = 0
        elif socr in CITY_SOCR:
            rank = 1 if status == "1" else 2
        else:
            rank = 3 if status == "1" else 4
        places.append(Place(
            code=code.current_code, name=row["NAME"], socr=socr,
            type_name=types.get((level if level < 4 else 4, socr), "")
            or types.get((level, socr), ""),
            level=level, region=code.region, context=", ".join(context),
            zip=row.get("INDEX") or "", rank=rank))
    return places, aliases


def read_streets(tables: dict[str, str]) -> Iterator[tuple]:
    """(code, place code, name, socr, zip, search key) of current streets."""
    for row in read_table(tables["STREET"], "STREET"):
        code = parse_code(row["CODE"])
        if code.actuality != "00" or not code.street:
            continue
        yield (code.current_code, code.place_code, row["NAME"], row["SOCR"],
               row.get("INDEX") or "", search_key(row["NAME"]))


def read_houses(tables: dict[str, str]) -> Iterator[tuple]:
    """(parent code, house numbers spec, korpus, zip) from DOMA.DBF; the parent is the
    street (17 digits) or, when the street part is 0000, the place (13 digits)."""
    if "DOMA" not in tables:
        return
    for row in read_table(tables["DOMA"], "DOMA"):
        code = (row["CODE"] or "").strip()
        if len(code) != 19 or not code.isdigit():
            continue
        parent = code[:11] + "00" if code[11:15] == "0000" else code[:15] + "00"
        yield (parent, row["NAME"], row.get("KORP") or "", row.get("INDEX") or "")
