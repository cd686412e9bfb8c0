"""crm_kladr: a country-sized KLADR import and the suggestion latency on it.

    python3 bench/crm_kladr.py [--places 220000] [--streets 1300000] [--queries 1000]

Generates KLADR.DBF / STREET.DBF / SOCRBASE.DBF / ALTNAMES.DBF in the official layout
(CP866, the FNS field widths) with about as many places and streets as the whole
country, imports them as a user's upload would be (DBF reading, COPY, indexes, swap),
then asks 1,000 city and 1,000 street suggestions through the method the widget's
route calls. The same latencies on a 10,000-place table show how the search scales.
"""

import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import arg_parser, bench_main, peak_rss_mib, progress

STEMS = ["Иван", "Петр", "Берез", "Сосн", "Красн", "Нов", "Стар", "Бел", "Черн", "Зелен",
         "Гор", "Озер", "Камен", "Лес", "Пол", "Сел", "Ключ", "Боров", "Дуб", "Лип",
         "Ольх", "Елан", "Мих", "Никол", "Алекс", "Сергие", "Дмитр", "Покров", "Воскрес",
         "Успен", "Троиц", "Богород", "Введен", "Знамен", "Рождеств", "Спас", "Ильин",
         "Федор", "Григор", "Семен", "Степан", "Андре", "Василь", "Кузьмин", "Марьин",
         "Волч", "Медвеж", "Лис", "Заяч", "Орл", "Сокол", "Ястреб", "Журавл", "Лебед",
         "Ёлк", "Рябин", "Калин", "Малин", "Смородин", "Вишн"]
ENDINGS = ["овка", "ово", "ино", "ское", "ск", "ец", "ки", "ичи", "ая Горка", "ый Бор",
           "ая Поляна", "цы", "ищи", "ье", "ево"]
PLACE_TYPES = ["с", "д", "п", "х", "ст-ца", "рп"]
STREET_NAMES = ["Ленина", "Советская", "Мира", "Садовая", "Школьная", "Молодежная",
                "Лесная", "Центральная", "Новая", "Набережная", "Полевая", "Заречная",
                "Зелёная", "Пионерская", "Октябрьская", "Комсомольская", "Гагарина",
                "Кирова", "Первомайская", "Пушкина", "Чехова", "Горького", "Луговая",
                "Строителей", "Рабочая", "Солнечная"]
STREET_TYPES = ["ул", "пер", "пр-кт", "проезд", "б-р", "ш"]


