"""Chance study areas simulated from the null model, and their most extreme chance hotspots.

Each simulation spreads the period's incidents by the model
(:mod:`hotspots.analysis.null_model`), clusters them with the same DBSCAN
settings and keeps its highest :func:`~hotspots.analysis.null_model.excess_score`
(:func:`null_scores`): multinomial counts on the map points that can hold a
core point (pruned by :func:`binomial_tail_bound` on DBSCAN's grid), clustered
all at once on their neighbour rows (:class:`Neighbours`), and the lone rural
map points drawn at once from their exact law (:func:`alone_max_law`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely

from hotspots._errors import HotspotsError
from hotspots.analysis._arrays import positions_in_runs
from hotspots.analysis.null_model import (
    N_SIM,
    ChanceModel,
    excess_score,
    outline_shares,
    uniform_points,
)

#: Simulations per batch; the sequential test looks at the p-values after each.
BATCH = 100


#: Chance, per simulation and summed over the map points left out, that one of them is a core point.
PRUNE_TOTAL = 1e-6


#: Entries (map points x simulations, or incidents x simulations) handled at once.
CHUNK_ENTRIES = 4_000_000


def chance_counts(
    n_points: int,
    n_incidents: int,
    *,
    n_sim: int,
    rng: np.random.Generator,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Incidents on each map point in ``n_sim`` chance study areas, shape (n_points, n_sim).

    A multinomial draw of ``n_incidents`` over the points (evenly, or in
    proportion to ``weights``: catchment areas or counts). Drawn point by
    point (``numpy``'s multinomial) when incidents outnumber points, else
    incident by incident, whichever costs less.

    Examples
    --------
    >>> c = chance_counts(4, 10, n_sim=3, rng=np.random.default_rng(0))
    >>> c.shape, c.sum(axis=0).tolist()
    ((4, 3), [10, 10, 10])
    >>> chance_counts(3, 5, n_sim=2, rng=np.random.default_rng(0), weights=np.array([0, 1, 0]))[1].tolist()
    [5, 5]
    """
    n_incidents = np.broadcast_to(np.asarray(n_incidents, dtype=np.int64), (n_sim,))
    if weights is None:
        p = np.full(n_points, 1.0 / max(n_points, 1))
    else:
        w = np.asarray(weights, dtype=float)
        p = w / w.sum()
    if n_incidents.mean() >= 0.25 * n_points:
        return rng.multinomial(n_incidents, p).T.astype(np.int32)
    # incident by incident: n draws per simulation
    total = int(n_incidents.sum())
    cdf = np.cumsum(p)
    draws = np.minimum(
        np.searchsorted(cdf, rng.random(total) * cdf[-1], side="right"), n_points - 1
    )
    sim = np.repeat(np.arange(n_sim), n_incidents)
    counts = np.bincount(draws * n_sim + sim, minlength=n_points * n_sim)
    return counts.reshape(n_points, n_sim).astype(np.int32)


def largest_clusters(adjacency, counts: np.ndarray, min_samples: int) -> np.ndarray:
    """The largest weighted DBSCAN cluster (incidents) of each column of ``counts``.

    DBSCAN on weighted points, every simulation at once: a point with
    incidents is core when its eps-neighbourhood (itself included) holds
    ``min_samples`` incidents; clusters are the connected groups of core
    points (one graph holds the core points of every simulation, so one
    ``connected_components`` call finds them all); a border point joins the
    neighbouring cluster that DBSCAN (scikit-learn, points in this order)
    meets first, the one whose lowest core point index is smallest. A test
    checks the sizes equal ``sklearn.cluster.DBSCAN``'s.

    Parameters
    ----------
    adjacency : Neighbours or scipy.sparse.csr_matrix, shape (m, m)
        Map points within eps of each other, each point its own neighbour.
    counts : numpy.ndarray of int, shape (m, n_sim)
        Incidents on each map point in each simulation.
    min_samples : int
        DBSCAN's threshold (incidents).

    Returns
    -------
    numpy.ndarray of int, shape (n_sim,)
        0 where a simulation has no cluster.

    Examples
    --------
    Three points in a row 10 m apart (eps 15 m), two simulations:

    >>> adj = Neighbours(np.array([0, 2, 5, 7]), np.array([0, 1, 0, 1, 2, 1, 2]))
    >>> largest_clusters(adj, np.array([[3, 1], [2, 0], [1, 0]]), 5).tolist()
    [6, 0]
    """
    counts = np.asarray(counts)
    n_sim = counts.shape[1]
    largest = np.zeros(n_sim, dtype=np.int64)
    comp_sim, size, _, _ = _components(adjacency, counts, min_samples)
    np.maximum.at(largest, comp_sim, np.rint(size).astype(np.int64))
    return largest


