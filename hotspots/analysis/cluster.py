"""DBSCAN clusters of incidents, in metres, with one summary row per cluster.

police.uk moves every incident to one of a set of anonymous map points, so
many incidents share coordinates. :func:`dbscan_labels` clusters each distinct
point once, weighted by how many incidents stand on it (DBSCAN's
``sample_weight``). The labels are exactly those of plain DBSCAN on every
incident, for a fraction of the time and memory.
"""

from __future__ import annotations

import logging
import math
import warnings
import weakref
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import HotspotsError
from hotspots._validate import ANALYSIS_CRS, analysis_xy
from hotspots.analysis._arrays import positions_in_runs
from hotspots.read.geocode import bng_to_lonlat
from hotspots.read.places import tag_focus_areas

log = logging.getLogger(__name__)

NOISE = -1
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


class ClusterWarning(UserWarning):
    """DBSCAN settings that will probably give a poor answer."""


@dataclass(frozen=True)
class ClusterParams:
    """DBSCAN settings that travel together.

    Attributes
    ----------
    eps_m : float, default 100
        Neighbourhood radius in metres.
    min_samples : int or None, default None
        Incidents within ``eps_m`` (the point itself included) that make a core
        point. None chooses it from the data with :func:`default_min_samples`.
    hull_buffer_m : float, default 25
        Each cluster's convex hull is widened by this, so that a cluster on one
        map point still has an area.
    source : str, default ""
        Where the settings came from (a ``hotspots tune`` parameter file's
        name), so outputs can say so; "" for options or defaults.
    """

    eps_m: float = 100.0
    min_samples: int | None = None
    hull_buffer_m: float = 25.0
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.eps_m > 0:
            raise HotspotsError(f"eps_m must be a distance in metres above 0; got {self.eps_m!r}")
        if self.min_samples is not None and int(self.min_samples) < 2:
            raise HotspotsError(f"min_samples must be 2 or more; got {self.min_samples!r}")
        if self.hull_buffer_m < 0:
            raise HotspotsError(f"hull_buffer_m must be 0 or more; got {self.hull_buffer_m!r}")


def distinct_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collapse identical coordinates, keeping the order in which they first appear.

    One hash pass (no sort), so the cost grows with the rows once and every
    later step works on the distinct points.

    Parameters
    ----------
    xy : numpy.ndarray, shape (n, 2)
        Coordinates.

    Returns
    -------
    inverse : numpy.ndarray of int, shape (n,)
        Each row's distinct point (``uniq[inverse]`` gives ``xy`` back).
    uniq : numpy.ndarray, shape (m, 2)
        The distinct points, in order of first appearance.
    counts : numpy.ndarray of int, shape (m,)
        Rows on each distinct point.

    Examples
    --------
    >>> inverse, uniq, counts = distinct_points(np.array([[5.0, 1], [0, 0], [5, 1]]))
    >>> inverse.tolist(), uniq.tolist(), counts.tolist()
    ([0, 1, 0], [[5.0, 1.0], [0.0, 0.0]], [2, 1])
    """
    xy = np.ascontiguousarray(xy, dtype=float).reshape(-1, 2)
    inverse, uniq = pd.factorize(xy.view(np.complex128).ravel())
    uniq = np.column_stack([uniq.real, uniq.imag])
    return inverse, uniq, np.bincount(inverse, minlength=len(uniq))


#: Map points found by :func:`map_points_of`, by the ``id`` of the coordinates they are of.
_HELD_POINTS: dict[int, tuple] = {}


def map_points_of(
    incidents: gpd.GeoDataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The incidents' distinct map points (:func:`distinct_points`), found once per frame.

    Kept with the incidents' coordinates (:func:`hotspots._validate.analysis_xy`,
    read once per geometry column), so DBSCAN and the labels' street points
    hash the coordinates once. Read-only, as they are shared.

    Examples
    --------
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([5, 0, 5], [1, 0, 1]), crs=27700)
    >>> inverse, uniq, counts = map_points_of(pts)
    >>> inverse.tolist(), uniq.tolist(), counts.tolist(), map_points_of(pts)[0] is inverse
    ([0, 1, 0], [[5.0, 1.0], [0.0, 0.0]], [2, 1], True)
    """
    xy = analysis_xy(incidents)
    held = _HELD_POINTS.get(id(xy))
    if held is not None and held[0]() is xy:  # the coordinates are read-only: the same points
        return held[1]
    found = distinct_points(xy)
    for array in found:
        array.flags.writeable = False
    key = id(xy)
    _HELD_POINTS[key] = (weakref.ref(xy, lambda _, key=key: _HELD_POINTS.pop(key, None)), found)
    return found


