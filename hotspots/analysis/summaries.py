"""One summary row per DBSCAN cluster: its size, share, places, ward, months and hull.

:func:`summarise_clusters` turns DBSCAN's labels (:mod:`hotspots.analysis.cluster`)
into the table every output shows, from one grouping of the clustered
incidents (no Python loop over clusters); :func:`find_clusters` runs both.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._validate import ANALYSIS_CRS, analysis_xy
from hotspots.analysis._arrays import positions_in_runs
from hotspots.analysis.cluster import (
    NOISE,
    ClusterParams,
    check_min_samples,
    dbscan_labels,
    default_min_samples,
    distinct_points,
)
from hotspots.read.geocode import bng_to_lonlat
from hotspots.read.places import tag_focus_areas

log = logging.getLogger(__name__)

CLUSTER_COLUMNS = [
    "cluster_id",
    "incidents",
    "share",
    "ward",
    "area",
    "top_locations",
    "top_categories",
    "top_streets",
    "months",
    "first_month",
    "last_month",
    "centroid_x",
    "centroid_y",
    "centroid_lon",
    "centroid_lat",
    "geometry",
]


def _text_codes(
    incidents: pd.DataFrame, column: str, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of one text column over ``rows`` and its distinct values.

    Blank values (empty or only spaces) and missing ones get code -1, so every
    summary ignores them. Works the same on object and categorical columns; the
    text is stripped once per distinct value, never per row.
    """
    if column not in incidents.columns:
        return np.full(len(rows), -1, dtype=np.int64), np.array([], dtype=object)
    codes, uniques = pd.factorize(incidents[column].take(rows).to_numpy(dtype=object))
    uniques = np.asarray(uniques, dtype=object)
    blank = pd.Series(uniques, dtype=object).astype(str).str.strip().eq("").to_numpy()
    if blank.any():
        codes = np.where((codes >= 0) & blank[codes.clip(0)], -1, codes)
    return codes.astype(np.int64), uniques


def _pair_counts(group: np.ndarray, codes: np.ndarray, n_codes: int) -> pd.DataFrame:
    """Count each (group, value) pair, in order of the pair's first appearance.

    Returns a frame with ``group``, ``code``, ``count`` and ``seen`` (the rank
    of the pair's first appearance), ignoring code -1.
    """
    ok = codes >= 0
    key = group[ok].astype(np.int64) * max(n_codes, 1) + codes[ok]
    inverse, pairs = pd.factorize(key)
    return pd.DataFrame(
        {
            "group": pairs // max(n_codes, 1),
            "code": pairs % max(n_codes, 1),
            "count": np.bincount(inverse, minlength=len(pairs)),
            "seen": np.arange(len(pairs)),
        }
    )


def _first_per_group(frame: pd.DataFrame, n_groups: int, values: np.ndarray) -> np.ndarray:
    """``values`` of each group's first row in ``frame`` (sorted by group); "" where none."""
    out = np.full(n_groups, "", dtype=object)
    first = frame.drop_duplicates("group")
    out[first["group"].to_numpy()] = values[first.index.to_numpy()]
    return out


def _joined(frame: pd.DataFrame, text: pd.Series, n_groups: int, sep: str) -> np.ndarray:
    """Join ``text`` (aligned with ``frame``, sorted by group) with ``sep`` within each group.

    One ``numpy.add.reduceat`` over the strings; "" for groups with none.
    """
    out = np.full(n_groups, "", dtype=object)
    if len(frame):
        group = frame["group"].to_numpy()
        start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
        pieces = text.to_numpy(dtype=object).copy()
        later = np.ones(len(pieces), dtype=bool)
        later[start] = False
        pieces[later] = sep + pieces[later]
        out[group[start]] = np.add.reduceat(pieces, start)
    return out


def _street_codes(codes: np.ndarray, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Location codes mapped to street codes (the streets of :func:`hotspots.privacy.street_counts`).

    Each distinct location is read once; a location with no recognisable street
    gets code -1 (left out of the counts).
    """
    from hotspots.privacy import _street_key

    streets = [_street_key(u) or None for u in uniques]
    street_codes, street_uniques = pd.factorize(pd.Series(streets, dtype=object))
    if not len(uniques):
        return codes, np.asarray(street_uniques, dtype=object)
    mapped = np.where(codes >= 0, street_codes[np.maximum(codes, 0)], -1)
    return mapped.astype(np.int64), np.asarray(street_uniques, dtype=object)


def _top_values(group: np.ndarray, codes: np.ndarray, uniques: np.ndarray, n_groups: int,
                n: int = 3) -> np.ndarray:  # fmt: skip
    """Each group's ``n`` most common values as ``"value (count); ..."``.

    Ties keep the order in which the values first appear (as
    :meth:`pandas.Series.value_counts` does).
    """
    pairs = _pair_counts(group, codes, len(uniques))
    count = pairs["count"].to_numpy()
    order = np.lexsort((pairs["seen"].to_numpy(), -count, pairs["group"].to_numpy()))
    pairs = pairs.iloc[order[_rank_in_group(pairs["group"].to_numpy()[order]) < n]]
    pairs = pairs.reset_index(drop=True)
    values = uniques[pairs["code"].to_numpy()]
    text = pd.Series(
        [f"{v!s} ({c})" for v, c in zip(values, pairs["count"].tolist())], dtype=object
    )
    return _joined(pairs, text, n_groups, "; ")


def _rank_in_group(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within each run of equal values of a sorted ``group``.

    Examples
    --------
    >>> _rank_in_group(np.array([0, 0, 0, 2, 5, 5])).tolist()
    [0, 1, 2, 0, 0, 1]
    """
    start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]]) if len(group) else group
    return positions_in_runs(np.diff(np.r_[start, len(group)]))