def _components(adjacency, counts: np.ndarray, min_samples: int):
    """Every simulation's weighted DBSCAN clusters: (simulation, incidents) each, and their map points.

    Returns ``comp_sim``, ``size`` (one per cluster) and ``member_point``,
    ``member_comp`` (one per map point in a cluster: core or border).
    """
    from hotspots.analysis.cluster import _smallest_in_component

    m, n_sim = counts.shape
    core_i, core_s = [], []
    step = max(1, CHUNK_ENTRIES // max(m, 1))
    for a in range(0, n_sim, step):
        part = np.ascontiguousarray(counts[:, a : a + step], dtype=np.int32)
        i, s = np.nonzero((neighbour_sums(adjacency, part) >= min_samples) & (part > 0))
        core_i.append(i)
        core_s.append(s + a)
    ci, cs = np.concatenate(core_i), np.concatenate(core_s)
    none = np.zeros(0, dtype=np.int64)
    if len(ci) == 0:
        return none, np.zeros(0), none, none
    order = np.lexsort((ci, cs))  # by simulation, then point: sorted keys
    ci, cs = ci[order].astype(np.int64), cs[order].astype(np.int64)
    keys = cs * m + ci
    n_core = len(ci)
    # every (core point, neighbour) pair of the same simulation
    indptr, indices = np.asarray(adjacency.indptr), np.asarray(adjacency.indices)
    degree = (indptr[ci + 1] - indptr[ci]).astype(np.int64)
    src = np.repeat(np.arange(n_core), degree)
    nb = indices[np.repeat(indptr[ci], degree) + positions_in_runs(degree)].astype(np.int64)
    nb_sim = cs[src]
    nb_key = nb_sim * m + nb
    pos = np.minimum(np.searchsorted(keys, nb_key), n_core - 1)
    both_core = keys[pos] == nb_key
    root = _smallest_in_component(n_core, src[both_core], pos[both_core])
    _, comp = np.unique(root, return_inverse=True)
    comp = comp.reshape(-1)
    n_comp = int(comp.max()) + 1
    size = np.bincount(comp, weights=counts[ci, cs], minlength=n_comp)
    first_core = np.full(n_comp, m, dtype=np.int64)
    np.minimum.at(first_core, comp, ci)
    nb_weight = counts[nb, nb_sim]
    border = ~both_core & (nb_weight > 0)
    b_key, b_comp, b_weight = nb_key[border], comp[src[border]], nb_weight[border]
    member_point, member_comp = ci, comp.astype(np.int64)
    if len(b_key):
        order = np.lexsort((first_core[b_comp], b_key))
        b_key, b_comp, b_weight = b_key[order], b_comp[order], b_weight[order]
        first = np.r_[True, b_key[1:] != b_key[:-1]]
        size += np.bincount(b_comp[first], weights=b_weight[first], minlength=n_comp)
        member_point = np.concatenate([ci, b_key[first] % m])
        member_comp = np.concatenate([member_comp, b_comp[first].astype(np.int64)])
    comp_sim = np.empty(n_comp, dtype=np.int64)
    comp_sim[comp] = cs
    return comp_sim, size, member_point, member_comp


def _hull_outlines(xy: np.ndarray, group: np.ndarray, n_groups: int, buffer_m: float) -> np.ndarray:
    order = np.argsort(group, kind="stable")
    multi = shapely.multipoints(xy[order], indices=group[order])
    if len(multi) != n_groups:
        raise AssertionError("every cluster has at least one point")  # pragma: no cover
    return shapely.buffer(
        shapely.convex_hull(multi), buffer_m if buffer_m > 0 else 1.0, quad_segs=16
    )


def binomial_tail_bound(k: int, n: int, p) -> np.ndarray:
    """An upper bound on ``P(X >= k)`` for ``X ~ Binomial(n, p)``, close where the tail is small.

    The pmf's ratio from ``c`` to ``c + 1`` falls as ``c`` grows, so the tail
    is at most ``pmf(k) / (1 - r)``, ``r`` that ratio at ``k`` (1 where ``r >= 1``,
    where the tail is not small). Pruning with a bound keeps a few more map
    points than the exact tail would (never fewer), without SciPy's import.

    Examples
    --------
    >>> float(binomial_tail_bound(5, 1000, 0.002).round(4))  # exact: 0.0525
    0.0539
    >>> binomial_tail_bound(3, 10, np.array([0.0, 0.5])).tolist()
    [0.0, 1.0]
    """
    p = np.asarray(p, dtype=float)
    k, n = int(k), int(n)
    if k <= 0:
        return np.ones_like(p)
    if k > n:
        return np.zeros_like(p)
    log_choose = math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_pmf = log_choose + k * np.log(p) + (n - k) * np.log1p(-p)
        ratio = (n - k) / (k + 1) * p / (1 - p)
        bound = np.where(ratio < 1, np.exp(log_pmf) / (1 - ratio), 1.0)
    return np.clip(np.where(p > 0, bound, 0.0), 0.0, 1.0)


@dataclass(frozen=True)
class Neighbours:
    """Map points within eps of each other, each its own neighbour, as compressed rows.

    Row ``i`` is ``indices[indptr[i]:indptr[i + 1]]`` (sorted). The layout of a
    SciPy CSR matrix, so functions taking it also take one, without importing SciPy.

    Examples
    --------
    >>> g = Neighbours.within(np.array([[0.0, 0], [30, 0], [500, 0]]), 50)
    >>> g.indptr.tolist(), g.indices.tolist()
    ([0, 2, 4, 5], [0, 1, 0, 1, 2])
    >>> neighbour_sums(g, np.array([1.0, 2.0, 4.0])).tolist()
    [3.0, 3.0, 4.0]
    """

    indptr: np.ndarray
    indices: np.ndarray

    @classmethod
    def within(cls, xy: np.ndarray, eps_m: float) -> Neighbours:
        """The points within ``eps_m`` of each point (distance ``<= eps_m``), itself included."""
        from hotspots.analysis.cluster import neighbour_pairs

        i, j = neighbour_pairs(xy, eps_m)
        own = np.arange(len(xy))
        return cls.of(np.concatenate([i, j, own]), np.concatenate([j, i, own]), len(xy))

    @classmethod
    def of(cls, rows: np.ndarray, cols: np.ndarray, m: int) -> Neighbours:
        """The rows of ``m`` points from their (row, column) pairs, each row sorted."""
        order = np.lexsort((cols, rows))
        indptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=m), out=indptr[1:])
        return cls(indptr, np.asarray(cols)[order].astype(np.int64))


