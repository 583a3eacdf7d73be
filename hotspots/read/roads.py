"""Streets as a map layer: read a road file, keep what a map shows, place the names.

``--roads FILE`` takes any line layer geopandas reads (OS Open Roads
GeoPackage or shapefile, OpenStreetMap extracts, the demo's
``data/demo/roads.geojson``). The name column is detected (``name``,
``name1``, ``road_name``, ``street`` ...; OS Open Roads' ``roadNumber`` when
a road has no name) and so is a road class (``roadClassification``,
``highway``, ``kind``), which only sets line widths. The layer needs no tiles
and no network: every map can draw its streets from it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import InputFileError
from hotspots._validate import ANALYSIS_CRS

log = logging.getLogger(__name__)

#: Columns tried, in order, for a road's name (compared case-insensitively).
NAME_COLUMNS = ("name", "name1", "road_name", "roadname", "street", "street_name",
                "streetname", "name_1", "rd_name")  # fmt: skip
#: Columns holding a road number (used when the name is blank), e.g. "A441".
NUMBER_COLUMNS = ("roadnumber", "road_number", "ref", "number")
#: Columns tried for the road class.
CLASS_COLUMNS = ("kind", "roadclassification", "road_class", "class", "highway", "fclass")
_MAIN = ("main", "motorway", "a road", "b road", "trunk", "primary", "secondary", "a", "b")


def _find(columns, candidates) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def read_roads(path: str | Path, *, bbox: tuple[float, float, float, float] | None = None) -> gpd.GeoDataFrame:
    """Read a road layer: names, a main/local class and lines in EPSG:27700.

    Parameters
    ----------
    path : str or Path
        Any line layer geopandas reads (GeoPackage, shapefile, GeoJSON).
    bbox : tuple, optional
        ``(xmin, ymin, xmax, ymax)`` in EPSG:27700: keep only roads there (read
        filtered, so a national OS Open Roads file stays quick).

    Returns
    -------
    geopandas.GeoDataFrame
        ``name`` ("" when unnamed), ``kind`` ("main" or "local"), line geometry
        (EPSG:27700).

    Raises
    ------
    InputFileError
        When the file cannot be read, holds no lines, or has no name column.

    Examples
    --------
    >>> from boundaries import get_path
    >>> roads = read_roads(get_path("demo-roads"))
    >>> "Unicorn Hill" in set(roads["name"]), roads.crs.to_epsg()
    (True, 27700)
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "does not exist", "a road layer (GeoPackage, shapefile, GeoJSON)")
    try:
        if bbox is not None:
            info = gpd.read_file(path, rows=1)
            crs = info.crs or ANALYSIS_CRS
            box_in = gpd.GeoSeries.from_xy([bbox[0], bbox[2]], [bbox[1], bbox[3]], crs=ANALYSIS_CRS)
            x0, x1 = box_in.to_crs(crs).x
            y0, y1 = box_in.to_crs(crs).y
            frame = gpd.read_file(path, bbox=(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        else:
            frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputFileError(path, f"cannot be read as a map layer ({exc})",
                             "a road layer (GeoPackage, shapefile, GeoJSON)") from None  # fmt: skip
    if frame.crs is None:
        raise InputFileError(path, "has no coordinate reference system",
                             "a layer with its CRS set (EPSG:27700 or EPSG:4326)")  # fmt: skip
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    lines = frame.geom_type.isin(["LineString", "MultiLineString"])
    if len(frame) and not lines.any():
        raise InputFileError(path, f"holds {sorted(set(frame.geom_type))} geometries",
                             "road lines (LineString or MultiLineString)")  # fmt: skip
    frame = frame[lines]
    name_col = _find(frame.columns, NAME_COLUMNS)
    number_col = _find(frame.columns, NUMBER_COLUMNS)
    if name_col is None and number_col is None:
        raise InputFileError(
            path, f"has no road name column (columns: {list(frame.columns)!r})",
            f"a name column called one of {list(NAME_COLUMNS)!r}",
        )  # fmt: skip
    names = pd.Series("", index=frame.index, dtype=object)
    if number_col is not None:
        names = frame[number_col].fillna("").astype(str).str.strip()
    if name_col is not None:
        named = frame[name_col].fillna("").astype(str).str.strip()
        names = named.where(named != "", names)
    class_col = _find(frame.columns, CLASS_COLUMNS)
    kind = pd.Series("local", index=frame.index, dtype=object)
    if class_col is not None:
        cls = frame[class_col].fillna("").astype(str).str.strip().str.lower()
        kind = kind.where(~cls.isin(_MAIN), "main")
    out = gpd.GeoDataFrame(
        {"name": names.to_numpy(), "kind": kind.to_numpy()},
        geometry=frame.geometry.to_crs(ANALYSIS_CRS).to_numpy(),
        crs=ANALYSIS_CRS,
    )
    log.info("roads: %d lines (%d named) from %s", len(out), int((out["name"] != "").sum()), path)
    return out


def clip_roads(roads: gpd.GeoDataFrame, bounds, *, pad_m: float = 300.0) -> gpd.GeoDataFrame:
    """The roads within ``bounds`` (EPSG:27700 ``xmin, ymin, xmax, ymax``) plus a margin.

    Examples
    --------
    >>> from boundaries import get_path
    >>> roads = read_roads(get_path("demo-roads"))
    >>> len(clip_roads(roads, (404000, 267400, 404200, 267600))) < len(roads)
    True
    """
    x0, y0, x1, y1 = (float(v) for v in bounds)
    return roads.cx[x0 - pad_m : x1 + pad_m, y0 - pad_m : y1 + pad_m]


def name_points(roads: gpd.GeoDataFrame, *, min_length_m: float = 60.0) -> gpd.GeoDataFrame:
    """One label place per road name: the middle of its longest piece, and the line's angle there.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        From :func:`read_roads` (EPSG:27700).
    min_length_m : float, default 60
        Pieces shorter than this get no label.

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``angle`` (degrees, -90 to 90, so text is never upside down),
        point geometry (EPSG:27700).

    Examples
    --------
    >>> from boundaries import get_path
    >>> pts = name_points(read_roads(get_path("demo-roads")))
    >>> pts["name"].is_unique, "Market Place" in set(pts["name"])
    (True, True)
    """
    named = roads[roads["name"] != ""].explode(index_parts=False)
    named = named.assign(_len=named.geometry.length)
    named = named[named["_len"] >= min_length_m]
    if named.empty:
        return gpd.GeoDataFrame({"name": [], "angle": []}, geometry=[], crs=ANALYSIS_CRS)
    longest = named.sort_values("_len", ascending=False).drop_duplicates("name")
    lines = longest.geometry
    mid = lines.interpolate(0.5, normalized=True)
    ahead = lines.interpolate(np.minimum(0.5 + 15.0 / longest["_len"], 1.0), normalized=True)
    behind = lines.interpolate(np.maximum(0.5 - 15.0 / longest["_len"], 0.0), normalized=True)
    angle = np.degrees(np.arctan2(ahead.y - behind.y, ahead.x - behind.x))
    angle = (angle + 90.0) % 180.0 - 90.0
    return gpd.GeoDataFrame(
        {"name": longest["name"].to_numpy(), "angle": np.round(angle.to_numpy(), 1)},
        geometry=mid.to_numpy(),
        crs=ANALYSIS_CRS,
    ).sort_values("name", ignore_index=True)
