"""Focus areas: the town centre and district centres, as named polygons.

Focus areas are kept in a small TOML file, one ``[[area]]`` table each::

    [[area]]
    name = "Town centre"
    kind = "town centre"          # or "district centre"
    lat = 52.3063                 # a point and a radius ...
    lon = -1.9405
    radius_m = 450

    [[area]]
    name = "Woodrow"
    kind = "district centre"
    easting = 404650              # ... the point may be on British National Grid
    northing = 264890
    radius_m = 300

    [[area]]
    name = "Market Place"
    kind = "town centre"
    polygon = [[-1.9421, 52.3071], [-1.9400, 52.3071], [-1.9400, 52.3058], [-1.9421, 52.3058]]

A GeoJSON/GeoPackage of polygons with ``name`` (and optional ``kind``)
properties works too.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, Polygon

from hotspots._errors import ConfigError
from hotspots._validate import ANALYSIS_CRS, WEB_CRS, to_analysis_crs
from hotspots.read.geocode import lonlat_to_bng

AREA_KINDS = ("town centre", "district centre", "other")


def _area_geometry(entry: dict, where: str) -> Polygon:
    radius = entry.get("radius_m")
    if "polygon" in entry:
        try:
            lon, lat = np.asarray(entry["polygon"], dtype=float).reshape(-1, 2).T
        except (ValueError, TypeError):
            raise ConfigError(f"{where}: polygon must be a list of [lon, lat] pairs") from None
        if len(lon) < 3:
            raise ConfigError(f"{where}: polygon needs 3 or more [lon, lat] corners")
        x, y = lonlat_to_bng(lon, lat)
        poly = Polygon(zip(x, y))
        if not poly.is_valid:
            raise ConfigError(f"{where}: polygon needs 3 or more [lon, lat] corners, not crossing")
        return poly
    if radius is None or float(radius) <= 0:
        raise ConfigError(
            f"{where}: give radius_m (metres, > 0) with the centre point, or a polygon"
        )
    if "lat" in entry and "lon" in entry:
        x, y = lonlat_to_bng([entry["lon"]], [entry["lat"]])
        centre = Point(float(x[0]), float(y[0]))
    elif "easting" in entry and "northing" in entry:
        centre = Point(float(entry["easting"]), float(entry["northing"]))
    else:
        raise ConfigError(
            f"{where}: give a centre (lat and lon, or easting and northing) with radius_m, "
            "or a polygon of [lon, lat] pairs"
        )
    return centre.buffer(float(radius), quad_segs=16)


def read_focus_areas(path: str | Path) -> gpd.GeoDataFrame:
    """Read focus areas from a TOML config or a polygon layer.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` file (see the module notes), or GeoJSON/GeoPackage polygons
        with ``name`` and optionally ``kind`` properties.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``kind``, ``geometry`` (EPSG:27700), in the file's order.

    Raises
    ------
    ConfigError
        Naming the file and the entry that is wrong.

    Examples
    --------
    >>> from boundaries import get_path
    >>> areas = read_focus_areas(get_path("demo-focus-areas"))
    >>> areas.loc[0, "name"], areas.crs.to_epsg()
    ('Town centre', 27700)
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"focus area file {str(path)!r} does not exist")
    if path.suffix.lower() != ".toml":
        frame = gpd.read_file(path)
        if "name" not in frame.columns:
            raise ConfigError(
                f"{path}: polygons need a 'name' property (has {list(frame.columns)!r})"
            )
        kind = frame["kind"] if "kind" in frame.columns else "other"
        out = gpd.GeoDataFrame(
            {"name": frame["name"].astype(str), "kind": kind},
            geometry=frame.geometry,
            crs=frame.crs or WEB_CRS,
        )
        return to_analysis_crs(out)
    try:
        config = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    entries = config.get("area", [])
    if not isinstance(entries, list) or not entries:
        raise ConfigError(
            f"{path}: no [[area]] tables found; see hotspots.read.places for the format"
        )
    rows = []
    for i, entry in enumerate(entries, start=1):
        where = f"{path} area {i}"
        name = str(entry.get("name", "")).strip()
        if not name:
            raise ConfigError(f"{where}: every area needs a name")
        kind = entry.get("kind", "other")
        if kind not in AREA_KINDS:
            raise ConfigError(f"{where} ({name}): kind must be one of {AREA_KINDS!r}, got {kind!r}")
        rows.append(
            {"name": name, "kind": kind, "geometry": _area_geometry(entry, f"{where} ({name})")}
        )
    names = [r["name"] for r in rows]
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: area names must be unique; got {names!r}")
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=ANALYSIS_CRS)


def tag_focus_areas(geometries: gpd.GeoSeries, areas: gpd.GeoDataFrame | None) -> pd.Series:
    """Name the focus area each geometry falls in ("" where none).

    A point takes the area containing it; a polygon (a cluster hull) the area
    it overlaps most. Where areas overlap, the one listed first wins ties.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> areas = gpd.GeoDataFrame({"name": ["Centre"], "kind": ["town centre"]},
    ...                          geometry=[Point(0, 0).buffer(100)], crs=27700)
    >>> tag_focus_areas(gpd.GeoSeries([Point(10, 10), Point(500, 0)], crs=27700), areas).tolist()
    ['Centre', '']
    """
    out = pd.Series("", index=geometries.index, dtype=object)
    if areas is None or areas.empty or geometries.empty:
        return out
    geoms = geometries.to_crs(ANALYSIS_CRS).reset_index(drop=True)
    polys = to_analysis_crs(areas).reset_index(drop=True)
    hit_g, hit_a = polys.sindex.query(geoms, predicate="intersects")
    if not len(hit_g):
        return out
    overlap = np.array(
        [
            geoms.iloc[g].intersection(polys.geometry.iloc[a]).area if geoms.iloc[g].area else 1.0
            for g, a in zip(hit_g, hit_a)
        ]
    )
    best = pd.DataFrame({"g": hit_g, "a": hit_a, "overlap": overlap})
    best = best.sort_values(["g", "overlap", "a"], ascending=[True, False, True]).drop_duplicates(
        "g"
    )
    names = out.to_numpy(copy=True)
    names[best["g"].to_numpy()] = polys["name"].to_numpy()[best["a"].to_numpy()]
    return pd.Series(names, index=geometries.index, dtype=object)