def _mode(group: np.ndarray, codes: np.ndarray, uniques: np.ndarray, n_groups: int) -> np.ndarray:
    """Each group's most common value; ties go to the smallest value (as :meth:`pandas.Series.mode`)."""
    pairs = _pair_counts(group, codes, len(uniques))
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.argsort(uniques, kind="stable")] = np.arange(len(uniques))
    pairs["rank"] = rank[pairs["code"].to_numpy()]
    pairs = pairs.sort_values(["group", "count", "rank"], ascending=[True, False, True])
    return _first_per_group(
        pairs.reset_index(drop=True), n_groups, uniques[pairs["code"].to_numpy()]
    )


def _months(group: np.ndarray, codes: np.ndarray, uniques: np.ndarray, n_groups: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Each group's distinct months, sorted and joined, and its first and last month."""
    pairs = _pair_counts(group, codes, len(uniques))
    text = uniques.astype(str)  # each month's text once, sorted once: pairs sort by its rank
    rank = np.empty(len(text), dtype=np.int64)
    rank[np.argsort(text, kind="stable")] = np.arange(len(text))
    code = pairs["code"].to_numpy()
    pairs = pairs.iloc[np.lexsort((rank[code], pairs["group"].to_numpy()))].reset_index(drop=True)
    month = pd.Series(text[pairs["code"].to_numpy()], dtype=object)
    months = _joined(pairs, month, n_groups, ", ")
    first = _first_per_group(pairs, n_groups, month.to_numpy())
    last_rows = pairs.drop_duplicates("group", keep="last")
    last = _first_per_group(last_rows.reset_index(drop=True), n_groups,
                            month.to_numpy()[last_rows.index.to_numpy()])  # fmt: skip
    return months, first, last


def _hulls(group: np.ndarray, xy: np.ndarray, n_groups: int, buffer_m: float) -> np.ndarray:
    """Each group's convex hull of its distinct points, widened by ``buffer_m``.

    One pass: the distinct (group, point) pairs become one line per group, through
    its points in order (a lone point twice). GEOS takes the hull of any geometry
    from its distinct coordinates, so the line's hull is the MultiPoint's, and it
    is made from the coordinates at once (a MultiPoint needs a Point per point).
    """
    pts, uniq, _ = distinct_points(xy)
    key = np.unique(group.astype(np.int64) * len(uniq) + pts)  # sorted by group
    grp, pt = key // len(uniq), key % len(uniq)
    lone = np.flatnonzero(np.bincount(grp, minlength=n_groups) == 1)
    at = np.searchsorted(grp, lone)
    lines = shapely.linestrings(np.insert(uniq[pt], at, uniq[pt[at]], axis=0),
                                indices=np.insert(grp, at, lone))  # fmt: skip
    if len(lines) != n_groups:
        raise AssertionError("every cluster has at least one point")  # pragma: no cover
    # quad_segs=16: the smoothness of shapely's Geometry.buffer, as the maps have always had
    return shapely.buffer(
        shapely.convex_hull(lines), buffer_m if buffer_m > 0 else 1.0, quad_segs=16
    )


def summarise_clusters(
    incidents: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    areas: gpd.GeoDataFrame | None = None,
    hull_buffer_m: float = 25.0,
) -> gpd.GeoDataFrame:
    """One row per cluster: size, share, place, ward, focus area, months, hull.

    Every column comes from one grouping of the clustered incidents (no
    Python loop over clusters); the hulls from the distinct map points only.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The clustered incidents (with ``ward``, ``location``, ``category`` and
        ``month`` where available; object or categorical columns).
    labels : pandas.Series
        From :func:`label_incidents`, index-aligned with ``incidents``.
    areas : geopandas.GeoDataFrame, optional
        Focus areas (:func:`hotspots.read.places.read_focus_areas`) to tag clusters with.
    hull_buffer_m : float, default 25
        Widening of each convex hull, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`CLUSTER_COLUMNS`; hull polygons in EPSG:27700; sorted by
        ``incidents``, largest first, with ``cluster_id`` 1, 2, ... in that order.
        ``share`` is the cluster's fraction of all incidents given.
        ``top_locations`` and ``top_categories`` list the three most common
        non-blank values with their counts (ties in order of appearance);
        ``ward`` is the most common non-blank ward (ties: the first by name).

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame({"location": ["A", "A", "B", "C"], "month": ["2018-11", "2018-10",
    ...                         "2018-10", ""]}, crs=27700,
    ...                        geometry=gpd.points_from_xy([0, 0, 10, 5000], [0, 0, 0, 0]))
    >>> out = summarise_clusters(pts, pd.Series([0, 0, 0, -1]))
    >>> out[["incidents", "top_locations", "months"]].values.tolist()
    [[3, 'A (2); B (1)', '2018-10, 2018-11']]
    """
    lab = labels.reindex(incidents.index).to_numpy()
    xy = analysis_xy(incidents)  # read once per frame: DBSCAN has read it already
    return _summarise(incidents, xy, lab, areas=areas, hull_buffer_m=hull_buffer_m)


def _summarise(
    incidents: pd.DataFrame,
    xy: np.ndarray,
    lab: np.ndarray,
    *,
    areas: gpd.GeoDataFrame | None,
    hull_buffer_m: float,
    total: int | None = None,
) -> gpd.GeoDataFrame:
    """:func:`summarise_clusters` on coordinates already in metres.

    ``total`` (the incidents ``share`` is of) defaults to the rows given; the
    Dask engine passes only the clustered rows and the whole selection's count.
    """
    total = len(lab) if total is None else total
    rows = np.flatnonzero(lab != NOISE)
    if not len(rows):
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in CLUSTER_COLUMNS[:-1]})
        return gpd.GeoDataFrame(
            empty, geometry=gpd.GeoSeries([], crs=ANALYSIS_CRS), crs=ANALYSIS_CRS
        )
    label_values, group = np.unique(lab[rows], return_inverse=True)
    k = len(label_values)
    pts = xy[rows]
    size = np.bincount(group, minlength=k)
    codes = {c: _text_codes(incidents, c, rows) for c in ("ward", "location", "category", "month")}
    months, first_month, last_month = _months(group, *codes["month"], k)
    out = gpd.GeoDataFrame(
        {
            "_label": label_values,
            "incidents": size.astype(np.int64),
            "share": size / total,
            "ward": _mode(group, *codes["ward"], k),
            "top_locations": _top_values(group, *codes["location"], k),
            "top_categories": _top_values(group, *codes["category"], k),
            "top_streets": _top_values(group, *_street_codes(*codes["location"]), k),
            "months": months,
            "first_month": first_month,
            "last_month": last_month,
            "centroid_x": np.bincount(group, weights=pts[:, 0], minlength=k) / size,
            "centroid_y": np.bincount(group, weights=pts[:, 1], minlength=k) / size,
        },
        geometry=_hulls(group, pts, k, hull_buffer_m),
        crs=ANALYSIS_CRS,
    )
    out = out.sort_values(["incidents", "_label"], ascending=[False, True], ignore_index=True)
    out["cluster_id"] = np.arange(1, len(out) + 1)
    lon, lat = bng_to_lonlat(out["centroid_x"], out["centroid_y"])
    out["centroid_lon"], out["centroid_lat"] = lon.round(6), lat.round(6)
    out["area"] = tag_focus_areas(out.geometry, areas)
    return out[CLUSTER_COLUMNS]


