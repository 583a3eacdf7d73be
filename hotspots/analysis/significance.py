"""Is a hotspot more than chance? A Monte Carlo test against the borough's own background.

The question a panel asks of a DBSCAN cluster is whether a cluster that big
could have turned up by chance, given where incidents *can* be recorded.
police.uk moves every incident to one of a fixed set of anonymous map points,
and a borough's map points crowd where its streets and homes are, so the
honest null hypothesis is not "incidents spread evenly over the area" but
"incidents fall at random on the borough's own map points".

The test (:func:`cluster_significance`):

1. The map points are the distinct locations of all the study area's
   incidents (every period given, so that quiet points count too); data
   that are not snapped to map points (council exports with exact
   coordinates) are first snapped to a 50 m grid (:func:`map_points`).
2. Under the null hypothesis the selection's ``N`` incidents are placed
   independently at random on those points: each point equally likely
   (the default, ``weighted=False``), or in proportion to its long-run count
   (``weighted=True``: "more than this place's usual share", a stricter test).
3. Each of ``n_sim`` simulated boroughs is clustered with the same DBSCAN
   settings; the statistic kept is its **largest** cluster's incident count.
4. A real cluster of ``s`` incidents gets ``p = (1 + #{simulations whose
   largest cluster has s or more}) / (n_sim + 1)``: the chance that a borough
   with no hotspots at all shows a cluster as big somewhere. Comparing with
   the largest simulated cluster allows for DBSCAN having searched the whole
   borough (as in a scan statistic).
5. The p-values are adjusted with Benjamini-Hochberg (``q_value``); a cluster
   is ``significant`` when ``q_value <= alpha`` (5% by default). With 999
   simulations the smallest possible p is 0.001.

This is one of the two tests the issue allows; the other, local Gi* on grid
cells (esda), answers a different question (is this *cell* hot) and would
need a cell size, so the Monte Carlo test on the clusters themselves was chosen.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots._validate import check_points, to_analysis_crs

log = logging.getLogger(__name__)

#: Simulations by default: p can reach 0.001.
N_SIM = 999
#: False discovery rate by default.
ALPHA = 0.05
SIGNIFICANCE_COLUMNS = ["p_value", "q_value", "significant"]
#: What :func:`cluster_significance` puts in ``attrs``: the method in words, simulations, FDR.
CHANCE_ATTRS = ("significance", "simulations", "alpha")
#: Grid (metres) that unsnapped locations are snapped to before they serve as map points.
SNAP_M = 50.0


def map_points(
    incidents: gpd.GeoDataFrame, *, snap_m: float | str | None = "auto"
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct incident locations (EPSG:27700) and how many incidents stand on each.

    police.uk data are already snapped to shared map points. Council exports
    with exact coordinates are not: each incident has its own location, and
    a busy place would count as many "map points" as it has incidents. With
    ``snap_m="auto"`` such data (more than half the incidents on a location
    of their own) are first snapped to the centres of a :data:`SNAP_M` grid,
    so that a place counts once, as a police.uk map point would; a number
    snaps to that grid; None never snaps.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 0, 5], [0, 0, 5]), crs=27700)
    >>> xy, counts = map_points(pts, snap_m=None)
    >>> xy.tolist(), counts.tolist()
    ([[0.0, 0.0], [5.0, 5.0]], [2, 1])
    >>> [a.tolist() for a in map_points(pts, snap_m=50)]  # "auto" snaps too: 2 places, 3 incidents
    [[[25.0, 25.0]], [3]]
    """
    check_points(incidents, argument="incidents")
    geoms = to_analysis_crs(incidents).geometry
    xy = np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])
    if len(xy) == 0:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    if snap_m == "auto":
        snap_m = SNAP_M if len(np.unique(xy, axis=0)) > 0.5 * len(xy) else None
    if snap_m:
        xy = (np.floor(xy / snap_m) + 0.5) * snap_m
    # x + iy sorts by x, then y: the rows np.unique(xy, axis=0) gives, 20-30x faster
    uniq, counts = np.unique(xy[:, 0] + 1j * xy[:, 1], return_counts=True)
    return np.column_stack([uniq.real, uniq.imag]), counts.astype(np.int64)


