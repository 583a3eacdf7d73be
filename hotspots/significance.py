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
    uniq, counts = np.unique(xy, axis=0, return_counts=True)
    return uniq, counts.astype(np.int64)


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
    """
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import radius_neighbors_graph

    points = np.asarray(points, dtype=float).reshape(-1, 2)
    m = len(points)
    if m == 0 or n_incidents <= 0:
        return np.zeros(n_sim, dtype=np.int64)
    prob = np.full(m, 1.0 / m)
    if weights is not None:
        w = np.asarray(weights, dtype=float)
        if len(w) != m or (w < 0).any() or w.sum() <= 0:
            raise HotspotsError("weights must be one non-negative number per map point, not all 0")
        prob = w / w.sum()
    # DBSCAN on weighted points, all simulations at once where it can be: a point
    # with incidents is core when its eps-neighbourhood (itself included) holds
    # min_samples incidents; clusters are the connected groups of core points;
    # a border point joins the neighbouring cluster that DBSCAN (scikit-learn,
    # points in this order) meets first, the one whose lowest core index is
    # smallest. A test checks the sizes equal sklearn.cluster.DBSCAN's.
    adjacency = radius_neighbors_graph(points, eps_m, mode="connectivity", include_self=True).tocsr()
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(int(n_incidents), prob, size=n_sim).T  # (m, n_sim)
    core_all = ((adjacency @ counts) >= min_samples) & (counts > 0)
    largest = np.zeros(n_sim, dtype=np.int64)
    for i in np.flatnonzero(core_all.any(axis=0)):  # graph components: one call per simulation
        w, is_core = counts[:, i], core_all[:, i]
        core = np.flatnonzero(is_core)
        n_comp, comp = connected_components(adjacency[core][:, core], directed=False)
        first_core = np.full(n_comp, m)
        np.minimum.at(first_core, comp, core)
        size = np.bincount(comp, weights=w[core], minlength=n_comp)
        touch = adjacency[:, core].tocoo()
        border = ~is_core[touch.row] & (w[touch.row] > 0)
        rows, comps = touch.row[border], comp[touch.col[border]]
        if len(rows):
            order = np.lexsort((first_core[comps], rows))
            rows, comps = rows[order], comps[order]
            first = np.r_[True, rows[1:] != rows[:-1]]
            size += np.bincount(comps[first], weights=w[rows[first]], minlength=n_comp)
        largest[i] = int(size.max())
    return largest


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
        From :func:`hotspots.cluster.find_clusters` (its ``attrs`` carry
        ``eps_m`` and ``min_samples``; ``attrs["selected"]`` the incidents
        clustered, as :func:`hotspots.pipeline.hotspots_for` sets it).
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
        ``significant`` (bool); ``attrs["significance"]`` says how they were made.

    Examples
    --------
    A planted cluster of 40 incidents among 300 spread over a lattice of map points:

    >>> import geopandas as gpd, numpy as np
    >>> from hotspots.cluster import ClusterParams, find_clusters
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
    if len(out) == 0:
        for col in SIGNIFICANCE_COLUMNS:
            out[col] = pd.Series(dtype=bool if col == "significant" else float)
        out.attrs["significance"] = how
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
    out.attrs["significance"] = how
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
    prepared : hotspots.pipeline.Prepared
        The loaded data.
    clusters : geopandas.GeoDataFrame
        From :func:`hotspots.pipeline.hotspots_for` (any view).
    **options
        Passed to :func:`cluster_significance` (``n_sim``, ``alpha``, ``weighted``, ...).

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> from hotspots.pipeline import hotspots_for
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
    from hotspots.cluster import ClusterParams
    from hotspots.pipeline import hotspots_for

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
    out.attrs = {**clusters.attrs, "significance": tested.attrs.get("significance")}
    return out
