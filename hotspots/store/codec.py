"""A compact, safe column codec for prepared incident tables (the store's fast path).

The store keeps every batch twice: as rows of the ``incidents`` table (what
QGIS, SQL and ``hotspots check`` read) and as one columnar copy of the batch's
prepared table, which the loader reads back in about a second for a million
incidents. The copy holds plain arrays (no pickles): integers and codes in the
smallest integer type that holds them, dates as int64, text as codes plus a JSON
list of the distinct values (categoricals keep their categories in order), and
points shared by several rows once each with a code per row (format 3; format 2
kept every row's x and y and int32 codes, and is still read). Decoding gives
back the same columns with the same dtypes; categoricals and text of few values
are built from the codes, never by hashing every row.

The container is ``HSC1``, the length of a JSON header, the header (columns,
dtypes, and each array's dtype, offset and length), then the arrays' bytes:
reading it is a few ``numpy.frombuffer`` calls, with nothing to parse per array.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd

_FORMAT = 3
#: Formats this module decodes (2: every row's x and y, int32 codes).
_READABLE = (2, 3)
_MAGIC = b"HSC1"


def _pack(arrays: dict[str, np.ndarray], meta: dict) -> bytes:
    index, chunks, offset = {}, [], 0
    for name, arr in arrays.items():
        arr = np.ascontiguousarray(arr)
        pad = -offset % 8
        chunks.append(b"\0" * pad)
        offset += pad
        index[name] = [arr.dtype.str, offset, int(arr.size)]
        chunks.append(arr.tobytes())
        offset += arr.nbytes
    head = json.dumps({**meta, "arrays": index}).encode()
    return _MAGIC + len(head).to_bytes(8, "little") + head + b"".join(chunks)


def _unpack(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    if data[:4] != _MAGIC:
        raise ValueError("not a hotspots column copy")
    size = int.from_bytes(data[4:12], "little")
    meta = json.loads(data[12 : 12 + size])
    start = 12 + size
    arrays = {
        name: np.frombuffer(data, dtype=np.dtype(dt), count=n, offset=start + off)
        for name, (dt, off, n) in meta.pop("arrays").items()
    }
    return meta, arrays


def _kind(series: pd.Series) -> str:
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return "datetime"
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return "numpy"
    if hasattr(dtype, "numpy_dtype") and not pd.api.types.is_string_dtype(dtype):
        return "masked"  # Int64, Float64, boolean
    return "text"


def _small_int(values: np.ndarray) -> np.ndarray:
    """Integers in the smallest signed type that holds them (the dtype travels in the header)."""
    if not len(values):
        return values
    lo, hi = int(values.min()), int(values.max())
    for dtype in (np.int8, np.int16, np.int32):
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return values.astype(dtype)
    return values


def encode_frame(frame: gpd.GeoDataFrame) -> bytes:
    """Encode a GeoDataFrame of points (any columns) as bytes.

    Integer codes and numbers are kept in the smallest type that holds them, and
    points shared by several rows (police.uk's map points) once, with a code per
    row; decoding restores every column's dtype.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> t = gpd.GeoDataFrame({"a": ["x", None, "x"], "n": pd.array([1, None, 3], dtype="Int64")},
    ...                      geometry=gpd.points_from_xy([1, 2, 1], [4, 5, 4]), crs=27700)
    >>> t["w"] = pd.Series(["Monday", None, None], dtype=object)
    >>> back = decode_frame(encode_frame(t))
    >>> back["w"].tolist(), back["n"].tolist(), back.geometry.x.tolist(), back.crs.to_epsg()
    (['Monday', None, None], [1, <NA>, 3], [1.0, 2.0, 1.0], 27700)
    >>> from geopandas.testing import assert_geodataframe_equal
    >>> assert_geodataframe_equal(back, t)
    """
    geom = frame.geometry.name
    x = frame.geometry.x.to_numpy(dtype="float64")
    y = frame.geometry.y.to_numpy(dtype="float64")
    codes, distinct = _distinct_points(x, y)
    arrays: dict[str, np.ndarray] = {}
    if len(distinct) <= len(frame) // 2:  # shared points: once each, a code per row
        arrays["geometry.px"] = np.ascontiguousarray(distinct.real)
        arrays["geometry.py"] = np.ascontiguousarray(distinct.imag)
        arrays["geometry.codes"] = _small_int(codes)
    else:
        arrays["geometry.x"] = x
        arrays["geometry.y"] = y
    columns = _encode_columns(frame, arrays)
    meta = {
        "format": _FORMAT,
        "rows": len(frame),
        "crs": frame.crs.to_string() if frame.crs else None,
        "geometry": geom,
        "columns": columns,
        "order": [str(c) for c in frame.columns],
    }
    return _pack(arrays, meta)


def _encode_columns(frame: pd.DataFrame, arrays: dict[str, np.ndarray]) -> list[dict]:
    """Every column but the geometry into ``arrays`` (keys ``c0``, ``c1``...); their headers."""
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    columns = []
    for name in frame.columns:
        if name == geom:
            continue
        series = frame[name]
        kind = _kind(series)
        key = f"c{len(columns)}"
        if kind == "datetime":
            arrays[key] = series.to_numpy().view("int64")
        elif kind == "numpy":
            values = series.to_numpy()
            arrays[key] = _small_int(values) if values.dtype.kind in "iu" else values
        elif kind == "masked":
            values = series.to_numpy(dtype=series.dtype.numpy_dtype, na_value=0)
            arrays[key] = _small_int(values) if values.dtype.kind in "iu" else values
            arrays[key + ".mask"] = series.isna().to_numpy()
        else:
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            arrays[key] = _small_int(codes)
            values = [v.item() if isinstance(v, np.generic) else v for v in uniques]
            arrays[key + ".values"] = np.frombuffer(json.dumps(values).encode(), dtype="uint8")
        col = {"name": name, "kind": kind, "dtype": str(series.dtype)}
        if isinstance(series.dtype, pd.CategoricalDtype):  # categories in their order, unused too
            cats = series.cat.categories
            col["categories"] = [v.item() if isinstance(v, np.generic) else v for v in cats]
            col["categories_dtype"] = str(cats.dtype)
            col["ordered"] = bool(series.cat.ordered)
        columns.append(col)
    return columns


def _distinct_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct points (as complex x + iy), by exact x and y, in order of first use."""
    xy = np.ascontiguousarray(np.column_stack([x, y])).view(np.complex128).ravel()
    codes, distinct = pd.factorize(xy)  # hashing: exact x and y, no sort
    return codes, np.asarray(distinct)


