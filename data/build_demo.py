"""Build the embedded demo borough: wards, focus areas and two years of ASB incidents.

Everything here is made by this script (no data is copied from anywhere). The
demo is *modelled on* Redditch's published community safety figures: the 12
ward names and their 2017-18 / 2018-19 ASB totals, the July and October peaks,
and clusters in the town centre (Unicorn Hill, Market Place) and the district
centres. The ward polygons are a Voronoi sketch around hand-placed points:
**approximate, not official boundaries**.

Run ``python data/build_demo.py`` to rebuild ``data/demo/``; the output is the
same on every run (fixed random seed).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely import voronoi_polygons
from shapely.geometry import LineString, MultiPoint, Point, Polygon, mapping

OUT = Path(__file__).resolve().parent / "demo"
SEED = 2019

# Ward: (seed easting, seed northing, 2017-18 total, 2018-19 total). Published figures.
WARDS = {
    "Abbey": (404000, 267800, 603, 562),
    "Astwood Bank and Feckenham": (402300, 261300, 87, 84),
    "Batchley and Brockhill": (402600, 268900, 391, 309),
    "Central": (404400, 266600, 286, 269),
    "Church Hill": (405400, 269200, 280, 298),
    "Crabbs Cross": (403800, 263700, 91, 107),
    "Greenlands": (405300, 264700, 572, 550),
    "Headless Cross and Oakenshaw": (403300, 265300, 223, 267),
    "Lodge Park": (405300, 267000, 200, 207),
    "Matchborough": (406500, 265700, 286, 203),
    "West": (402600, 267300, 100, 91),
    "Winyates": (406800, 267700, 349, 256),
}
BOROUGH = Polygon(
    [(400600, 259600), (404400, 259000), (407300, 262800), (408300, 266600),
     (407900, 270300), (404600, 271000), (401200, 270300), (400300, 266000)]
)  # fmt: skip

# Hotspot spots: (name shown in Location, ward, easting, northing, share of the ward's incidents,
# spread in metres). The town centre has two named spots; each district centre one.
SPOTS = [
    ("Unicorn Hill", "Abbey", 404020, 267560, 0.22, 35),
    ("Market Place", "Abbey", 404180, 267480, 0.18, 35),
    ("Parking Area", "Abbey", 404330, 267700, 0.06, 40),
    ("Shopping Area", "Central", 404300, 267150, 0.20, 45),
    ("Woodrow Centre", "Greenlands", 405200, 264900, 0.22, 50),
    ("Matchborough Centre", "Matchborough", 406350, 265850, 0.22, 45),
    ("Winyates Centre", "Winyates", 406700, 267600, 0.22, 45),
    ("Church Hill Centre", "Church Hill", 405350, 269150, 0.20, 45),
    ("Batchley Centre", "Batchley and Brockhill", 402650, 268700, 0.15, 50),
    ("Evesham Road", "Headless Cross and Oakenshaw", 403450, 265450, 0.12, 50),
    ("Crabbs Cross Centre", "Crabbs Cross", 403700, 263850, 0.10, 50),
]
FOCUS_AREAS = [
    ("Town centre", "town centre", 404150, 267500, 450),
    ("Woodrow", "district centre", 405200, 264900, 300),
    ("Matchborough", "district centre", 406350, 265850, 300),
    ("Winyates", "district centre", 406700, 267600, 300),
    ("Church Hill", "district centre", 405350, 269150, 300),
    ("Batchley", "district centre", 402650, 268700, 300),
    ("Headless Cross", "district centre", 403450, 265450, 300),
    ("Crabbs Cross", "district centre", 403700, 263850, 300),
]
STREETS = ["Other Road", "Parking Area", "Footpath", "Supermarket", "Park/Open Space",
           "Sports/Recreation Area", "Pedestrian Subway", "Petrol Station", "Further/Higher Educational Building"]  # fmt: skip
CATEGORIES = {"Rowdy or nuisance behaviour": 0.45, "Youths causing annoyance": 0.25,
              "Vehicle nuisance": 0.12, "Street drinking": 0.08, "Neighbour nuisance": 0.10}  # fmt: skip
# Relative ASB by calendar month: spring low, July (summer holidays) and October (half-term) peaks.
MONTH_WEIGHT = {4: 7.5, 5: 7.0, 6: 8.5, 7: 11.5, 8: 9.5, 9: 8.0, 10: 11.0, 11: 8.0, 12: 7.0,
                1: 6.5, 2: 6.5, 3: 7.0}  # fmt: skip
HOUR_WEIGHT = np.array([2, 1.5, 1, 0.5, 0.3, 0.3, 0.5, 1, 1.5, 2, 2.5, 3,
                        3.5, 3.5, 4, 5, 6.5, 7.5, 8, 8, 7.5, 6, 4.5, 3])  # fmt: skip

# Made-up streets, EPSG:27700 vertices: (name, kind, [(easting, northing), ...]). Kinds: "main"
# (distributor roads), "local" and "pedestrian" (precincts). Streets named like a SPOTS place pass
# through that spot, so the place a hotspot is labelled with is the street under it.
ROADS = [
    ("Unicorn Hill", "local", [(403880, 267720), (403960, 267630), (404020, 267560), (404070, 267470)]),
    ("Market Place", "pedestrian", [(404070, 267470), (404180, 267480), (404290, 267500)]),
    ("Church Green", "local", [(404070, 267470), (404110, 267380), (404230, 267330)]),
    ("Alcester Street", "local", [(404290, 267500), (404330, 267700), (404360, 267900)]),
    ("Kingfisher Walk", "pedestrian", [(404180, 267480), (404230, 267330), (404300, 267150)]),
    ("Prospect Hill", "local", [(404020, 267560), (404200, 267640), (404330, 267700)]),
    ("Bates Hill", "local", [(404180, 267480), (404160, 267700), (404120, 267960)]),
    ("Evesham Road", "main", [(404070, 267470), (403900, 266800), (403600, 266000), (403450, 265450),
                              (403600, 264600), (403700, 263850), (403000, 262300), (402500, 261000)]),
    ("Birmingham Road", "main", [(404120, 267960), (404300, 268600), (405350, 269150),
                                 (405700, 270200)]),
    ("Coventry Highway", "main", [(404360, 267900), (405300, 268000), (406700, 267600),
                                  (407800, 267300)]),
    ("Woodrow Drive", "main", [(404300, 267150), (404800, 266200), (405200, 264900),
                               (405900, 264300)]),
    ("Matchborough Way", "main", [(405200, 264900), (405800, 265400), (406350, 265850),
                                  (406700, 267600)]),
    ("Bromsgrove Highway", "main", [(403880, 267720), (403200, 268000), (402650, 268700),
                                    (401300, 269600)]),
    ("Plymouth Road", "local", [(403900, 266800), (403200, 267000), (402300, 267200)]),
    ("Headless Cross Drive", "local", [(403450, 265450), (402900, 265800), (402500, 266300)]),
    ("Greenlands Drive", "local", [(404800, 266200), (405300, 266900), (405900, 267100)]),
    ("Woodrow Centre", "pedestrian", [(405120, 264860), (405200, 264900), (405290, 264950)]),
    ("Matchborough Centre", "pedestrian", [(406270, 265820), (406350, 265850), (406440, 265890)]),
    ("Winyates Centre", "pedestrian", [(406620, 267560), (406700, 267600), (406790, 267640)]),
    ("Church Hill Centre", "pedestrian", [(405270, 269110), (405350, 269150), (405440, 269190)]),
    ("Batchley Centre", "pedestrian", [(402570, 268660), (402650, 268700), (402740, 268740)]),
    ("Crabbs Cross Centre", "pedestrian", [(403620, 263810), (403700, 263850), (403790, 263890)]),
    ("Feckenham Road", "main", [(403000, 262300), (404400, 261800), (406000, 262900)]),
    ("Holloway Lane", "local", [(405200, 264900), (404600, 264200), (403600, 264600)]),
]  # fmt: skip

_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def ward_polygons() -> dict[str, Polygon]:
    """Voronoi cells of the ward seed points, clipped to the borough outline."""
    seeds = MultiPoint([Point(x, y) for x, y, *_ in WARDS.values()])
    cells = voronoi_polygons(seeds, extend_to=BOROUGH.buffer(5000))
    out = {}
    for name, (x, y, *_) in WARDS.items():
        cell = next(c for c in cells.geoms if c.contains(Point(x, y)))
        out[name] = cell.intersection(BOROUGH).simplify(1.0)
    return out


def _inside(poly: Polygon, rng: np.random.Generator, centre=None, spread=None) -> tuple[int, int]:
    """A whole-metre point strictly inside ``poly`` (at least 15 m from its edge)."""
    inner = poly.buffer(-15)
    minx, miny, maxx, maxy = poly.bounds
    while True:
        if centre is None:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        else:
            x, y = rng.normal(centre[0], spread), rng.normal(centre[1], spread)
        x, y = round(x), round(y)
        if inner.contains(Point(x, y)):
            return x, y


def _dates(n: int, fy_start: int, rng: np.random.Generator) -> list[str]:
    months = np.array(list(MONTH_WEIGHT))
    weights = np.array(list(MONTH_WEIGHT.values()), dtype=float)
    chosen = rng.choice(months, size=n, p=weights / weights.sum())
    out = []
    for m in chosen:
        year = fy_start if m >= 4 else fy_start + 1
        days = 31 if m in (1, 3, 5, 7, 8, 10, 12) else 30 if m != 2 else 28
        if m == 10 and rng.random() < 0.45:  # half-term and Halloween week
            day = int(rng.integers(22, 32))
        else:
            day = int(rng.integers(1, days + 1))
        hour = int(rng.choice(24, p=HOUR_WEIGHT / HOUR_WEIGHT.sum()))
        minute = int(rng.integers(0, 60))
        out.append(f"{day:02d}/{m:02d}/{year} {hour:02d}:{minute:02d}")
    return out


def incidents(polys: dict[str, Polygon], rng: np.random.Generator) -> list[dict]:
    """Incidents for both financial years, ward totals exactly as published."""
    rows = []
    cats, cat_p = list(CATEGORIES), np.array(list(CATEGORIES.values()))
    for fy_start, col in ((2017, 2), (2018, 3)):
        for ward, spec in WARDS.items():
            total = spec[col]
            spots = [s for s in SPOTS if s[1] == ward]
            counts = [round(total * s[4] * rng.uniform(0.85, 1.15)) for s in spots]
            places = []
            for (name, _, x, y, _, spread), k in zip(spots, counts):
                places += [(_inside(polys[ward], rng, (x, y), spread), name) for _ in range(k)]
            while len(places) < total:
                places.append((_inside(polys[ward], rng), str(rng.choice(STREETS))))
            for ((x, y), place), when in zip(places[:total], _dates(total, fy_start, rng)):
                rows.append({"reported_at": when, "category": str(rng.choice(cats, p=cat_p)),
                             "easting": x, "northing": y, "location": f"On or near {place}"})  # fmt: skip
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    for i, row in enumerate(rows, start=1):
        row["case_ref"] = f"ASB-{i:05d}"
    return rows


# A handful of rows as real exports have them, to show the rejects file at work.
BAD_ROWS = [
    {"case_ref": "ASB-90001", "reported_at": "14/07/2018 21:10", "category": "Youths causing annoyance",
     "easting": "", "northing": "", "location": "Address withheld"},
    {"case_ref": "ASB-90002", "reported_at": "31/13/2018 22:00", "category": "Rowdy or nuisance behaviour",
     "easting": "404100", "northing": "267500", "location": "On or near Unicorn Hill"},
    {"case_ref": "ASB-90003", "reported_at": "02/10/2018 19:30", "category": "Vehicle nuisance",
     "easting": "0", "northing": "0", "location": "On or near Other Road"},
    {"case_ref": "ASB-90004", "reported_at": "", "category": "Street drinking",
     "easting": "404200", "northing": "267400", "location": "On or near Market Place"},
    {"case_ref": "ASB-90005", "reported_at": "28/10/2018 20:45", "category": "Youths causing annoyance",
     "easting": "267500", "northing": "404100", "location": "On or near Market Place"},
]  # fmt: skip


def _geojson(polys: dict[str, Polygon]) -> str:
    features = []
    for i, (name, poly) in enumerate(sorted(polys.items()), start=1):
        geom = shapely.transform(
            poly, lambda xy: np.column_stack(_TO_WGS84.transform(xy[:, 0], xy[:, 1]))
        )
        geom = json.loads(json.dumps(mapping(geom)), parse_float=lambda s: round(float(s), 6))
        features.append({"type": "Feature",
                         "properties": {"ward_code": f"DEMO{i:02d}", "ward_name": name,
                                        "note": "approximate demo boundary, not official"},
                         "geometry": geom})  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "name": "demo_wards", "features": features})


def _to_wgs84(geom):
    geom = shapely.transform(
        geom, lambda xy: np.column_stack(_TO_WGS84.transform(xy[:, 0], xy[:, 1]))
    )
    return json.loads(json.dumps(mapping(geom)), parse_float=lambda s: round(float(s), 6))


def _roads_geojson() -> str:
    """The made-up streets as GeoJSON (EPSG:4326), clipped to the borough."""
    features = []
    for name, kind, coords in ROADS:
        line = LineString(coords).intersection(BOROUGH)
        if line.is_empty:
            continue
        features.append({"type": "Feature",
                         "properties": {"name": name, "kind": kind,
                                        "note": "made-up demo street, not the real street plan"},
                         "geometry": _to_wgs84(line)})  # fmt: skip
    return json.dumps({"type": "FeatureCollection", "name": "demo_roads", "features": features})


def _focus_toml() -> str:
    lines = ["# Demo focus areas (approximate; made by data/build_demo.py).", ""]
    for name, kind, x, y, r in FOCUS_AREAS:
        lines += ["[[area]]", f'name = "{name}"', f'kind = "{kind}"',
                  f"easting = {x}", f"northing = {y}", f"radius_m = {r}", ""]  # fmt: skip
    return "\n".join(lines)


def build(out: Path = OUT) -> list[Path]:
    """Write the demo files into ``out`` and return their paths."""
    rng = np.random.default_rng(SEED)
    polys = ward_polygons()
    rows = incidents(polys, rng)
    buf = io.StringIO()
    fields = ["case_ref", "reported_at", "category", "easting", "northing", "location"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows[:1500] + BAD_ROWS + rows[1500:])
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "wards.geojson": _geojson(polys),
        "focus_areas.toml": _focus_toml(),
        "incidents.csv": buf.getvalue(),
        "roads.geojson": _roads_geojson(),
    }
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
    return [out / n for n in files]


if __name__ == "__main__":
    for path in build():
        print(path)
