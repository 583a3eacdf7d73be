"""Shared checks used at the public entry points of the library."""

from __future__ import annotations

import ctypes
import functools
import weakref
from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import HotspotsError

#: The projected CRS used for every distance: British National Grid, metres.
ANALYSIS_CRS = "EPSG:27700"
#: The CRS of the web (folium, GeoJSON).
WEB_CRS = "EPSG:4326"

# A generous box around Great Britain in longitude/latitude (Shetland to Scilly).
GB_LON = (-8.75, 1.85)
GB_LAT = (49.8, 61.0)
# British National Grid's valid extent, metres.
BNG_X = (0.0, 700_000.0)
BNG_Y = (0.0, 1_300_000.0)


def in_gb_lonlat(lon: pd.Series | np.ndarray, lat: pd.Series | np.ndarray) -> np.ndarray:
    """Return True where a longitude/latitude pair lies in the Great Britain box."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon >= GB_LON[0]) & (lon <= GB_LON[1]) & (lat >= GB_LAT[0]) & (lat <= GB_LAT[1])


def in_bng(x: pd.Series | np.ndarray, y: pd.Series | np.ndarray) -> np.ndarray:
    """Return True where an easting/northing pair lies on the British National Grid."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    return (x > BNG_X[0]) & (x <= BNG_X[1]) & (y > BNG_Y[0]) & (y <= BNG_Y[1])


def check_columns(frame: pd.DataFrame, required: Iterable[str], *, argument: str) -> None:
    """Raise a :class:`HotspotsError` naming the columns that ``frame`` lacks."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise HotspotsError(
            f"{argument} is missing column(s) {missing!r}; it has {list(frame.columns)!r}. "
            f"Pass a table made by hotspots.read.incidents (or add the columns)."
        )


def check_points(frame: gpd.GeoDataFrame, *, argument: str) -> None:
    """Check that ``frame`` is a GeoDataFrame of points with a CRS set."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise HotspotsError(
            f"{argument} must be a GeoDataFrame, got {type(frame).__name__!r}. "
            "Read incidents with hotspots.read.incidents.read_incidents()."
        )
    if frame.crs is None:
        raise HotspotsError(
            f"{argument} has no CRS. Set one, e.g. frame.set_crs('EPSG:27700') for "
            "British National Grid eastings/northings."
        )
    # type ids, not geom_type strings: a million-row check in milliseconds (0 is Point)
    if len(frame) and not (shapely.get_type_id(frame.geometry.to_numpy()) == 0).all():
        kinds = sorted(set(frame.geom_type.dropna()))
        raise HotspotsError(f"{argument} must hold Point geometries only; found {kinds!r}.")


def to_analysis_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return ``frame`` in British National Grid (metres), reprojecting when needed."""
    if frame.crs is None:
        raise HotspotsError("a layer has no CRS; cannot measure distances. Set its CRS first.")
    if frame.crs.to_epsg() == 27700:
        return frame
    return reproject(frame, ANALYSIS_CRS)


#: Coordinates read by :func:`analysis_xy`, by the ``id`` of the geometry array read:
#: ``(weak reference to it, its CRS, its geometries then, the (n, 2) coordinates)``.
_HELD_XY: dict[int, tuple] = {}
#: Geometry arrays whose coordinates are kept at most (each entry leaves when its array does).
HELD_XY_MAX = 8


def analysis_xy(frame: gpd.GeoDataFrame, *, argument: str = "incidents") -> np.ndarray:
    """Eastings and northings (EPSG:27700) of a frame of points, read once per geometry column.

    Checks the frame (:func:`check_points`), reprojects it when needed and reads
    every point in one pass. The answer is kept with the frame's geometry array,
    so the stages that each need the incidents' coordinates (DBSCAN, the
    summaries, the labels, the chance test) read them once per period: it is
    given again while that array holds the very same point objects in the same
    CRS (a geometry set in place is read anew), and to another frame holding
    the very same points in the same order (a copy; every row of a period).

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        Points with a CRS.
    argument : str, default "incidents"
        The frame's name in error messages.

    Returns
    -------
    numpy.ndarray, shape (n, 2)
        One row per point, in the frame's order (NaN for an empty point);
        read-only, as it is shared.

    Raises
    ------
    HotspotsError
        For a frame that is not a GeoDataFrame of points with a CRS.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([404188.0], [267544.0]), crs=27700)
    >>> analysis_xy(pts).tolist()
    [[404188.0, 267544.0]]
    >>> analysis_xy(pts) is analysis_xy(pts)
    True
    """
    values = frame.geometry.values if isinstance(frame, gpd.GeoDataFrame) else None
    held = _HELD_XY.get(id(values))
    if held is not None and held[0]() is values and _holds(held, values):
        return held[3]
    held = _held_for(values)  # a copy of the frame, or every row of it selected
    if held is None:
        check_points(frame, argument=argument)
        held = (None, None, np.asarray(values, dtype=object).copy(), _read_xy(frame))
    if len(_HELD_XY) >= HELD_XY_MAX:
        _HELD_XY.pop(next(iter(_HELD_XY)))
    key = id(values)
    gone = weakref.ref(values, lambda _, key=key: _HELD_XY.pop(key, None))
    _HELD_XY[key] = (gone, values.crs, held[2], held[3])
    return held[3]


def _read_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Every point's coordinates in EPSG:27700, in one pass, read-only."""
    geoms = to_analysis_crs(frame).geometry.to_numpy()
    xy = shapely.get_coordinates(geoms)
    if len(xy) != len(geoms):  # an empty point has no coordinates: NaN keeps the rows aligned
        full = ~shapely.is_empty(geoms)
        xy = np.full((len(geoms), 2), np.nan)
        xy[full] = shapely.get_coordinates(geoms[full])
    xy.flags.writeable = False
    return xy


