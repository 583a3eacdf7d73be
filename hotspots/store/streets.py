"""The store's streets: kept with its boundaries, so every map draws them with no option.

A ``streets`` table (EPSG:27700 lines with ``name``, ``kind`` and
``attribution``, as :func:`hotspots.read.roads.read_roads` gives them) and a
``boundaries`` row of kind ``streets`` naming where they came from. The table
is made the first time streets are stored, so stores made before it need no
new layout. Storing streets replaces those stored before, in one transaction,
and raises the store version (the web app then draws the new ones).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging

import geopandas as gpd

from hotspots._validate import ANALYSIS_CRS

log = logging.getLogger(__name__)

_GPKG_DDL = (
    "CREATE TABLE IF NOT EXISTS streets (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY, "
    "name TEXT, kind TEXT, attribution TEXT)",
    "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
    "VALUES ('streets', 'features', 'streets', 'streets drawn on the maps', 27700)",
    "INSERT OR IGNORE INTO gpkg_geometry_columns VALUES ('streets', 'geom', 'GEOMETRY', 27700, 0, 0)",
)
_POSTGIS_DDL = (
    "CREATE TABLE IF NOT EXISTS streets (fid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
    "geom geometry(Geometry, 27700), name TEXT, kind TEXT, attribution TEXT)",
)


def _has_table(store) -> bool:
    b = store.backend
    if b.name == "PostGIS":
        return bool(store._query("SELECT to_regclass('streets') IS NOT NULL")[0][0])
    return bool(
        store._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'streets'")
    )


def write_streets(store, roads: gpd.GeoDataFrame, *, source: str) -> int:
    """Keep ``roads`` as the store's streets (replacing any stored before); their count.

    Parameters
    ----------
    store : hotspots store
        Open, writable.
    roads : geopandas.GeoDataFrame
        From :func:`hotspots.read.roads.read_roads` / :func:`hotspots.read.roads.as_roads`.
    source : str
        Where they came from (a file name, "OpenStreetMap (Overpass)"), kept in
        the ``boundaries`` table.
    """
    b = store.backend
    roads = roads.to_crs(ANALYSIS_CRS)
    attribution = (
        roads["attribution"].fillna("").astype(str) if "attribution" in roads else [""] * len(roads)
    )
    digest = hashlib.sha256()
    for name, geom in zip(roads["name"], roads.geometry):
        digest.update(f"{name}|{geom.wkt}\n".encode())
    attrs = {"lines": len(roads), "attribution": sorted({a for a in attribution if a})}
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with b.transaction() as cur:
        for sql in _POSTGIS_DDL if b.name == "PostGIS" else _GPKG_DDL:
            cur.execute(sql)
        cur.execute("DELETE FROM streets")
        cur.execute(b.q("DELETE FROM boundaries WHERE kind = 'streets'"))
        cur.executemany(
            b.q(f"INSERT INTO streets (geom, name, kind, attribution) VALUES ({b.geom_sql}, ?, ?, ?)"),
            [(b.geom_param(g), str(n), str(k), str(a))
             for g, n, k, a in zip(roads.geometry, roads["name"], roads["kind"], attribution)],
        )  # fmt: skip
        cur.execute(
            b.q("INSERT INTO boundaries (kind, file_name, checksum, vintage, tolerance_m, attrs, "
                "loaded_at) VALUES ('streets', ?, ?, NULL, NULL, ?, ?)"),
            (source, digest.hexdigest(), json.dumps(attrs), now),
        )  # fmt: skip
        cur.execute("SELECT value FROM store_info WHERE key = 'version'")
        version = int(cur.fetchone()[0])
        cur.execute(
            b.q("UPDATE store_info SET value = ? WHERE key = 'version'"), (str(version + 1),)
        )
        if len(roads):
            b.after_write(cur, {"streets": roads.total_bounds})
    log.info("stored %d street lines from %s", len(roads), source)
    return len(roads)


def read_streets(store) -> gpd.GeoDataFrame | None:
    """The store's streets (``name``, ``kind``, ``attribution``, EPSG:27700), or None."""
    if not _has_table(store):
        return None
    b = store.backend
    rows = store._query(
        f"SELECT name, kind, attribution, {b.geom_select} FROM streets ORDER BY fid"
    )
    if not rows:
        return None
    return gpd.GeoDataFrame(
        {
            "name": [r[0] or "" for r in rows],
            "kind": [r[1] or "local" for r in rows],
            "attribution": [r[2] or "" for r in rows],
        },
        geometry=[b.read_geom(r[3]) for r in rows],
        crs=ANALYSIS_CRS,
    )
