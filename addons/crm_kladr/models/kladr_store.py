"""The classifier's own tables and the search the address widget calls.

The data are plain PostgreSQL tables, not ORM models: a whole-country import is
1.5 million rows written with COPY, and the ORM would add nothing but cost. An import
fills ``<table>__new`` copies, indexes them, then swaps them for the live tables at the
very end of its transaction, so the previous data serve searches until the new set is
complete, and a failure anywhere before the swap leaves them untouched.
"""

import io
import logging
import re

from odoo import api, models, tools

from ..utils.kladr import REGION_ISO, house_numbers
from ..utils.text import like_escape, query_keys, search_key

_logger = logging.getLogger(__name__)

TABLES = {
    "crm_kladr_place": """
        code varchar NOT NULL, name varchar NOT NULL, socr varchar NOT NULL DEFAULT '',
        type_name varchar NOT NULL DEFAULT '', level smallint NOT NULL,
        region varchar(2) NOT NULL DEFAULT '', context varchar NOT NULL DEFAULT '',
        zip varchar NOT NULL DEFAULT '', rank smallint NOT NULL DEFAULT 4,
        search_key varchar NOT NULL, old_name varchar""",
    "crm_kladr_street": """
        code varchar NOT NULL, place_code varchar NOT NULL, name varchar NOT NULL,
        socr varchar NOT NULL DEFAULT '', zip varchar NOT NULL DEFAULT '',
        search_key varchar NOT NULL""",
    "crm_kladr_house": """
        parent_code varchar NOT NULL, numbers varchar NOT NULL,
        korp varchar NOT NULL DEFAULT '', zip varchar NOT NULL DEFAULT ''""",
    "crm_kladr_altname": """
        old_code varchar NOT NULL, new_code varchar NOT NULL""",
}
# (name suffix, table, definition): created after the rows are in (faster than
# maintaining them row by row).
INDEXES = [
    ("code", "crm_kladr_place", "(code)"),
    # Prefix search ("мос%") in the order of the index, stopping at the limit: a btree
    # in the "C" collation serves both LIKE 'x%' and ORDER BY (a pattern_ops index
    # serves only the LIKE, and the matches of a short prefix would all be sorted).
    ("prefix", "crm_kladr_place", '((search_key COLLATE "C"))'),
    # the towns first: small partial indexes answer a one-letter query at once
    ("town_prefix", "crm_kladr_place", '((search_key COLLATE "C")) WHERE rank <= 2'),
    # in-word search ("%сков%"): trigrams
    ("trgm", "crm_kladr_place", "USING gin (search_key gin_trgm_ops)"),
    ("town_trgm", "crm_kladr_place", "USING gin (search_key gin_trgm_ops) WHERE rank <= 2"),
    ("code", "crm_kladr_street", "(code)"),
    ("place_prefix", "crm_kladr_street", '(place_code, (search_key COLLATE "C"))'),
    ("parent", "crm_kladr_house", "(parent_code)"),
    ("old", "crm_kladr_altname", "(old_code)"),
]
COPY_BATCH = 50_000


def _place_order(row):
    """Towns before villages, then the shorter (closer) name."""
    return (row[8], len(row[1]), row[1])


def _copy_text(value):
    if value is None:
        return "\\N"
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