def _batch_points(npz: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A blob's (codes, distinct points), from either geometry layout."""
    if "geometry.codes" in npz:
        distinct = npz["geometry.px"] + 1j * npz["geometry.py"]
        return npz["geometry.codes"], distinct
    return _distinct_points(npz["geometry.x"], npz["geometry.y"])


def _lookup(values: list) -> np.ndarray:
    """An object array of ``values`` with None last (code -1 picks it)."""
    lookup = np.empty(len(values) + 1, dtype=object)
    lookup[: len(values)] = values
    lookup[-1] = None
    return lookup


def _text_column(parts: list[tuple[np.ndarray, list, dict]], col: dict) -> pd.Series:
    """One text column from each blob's (codes, values, column header), with its encoded dtype."""
    dtype = col["dtype"]
    rows = sum(len(codes) for codes, _, _ in parts)
    many = sum(len(values) for _, values, _ in parts) > rows // 8
    if many and dtype != "category":  # nearly unique values (ids): row by row
        column = pd.Series(
            np.concatenate([_lookup(values)[codes] for codes, values, _ in parts]),
            dtype=object,
            copy=False,
        )
        return column if dtype == "object" else column.astype(dtype)
    # Few values: codes into the values of all blobs, then one typed array of those values
    # taken by code (no hashing or checking of a million strings).
    index: dict = {}
    for _, values, _ in parts:
        for v in values:
            index.setdefault((type(v), v), len(index))  # 1, True and 1.0 stay apart
    codes = np.concatenate([
        np.array([index[(type(v), v)] for v in values] + [-1], dtype=np.int64)[codes]
        for codes, values, _ in parts
    ])  # fmt: skip
    every = _lookup([v for _, v in index])
    if dtype == "category":
        if all("categories" in c for _, _, c in parts):  # as encoded, in order (format 3)
            cats = dict.fromkeys(v for _, _, c in parts for v in c["categories"])
            cats = pd.Index(list(cats), dtype=col["categories_dtype"])
            small = pd.Categorical(every[:-1], categories=cats, ordered=col["ordered"])
        else:  # format 2: the categories pandas infers from the values
            small = pd.Categorical(every[:-1])
        into = np.append(small.codes, -1).astype(np.int64)
        return pd.Series(pd.Categorical.from_codes(into[codes], dtype=small.dtype), copy=False)
    if dtype == "object":
        return pd.Series(every[codes], dtype=object, copy=False)
    typed = pd.Series(every, dtype=object).astype(dtype).array
    return pd.Series(typed.take(codes, allow_fill=True), copy=False)


def _decode_columns(unpacked: list[tuple[dict, dict[str, np.ndarray]]]) -> dict[str, pd.Series]:
    """The columns (not the geometry) of blobs of the same columns, each built once."""
    parts: dict[str, list] = {}
    meta: dict = {}
    for meta, npz in unpacked:
        for i, col in enumerate(meta["columns"]):
            key, kind = f"c{i}", col["kind"]
            if kind == "text":
                values = json.loads(npz[key + ".values"].tobytes())
                parts.setdefault(col["name"], []).append((npz[key], values, col))
            elif kind == "masked":
                parts.setdefault(col["name"], []).append((npz[key], npz[key + ".mask"]))
            else:
                parts.setdefault(col["name"], []).append(npz[key])
    out = {}
    for col in meta["columns"]:
        name, kind, dtype = col["name"], col["kind"], col["dtype"]
        chunks = parts[name]
        if kind == "masked":
            values = pd.Series(np.concatenate([c[0] for c in chunks])).astype(dtype)
            values[np.concatenate([c[1] for c in chunks])] = pd.NA
            out[name] = values
        elif kind == "datetime":
            out[name] = pd.Series(np.concatenate(chunks).view(dtype), copy=False)
        elif kind == "numpy":
            values = np.concatenate(chunks)
            out[name] = pd.Series(
                values if values.dtype == dtype else values.astype(dtype), copy=False
            )
        else:
            out[name] = _text_column(chunks, col)
    return out


def decode_frames(
    blobs: list[bytes], *, geometry_where: tuple[str, object] | None = None
) -> gpd.GeoDataFrame:
    """Decode several blobs of the same columns into one frame, building it once.

    Parameters
    ----------
    blobs : list of bytes
        From :func:`encode_frame`, with the same columns and dtypes.
    geometry_where : (column, value), optional
        Build point geometries only where ``column != value`` (points cost
        most); other rows get no geometry (None).

    Examples
    --------
    >>> import geopandas as gpd
    >>> t = gpd.GeoDataFrame({"m": ["in", "out"]}, geometry=gpd.points_from_xy([1, 2], [3, 4]),
    ...                      crs=27700)
    >>> both = decode_frames([encode_frame(t), encode_frame(t)], geometry_where=("m", "out"))
    >>> both["m"].tolist(), both.geometry.isna().tolist()
    (['in', 'out', 'in', 'out'], [False, True, False, True])
    """
    if not blobs:
        raise ValueError("no blobs to decode")
    points = []
    unpacked = []
    for data in blobs:
        meta, npz = _unpack(data)
        if meta.get("format") not in _READABLE:
            raise ValueError(f"unknown column copy format {meta.get('format')!r}")
        points.append(_batch_points(npz))
        unpacked.append((meta, npz))
    out = _decode_columns(unpacked)
    rows = sum(len(c) for c, _ in points)
    build = np.ones(rows, dtype=bool)
    if geometry_where is not None:
        build = (out[geometry_where[0]] != geometry_where[1]).to_numpy()
    out[meta["geometry"]] = gpd.GeoSeries(_points(points, build), crs=meta["crs"])
    return gpd.GeoDataFrame(
        {name: out[name] for name in meta["order"]}, geometry=meta["geometry"], crs=meta["crs"]
    )


def _points(points: list[tuple[np.ndarray, np.ndarray]], build: np.ndarray) -> np.ndarray:
    """Shapely points for every row where ``build`` (None elsewhere), one object per map point.

    police.uk snaps incidents to shared map points: each distinct point is made
    once and shared by its rows (shapely geometries are immutable), which is far
    quicker than a point per row.
    """
    import shapely

    # the blobs' distinct points, made distinct over all blobs
    codes, distinct = _distinct_points(
        np.concatenate([d.real for _, d in points]), np.concatenate([d.imag for _, d in points])
    )
    offsets = np.cumsum([0] + [len(d) for _, d in points])
    rows = np.concatenate([codes[offsets[i] + c] for i, (c, _) in enumerate(points)])
    geoms = np.full(len(rows), None, dtype=object)
    used = np.zeros(len(distinct), dtype=bool)
    used[rows[build]] = True  # make only the points some row needs
    made = np.full(len(distinct), None, dtype=object)
    made[used] = shapely.points(distinct.real[used], distinct.imag[used])
    geoms[build] = made[rows[build]]
    return geoms


def decode_frame(data: bytes) -> gpd.GeoDataFrame:
    """Decode bytes made by :func:`encode_frame` (see its example)."""
    return decode_frames([data])


def encode_table(frame: pd.DataFrame) -> bytes:
    """Encode a table of any geometry (outlines, grid squares), or none, as bytes.

    The columns as :func:`encode_frame` keeps them; the geometry, when there is
    one, as WKB (a result's hotspot outlines are few). ``attrs`` are not kept.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> t = gpd.GeoDataFrame({"cluster_id": [1, 2], "label": ["Market Place", None]},
    ...                      geometry=[Point(0, 0).buffer(5), None], crs=27700)
    >>> from geopandas.testing import assert_geodataframe_equal
    >>> assert_geodataframe_equal(decode_table(encode_table(t)), t)
    >>> decode_table(encode_table(t.drop(columns="geometry").assign(n=[3, 4])))["n"].tolist()
    [3, 4]
    """
    import shapely

    arrays: dict[str, np.ndarray] = {}
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    if geom is not None:
        wkb = shapely.to_wkb(frame.geometry.to_numpy())
        sizes = np.array([-1 if b is None else len(b) for b in wkb], dtype=np.int64)
        arrays["geometry.sizes"] = sizes
        arrays["geometry.wkb"] = np.frombuffer(b"".join(b for b in wkb if b is not None),
                                               dtype="uint8")  # fmt: skip
    meta = {
        "format": _FORMAT,
        "table": True,
        "rows": len(frame),
        "crs": frame.crs.to_string() if geom is not None and frame.crs else None,
        "geometry": geom,
        "columns": _encode_columns(frame, arrays),
        "order": [str(c) for c in frame.columns],
        "index": frame.index.tolist() if not isinstance(frame.index, pd.RangeIndex) else None,
    }
    return _pack(arrays, meta)


def decode_table(data: bytes) -> pd.DataFrame:
    """Decode bytes made by :func:`encode_table` (see its example)."""
    import shapely

    meta, npz = _unpack(data)
    if not meta.get("table") or meta.get("format") not in _READABLE:
        raise ValueError("not a hotspots table")
    out = _decode_columns([(meta, npz)]) if meta["columns"] else {}
    index = pd.Index(meta["index"]) if meta.get("index") is not None else None
    geom = meta["geometry"]
    if geom is None:
        frame = pd.DataFrame({name: out[name] for name in meta["order"]})
        return frame.set_axis(index) if index is not None else frame
    sizes = npz["geometry.sizes"]
    ends = np.cumsum(np.maximum(sizes, 0))
    raw = npz["geometry.wkb"].tobytes()
    wkb = np.array([None if n < 0 else raw[e - n : e] for n, e in zip(sizes, ends)], dtype=object)
    out[geom] = gpd.GeoSeries(shapely.from_wkb(wkb), crs=meta["crs"])
    frame = gpd.GeoDataFrame({name: out[name] for name in meta["order"]}, geometry=geom,
                             crs=meta["crs"])  # fmt: skip
    return frame.set_axis(index) if index is not None else frame


def pack_arrays(arrays: dict[str, np.ndarray], meta: dict) -> bytes:
    """Arrays and a JSON header in the codec's container (what :func:`unpack_arrays` reads).

    Examples
    --------
    >>> meta, arrays = unpack_arrays(pack_arrays({"n": np.arange(3)}, {"kind": "demo"}))
    >>> meta, arrays["n"].tolist()
    ({'kind': 'demo'}, [0, 1, 2])
    """
    return _pack(arrays, meta)


def unpack_arrays(data: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The header and arrays of :func:`pack_arrays`'s bytes (``ValueError`` for other bytes)."""
    return _unpack(data)