def args():
    parser = arg_parser()
    parser.add_argument("--places", type=int, default=220_000)
    parser.add_argument("--streets", type=int, default=1_300_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--small", type=int, default=10_000)
    return parser.parse_known_args()[0]


def generate(folder, places, streets, rng):
    """The distribution, region by region: a region, its districts, towns and
    villages; streets mostly in towns (as in reality), a few per village."""
    from odoo.addons.crm_kladr.utils.dbf_writer import write_dbf

    regions = [r for r in range(1, 90) if r not in (77, 78)][:83] + [77, 78]
    per_region = max(1, places // len(regions))
    towns_per_region = max(1, per_region // 200)
    place_rows, place_codes, town_codes = [], [], []
    for region in regions:
        ss = f"{region:02d}"
        if region in (77, 78):
            name = "Москва" if region == 77 else "Санкт-Петербург"
            place_rows.append({"NAME": name, "SOCR": "г", "CODE": ss + "0" * 11,
                               "INDEX": "", "STATUS": "0"})
            town_codes.append(ss + "0" * 11)
            continue
        place_rows.append({"NAME": rng.choice(STEMS) + "ская", "SOCR": "обл",
                           "CODE": ss + "0" * 11, "STATUS": "0"})
        for town in range(1, towns_per_region + 1):
            code = f"{ss}000{town:03d}00000"
            place_rows.append({"NAME": rng.choice(STEMS) + rng.choice(["ск", "ов", "град"]),
                               "SOCR": "г", "CODE": code, "INDEX": f"{region:02d}{town:04d}",
                               "STATUS": "2" if town == 1 else "0"})
            town_codes.append(code)
        districts = 30
        villages = per_region - towns_per_region - districts
        for district in range(1, districts + 1):
            place_rows.append({"NAME": rng.choice(STEMS) + "ский", "SOCR": "р-н",
                               "CODE": f"{ss}{district:03d}00000000", "STATUS": "0"})
        for village in range(villages):
            district, number = village % districts + 1, village // districts + 1
            code = f"{ss}{district:03d}000{number:03d}00"
            place_rows.append({"NAME": rng.choice(STEMS) + rng.choice(ENDINGS),
                               "SOCR": rng.choice(PLACE_TYPES), "CODE": code, "STATUS": "0"})
            place_codes.append(code)
    write_dbf(os.path.join(folder, "KLADR.DBF"), "KLADR", place_rows)

    def street_rows():
        big = {code: 6000 for code in town_codes if code[:2] in ("77", "78")}
        town_share = int(streets * 0.55) - sum(big.values())
        per_town = max(1, town_share // max(1, len(town_codes) - len(big)))
        per_village = (streets - town_share - sum(big.values())) / max(1, len(place_codes))
        for code in town_codes + place_codes:
            count = big.get(code) or (
                per_town if code in town_set
                else int(per_village) + (rng.random() < per_village % 1))
            for number in range(1, min(count, 9999) + 1):
                base = STREET_NAMES[number % len(STREET_NAMES)]
                name = base if number <= len(STREET_NAMES) else \
                    f"{rng.choice(STEMS)}{rng.choice(['ская', 'овая', 'инская'])}"
                yield {"NAME": name, "SOCR": rng.choice(STREET_TYPES),
                       "CODE": f"{code[:11]}{number:04d}00", "INDEX": code[:6]}

    town_set = set(town_codes)
    write_dbf(os.path.join(folder, "STREET.DBF"), "STREET", street_rows())
    write_dbf(os.path.join(folder, "SOCRBASE.DBF"), "SOCRBASE", [
        {"LEVEL": str(level), "SCNAME": socr, "SOCRNAME": name}
        for level, socr, name in [(1, "обл", "Область"), (1, "г", "Город"),
                                  (2, "р-н", "Район"), (3, "г", "Город"),
                                  (4, "с", "Село"), (4, "д", "Деревня"),
                                  (4, "п", "Поселок"), (5, "ул", "Улица")]])
    write_dbf(os.path.join(folder, "ALTNAMES.DBF"), "ALTNAMES", [])
    return place_rows, town_codes, place_codes


def queries(rng, place_rows, count):
    """What people type: 2 to 6 first letters of a real name, now and then with "е"
    for "ё", in the Latin layout, or a piece from inside the name."""
    from odoo.addons.crm_kladr.utils.text import _LATIN_KEYS, _RUSSIAN_KEYS

    latin = dict(zip(_RUSSIAN_KEYS, _LATIN_KEYS, strict=True))
    names = [row["NAME"] for row in place_rows if row["SOCR"] not in ("обл", "р-н")]
    result = []
    for _ in range(count):
        name = rng.choice(names)
        kind = rng.random()
        if kind < 0.1 and len(name) > 5:
            start = rng.randint(1, len(name) - 4)
            result.append(name[start:start + 4])
        else:
            text = name[:rng.randint(2, 6)]
            if kind < 0.2:  # typed with the keyboard in the Latin layout
                text = "".join(latin.get(ch, ch) for ch in text.lower())
            elif kind < 0.3:
                text = text.replace("ё", "е")
            result.append(text)
    return result


def latencies(call, inputs):
    for value in inputs[:50]:  # warm the caches first, as a running server has them
        call(value)
    times = []
    for value in inputs:
        started = time.perf_counter()
        call(value)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[int(len(times) * 0.95) - 1], statistics.median(times)


def run_size(env, report, label, places, streets, nqueries, rng, full):
    folder = tempfile.mkdtemp(prefix="kladr_bench_")
    try:
        progress(f"{label}: generating {places:,} places and {streets:,} streets")
        started = time.perf_counter()
        place_rows, town_codes, village_codes = generate(folder, places, streets, rng)
        progress(f"{label}: generated in {time.perf_counter() - started:.0f} s; importing")
        job = env["crm.kladr.import"].create({"origin": "folder", "folder": folder})
        started = time.perf_counter()
        job.action_run_now()
        elapsed = time.perf_counter() - started
        assert job.state == "done", job.error
        env.cr.commit()
        if full:
            report("import of the whole country (KLADR.DBF + STREET.DBF)", elapsed, "s",
                   "< 600 s")
            report("imported places", job.places, "rows", "about 220,000")
            report("imported streets", job.streets, "rows", "about 1,300,000")
            report("import rate", (job.places + job.streets) / elapsed, "rows/s",
                   "> 5,000 rows/s")
        suggest = env["crm.kladr.suggest"].suggest
        city_inputs = queries(rng, place_rows, nqueries)
        p95, median = latencies(lambda q: suggest("city", query=q), city_inputs)
        report(f"city suggestion p95, {label}", p95, "ms", "< 30 ms")
        report(f"city suggestion median, {label}", median, "ms", "< 10 ms")
        targets = [(rng.choice(town_codes if rng.random() < 0.8 else village_codes))
                   for _ in range(nqueries)]
        street_inputs = [(code, rng.choice(["", "Л", "Сов", "Мир", "ская", "Пушк", "cjd"]))
                         for code in targets]
        p95_street, median_street = latencies(
            lambda item: suggest("street", query=item[1], place_code=item[0]), street_inputs)
        report(f"street suggestion p95, {label}", p95_street, "ms", "< 30 ms")
        report(f"street suggestion median, {label}", median_street, "ms", "< 10 ms")
        return p95, p95_street
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def measure(env, report):
    options = args()
    rng = random.Random(4)
    small_city, small_street = run_size(env, report, f"{options.small:,} places",
                                        options.small, options.small * 6, options.queries,
                                        rng, full=False)
    big_city, big_street = run_size(env, report, f"{options.places:,} places",
                                    options.places, options.streets, options.queries, rng,
                                    full=True)
    report("city p95 ratio, country / 10,000 places", big_city / small_city, "x",
           "< 3x (indexed search grows slowly)")
    report("street p95 ratio, country / 10,000 places", big_street / small_street, "x",
           "< 3x")
    report("peak memory", peak_rss_mib(), "MiB", "< 2,048 MiB")


if __name__ == "__main__":
    sys.exit(bench_main(["crm_kladr"], measure, with_test_addons=False))