class CrmKladrStore(models.AbstractModel):
    _name = "crm.kladr.store"
    _description = "Address classifier tables and search"

    # ------------------------------------------------------------------ tables
    def init(self):
        self.env.cr.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for table in TABLES:
            self.env.cr.execute("SELECT to_regclass(%s)", [table])
            if not self.env.cr.fetchone()[0]:
                self._create_tables(suffix="", only=[table])

    def _create_tables(self, suffix, only=None):
        cr = self.env.cr
        for table, columns in TABLES.items():
            if only and table not in only:
                continue
            cr.execute(f"DROP TABLE IF EXISTS {table}{suffix}")
            cr.execute(f"CREATE TABLE {table}{suffix} ({columns})")
            if not suffix:
                self._create_indexes(table, suffix)

    def _create_indexes(self, table, suffix):
        for name, index_table, definition in INDEXES:
            if index_table == table:
                self.env.cr.execute(
                    f"CREATE INDEX {table}{suffix}_{name}_idx ON {table}{suffix} {definition}")

    def _copy_rows(self, table, columns, rows):
        """COPY ``rows`` (tuples) into ``table`` in batches; returns the count."""
        cr = self.env.cr
        count = 0
        buffer = io.StringIO()
        pending = 0
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        for row in rows:
            buffer.write("\t".join(_copy_text(v) for v in row))
            buffer.write("\n")
            pending += 1
            if pending >= COPY_BATCH:
                buffer.seek(0)
                cr.copy_expert(statement, buffer)
                count += pending
                buffer, pending = io.StringIO(), 0
        if pending:
            buffer.seek(0)
            cr.copy_expert(statement, buffer)
            count += pending
        return count

    def _begin_load(self):
        """Empty ``__new`` copies of every table, for an import to fill."""
        self._create_tables(suffix="__new")

    def _finish_load(self):
        """Index the filled copies, then swap them in (all in this transaction: readers
        keep the old tables until it commits)."""
        cr = self.env.cr
        for table in TABLES:
            self._create_indexes(table, "__new")
            cr.execute(f"ANALYZE {table}__new")
        for table in TABLES:
            cr.execute(f"DROP TABLE IF EXISTS {table}")
            cr.execute(f"ALTER TABLE {table}__new RENAME TO {table}")
            for name, index_table, _definition in INDEXES:
                if index_table == table:
                    cr.execute(f"ALTER INDEX {table}__new_{name}_idx "
                               f"RENAME TO {table}_{name}_idx")

    def _load_places(self, places, aliases=()):
        """places: (code, name, socr, type name, level, region, context, zip, rank);
        aliases: (old name, current code) rows copied from their current place."""
        columns = ("code", "name", "socr", "type_name", "level", "region", "context",
                   "zip", "rank", "search_key", "old_name")
        count = self._copy_rows("crm_kladr_place__new", columns,
                                (tuple(p) + (search_key(p[1]), None) for p in places))
        if aliases:
            self.env.cr.execute("CREATE TEMP TABLE crm_kladr_alias_tmp "
                                "(old_name varchar, code varchar) ON COMMIT DROP")
            self._copy_rows("crm_kladr_alias_tmp", ("old_name", "code"), aliases)
            self.env.cr.execute("""
                INSERT INTO crm_kladr_place__new
                      (code, name, socr, type_name, level, region, context, zip, rank,
                       search_key, old_name)
                SELECT DISTINCT ON (p.code, a.old_name)
                       p.code, p.name, p.socr, p.type_name, p.level, p.region, p.context,
                       p.zip, p.rank, lower(replace(a.old_name, 'ё', 'е')), a.old_name
                  FROM crm_kladr_alias_tmp a
                  JOIN crm_kladr_place__new p ON p.code = a.code AND p.old_name IS NULL
                 WHERE lower(a.old_name) <> lower(p.name)""")
            self.env.cr.execute("DROP TABLE crm_kladr_alias_tmp")
        return count

    def _load_streets(self, streets):
        """streets: (code, place code, name, socr, zip)."""
        return self._copy_rows(
            "crm_kladr_street__new",
            ("code", "place_code", "name", "socr", "zip", "search_key"),
            (tuple(s[:5]) + (search_key(s[2]),) for s in streets))

    def _load_houses(self, houses):
        return self._copy_rows("crm_kladr_house__new",
                               ("parent_code", "numbers", "korp", "zip"), houses)

    def _load_altnames(self, altnames):
        return self._copy_rows("crm_kladr_altname__new", ("old_code", "new_code"),
                               altnames.items())

    def _apply_delta(self, places, streets, seen, zips=None):
        """A GAR delta, in this transaction: every object the delta mentions is
        replaced by its current version, or removed when it has none. ``zips``
        ({object id: postal code or ""}) are the postal codes the delta's parameters
        set or end; an object the delta changes without a postal code parameter keeps
        the one it had."""
        cr = self.env.cr
        codes = [str(object_id) for object_id in seen]
        cr.execute("CREATE TEMP TABLE crm_kladr_zip_tmp (code varchar PRIMARY KEY, "
                   "zip varchar NOT NULL) ON COMMIT DROP")
        for start in range(0, len(codes), 10_000):
            chunk = codes[start:start + 10_000]
            cr.execute("""INSERT INTO crm_kladr_zip_tmp (code, zip)
                          SELECT DISTINCT ON (code) code, zip FROM (
                              SELECT code, zip FROM crm_kladr_place
                               WHERE code = ANY(%s) AND zip <> ''
                              UNION ALL
                              SELECT code, zip FROM crm_kladr_street
                               WHERE code = ANY(%s) AND zip <> '') known""", [chunk, chunk])
            cr.execute("DELETE FROM crm_kladr_place WHERE code = ANY(%s)", [chunk])
            cr.execute("DELETE FROM crm_kladr_street WHERE code = ANY(%s)", [chunk])
        self._copy_rows(
            "crm_kladr_place",
            ("code", "name", "socr", "type_name", "level", "region", "context", "zip",
             "rank", "search_key", "old_name"),
            (tuple(p) + (search_key(p[1]), None) for p in places))
        self._copy_rows("crm_kladr_street",
                        ("code", "place_code", "name", "socr", "zip", "search_key"),
                        (tuple(s[:5]) + (search_key(s[2]),) for s in streets))
        if zips:
            changed = [str(object_id) for object_id in zips]
            for start in range(0, len(changed), 10_000):
                cr.execute("DELETE FROM crm_kladr_zip_tmp WHERE code = ANY(%s)",
                           [changed[start:start + 10_000]])
            self._copy_rows("crm_kladr_zip_tmp", ("code", "zip"),
                            ((str(object_id), zip_code) for object_id, zip_code in zips.items()))
        for table in ("crm_kladr_place", "crm_kladr_street"):
            cr.execute(f"""UPDATE {table} t SET zip = z.zip FROM crm_kladr_zip_tmp z
                            WHERE t.code = z.code AND t.zip IS DISTINCT FROM z.zip""")
        cr.execute("DROP TABLE crm_kladr_zip_tmp")
        return len(places), len(streets)

    def _known_place(self, object_id):
        """The place code of a GAR object already loaded: itself when it is a place,
        its place when it is a street."""
        cr = self.env.cr
        cr.execute("SELECT code FROM crm_kladr_place WHERE code = %s LIMIT 1",
                   [str(object_id)])
        row = cr.fetchone()
        if row:
            return row[0]
        cr.execute("SELECT place_code FROM crm_kladr_street WHERE code = %s LIMIT 1",
                   [str(object_id)])
        row = cr.fetchone()
        return row[0] if row else None

    @api.model
    def _counts(self):
        cr = self.env.cr
        result = {}
        for table, key in (("crm_kladr_place", "places"), ("crm_kladr_street", "streets"),
                           ("crm_kladr_house", "houses")):
            cr.execute(f"SELECT count(*) FROM {table}")
            result[key] = cr.fetchone()[0]
        return result

    # ------------------------------------------------------------------ search
    @tools.ormcache("self.env.lang")
    def _ru_states(self):
        """ISO code → (id, display name) of Russia's states: looked up once, not per
        suggestion."""
        states = self.env["res.country.state"].sudo().search([("country_id.code", "=", "RU")])
        return {state.code: (state.id, state.display_name) for state in states}

    @api.model
    def _state_for_region(self, region):
        return self._state_for_iso(REGION_ISO.get(region))

    @api.model
    def _state_for_iso(self, code):
        """[id, display name] of the Russian state with that ISO code, or False."""
        state = self._ru_states().get(code) if code else None
        return list(state) if state else False

    def _place_row(self, row, states):
        code, name, socr, level, region, context, zip_code, old_name, _rank = row
        label = f"{socr}. {name}" if socr else name
        state = states.get(region)
        return {
            "code": code, "name": name, "type": socr, "label": label,
            "description": context or "", "old_name": old_name or "",
            "zip": zip_code or "", "level": level, "region": region,
            "state_id": state or False,
        }

    _PLACE_COLUMNS = "code, name, socr, level, region, context, zip, old_name, rank"

    @api.model
    def search_places(self, query, limit=10):
        """City suggestions for what the user typed: prefix matches (towns first), then
        matches inside the name; "ё" = "е"; a query typed in the Latin layout is tried
        as Russian too; "name, region" narrows by region / district."""
        limit = max(1, min(int(limit or 10), 50))
        text, _sep, narrow = (query or "").partition(",")
        narrow_keys = query_keys(narrow)
        cr = self.env.cr
        seen, found = set(), []

        def take(rows):
            for row in rows:
                if row[0] in seen or len(found) >= limit:
                    continue
                if narrow_keys and not any(k in search_key(row[5]) for k in narrow_keys):
                    continue
                seen.add(row[0])
                found.append(row)

        keys = query_keys(text)
        fetch = limit * 4 if narrow_keys else limit
        columns = self._PLACE_COLUMNS
        for key in keys:  # towns whose name starts so
            cr.execute(f"""SELECT {columns} FROM crm_kladr_place
                            WHERE rank <= 2 AND (search_key COLLATE "C") LIKE %s
                            ORDER BY (search_key COLLATE "C") LIMIT %s""",
                       [like_escape(key) + "%", fetch])
            take(sorted(cr.fetchall(), key=_place_order))
        for key in keys:  # any place whose name starts so
            if len(found) >= limit:
                break
            cr.execute(f"""SELECT {columns} FROM crm_kladr_place
                            WHERE (search_key COLLATE "C") LIKE %s
                            ORDER BY (search_key COLLATE "C") LIMIT %s""",
                       [like_escape(key) + "%", fetch + len(found)])
            take(sorted(cr.fetchall(), key=_place_order))
        for key in keys:  # the name contains it: towns, then a bounded sample of all
            if len(found) >= limit or len(key) < 3:
                break
            pattern = "%" + like_escape(key) + "%"
            cr.execute(f"""SELECT {columns} FROM crm_kladr_place
                            WHERE rank <= 2 AND search_key LIKE %s LIMIT 200""", [pattern])
            take(sorted(cr.fetchall(), key=_place_order))
            cr.execute(f"""SELECT {columns} FROM crm_kladr_place
                            WHERE search_key LIKE %s LIMIT 200""", [pattern])
            take(sorted(cr.fetchall(), key=_place_order))
        states = {region: self._state_for_region(region) for region in {r[4] for r in found}}
        return [self._place_row(row, states) for row in found]

    @api.model
    def search_streets(self, place_code, query, limit=10):
        """Street suggestions inside one place: prefix matches, then in-word ones."""
        limit = max(1, min(int(limit or 10), 50))
        cr = self.env.cr
        place_code = self.resolve_code(place_code)
        found, seen = [], set()
        keys = query_keys(query) or [""]
        patterns = [like_escape(k) + "%" for k in keys]
        patterns += ["%" + like_escape(k) + "%" for k in keys if len(k) >= 2]
        for pattern in patterns:
            if len(found) >= limit:
                break
            cr.execute("""SELECT code, name, socr, zip FROM crm_kladr_street
                           WHERE place_code = %s AND (search_key COLLATE "C") LIKE %s
                           ORDER BY (search_key COLLATE "C") LIMIT %s""",
                       [place_code, pattern, limit])
            for code, name, socr, zip_code in cr.fetchall():
                if code not in seen and len(found) < limit:
                    seen.add(code)
                    found.append({"code": code, "name": name, "type": socr,
                                  "label": f"{socr}. {name}" if socr else name,
                                  "street": f"{socr}. {name}" if socr else name,
                                  "zip": zip_code})
        if found and any(not s["zip"] for s in found):
            cr.execute("SELECT zip FROM crm_kladr_place WHERE code = %s LIMIT 1", [place_code])
            row = cr.fetchone()
            for street in found:
                street["zip"] = street["zip"] or (row and row[0]) or ""
        return found

    @api.model
    def search_houses(self, parent_code, query, limit=10):
        """House numbers of a street (or of a place without streets) from DOMA."""
        limit = max(1, min(int(limit or 10), 50))
        parent_code = self.resolve_code(parent_code)
        self.env.cr.execute("SELECT numbers, korp, zip FROM crm_kladr_house "
                            "WHERE parent_code = %s", [parent_code])
        key = search_key(query)
        found, seen = [], set()
        for numbers, _korp, zip_code in self.env.cr.fetchall():
            for number in house_numbers(numbers):
                if number.lower().startswith(key) and number not in seen:
                    seen.add(number)
                    found.append({"number": number, "label": number, "zip": zip_code})
        found.sort(key=lambda h: (len(re.match(r"\d*", h["number"]).group()),
                                  h["number"]))
        return found[:limit]

    @api.model
    def resolve_code(self, code):
        """The current code of an object known by an old code (ALTNAMES chain;
        an old-name code ending in 01–50 is the same object with 00)."""
        code = (code or "").strip()
        cr = self.env.cr
        for _step in range(20):
            cr.execute("SELECT new_code FROM crm_kladr_altname WHERE old_code = %s", [code])
            row = cr.fetchone()
            if not row:
                break
            code = row[0]
        if code.isdigit() and len(code) in (13, 17) and code[-2:] not in ("00", "51", "99"):
            code = code[:-2] + "00"
        return code

    @api.model
    def lookup(self, code):
        """The current place or street for a (possibly old) code, or None."""
        code = self.resolve_code(code)
        cr = self.env.cr
        cr.execute(f"SELECT {self._PLACE_COLUMNS} FROM crm_kladr_place "
                   "WHERE code = %s AND old_name IS NULL LIMIT 1", [code])
        row = cr.fetchone()
        if row:
            return self._place_row(row, {row[4]: self._state_for_region(row[4])})
        cr.execute("SELECT code, place_code, name, socr, zip FROM crm_kladr_street "
                   "WHERE code = %s LIMIT 1", [code])
        row = cr.fetchone()
        if row:
            return {"code": row[0], "place_code": row[1], "name": row[2], "type": row[3],
                    "zip": row[4], "street": f"{row[3]}. {row[2]}" if row[3] else row[2]}
        return None