def neighbour_sums(adjacency, values: np.ndarray) -> np.ndarray:
    """Each point's ``values`` summed over its neighbours (itself included), by row.

    ``values`` of shape (m,) or (m, k); ``adjacency`` a :class:`Neighbours` or a
    SciPy CSR matrix with every point its own neighbour (no empty row).
    """
    indptr = np.asarray(adjacency.indptr)
    if len(indptr) <= 1:
        return np.zeros_like(values)
    return np.add.reduceat(np.asarray(values)[np.asarray(adjacency.indices)], indptr[:-1], axis=0)


def _subgraph(adjacency, keep: np.ndarray) -> Neighbours:
    """The neighbour rows of the points ``keep`` (sorted), among themselves, renumbered."""
    indptr, indices = np.asarray(adjacency.indptr), np.asarray(adjacency.indices)
    m = len(indptr) - 1
    new = np.full(m, -1, dtype=np.int64)
    new[keep] = np.arange(len(keep))
    degree = indptr[keep + 1] - indptr[keep]
    cols = new[indices[np.repeat(indptr[keep], degree) + positions_in_runs(degree)]]
    rows = np.repeat(np.arange(len(keep)), degree)
    inside = cols >= 0
    return Neighbours.of(rows[inside], cols[inside], len(keep))