def dbscan_labels(
    xy: np.ndarray,
    *,
    eps_m: float,
    min_samples: int,
    dedupe: bool = True,
    points: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Run DBSCAN on points in metres, clustering shared coordinates once.

    Parameters
    ----------
    xy : numpy.ndarray, shape (n, 2)
        Eastings and northings (EPSG:27700).
    eps_m, min_samples
        As for :class:`sklearn.cluster.DBSCAN`.
    dedupe : bool, default True
        Collapse identical coordinates and pass their counts as ``sample_weight``.
        The labels are identical to ``dedupe=False``: distinct points are taken in
        order of first appearance, so DBSCAN meets clusters in the same order.
    points : tuple, optional
        ``distinct_points(xy)`` when already found (:func:`map_points_of`).

    Returns
    -------
    numpy.ndarray of int
        One label per point; ``-1`` is noise.

    Examples
    --------
    >>> xy = np.array([[0, 0], [0, 0], [0, 0], [10, 0], [5000, 5000]], dtype=float)
    >>> dbscan_labels(xy, eps_m=50, min_samples=3).tolist()
    [0, 0, 0, 0, -1]
    """
    xy = np.asarray(xy, dtype=float)
    if len(xy) == 0:
        return np.empty(0, dtype=np.int64)
    if not dedupe:
        from sklearn.cluster import DBSCAN  # heavy: imported where used

        return DBSCAN(eps=eps_m, min_samples=int(min_samples)).fit(xy).labels_.astype(np.int64)
    inverse, uniq, counts = distinct_points(xy) if points is None else points
    return weighted_dbscan(uniq, counts, eps_m=eps_m, min_samples=min_samples)[inverse]


def weighted_dbscan(
    xy: np.ndarray, counts: np.ndarray, *, eps_m: float, min_samples: int
) -> np.ndarray:
    """DBSCAN of weighted points as array operations on the neighbour graph.

    The labels equal :class:`sklearn.cluster.DBSCAN` with ``sample_weight``:
    a point is core when the weights within ``eps_m`` (itself included) reach
    ``min_samples``; clusters are the connected groups of core points, numbered
    in order of their first point; a border point joins the earliest cluster
    that reaches it. scikit-learn sums each neighbourhood in a Python loop; here
    the neighbour pairs (:func:`neighbour_pairs`) are summed at once and the
    clusters joined by array union-find, without SciPy, over only the points that
    a grid of counts shows may be core points or their neighbours
    (:meth:`_Grid.near_possible_cores`).

    Parameters
    ----------
    xy : numpy.ndarray, shape (m, 2)
        Distinct points in metres (the order decides cluster numbers and ties).
    counts : numpy.ndarray, shape (m,)
        Weights (incidents on each point).
    eps_m, min_samples
        As for :class:`sklearn.cluster.DBSCAN`.

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> weighted_dbscan(np.array([[0.0, 0], [30, 0], [500, 0]]), np.array([4, 1, 2]),
    ...                 eps_m=50, min_samples=5).tolist()
    [0, 0, -1]
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    labels = np.full(n, NOISE, dtype=np.int64)
    if not n:
        return labels
    grid = _Grid(xy, eps_m)
    near = grid.near_possible_cores(counts, min_samples)
    if not near.any():  # no neighbourhood can hold min_samples: all noise, no pair measured
        return labels
    i, j = grid.pairs(xy, eps_m, cells=near)
    weight = np.asarray(counts, dtype=float)
    within = (weight + np.bincount(i, weights=weight[j], minlength=n)
              + np.bincount(j, weights=weight[i], minlength=n))  # fmt: skip
    core = (within >= min_samples) & near[grid.cell]
    if not core.any():
        return labels
    # a cluster is numbered by its first core point: the smallest index in its component
    both = core[i] & core[j]
    root = _smallest_in_component(n, i[both], j[both])
    seeds = np.flatnonzero(core & (root == np.arange(n)))
    labels[core] = np.searchsorted(seeds, root[core])
    # border points: the smallest cluster number among the core points within reach
    one = core[i] != core[j]
    if one.any():
        c = np.where(core[i[one]], i[one], j[one])
        b = np.where(core[i[one]], j[one], i[one])
        best = np.full(n, n, dtype=np.int64)
        np.minimum.at(best, b, labels[c])
        reached = best < n
        labels[reached] = best[reached]
    return labels


class _Grid:
    """Points sorted into square cells a little over ``size`` wide, and which cells touch.

    Two points within ``size`` of each other lie in one cell or in two
    neighbouring ones (the cells are wider by a millionth, so that rounding
    never matters). ``cell`` is each point's cell; ``a``, ``b`` list each pair
    of neighbouring cells once.
    """

    def __init__(self, xy: np.ndarray, size: float) -> None:
        n = len(xy)
        cell = np.floor(xy / (size * (1 + 1e-6))).astype(np.int64)
        cell -= cell.min(axis=0)
        width = int(cell[:, 1].max()) + 3  # a row of cells, with room on both sides
        key = cell[:, 0] * width + cell[:, 1] + 1
        self.order = np.argsort(key)  # the order within a cell never matters
        key = key[self.order]
        self.start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        self.size = np.diff(np.r_[self.start, n])
        keys = key[self.start]
        self.cell = np.empty(n, dtype=np.int64)
        self.cell[self.order] = np.repeat(np.arange(len(keys)), self.size)
        found_a, found_b = [], []
        for step in (1, width - 1, width, width + 1):  # 4 of the 8 neighbours: each pair once
            at = np.minimum(np.searchsorted(keys, keys + step), len(keys) - 1)
            a = np.flatnonzero(keys[at] == keys + step)
            found_a.append(a)
            found_b.append(at[a])
        self.a, self.b = np.concatenate(found_a), np.concatenate(found_b)

    def block(self, per_cell: np.ndarray) -> np.ndarray:
        """Each cell's value plus its neighbours' (the 3 x 3 block around it)."""
        m = len(per_cell)
        return (per_cell + np.bincount(self.a, weights=per_cell[self.b], minlength=m)
                + np.bincount(self.b, weights=per_cell[self.a], minlength=m))  # fmt: skip

    def near_possible_cores(self, counts: np.ndarray, min_samples: int) -> np.ndarray:
        """The cells whose points may be core points or lie within reach of one.

        A point's neighbourhood lies in the 3 x 3 block of cells around its own,
        so only a point whose block holds ``min_samples`` may be core; only points
        in the blocks of those may be within reach of one. Everything else is
        noise, and no pair of it is measured: at a borough's automatic
        ``min_samples`` that is most points.
        """
        per_cell = np.bincount(self.cell, weights=np.asarray(counts, dtype=float),
                               minlength=len(self.size))  # fmt: skip
        # generous by a hair: weights that are not whole numbers sum with rounding
        core = (self.block(per_cell) * (1 + 1e-9) + 1e-9 >= min_samples).astype(float)
        return self.block(core) > 0

    def pairs(
        self, xy: np.ndarray, radius: float, *, cells: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The pairs of points within ``radius`` (``i < j``, sorted), among ``cells`` only."""
        none = np.zeros(0, dtype=np.int64)
        x, y = xy[self.order, 0], xy[self.order, 1]
        limit = radius * radius
        own = np.flatnonzero(self.size > 1)
        side = np.ones(len(self.a), dtype=bool)
        if cells is not None:
            own = own[cells[own]]
            side = cells[self.a] & cells[self.b]
        found_i, found_j = [], []
        for a, b in ((own, own), (self.a[side], self.b[side])):
            per = self.size[a] * self.size[b]
            total = int(per.sum())
            if not total:
                continue
            group = np.repeat(np.arange(len(a)), per)
            k = positions_in_runs(per)
            pi = self.start[a][group] + k // self.size[b][group]
            pj = self.start[b][group] + k % self.size[b][group]
            if a is b:  # one cell: each pair once
                pi, pj = pi[pi < pj], pj[pi < pj]
            dx, dy = x[pi] - x[pj], y[pi] - y[pj]
            close = dx * dx + dy * dy <= limit
            found_i.append(self.order[pi[close]])
            found_j.append(self.order[pj[close]])
        if not found_i:
            return none, none
        i, j = np.concatenate(found_i), np.concatenate(found_j)
        i, j = np.minimum(i, j), np.maximum(i, j)
        sort = np.lexsort((j, i))
        return i[sort], j[sort]


def _near_possible_cores(
    xy: np.ndarray, counts: np.ndarray, eps_m: float, min_samples: int
) -> np.ndarray:
    """Points that may be core points or lie within ``eps_m`` of one, from a grid of counts
    (:meth:`_Grid.near_possible_cores`)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if not len(xy):
        return np.zeros(0, dtype=bool)
    grid = _Grid(xy, eps_m)
    return grid.near_possible_cores(counts, min_samples)[grid.cell]


def _smallest_in_component(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each of ``n`` nodes, the smallest node joined to it by the edges ``a``-``b``.

    Union-find as array operations: every round hooks each root that an edge
    joins to a smaller root onto the smallest such, then follows pointers to the
    roots; edges inside one component are dropped. A root is never hooked onto a
    larger node, so the root of a component is its smallest node.

    Examples
    --------
    >>> _smallest_in_component(6, np.array([5, 1, 4]), np.array([3, 4, 2])).tolist()
    [0, 1, 1, 3, 1, 3]
    """
    root = np.arange(n)
    while len(a):
        ra, rb = root[a], root[b]
        across = ra != rb
        a, b, ra, rb = a[across], b[across], ra[across], rb[across]
        if not len(a):
            break
        np.minimum.at(root, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:
            up = root[root]
            if np.array_equal(up, root):
                break
            root = up
    return root


def neighbour_pairs(xy: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of points within ``radius`` of each other (``i < j``), from a grid.

    The pairs of SciPy's ``cKDTree.query_pairs`` (squared distance
    ``dx*dx + dy*dy <= radius**2``, computed as it does), without importing SciPy:
    points are sorted into square cells a little over ``radius`` wide, and only
    the pairs in one cell or in two neighbouring cells are measured.

    Parameters
    ----------
    xy : numpy.ndarray, shape (n, 2)
        Points in metres.
    radius : float
        Metres.

    Returns
    -------
    i, j : numpy.ndarray of int
        The pairs, ``i < j``, each once, sorted by ``i`` then ``j``.

    Examples
    --------
    >>> i, j = neighbour_pairs(np.array([[0.0, 0], [30, 0], [500, 0], [0, 40]]), 50)  # 1-3: 50 m
    >>> i.tolist(), j.tolist()
    ([0, 0, 1], [1, 3, 3])
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return _Grid(xy, radius).pairs(xy, radius)


def radius_graph(xy: np.ndarray, radius: float):
    """The points within ``radius`` of each point (itself included) as a sparse 0/1 matrix.

    The graph of scikit-learn's ``radius_neighbors_graph(mode="connectivity")``
    (distance ``<= radius``), from SciPy's k-d tree: SciPy loads in a fraction
    of scikit-learn's import time (the web app's first map waited for it).

    Examples
    --------
    >>> radius_graph(np.array([[0.0, 0], [30, 0], [500, 0]]), 50).toarray().tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    """
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

    n = len(xy)
    pairs = cKDTree(xy).query_pairs(radius, output_type="ndarray")
    own = np.arange(n)
    rows = np.concatenate([pairs[:, 0], pairs[:, 1], own])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0], own])
    return csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n, n))


def background_count(n_incidents: int, study_area_m2: float, eps_m: float) -> float:
    """The incidents expected in one ``eps_m`` circle if they were spread evenly.

    Examples
    --------
    >>> round(background_count(1000, 50e6, 100), 2)
    0.63
    """
    if study_area_m2 <= 0:
        return 0.0  # no area to spread over: no background estimate
    return n_incidents * math.pi * eps_m**2 / study_area_m2


def default_min_samples(n_incidents: int, study_area_m2: float, eps_m: float) -> int:
    """Choose ``min_samples`` for a borough-sized selection without tuning.

    A hotspot must hold at least 5 incidents, at least 1% of the selection, and
    at least three times the even-spread background count within ``eps_m``
    (so the whole built-up area never joins into one giant cluster).

    Examples
    --------
    >>> default_min_samples(450, 54e6, 100), default_min_samples(3200, 54e6, 100)
    (5, 32)
    """
    bg = background_count(n_incidents, study_area_m2, eps_m)
    return max(5, math.ceil(0.01 * n_incidents), math.ceil(3 * bg))


def check_min_samples(
    n_incidents: int, study_area_m2: float, *, eps_m: float, min_samples: int
) -> str | None:
    """Warn when ``min_samples`` is so low that background incidents alone make clusters.

    Returns
    -------
    str or None
        The warning text (also issued as a :class:`ClusterWarning`), or None.
    """
    bg = background_count(n_incidents, study_area_m2, eps_m)
    if min_samples > 2 * bg:
        return None
    msg = (
        f"min_samples={min_samples} is at or below twice the {bg:.1f} incidents expected in "
        f"any {eps_m:g} m circle if incidents were spread evenly; clusters will merge into "
        f"one giant cluster. Raise min_samples above {math.ceil(2 * bg)} or lower eps_m."
    )
    warnings.warn(msg, ClusterWarning, stacklevel=2)
    return msg


def suggest_eps(
    incidents: gpd.GeoDataFrame, *, min_samples: int, quantile: float | None = None
) -> float:
    """Suggest ``eps_m`` from the knee of the k-distance curve.

    For each incident, the distance to its ``min_samples``-th nearest incident
    is sorted; the knee (the point furthest from the straight line joining the
    curve's ends) separates clustered incidents from the background.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points.
    min_samples : int
        The ``k`` of the k-distance curve.
    quantile : float, optional
        Use this quantile of the k-distances instead of the knee.

    Returns
    -------
    float
        Metres, rounded to 5 m (at least 10 m).
    """
    from sklearn.neighbors import NearestNeighbors  # heavy: imported where used

    xy = analysis_xy(incidents)
    if len(xy) <= min_samples:
        raise HotspotsError(
            f"suggest_eps needs more than min_samples={min_samples} incidents; got {len(xy)}"
        )
    nn = NearestNeighbors(n_neighbors=min_samples).fit(xy)
    dist = np.sort(nn.kneighbors(xy)[0][:, -1])
    if quantile is not None:
        value = float(np.quantile(dist, quantile))
    else:
        x = np.linspace(0.0, 1.0, len(dist))
        y = (dist - dist[0]) / max(dist[-1] - dist[0], 1e-9)
        value = float(dist[int(np.argmax(x - y))])
    return max(10.0, round(value / 5.0) * 5.0)


def label_incidents(
    incidents: gpd.GeoDataFrame, *, eps_m: float = 100.0, min_samples: int = 5
) -> pd.Series:
    """DBSCAN label of each incident (``-1`` for noise), index-aligned.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 5, 10, 9000], [0, 0, 0, 0]),
    ...                        crs=27700)
    >>> label_incidents(pts, eps_m=50, min_samples=3).tolist()
    [0, 0, 0, -1]
    """
    labels = dbscan_labels(analysis_xy(incidents), eps_m=eps_m, min_samples=min_samples,
                           points=map_points_of(incidents))  # fmt: skip
    return pd.Series(labels, index=incidents.index, name="cluster")


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