def find_clusters(
    incidents: gpd.GeoDataFrame,
    *,
    params: ClusterParams | None = None,
    areas: gpd.GeoDataFrame | None = None,
    study_area_m2: float | None = None,
) -> gpd.GeoDataFrame:
    """Cluster incidents with DBSCAN and summarise each cluster.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points (any CRS; clustered in EPSG:27700 metres).
    params : ClusterParams, optional
        DBSCAN settings; defaults suit one borough and one season.
    areas : geopandas.GeoDataFrame, optional
        Focus areas to tag clusters with.
    study_area_m2 : float, optional
        The study area (e.g. the wards' total area), used to choose
        ``min_samples`` and to warn about the giant-cluster trap; defaults to
        the convex hull of the incidents.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`summarise_clusters`.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.normal(0, 20, (30, 2)), rng.normal(2000, 20, (20, 2)),
    ...                 rng.uniform(-3000, 5000, (10, 2))]) + [404000, 267000]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> find_clusters(pts, params=ClusterParams(eps_m=60, min_samples=5))["incidents"].tolist()
    [30, 20]
    """
    params = params or ClusterParams()
    xy = analysis_xy(incidents)
    if study_area_m2 is None:
        uniq = distinct_points(xy)[1]
        study_area_m2 = shapely.convex_hull(shapely.multipoints(uniq)).area if len(xy) > 2 else 0.0
    min_samples = params.min_samples
    if min_samples is None:
        min_samples = default_min_samples(len(xy), study_area_m2, params.eps_m)
        log.info("min_samples chosen from the data: %d", min_samples)
    else:
        check_min_samples(len(xy), study_area_m2, eps_m=params.eps_m, min_samples=min_samples)
    labels = dbscan_labels(xy, eps_m=params.eps_m, min_samples=min_samples)
    clusters = _summarise(incidents, xy, labels, areas=areas, hull_buffer_m=params.hull_buffer_m)
    clusters.attrs["min_samples"] = min_samples
    clusters.attrs["eps_m"] = params.eps_m
    clusters.attrs["hull_buffer_m"] = params.hull_buffer_m
    clusters.attrs["params_source"] = params.source
    return clusters
