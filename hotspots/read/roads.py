"""Streets as a map layer: read a road file, keep what a map shows, place the names.

``--roads FILE`` takes any line layer geopandas reads (OS Open Roads
GeoPackage or shapefile, the streets ``hotspots fetch streets`` writes, the
demo's ``data/demo/roads.geojson``) and OpenStreetMap extracts (``.osm.pbf``,
as published per English county; read with osmium, its ``highway`` ways). The
name column is detected (``name``,
``name1``, ``road_name``, ``street`` ...; OS Open Roads' ``roadNumber`` when
a road has no name) and so is a road class (``roadClassification``,
``highway``, ``kind``), which only sets line widths. The layer needs no tiles
and no network: every map can draw its streets from it.

Each road keeps its licence text in ``attribution`` (an ``attribution`` column
of the file; "© OpenStreetMap contributors" for OpenStreetMap data; the OS
Open Roads notice for OS data), and every map that draws the streets shows
:func:`roads_attribution`.
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
#: The kind of a line that only places a street's name and is not drawn (streets made from
#: police.uk map points where a street has a single point: :mod:`hotspots.read.police_streets`).
NAME_ONLY = "name only"
OSM_ATTRIBUTION = "© OpenStreetMap contributors"
OS_ATTRIBUTION = "Contains OS data © Crown copyright and database right"
#: What a map without streets says (legend / notice): the one command that adds them.
NO_STREETS_NOTE = (
    "No streets on this map: add them with 'hotspots fetch streets --store' "
    "(or give --roads FILE: an OpenStreetMap .osm.pbf or OS Open Roads)"
)
#: Columns that only OpenStreetMap data has (osmnx, Geofabrik shapefiles, ogr2ogr of a .pbf).
_OSM_COLUMNS = ("highway", "fclass", "osm_id")
#: Columns that only OS Open Roads has.
_OS_COLUMNS = ("roadclassification", "formofway", "roadfunction")


def _find(columns, candidates) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def is_osm_extract(path: str | Path) -> bool:
    """True for an OpenStreetMap extract in the PBF format (``.osm.pbf`` / ``.pbf``).

    Examples
    --------
    >>> is_osm_extract("worcestershire-latest.osm.pbf"), is_osm_extract("roads.gpkg")
    (True, False)
    """
    return Path(path).name.lower().endswith(".pbf")


def _read_osm_extract(
    path: Path, bbox: tuple[float, float, float, float] | None
) -> gpd.GeoDataFrame:
    """The ``highway`` ways of an ``.osm.pbf`` with a name or a number, as lines (EPSG:4326)."""
    try:
        import osmium
    except ImportError:  # pragma: no cover - a dependency
        raise InputFileError(
            path, "needs the osmium package to be read", "pip install osmium"
        ) from None
    from shapely import from_wkb

    keep = None
    if bbox is not None:
        corners = gpd.GeoSeries.from_xy([bbox[0], bbox[2]], [bbox[1], bbox[3]], crs=ANALYSIS_CRS)
        lon, lat = corners.to_crs(4326).x, corners.to_crs(4326).y
        keep = (min(lon), min(lat), max(lon), max(lat))
    factory = osmium.geom.WKBFactory()
    rows, blobs = [], []
    try:
        ways = (osmium.FileProcessor(str(path)).with_locations()
                .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                .with_filter(osmium.filter.KeyFilter("highway")))  # fmt: skip
        for way in ways:
            name, ref = way.tags.get("name", ""), way.tags.get("ref", "")
            if not (name or ref):
                continue
            try:
                blob = factory.create_linestring(way)
            except RuntimeError:  # a way whose nodes are missing from the extract
                continue
            rows.append((f"way/{way.id}", name, ref, way.tags.get("highway", "")))
            blobs.append(blob)
    except RuntimeError as exc:  # libosmium: not a PBF, truncated file
        raise InputFileError(path, f"cannot be read as an OpenStreetMap extract ({exc})",
                             "an .osm.pbf file (e.g. a county extract)") from None  # fmt: skip
    frame = pd.DataFrame(rows, columns=["osm_id", "name", "ref", "highway"])
    geometry = from_wkb([bytes.fromhex(b) if isinstance(b, str) else b for b in blobs])
    out = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    out["attribution"] = OSM_ATTRIBUTION
    if keep is not None:
        out = out.cx[keep[0] : keep[2], keep[1] : keep[3]]
    return out


def _attribution(frame: pd.DataFrame) -> pd.Series:
    """Each row's licence text: the file's ``attribution`` column, else from where it came."""
    found = pd.Series("", index=frame.index, dtype=object)
    lower = {str(c).lower() for c in frame.columns}
    if any(c in lower for c in _OSM_COLUMNS):
        found[:] = OSM_ATTRIBUTION
    elif any(c in lower for c in _OS_COLUMNS):
        found[:] = OS_ATTRIBUTION
    column = _find(frame.columns, ("attribution",))
    if column is not None:
        given = frame[column].fillna("").astype(str).str.strip()
        found = given.where(given != "", found)
    return found


def names_only(roads: gpd.GeoDataFrame | None) -> bool:
    """Whether a street layer is mostly names without lines (as from police.uk map points).

    A map's legend then says "street names", not "road, with its name".

    Examples
    --------
    >>> from shapely.geometry import LineString
    >>> line = LineString([(0, 0), (80, 0)])
    >>> names_only(gpd.GeoDataFrame({"kind": [NAME_ONLY, NAME_ONLY, "local"]},
    ...                             geometry=[line] * 3, crs=27700))
    True
    >>> names_only(None)
    False
    """
    if roads is None or not len(roads) or "kind" not in roads:
        return False
    return bool((roads["kind"] == NAME_ONLY).mean() > 0.5)


def roads_attribution(roads: gpd.GeoDataFrame | None) -> str:
    """The licence text a map drawing ``roads`` must show ("" when none is needed).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> roads = gpd.GeoDataFrame({"name": ["A", "B"], "attribution": [OSM_ATTRIBUTION] * 2},
    ...                          geometry=[LineString([(0, 0), (1, 1)])] * 2)
    >>> roads_attribution(roads), roads_attribution(None)
    ('© OpenStreetMap contributors', '')
    """
    if roads is None or "attribution" not in roads:
        return ""
    texts = [t for t in pd.unique(roads["attribution"].fillna("").astype(str)) if t]
    return "; ".join(sorted(texts))


def read_roads(
    path: str | Path, *, bbox: tuple[float, float, float, float] | None = None
) -> gpd.GeoDataFrame:
    """Read a road layer: names, a main/local class and lines in EPSG:27700.

    Parameters
    ----------
    path : str or Path
        Any line layer geopandas reads (GeoPackage, shapefile, GeoJSON), or an
        OpenStreetMap extract (``.osm.pbf``: its named ``highway`` ways).
    bbox : tuple, optional
        ``(xmin, ymin, xmax, ymax)`` in EPSG:27700: keep only roads there (read
        filtered, so a national OS Open Roads file stays quick).

    Returns
    -------
    geopandas.GeoDataFrame
        ``name`` ("" when unnamed), ``kind`` ("main" or "local"; :data:`NAME_ONLY`
        when the file says so: a name's place, not drawn as a line),
        ``attribution`` (the licence text, "" when none), line geometry
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
        raise InputFileError(path, "does not exist",
                             "a road layer (GeoPackage, shapefile, GeoJSON, .osm.pbf)")  # fmt: skip
    try:
        if is_osm_extract(path):
            frame = _read_osm_extract(path, bbox)
        elif bbox is not None:
            info = gpd.read_file(path, rows=1)
            crs = info.crs or ANALYSIS_CRS
            box_in = gpd.GeoSeries.from_xy([bbox[0], bbox[2]], [bbox[1], bbox[3]], crs=ANALYSIS_CRS)
            x0, x1 = box_in.to_crs(crs).x
            y0, y1 = box_in.to_crs(crs).y
            frame = gpd.read_file(path, bbox=(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        else:
            frame = gpd.read_file(path)
    except InputFileError:
        raise
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputFileError(path, f"cannot be read as a map layer ({exc})",
                             "a road layer (GeoPackage, shapefile, GeoJSON)") from None  # fmt: skip
    return as_roads(frame, source=path)


def as_roads(frame: gpd.GeoDataFrame, *, source: object = "the street layer") -> gpd.GeoDataFrame:
    """A line layer as the street layer every map draws: name, main/local, attribution.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Lines with a name (or road number) column and a CRS (see
        :data:`NAME_COLUMNS`, :data:`CLASS_COLUMNS`).
    source : object
        Names the layer in error messages (a path).

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``kind``, ``attribution``, lines in EPSG:27700 (see :func:`read_roads`).

    Raises
    ------
    InputFileError
        No CRS, no lines, or no name column.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import LineString
    >>> lines = gpd.GeoDataFrame({"name": ["High Street"], "highway": ["primary"]},
    ...                          geometry=[LineString([(404000, 267000), (404100, 267000)])],
    ...                          crs=27700)
    >>> as_roads(lines)[["name", "kind", "attribution"]].iloc[0].tolist()
    ['High Street', 'main', '© OpenStreetMap contributors']
    """
    path = source
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
        kind = kind.where(~cls.isin(_MAIN), "main").where(cls != NAME_ONLY, NAME_ONLY)
    out = gpd.GeoDataFrame(
        {
            "name": names.to_numpy(),
            "kind": kind.to_numpy(),
            "attribution": _attribution(frame).to_numpy(),
        },
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
        Pieces shorter than this get no label (a :data:`NAME_ONLY` row always
        gets one).

    Returns
    -------
    geopandas.GeoDataFrame
        ``name``, ``angle`` (degrees, -90 to 90, so text is never upside down),
        point geometry (EPSG:27700); the most important first (main roads, then
        streets by the length of their longest piece, then :data:`NAME_ONLY`
        names; ties by name), the order in which a map keeps names that clash.

    Examples
    --------
    >>> from boundaries import get_path
    >>> pts = name_points(read_roads(get_path("demo-roads")))
    >>> pts["name"].is_unique, "Market Place" in set(pts["name"])
    (True, True)
    """
    named = roads[roads["name"] != ""].explode(index_parts=False)
    named = named.assign(_len=named.geometry.length)
    # (a name only is placed whatever its length: it stands for a name's place, not a line)
    name_only = named["kind"] == NAME_ONLY if "kind" in named else False
    named = named[(named["_len"] >= min_length_m) | name_only]
    if named.empty:
        return gpd.GeoDataFrame({"name": [], "angle": []}, geometry=[], crs=ANALYSIS_CRS)
    longest = named.sort_values("_len", ascending=False).drop_duplicates("name")
    kind = longest["kind"] if "kind" in longest else pd.Series("local", index=longest.index)
    longest = longest.assign(_rank=np.select([kind == "main", kind == NAME_ONLY], [0, 2], 1),
                             _neg=-longest["_len"])  # fmt: skip
    longest = longest.sort_values(["_rank", "_neg", "name"], kind="stable")
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
    )