def benjamini_hochberg(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.2]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.2]
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1.0)
    out = np.empty(m)
    out[order] = q
    return out


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
    """Incidents on each map point in ``n_sim`` chance boroughs, shape (n_points, n_sim).

    Each of the ``n_incidents`` incidents of a simulated borough falls on one
    map point drawn at random (evenly, or in proportion to ``weights``): a
    multinomial draw, made incident by incident, which costs ``n_incidents``
    per simulation instead of ``n_points``.

    Examples
    --------
    >>> c = chance_counts(4, 10, n_sim=3, rng=np.random.default_rng(0))
    >>> c.shape, c.sum(axis=0).tolist()
    ((4, 3), [10, 10, 10])
    >>> chance_counts(3, 5, n_sim=2, rng=np.random.default_rng(0), weights=np.array([0, 1, 0]))[1].tolist()
    [5, 5]
    """
    if weights is None:
        draws = rng.integers(0, n_points, size=(n_sim, n_incidents))
    else:
        cdf = np.cumsum(np.asarray(weights, dtype=float))
        draws = np.searchsorted(cdf, rng.random((n_sim, n_incidents)) * cdf[-1], side="right")
        draws = np.minimum(draws, n_points - 1)
    keys = draws * n_sim + np.arange(n_sim)[:, None]
    counts = np.bincount(keys.ravel(), minlength=n_points * n_sim)
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
    adjacency : scipy.sparse.csr_matrix, shape (m, m)
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

    >>> from scipy.sparse import csr_matrix
    >>> adj = csr_matrix(np.array([[1, 1, 0], [1, 1, 1], [0, 1, 1]]))
    >>> largest_clusters(adj, np.array([[3, 1], [2, 0], [1, 0]]), 5).tolist()
    [6, 0]
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    counts = np.asarray(counts)
    m, n_sim = counts.shape
    largest = np.zeros(n_sim, dtype=np.int64)
    adjacency = sp.csr_matrix(adjacency)
    weights = adjacency.astype(np.int32)
    core_i, core_s = [], []
    step = max(1, CHUNK_ENTRIES // max(m, 1))
    for a in range(0, n_sim, step):
        part = np.ascontiguousarray(counts[:, a : a + step], dtype=np.int32)
        i, s = np.nonzero(((weights @ part) >= min_samples) & (part > 0))
        core_i.append(i)
        core_s.append(s + a)
    ci, cs = np.concatenate(core_i), np.concatenate(core_s)
    if len(ci) == 0:
        return largest
    order = np.lexsort((ci, cs))  # by simulation, then point: sorted keys
    ci, cs = ci[order].astype(np.int64), cs[order].astype(np.int64)
    keys = cs * m + ci
    n_core = len(ci)
    # every (core point, neighbour) pair of the same simulation
    indptr, indices = adjacency.indptr, adjacency.indices
    degree = (indptr[ci + 1] - indptr[ci]).astype(np.int64)
    src = np.repeat(np.arange(n_core), degree)
    offset = np.arange(len(src)) - np.repeat(np.cumsum(degree) - degree, degree)
    nb = indices[np.repeat(indptr[ci], degree) + offset].astype(np.int64)
    nb_sim = cs[src]
    nb_key = nb_sim * m + nb
    pos = np.minimum(np.searchsorted(keys, nb_key), n_core - 1)
    both_core = keys[pos] == nb_key
    graph = sp.coo_matrix(
        (np.ones(int(both_core.sum()), dtype=np.int8), (src[both_core], pos[both_core])),
        shape=(n_core, n_core),
    )
    n_comp, comp = connected_components(graph, directed=False)
    size = np.bincount(comp, weights=counts[ci, cs], minlength=n_comp)
    first_core = np.full(n_comp, m, dtype=np.int64)
    np.minimum.at(first_core, comp, ci)
    nb_weight = counts[nb, nb_sim]
    border = ~both_core & (nb_weight > 0)
    b_key, b_comp, b_weight = nb_key[border], comp[src[border]], nb_weight[border]
    if len(b_key):
        order = np.lexsort((first_core[b_comp], b_key))
        b_key, b_comp, b_weight = b_key[order], b_comp[order], b_weight[order]
        first = np.r_[True, b_key[1:] != b_key[:-1]]
        size += np.bincount(b_comp[first], weights=b_weight[first], minlength=n_comp)
    comp_sim = np.empty(n_comp, dtype=np.int64)
    comp_sim[comp] = cs
    np.maximum.at(largest, comp_sim, np.rint(size).astype(np.int64))
    return largest


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
    """The largest DBSCAN cluster (incidents) in each of ``n_sim`` chance boroughs.

    The simulations are drawn by :func:`chance_counts` and clustered by
    :func:`largest_clusters`, a batch of simulations at a time (so memory stays
    bounded for big boroughs; the batches depend only on the inputs, so the
    answer is reproducible).

    Parameters
    ----------
    points : numpy.ndarray, shape (m, 2)
        The map points, metres.
    n_incidents : int
        Incidents to place in each simulated borough.
    eps_m, min_samples
        The DBSCAN settings of the clusters under test.
    weights : numpy.ndarray, optional
        Relative chance of each map point (default: all equal).
    n_sim : int
        Simulations.
    seed : int
        Random seed (the answer is reproducible).

    Returns
    -------
    numpy.ndarray of int, shape (n_sim,)
        0 where a simulation found no cluster.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [10.0, 0.0]])
    >>> null_largest_clusters(pts, 6, eps_m=15, min_samples=6, n_sim=3).tolist()  # always one cluster of all 6
    [6, 6, 6]
    """
    from hotspots.analysis.cluster import radius_graph

    points = np.asarray(points, dtype=float).reshape(-1, 2)
    m = len(points)
    n = int(n_incidents)
    if m == 0 or n <= 0:
        return np.zeros(n_sim, dtype=np.int64)
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if len(w) != m or (w < 0).any() or w.sum() <= 0:
            raise HotspotsError("weights must be one non-negative number per map point, not all 0")
        weights = w
    adjacency = radius_graph(points, eps_m)
    rng = np.random.default_rng(seed)
    step = max(1, CHUNK_ENTRIES // max(m, n))
    out = [
        largest_clusters(
            adjacency,
            chance_counts(m, n, n_sim=min(step, n_sim - a), rng=rng, weights=weights),
            int(min_samples),
        )
        for a in range(0, n_sim, step)
    ]
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def cluster_significance(
    clusters: gpd.GeoDataFrame,
    background: gpd.GeoDataFrame,
    *,
    n_incidents: int | None = None,
    weighted: bool = False,
    n_sim: int = N_SIM,
    alpha: float = ALPHA,
    seed: int = 0,
    snap_m: float | str | None = "auto",
) -> gpd.GeoDataFrame:
    """Add a Monte Carlo p-value, a Benjamini-Hochberg q-value and a verdict to each cluster.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        From :func:`hotspots.analysis.cluster.find_clusters` (its ``attrs`` carry
        ``eps_m`` and ``min_samples``; ``attrs["selected"]`` the incidents
        clustered, as :func:`hotspots.analysis.hotspots.hotspots_for` sets it).
    background : geopandas.GeoDataFrame
        All the study area's incidents (every period): their distinct
        locations are the map points where chance incidents are placed.
    n_incidents : int, optional
        Incidents per simulated borough; default ``clusters.attrs["selected"]``.
    weighted : bool, default False
        Place chance incidents in proportion to each map point's count in
        ``background`` instead of evenly over the map points.
    n_sim, alpha, seed
        Simulations, false discovery rate, random seed.
    snap_m : float, "auto" or None
        How locations become map points (:func:`map_points`).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``clusters`` with ``p_value``, ``q_value`` and
        ``significant`` (bool); ``attrs["significance"]`` says how they were made,
        ``attrs["simulations"]`` and ``attrs["alpha"]`` give ``n_sim`` and ``alpha``.

    Examples
    --------
    A planted cluster of 40 incidents among 300 spread over a lattice of map points:

    >>> import geopandas as gpd, numpy as np
    >>> from hotspots.analysis.cluster import ClusterParams, find_clusters
    >>> lattice = np.array([(x, y) for x in range(0, 3000, 100) for y in range(0, 3000, 100)], float)
    >>> rng = np.random.default_rng(1)
    >>> xy = np.vstack([lattice[rng.integers(0, len(lattice), 260)], [[1500.0, 1500.0]] * 40])
    >>> inc = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs=27700)
    >>> found = find_clusters(inc, params=ClusterParams(eps_m=150), study_area_m2=9e6)
    >>> out = cluster_significance(found, inc, n_incidents=len(inc), n_sim=99)
    >>> row = out.iloc[0]
    >>> int(row["incidents"]), float(row["p_value"]), bool(row["significant"])
    (47, 0.01, True)
    """
    check_points(background, argument="background")
    if not 0 < alpha < 1:
        raise HotspotsError(f"alpha is a false discovery rate between 0 and 1; got {alpha!r}")
    if n_sim < 19:
        raise HotspotsError(f"n_sim must be at least 19 (p can then reach 0.05); got {n_sim!r}")
    out = clusters.copy()
    eps_m, min_samples = clusters.attrs.get("eps_m"), clusters.attrs.get("min_samples")
    n = n_incidents if n_incidents is not None else clusters.attrs.get("selected")
    if len(out) and (eps_m is None or min_samples is None or n is None):
        raise HotspotsError(
            "clusters must come from find_clusters/hotspots_for (attrs eps_m, min_samples, "
            "selected), or give n_incidents"
        )
    points, counts = map_points(background, snap_m=snap_m)
    how = (
        f"Monte Carlo, {n_sim} simulations: {n} incidents placed at random on the study area's "
        f"{len(points):,} map points ({'weighted by their counts' if weighted else 'evenly'}); "
        f"largest chance cluster vs each cluster; Benjamini-Hochberg FDR {alpha:g}"
    )
    out.attrs.update(significance=how, simulations=int(n_sim), alpha=float(alpha))
    if len(out) == 0:
        for col in SIGNIFICANCE_COLUMNS:
            out[col] = pd.Series(dtype=bool if col == "significant" else float)
        return out
    largest = null_largest_clusters(
        points, int(n), eps_m=float(eps_m), min_samples=int(min_samples),
        weights=counts if weighted else None, n_sim=n_sim, seed=seed,
    )  # fmt: skip
    sizes = out["incidents"].to_numpy(dtype=np.int64)
    exceed = (largest[None, :] >= sizes[:, None]).sum(axis=1)
    p = (1.0 + exceed) / (n_sim + 1.0)
    q = benjamini_hochberg(p)
    out["p_value"] = p
    out["q_value"] = q
    out["significant"] = q <= alpha
    log.info("%s: %d of %d clusters significant", how, int((q <= alpha).sum()), len(out))
    return out


def significance_for(
    prepared,
    clusters: gpd.GeoDataFrame,
    **options,
) -> gpd.GeoDataFrame:
    """:func:`cluster_significance` for hotspots of ``prepared``, the same in every view.

    Hotspots are found once per period for the whole study area (a focus-area
    or ward view lists those lying in it), so they are tested once that way
    too: every hotspot of the period against the whole study area's map points,
    with the false-discovery correction over all of them. A hotspot therefore
    has the same p- and q-value in the borough view and in its ward's view.

    Parameters
    ----------
    prepared : hotspots.analysis.prepare.Prepared
        The loaded data.
    clusters : geopandas.GeoDataFrame
        From :func:`hotspots.analysis.hotspots.hotspots_for` (any view).
    **options
        Passed to :func:`cluster_significance` (``n_sim``, ``alpha``, ``weighted``, ...).

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> from hotspots.analysis.hotspots import hotspots_for
    >>> demo = load(DataSpec())
    >>> found = hotspots_for(demo, season="autumn", financial_year="2018-19")
    >>> tested = significance_for(demo, found, n_sim=99)
    >>> bool(tested["significant"].iloc[0]), float(tested["p_value"].iloc[0])
    (True, 0.01)
    >>> abbey = hotspots_for(demo, season="autumn", financial_year="2018-19", ward="Abbey")
    >>> in_abbey = significance_for(demo, abbey, n_sim=99).set_index("cluster_id")["q_value"]
    >>> in_abbey.index.tolist()
    [1]
    >>> bool((tested.set_index("cluster_id").loc[in_abbey.index, "q_value"] == in_abbey).all())
    True
    """
    from hotspots.analysis.cluster import ClusterParams
    from hotspots.analysis.hotspots import hotspots_for

    attrs = clusters.attrs
    whole = clusters
    if attrs.get("area") or attrs.get("ward"):
        def period(value):
            return None if value in (None, "all") else value

        whole = hotspots_for(
            prepared,
            season=period(attrs.get("season")),
            financial_year=period(attrs.get("financial_year")),
            params=ClusterParams(eps_m=attrs["eps_m"], min_samples=attrs["min_samples"]),
        )
    tested = cluster_significance(whole, prepared.incidents, **options)
    if whole is clusters:
        return tested
    verdicts = tested.set_index("cluster_id")[["p_value", "q_value", "significant"]]
    out = clusters.join(verdicts, on="cluster_id")
    out.attrs = {**clusters.attrs, **{k: tested.attrs[k] for k in CHANCE_ATTRS if k in tested.attrs}}
    return out


def chance_text(
    p_value: float, q_value: float, significant: bool, *, simulations: int = N_SIM,
    alpha: float = ALPHA,
) -> str:  # fmt: skip
    """A hotspot's chance test in words an officer can act on.

    Examples
    --------
    >>> chance_text(0.001, 0.0012, True)
    'More than chance: none of 999 simulated boroughs, with as many incidents placed at random on the map points, had a hotspot this big (p = 0.001, q = 0.0012).'
    >>> chance_text(0.075, 0.075, False)
    'Not more than chance: 74 of 999 simulated boroughs, with as many incidents placed at random on the map points, had a hotspot this big (p = 0.075, q = 0.075, above 0.05). Check before sending patrols.'
    """
    exceed = max(0, round(float(p_value) * (simulations + 1)) - 1)
    seen = (
        f"{'none' if exceed == 0 else f'{exceed:,}'} of {simulations:,} simulated boroughs, "
        "with as many incidents placed at random on the map points, had a hotspot this big"
    )
    if significant:
        return f"More than chance: {seen} (p = {p_value:.2g}, q = {q_value:.2g})."
    return (
        f"Not more than chance: {seen} (p = {p_value:.2g}, q = {q_value:.2g}, above {alpha:g}). "
        "Check before sending patrols."
    )