def _simulated_points(
    adjacency,
    p: np.ndarray,
    n: int,
    min_samples: int,
    *,
    could: np.ndarray | None = None,
    budget: float = PRUNE_TOTAL,
) -> np.ndarray:
    """The map points worth simulating: possible core points and their neighbours.

    A point is left out as a core point when the chance that its
    neighbourhood holds ``min_samples`` of the ``n`` incidents (a bound on the
    binomial tail, :func:`binomial_tail_bound`), summed over every point left out, stays below ``budget``
    (:data:`PRUNE_TOTAL`); so is a point where ``could`` is False.
    """
    maybe_core = _possible_cores(neighbour_sums(adjacency, p), p, n, min_samples, budget)
    if could is not None:
        maybe_core &= could
    needed = (maybe_core | (neighbour_sums(adjacency, maybe_core.astype(np.int32)) > 0)) & (p > 0)
    return np.flatnonzero(needed)


def _possible_cores(
    reach: np.ndarray, p: np.ndarray, n: int, min_samples: int, budget: float
) -> np.ndarray:
    """Map points that may be core points, given (a bound on) their neighbourhoods' chance.

    The rest are left out: the points least likely to hold ``min_samples`` of the
    ``n`` incidents within eps (:func:`binomial_tail_bound`), as many as keep
    that chance summed over them within ``budget``, and points with no chance.
    """
    risk = np.where(p > 0, binomial_tail_bound(min_samples, n, np.minimum(reach, 1.0)), 0.0)
    order = np.argsort(risk, kind="stable")
    maybe = np.ones(len(p), dtype=bool)
    maybe[order[np.cumsum(risk[order]) <= budget]] = False
    return maybe & (p > 0)


def _possible_core_area(
    points: np.ndarray, p: np.ndarray, n: int, min_samples: int, eps_m: float, budget: float
) -> tuple[np.ndarray, np.ndarray]:
    """Which map points could be core points, and the map points within eps of any of them.

    Before any neighbour graph, on DBSCAN's grid of cells a little over
    ``eps_m`` wide (:class:`hotspots.analysis.cluster._Grid`): a point's
    neighbourhood lies in the 3 x 3 cells around it, so their summed chance
    bounds it from above; a point whose bound makes it a core point too unlikely
    is left out (:func:`_possible_cores`). Returns ``could`` (per point) and the
    indices of the points in the 3 x 3 cells around every point that could (its
    neighbours among them): the only points the neighbour graph needs. At a
    small ``min_samples`` over a large area this leaves out the towns: tens of
    thousands of map points.
    """
    from hotspots.analysis.cluster import _Grid

    grid = _Grid(points, eps_m)
    bound = grid.block(np.bincount(grid.cell, weights=p, minlength=len(grid.size)))[grid.cell]
    could = _possible_cores(bound, p, n, min_samples, budget)
    could_cells = np.bincount(grid.cell[could], minlength=len(grid.size)).astype(float)
    return could, np.flatnonzero(grid.block(could_cells)[grid.cell] > 0)


#: A map point alone (no other map point that can hold incidents within eps) whose chance is at
#: most this share is left out of the simulated draw: the highest score among all such points
#: is drawn at once from its exact law (:func:`alone_max_law`). Their counts are multinomial,
#: nearly independent at such shares (the correlation of two points is about their share).
ALONE_SHARE = 0.01


