"""GeoJSON text for a layer, written here rather than by GDAL (a third of its CPU).

The text is what GDAL's GeoJSON driver writes with ``RFC7946=YES`` and
``WRITE_NAME=NO``, parsed: polygons with the exterior counter-clockwise and
holes clockwise, coordinates rounded to 7 decimals, no ``id`` member, no layer
name, a named or non-integer index written as properties (geopandas'
``to_file`` rule), NaN and None as ``null``, float32 at float32's shortest
digits and times as ISO 8601 text (``2018-10-01T00:00:00``, ``.500`` for
milliseconds, ``Z`` for UTC). Where it differs from GDAL, on purpose:

- a list or dict value is a JSON array or object (GDAL takes scalars only);
- an infinite number is ``null`` (GDAL leaves the property out);
- an object column's numbers stay numbers (GDAL writes such a column as text);
- an empty geometry is ``null`` as a missing one is (GDAL writes an empty
  point as ``null`` and an empty polygon as ``{"type": "Polygon", "coordinates": []}``);
- every number is written to read back as the same double (GDAL writes a few at
  15 digits: 0.30000000000000004 as 0.3);
- nothing is cut at the antimeridian (GDAL's RFC 7946 mode cuts there; no
  police force's area reaches it).

The text is compact, one feature a line, UTF-8 (``ensure_ascii=False``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

#: Decimal places of every coordinate (GDAL's RFC 7946 default: about 1 cm).
COORDINATE_DECIMALS = 7
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=lambda v: _scalar(v))


def feature_collection(
    layer: gpd.GeoDataFrame, *, members: Mapping[str, object] | None = None
) -> str:
    """The layer as an RFC 7946 FeatureCollection, one feature a line.

    Parameters
    ----------
    layer : geopandas.GeoDataFrame
        Coordinates in EPSG:4326 (longitude, latitude); they are written as they are.
    members : mapping, optional
        Foreign members of the collection (``{"attribution": ...}``), written
        after ``type`` and before ``features``.

    Returns
    -------
    str
        The GeoJSON text.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> layer = gpd.GeoDataFrame({"n": [3], "p": [float("nan")]}, geometry=[Point(-1.94, 52.3)],
    ...                          crs="EPSG:4326")
    >>> print(feature_collection(layer, members={"attribution": "© OGL"}))
    {"type":"FeatureCollection","attribution":"© OGL","features":[
    {"type":"Feature","properties":{"n":3,"p":null},"geometry":{"type":"Point","coordinates":[-1.94,52.3]}}
    ]}
    <BLANKLINE>
    """
    layer = _index_as_columns(layer)
    head = "".join(
        f"{_ENCODER.encode(str(k))}:{_ENCODER.encode(v)}," for k, v in (members or {}).items()
    )
    rows = property_texts(pd.DataFrame(layer.drop(columns=layer.geometry.name)))
    shapes = geometry_texts(layer.geometry.to_numpy())
    features = ",\n".join(
        f'{{"type":"Feature","properties":{row},"geometry":{shape or "null"}}}'
        for row, shape in zip(rows, shapes)
    )
    return f'{{"type":"FeatureCollection",{head}"features":[\n{features}\n]}}\n'


def geometry_texts(geometry: np.ndarray) -> np.ndarray:
    """Each geometry as GeoJSON text, RFC 7946 style; None where it is missing or empty.

    Polygons (also inside multi-polygons and collections) get their exterior
    counter-clockwise and their holes clockwise, and every coordinate is
    rounded to :data:`COORDINATE_DECIMALS` places, as GDAL's RFC 7946 mode does.

    Examples
    --------
    >>> from shapely.geometry import Point, Polygon
    >>> square = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])  # clockwise
    >>> geometry_texts(np.array([square, Point(0.123456789, 1), None, Point()])).tolist()
    ['{"type":"Polygon","coordinates":[[[0.0,0.0],[1.0,0.0],[1.0,1.0],[0.0,1.0],[0.0,0.0]]]}', '{"type":"Point","coordinates":[0.1234568,1.0]}', None, None]
    """
    shapes = np.where(shapely.is_empty(geometry), None, geometry)
    shapes = shapely.orient_polygons(shapes, exterior_cw=False)
    shapes = shapely.transform(shapes, _rounded, include_z=None)
    return shapely.to_geojson(shapes)


def property_texts(table: pd.DataFrame) -> list[str]:
    """Each row as a JSON object text, in the table's column order.

    Examples
    --------
    >>> property_texts(pd.DataFrame({"n": [1, 2], "when": pd.to_datetime(["2018-10-01", None]),
    ...                              "ok": [True, False], "months": [["2018-10"], None]}))
    ['{"n":1,"when":"2018-10-01T00:00:00","ok":true,"months":["2018-10"]}', '{"n":2,"when":null,"ok":false,"months":null}']
    """
    keys = [str(name) for name in table.columns]
    columns = [json_values(table.iloc[:, i]) for i in range(table.shape[1])]
    if not columns:
        return ["{}"] * len(table)
    return [_ENCODER.encode(dict(zip(keys, row))) for row in zip(*columns)]


def json_values(column: pd.Series) -> list:
    """The column's values as Python values that JSON writes as GDAL would.

    NumPy numbers and booleans become Python ones; NaN, infinity, None, NA
    and NaT become None; float32 keeps float32's shortest digits (``0.1``, not
    ``0.10000000149011612``); times become ISO 8601 text (:func:`iso_times`).

    Examples
    --------
    >>> json_values(pd.Series([1.5, np.nan, np.inf]))
    [1.5, None, None]
    >>> json_values(pd.Series(np.array([0.1], dtype="float32")))
    [0.1]
    >>> json_values(pd.Series([1, None], dtype="Int64")), json_values(pd.Series(["a", None]))
    ([1, None], ['a', None])
    """
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return iso_times(column)
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
        values = column.to_numpy()
        if values.dtype.kind != "f":
            return values.tolist()
        if values.dtype.itemsize < 8:
            values = values.astype(str).astype(float)
        finite = np.isfinite(values)
        return values.tolist() if finite.all() else np.where(finite, values, None).tolist()
    values = column.astype(object)
    return values.where(column.notna(), None).tolist()


def iso_times(column: pd.Series) -> list[str | None]:
    """Times as GDAL writes them: ``2018-10-01T00:00:00``, ``.500`` milliseconds if any,
    ``Z`` for UTC or ``+01:00``; None for NaT.

    Examples
    --------
    >>> iso_times(pd.Series(pd.to_datetime(["2018-10-01", "2019-01-02 03:04:05.5", None],
    ...                                    format="ISO8601")))
    ['2018-10-01T00:00:00', '2019-01-02T03:04:05.500', None]
    >>> iso_times(pd.Series(pd.to_datetime(["2018-10-01 12:00"]).tz_localize("Europe/London")))
    ['2018-10-01T12:00:00+01:00']
    """
    times = column.dt
    text = times.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = (times.microsecond != 0) | (times.nanosecond != 0)
    if fraction.any():
        millis = (times.microsecond // 1000).astype("Int64").astype(str).str.zfill(3)
        text = text.where(~fraction, text + "." + millis)
    if times.tz is not None:
        offset = times.strftime("%z")
        text = text + offset.where(offset != "+0000", "Z").str.replace(
            r"^([+-]\d\d)(\d\d)$", r"\1:\2", regex=True
        )
    return text.astype(object).where(column.notna(), None).tolist()


def _index_as_columns(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer with a named or non-integer index as leading columns (geopandas' ``to_file`` rule)."""
    index = layer.index
    if list(index.names) != [None] or not pd.api.types.is_integer_dtype(index.dtype):
        return layer.reset_index()
    return layer


def _rounded(coordinates: np.ndarray) -> np.ndarray:
    """Coordinates rounded to :data:`COORDINATE_DECIMALS` places."""
    return np.round(coordinates, COORDINATE_DECIMALS)


def _scalar(value: object) -> object:
    """A value JSON cannot write by itself (inside an object column or a list), made writable."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dt.datetime):
        return iso_times(pd.Series([value]))[0]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.ndarray | set | frozenset):
        return list(value)
    raise TypeError(
        f"cannot write {value!r} ({type(value).__name__}) as a GeoJSON property: "
        "convert that column to text or numbers first"
    )
