"""DBSCAN clusters of incidents, in metres: which incidents make each cluster.

police.uk moves every incident to one of a set of anonymous map points, so
many incidents share coordinates. :func:`dbscan_labels` clusters each distinct
point once, weighted by how many incidents stand on it (DBSCAN's
``sample_weight``). The labels are exactly those of plain DBSCAN on every
incident, for a fraction of the time and memory. The table of clusters (one
summary row each) is :mod:`hotspots.analysis.summaries`.
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

from hotspots._errors import HotspotsError
from hotspots._validate import analysis_xy
from hotspots.analysis._arrays import positions_in_runs

log = logging.getLogger(__name__)

NOISE = -1


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