def alone_max_law(
    p: np.ndarray, n_incidents: int, min_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """The law of the highest :func:`excess_score` among map points that cluster only alone.

    A map point with no neighbour within eps is a chance hotspot exactly when
    it holds ``min_samples`` or more incidents, and its score depends on its
    count ``c`` only (``excess_score(c, n p, n)``, rising with ``c``). Its
    count is binomial ``(n, p)``; treating the points as independent, the
    chance that none scores ``s`` or more is the product over the points of
    ``P(count < c*(s))``, ``c*(s)`` the least count scoring ``s``. So the
    highest score among thousands of rural map points is one draw from this
    law per simulation, not thousands (:func:`null_scores`).

    Parameters
    ----------
    p : numpy.ndarray
        Each point's chance (share of the incidents).
    n_incidents, min_samples : int
        Incidents per simulation; DBSCAN's threshold.

    Returns
    -------
    values, below : numpy.ndarray
        The scores the highest can take, ascending, and for each the chance
        that the highest is below it (``P(max < value)``, rising). A
        simulation without such a hotspot scores 0.

    Examples
    --------
    One point expecting 2 incidents of 1,000, ``min_samples`` 5: a hotspot
    in about one simulation in 19 (binomial tail ``P(count >= 5)``).

    >>> values, below = alone_max_law(np.array([0.002]), 1000, 5)
    >>> float(round(1 - below[0], 4)), bool(values[0] > 0)
    (0.0525, True)
    """
    p = np.asarray(p, dtype=float)
    n, ms = int(n_incidents), int(min_samples)
    lam = n * p
    top = np.minimum(np.ceil(lam + 7 * np.sqrt(lam) + 12), n).astype(np.int64)  # tail < 1e-10
    width = np.maximum(top - ms + 1, 0)
    if width.sum() == 0:
        return np.zeros(0), np.zeros(0)
    point = np.repeat(np.arange(len(p)), width)
    start = np.cumsum(width) - width
    c = ms + np.arange(len(point)) - np.repeat(start, width)
    pp = p[point]
    # the binomial pmf from ms to top, log C(n, c) summed up term by term (no SciPy)
    j = np.arange(int(top.max()), dtype=float)
    log_choose = np.concatenate([[0.0], np.cumsum(np.log(n - j) - np.log(j + 1))])
    with np.errstate(divide="ignore"):
        log_pmf = log_choose[c] + c * np.log(pp) + (n - c) * np.log1p(-pp)
    pmf = np.exp(log_pmf)
    # P(count < c) for c = ms .. top + 1, point by point: 1 - P(count >= ms), then the pmf summed on
    run = np.cumsum(pmf)
    run_before = run - pmf
    has = width > 0
    segment_base = np.repeat(run_before[start[has]], width[has])
    at_least_ms = np.add.reduceat(pmf, start[has])  # up to top: the rest is below 1e-13
    below_ms = np.zeros(len(p))
    below_ms[has] = np.clip(1.0 - at_least_ms, 0.0, 1.0)
    cdf_before = np.repeat(below_ms, width) + (run_before - segment_base)  # P(count < c)
    cdf_after = cdf_before + pmf  # P(count < c + 1)
    floor = 1e-300
    step = np.log(np.maximum(cdf_before, floor)) - np.log(
        np.maximum(np.minimum(cdf_after, 1.0), floor)
    )
    value = excess_score(c, lam[point], n)
    order = np.argsort(-value)  # equal values stay together (counted at the last of them)
    value, step = value[order], step[order]
    log_below = np.cumsum(step)  # over every count scoring this much or more
    last = np.r_[value[1:] != value[:-1], True]  # the last of equal values counts them all
    values, below = value[last][::-1], np.exp(log_below[last])[::-1]
    return values, np.minimum(below, 1.0)


def _alone_max_draw(values: np.ndarray, below: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Highest scores drawn from :func:`alone_max_law` by inverting it at uniform ``u``."""
    if len(values) == 0:
        return np.zeros(len(u))
    k = np.searchsorted(below, u, side="right") - 1
    return np.where(k >= 0, values[np.maximum(k, 0)], 0.0)


def _stopped(scores: list[np.ndarray], stop_score: float | None, stop_count: int | None) -> bool:
    if stop_score is None or stop_count is None:
        return False
    return int(sum(int((part >= stop_score).sum()) for part in scores)) >= stop_count


def _max_scores(comp_sim, size, share, n_sim: int, n: int) -> np.ndarray:
    """The highest :func:`excess_score` among each simulation's clusters (0 without one)."""
    best = np.zeros(n_sim)
    if len(size):
        np.maximum.at(best, comp_sim, excess_score(size, n * share, n))
    return best


def null_scores(
    model: ChanceModel,
    n_incidents: int,
    *,
    eps_m: float,
    min_samples: int,
    hull_buffer_m: float = 25.0,
    n_sim: int = N_SIM,
    seed: int = 0,
    place: bool = False,
    stop_score: float | None = None,
    stop_count: int | None = None,
) -> np.ndarray:
    """The most extreme chance hotspot (:func:`excess_score`) in each of up to ``n_sim`` simulations.

    Each simulation spreads ``n_incidents`` by ``model``, clusters them with
    the same DBSCAN settings and scores every cluster's outline (convex hull
    of its points widened by ``hull_buffer_m``, as the maps draw it) against
    what even spread puts in it; the highest score is kept.

    * snapped / weighted models: one multinomial draw of the counts on the
      map points (:func:`chance_counts`), only for the map points that can be
      core points and their neighbours (:func:`_simulated_points`; the other
      incidents are one binomial draw), clustered all at once (:func:`_components`);
    * exact model, or ``place=True``: every incident placed evenly over the
      study area (:func:`uniform_points`), moved to its nearest map point
      unless the model is exact, a batch of simulations clustered at once
      (each shifted east of the last). ``place=True`` is the literal process
      the multinomial draw stands for (slower; tests compare the two).

    Simulations run in batches of :data:`BATCH`; with ``stop_score`` and
    ``stop_count`` they stop after the batch in which ``stop_count`` of them
    scored ``stop_score`` or more (a stopped run is the start of the full one).

    Returns
    -------
    numpy.ndarray of float, shape (simulations run,)

    Examples
    --------
    >>> from shapely.geometry import box
    >>> model = ChanceModel("exact", np.empty((0, 2)), np.empty(0), box(0, 0, 1000, 1000), "a square")
    >>> s = null_scores(model, 50, eps_m=100, min_samples=5, n_sim=20)
    >>> s.shape, bool((s >= 0).all())
    ((20,), True)
    """
    from hotspots.analysis.cluster import weighted_dbscan

    n, ms = int(n_incidents), int(min_samples)
    if n <= 0:
        return np.zeros(n_sim)
    rng = np.random.default_rng(seed)
    out: list[np.ndarray] = []
    done, check = 0, BATCH
    if model.kind == "exact" or place:
        tree = None
        shift = model.study_area.bounds[2] - model.study_area.bounds[0] + 2 * eps_m + 10.0
        if model.kind != "exact":
            from scipy.spatial import cKDTree

            tree = cKDTree(model.points)
            shift += np.ptp(model.points[:, 0])
        step = max(1, min(BATCH, CHUNK_ENTRIES // (4 * n)))
    else:
        p = np.asarray(model.shares, dtype=float)
        # the neighbour graph only where a core point is possible (half the pruning budget each)
        could, near = _possible_core_area(model.points, p, n, ms, eps_m, PRUNE_TOTAL / 2)
        if len(near) == 0:  # no simulation can hold a cluster
            return np.zeros(n_sim)
        adjacency = Neighbours.within(model.points[near], eps_m)
        kept = _simulated_points(
            adjacency, p[near], n, ms, could=could[near], budget=PRUNE_TOTAL / 2
        )
        if len(kept) == 0:
            return np.zeros(n_sim)
        keep, sub = near[kept], _subgraph(adjacency, kept)
        # map points alone (no simulated neighbour) with a small share: their highest score at once
        alone = (np.diff(sub.indptr) == 1) & (p[keep] <= ALONE_SHARE)
        law = alone_max_law(p[keep[alone]], n, ms) if alone.any() else None
        keep, sub = keep[~alone], _subgraph(sub, np.flatnonzero(~alone))
        p_in = p[keep].sum()
        step = max(1, min(BATCH, CHUNK_ENTRIES // max(len(keep), 1)))
    while done < n_sim:
        b = min(step, n_sim - done)
        if model.kind == "exact" or place:
            xy = uniform_points(model.study_area, n * b, rng)
            if tree is not None:
                nearest = tree.query(xy)[1]
                xy = model.points[nearest]
            sim = np.repeat(np.arange(b), n)
            xy[:, 0] += sim * shift
            inverse, uniq, counts = _distinct(xy)
            labels = weighted_dbscan(uniq, counts, eps_m=eps_m, min_samples=ms)
            inside = np.flatnonzero(labels >= 0)
            group = labels[inside]
            size = np.bincount(group, weights=counts[inside])
            comp_sim = np.zeros(len(size), dtype=np.int64)
            point_sim = np.zeros(len(uniq), dtype=np.int64)
            point_sim[inverse] = sim
            comp_sim[group] = point_sim[inside]
            if tree is None:  # exact: the outline's area
                pts = uniq[inside] - np.column_stack(
                    [point_sim[inside] * shift, np.zeros(len(inside))]
                )
                share = outline_shares(_hull_outlines(pts, group, len(size), hull_buffer_m), model)
            else:  # snapped: the member map points' catchments
                point_of = np.zeros(len(uniq), dtype=np.int64)
                point_of[inverse] = nearest
                share = np.bincount(
                    group, weights=model.shares[point_of[inside]], minlength=len(size)
                )
            out.append(_max_scores(comp_sim, size, share, b, n))
        else:
            best = np.zeros(b)
            if len(keep):
                k = (
                    np.full(b, n)
                    if len(keep) == len(p)
                    else rng.binomial(n, min(p_in, 1.0), size=b)
                )
                counts = chance_counts(len(keep), k, n_sim=b, rng=rng, weights=p[keep])
                comp_sim, size, member, group = _components(sub, counts, ms)
                share = np.bincount(group, weights=p[keep[member]], minlength=len(size))
                best = _max_scores(comp_sim, size, share, b, n)
            if law is not None:
                best = np.maximum(best, _alone_max_draw(*law, rng.random(b)))
            out.append(best)
        done += b
        if done >= check:
            check += BATCH
            if _stopped(out, stop_score, stop_count):
                break
    return np.concatenate(out)


def null_largest_clusters(
    points: np.ndarray,
    n_incidents: int,
    *,
    eps_m: float,
    min_samples: int,
    weights: np.ndarray | None = None,
    n_sim: int = N_SIM,
    seed: int = 0,
) -> np.ndarray:
    """The largest DBSCAN cluster (incidents) in each of ``n_sim`` chance study areas.

    Incidents fall on the map points by one multinomial draw per simulation
    (:func:`chance_counts`: evenly, or in proportion to ``weights``), only on
    the map points that can be core points and their neighbours, clustered by
    :func:`largest_clusters`. The size statistic of earlier versions, kept for
    benchmarks and tests; the chance test scores clusters with :func:`null_scores`.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> null_largest_clusters(pts, 6, eps_m=15, min_samples=6, n_sim=3).tolist()  # always one cluster of all 6
    [6, 6, 6]
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    m, n, ms = len(points), int(n_incidents), int(min_samples)
    if m == 0 or n <= 0:
        return np.zeros(n_sim, dtype=np.int64)
    w = np.ones(m) if weights is None else np.asarray(weights, dtype=float)
    if len(w) != m or (w < 0).any() or not w.sum() > 0:
        raise HotspotsError("weights must be one non-negative number per map point, not all 0")
    p = w / w.sum()
    adjacency = Neighbours.within(points, eps_m)
    keep = _simulated_points(adjacency, p, n, ms)
    if len(keep) == 0:
        return np.zeros(n_sim, dtype=np.int64)
    sub, p_in = _subgraph(adjacency, keep), p[keep].sum()
    rng = np.random.default_rng(seed)
    step = max(1, min(BATCH, CHUNK_ENTRIES // len(keep)))
    out = []
    for a in range(0, n_sim, step):
        b = min(step, n_sim - a)
        k = np.full(b, n) if len(keep) == m else rng.binomial(n, min(p_in, 1.0), size=b)
        out.append(
            largest_clusters(
                sub, chance_counts(len(keep), k, n_sim=b, rng=rng, weights=p[keep]), ms
            )
        )
    return np.concatenate(out)


def _distinct(xy: np.ndarray):
    from hotspots.analysis.cluster import distinct_points

    return distinct_points(xy)