def _holds(held: tuple, values) -> bool:
    """Whether coordinates kept are of these geometries: the same CRS, the very same objects."""
    _, crs, geoms, _ = held
    return (
        len(geoms) == len(values)
        and (values.crs is crs or values.crs == crs)
        and same_objects(np.asarray(values, dtype=object), geoms)
    )


def _held_for(values) -> tuple | None:
    """Coordinates kept for another geometry array holding the very same point objects."""
    if values is None:
        return None
    return next((held for held in list(_HELD_XY.values()) if _holds(held, values)), None)


def same_objects(a: np.ndarray, b: np.ndarray) -> bool:
    """True when two object arrays hold the very same objects (``is``), in the same order.

    Compares the objects' addresses as integers, in one array operation (a
    Python loop of ``is`` takes about 80 times longer). Two different objects
    alive at once never share an address, so an array kept alongside (as
    :func:`analysis_xy` keeps its geometries) can tell whether another still
    holds the same objects.

    Examples
    --------
    >>> a = np.array([object(), object()], dtype=object)
    >>> same_objects(a, a.copy()), same_objects(a, a[::-1]), same_objects(a, a[:1])
    (True, False, False)
    """
    a, b = np.ascontiguousarray(a, dtype=object), np.ascontiguousarray(b, dtype=object)
    if a.shape != b.shape:
        return False
    if not a.size:
        return True
    pointer = ctypes.POINTER(ctypes.c_ssize_t)
    at_a = np.ctypeslib.as_array(a.ctypes.data_as(pointer), shape=a.shape)
    at_b = np.ctypeslib.as_array(b.ctypes.data_as(pointer), shape=b.shape)
    return bool(np.array_equal(at_a, at_b))


@functools.cache
def transformer(source: str, target: str):
    """The pyproj transformer from ``source`` to ``target``, made once per process at its first use.

    Making one takes about a fiftieth of a second (PROJ looks the operation up
    in its database); geopandas' ``to_crs`` makes a new one at every call.
    """
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def reproject(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: str):
    """``frame.to_crs(crs)``, between British National Grid and WGS84 with :func:`transformer`.

    The same coordinates as ``to_crs`` (the same PROJ operation), without making
    a transformer at every call; other CRSs, and 3D geometries, go through ``to_crs``.

    Examples
    --------
    >>> pts = gpd.GeoSeries(gpd.points_from_xy([404188.0], [267544.0]), crs=ANALYSIS_CRS)
    >>> reproject(pts, WEB_CRS).geom_equals_exact(pts.to_crs(WEB_CRS), 0).all()
    np.True_
    """
    source = frame.crs.srs.upper() if frame.crs is not None else None
    geoms = np.asarray(frame.geometry.values, dtype=object)
    if {source, crs} != {ANALYSIS_CRS, WEB_CRS} or (len(geoms) and shapely.has_z(geoms).any()):
        return frame.to_crs(crs)
    to_crs = transformer(source, crs)
    moved = shapely.transform(
        geoms, lambda xy: np.column_stack(to_crs.transform(xy[:, 0], xy[:, 1]))
    )
    series = gpd.GeoSeries(moved, index=frame.index, crs=crs)
    if isinstance(frame, gpd.GeoSeries):
        return series.rename(frame.name)
    out = frame.copy()
    out.geometry = series
    return out
