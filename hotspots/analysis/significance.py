"""Is a hotspot more than chance? A Monte Carlo test against how the data are made.

The question a panel asks of a DBSCAN cluster is whether a cluster that big
could have turned up by chance. The null hypothesis here is the one a map
reader has in mind, "incidents spread evenly over the study area", made the
way the data are made:

* **police.uk data** (incidents share anonymous map points): every incident
  is spread evenly over the study area (the wards) and moved to its nearest
  map point, as police.uk moves it. A map point therefore collects the
  incidents of its whole catchment (its Voronoi cell clipped to the study
  area): a rural point with a large catchment collects many, a town-centre
  point among many others few. The chance count on each map point is one
  multinomial draw with the catchment areas as probabilities
  (:func:`catchment_shares`), computed once per dataset.
* **Exact coordinates** (council exports: most incidents on a location of
  their own): the same without the snap, incidents placed evenly at random
  in the study area (:func:`null_scores`).
* ``weighted=True`` states another background: each map point in proportion
  to its long-run count (every period given), "more than this place's usual
  share", a stricter test.

The test (:func:`cluster_significance`):

1. Each hotspot's **expected** count is what even spread puts there (the
   catchments of its own map points, :func:`member_shares`; for exact data
   the area of its outline), and its **score** how far its count ``c`` lies above that
   ``e``: Kulldorff's log likelihood ratio (:func:`excess_score`). A hotspot
   of 15 on town map points that expect 0.5 scores far above one of 60 on a
   rural map point whose catchment expects 50.
2. Each of up to ``n_sim`` simulated study areas with the selection's ``N``
   incidents is clustered with the same DBSCAN settings and each chance
   cluster scored the same way; the statistic kept is the **highest** score.
   A hotspot scoring ``s`` gets ``p = (1 + #{simulations scoring s or more}) /
   (simulations + 1)``: the chance that a study area with no hotspots shows
   one as extreme somewhere (a scan statistic, allowing for DBSCAN having
   searched the whole area).
3. Sequential Monte Carlo (after Besag & Clifford 1991): simulations run in
   batches of 100 and stop as soon as chance has matched even the highest real
   score ``alpha * (n_sim + 1)`` times, when no later simulation could bring
   any p to ``alpha`` or below; the verdicts are those of the full run and the
   p-values equal it within Monte Carlo error (tested). Otherwise all ``n_sim``
   run (999 by default: p can reach 0.001).
4. The p-values are adjusted with Benjamini-Hochberg (``q_value``); a
   cluster is ``significant`` when ``q_value <= alpha`` (5% by default).

Speed: a map point that cannot be a DBSCAN core point in any simulation (its
neighbourhood's chance of holding ``min_samples`` incidents, summed over all
such points, is below :data:`PRUNE_TOTAL`) is not simulated unless it borders
one that can: the incidents of the rest are one binomial draw. At the default
``min_samples`` (at least 1% of the selection) that leaves only the few map
points with the largest catchments, so the test costs little beside the
clustering (``bench/chance.py``). A map point that can be a core point but
has no such neighbour within eps (rural points: thousands of them at a small
``min_samples``) is a chance hotspot alone or not at all; the highest score
among all of them is one draw per simulation from its exact law
(:func:`hotspots.analysis.simulations.alone_max_law`, their counts taken as
independent: within the test's own Monte Carlo error of the multinomial,
tested), not a count per point.

Local Gi* on grid cells (esda) would answer a different question (is this
*cell* hot) and need a cell size, so the Monte Carlo test on the clusters
themselves was chosen.
"""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import HotspotsError
from hotspots._validate import analysis_xy, check_points
from hotspots.analysis.null_model import (
    MODEL_WORDS,
    N_SIM,
    TIE,
    ChanceModel,
    chance_model,
    excess_score,
    outline_shares,
)
from hotspots.analysis.simulations import null_scores

log = logging.getLogger(__name__)

#: False discovery rate by default.
ALPHA = 0.05
SIGNIFICANCE_COLUMNS = ["p_value", "q_value", "significant"]
#: What :func:`cluster_significance` puts in ``attrs``: the method in words, simulations, FDR, null model.
CHANCE_ATTRS = ("significance", "simulations", "alpha", "chance_model")


def benjamini_hochberg(p_values: np.ndarray | list[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order.

    The step-up computation as SciPy's ``false_discovery_control`` (method "bh")
    does it, operation for operation, so the two agree to the last bit (tested),
    without importing ``scipy.stats`` (half a second of a command's start-up).

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.2]).round(3).tolist()
    [0.04, 0.053, 0.053, 0.2]
    """
    p = np.asarray(p_values, dtype=float)
    if len(p) <= 1:
        return p.copy()
    order = np.argsort(p, kind="stable")
    m = len(p)
    q = p[order] * (m / np.arange(1, m + 1, dtype=float))  # ps *= m / i, ranks 1..m
    np.minimum.accumulate(q[::-1], out=q[::-1])  # from the largest p down: step-up
    out = np.empty_like(q)
    out[order] = q
    return np.clip(out, 0.0, 1.0)


def member_shares(
    outlines: np.ndarray,
    sizes: np.ndarray,
    incidents: gpd.GeoDataFrame,
    model: ChanceModel,
    *,
    eps_m: float,
    min_samples: int,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Each hotspot's share of even-spread incidents: the catchments of its own map points.

    ``labels`` are the period's DBSCAN labels (-1 for noise), as the clustering gave
    them (:class:`hotspots.results.PeriodResult` keeps them); without them the
    period's incidents are clustered again (the same weighted DBSCAN, so the same
    clusters). Each cluster is matched to the hotspot whose outline holds its first
    point and whose count it equals. NaN for a hotspot not matched.
    """
    from hotspots.analysis.cluster import dbscan_labels

    out = np.full(len(outlines), np.nan)
    xy = analysis_xy(incidents)
    if labels is None:
        labels = dbscan_labels(xy, eps_m=eps_m, min_samples=min_samples)
    inside = np.flatnonzero(labels >= 0)
    if len(inside) == 0 or len(model.points) == 0:
        return out
    keys = model.points[:, 0] + 1j * model.points[:, 1]  # sorted (map_points)
    want = xy[inside, 0] + 1j * xy[inside, 1]
    at = np.minimum(np.searchsorted(keys, want), len(keys) - 1)
    share = np.where(keys[at] == want, model.shares[at], 0.0)
    group = labels[inside]
    # each map point once per cluster
    pair = np.unique(group.astype(np.int64) * len(keys) + at, return_index=True)[1]
    total = np.bincount(group[pair], weights=share[pair])
    size = np.bincount(group)
    first = np.unique(group, return_index=True)[1]
    rep = shapely.points(xy[inside[first]])
    hit_rep, hit_outline = shapely.STRtree(outlines).query(rep, predicate="within")
    same = size[hit_rep] == sizes[hit_outline]
    out[hit_outline[same]] = total[hit_rep[same]]
    return out


def cluster_significance(
    clusters: gpd.GeoDataFrame,
    background: gpd.GeoDataFrame,
    *,
    study_area=None,
    n_incidents: int | None = None,
    weighted: bool = False,
    n_sim: int = N_SIM,
    alpha: float = ALPHA,
    seed: int = 0,
    sequential: bool = True,
    place: bool = False,
    snapped: bool | None = None,
    model: ChanceModel | None = None,
    incidents: gpd.GeoDataFrame | None = None,
    labels: np.ndarray | None = None,
    keep=None,
) -> gpd.GeoDataFrame:
    """Add a Monte Carlo p-value, a Benjamini-Hochberg q-value and a verdict to each cluster.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        From :func:`hotspots.analysis.summaries.find_clusters` (its ``attrs`` carry
        ``eps_m`` and ``min_samples``; ``attrs["selected"]`` the incidents
        clustered, as :func:`hotspots.analysis.hotspots.hotspots_for` sets it).
    background : geopandas.GeoDataFrame
        All the study area's incidents (every period): their distinct
        locations are the map points (:func:`chance_model`).
    study_area : wards GeoDataFrame or shapely geometry, optional
        Where chance incidents are spread evenly; default the incidents'
        outline widened by 100 m (say so: give the wards).
    n_incidents : int, optional
        Incidents per simulation; default ``clusters.attrs["selected"]``.
    weighted : bool, default False
        Place chance incidents in proportion to each map point's count in
        ``background`` instead.
    n_sim, alpha, seed
        Simulations at most, false discovery rate, random seed.
    sequential : bool, default True
        Stop early once no p-value can reach ``alpha`` (module docstring); False runs all ``n_sim``.
    place : bool, default False
        Simulate by placing every incident and moving it to its nearest map
        point, the literal process (slow; :func:`null_scores`), not the multinomial draw.
    snapped : bool, optional
        Data snapped to map points or not (:func:`chance_model`); None decides from the data.
    model : ChanceModel, optional
        A null model made already (:func:`chance_model`); ``background``,
        ``study_area`` and ``weighted`` are then not used.
    incidents : geopandas.GeoDataFrame, optional
        The incidents that were clustered (the period). With them a hotspot's
        expected count on snapped data is its own map points' catchments, as
        for chance hotspots (:func:`member_shares`); without, the catchments of
        every map point in its outline (a little more: the test is then a
        little stricter). :func:`significance_for` passes them.
    labels : numpy.ndarray, optional
        The DBSCAN labels of ``incidents`` (-1 for noise), when the caller has them:
        the observed data are then not clustered again.
    keep : object, optional
        Where the map points' catchments are kept between runs
        (:func:`hotspots.analysis.catchments.catchment_shares`; the loader
        gives :class:`hotspots.catchment_files.CatchmentFiles`).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``clusters`` with ``p_value``, ``q_value`` and
        ``significant`` (bool); ``attrs["significance"]`` says how they were
        made, ``attrs["simulations"]`` how many ran, ``attrs["alpha"]`` the FDR
        and ``attrs["chance_model"]`` the model's kind (:data:`MODEL_WORDS`).

    Examples
    --------
    A planted cluster of 40 incidents among 300 spread over a lattice of map points:

    >>> import geopandas as gpd, numpy as np
    >>> from shapely.geometry import box
    >>> from hotspots.analysis.cluster import ClusterParams
    >>> from hotspots.analysis.summaries import find_clusters
    >>> lattice = np.array([(x, y) for x in range(0, 3000, 100) for y in range(0, 3000, 100)], float)
    >>> rng = np.random.default_rng(1)
    >>> xy = np.vstack([lattice[rng.integers(0, len(lattice), 260)], [[1500.0, 1500.0]] * 40])
    >>> inc = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs=27700)
    >>> found = find_clusters(inc, params=ClusterParams(eps_m=150), study_area_m2=9e6)
    >>> area = box(-50, -50, 2950, 2950)
    >>> out = cluster_significance(found, inc, study_area=area, n_incidents=len(inc), n_sim=99)
    >>> row = out.iloc[0]
    >>> int(row["incidents"]), float(row["p_value"]), bool(row["significant"])
    (47, 0.01, True)
    """
    if model is None:
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
    if model is None:  # with no hotspot the model is only described: no catchments made
        model = chance_model(background, study_area=study_area, weighted=weighted,
                             snapped=snapped, catchments=len(out) > 0, keep=keep)  # fmt: skip
    if len(out) == 0:
        for col in SIGNIFICANCE_COLUMNS:
            out[col] = pd.Series(dtype=bool if col == "significant" else float)
        out.attrs.update(significance=_how(model, n or 0, n_sim, n_sim, alpha), simulations=int(n_sim),
                         alpha=float(alpha), chance_model=model.kind)  # fmt: skip
        return out
    sizes = out["incidents"].to_numpy(dtype=np.int64)
    buffer_m = float(clusters.attrs.get("hull_buffer_m", 25.0))
    outlines = out.geometry.to_crs(27700).to_numpy()
    if model.kind != "exact" and incidents is not None:
        share = member_shares(
            outlines,
            sizes,
            incidents,
            model,
            eps_m=float(eps_m),
            min_samples=int(min_samples),
            labels=labels,
        )
        unmatched = np.isnan(share)  # the map points in the outline, for these only
        if unmatched.any():
            share[unmatched] = outline_shares(outlines[unmatched], model)
    else:
        share = outline_shares(outlines, model)
    expected = int(n) * share
    scores = excess_score(sizes, expected, int(n))
    stop_count = math.floor(alpha * (n_sim + 1))
    stop = {"stop_score": float(scores.max()) - TIE, "stop_count": stop_count} if sequential else {}
    null = null_scores(
        model, int(n), eps_m=float(eps_m), min_samples=int(min_samples), hull_buffer_m=buffer_m,
        n_sim=n_sim, seed=seed, place=place, **stop,
    )  # fmt: skip
    runs = len(null)
    exceed = (null[None, :] >= scores[:, None] - TIE).sum(axis=1)
    p = (1.0 + exceed) / (runs + 1.0)
    q = benjamini_hochberg(p)
    out["expected"] = expected
    out["p_value"] = p
    out["q_value"] = q
    out["significant"] = q <= alpha
    how = _how(model, int(n), runs, n_sim, alpha)
    out.attrs.update(
        significance=how, simulations=int(runs), alpha=float(alpha), chance_model=model.kind
    )
    log.info("%s: %d of %d clusters significant", how, int((q <= alpha).sum()), len(out))
    return out


def _how(model: ChanceModel, n: int, runs: int, n_sim: int, alpha: float) -> str:
    ran = (
        f"{runs} simulations"
        if runs == n_sim
        else f"{runs} simulations (stopped early: no p could reach {alpha:g})"
    )
    return (
        f"Monte Carlo, {ran}: {model.describe(n)}; each hotspot's excess over the count this puts "
        "in it (log likelihood ratio) vs the highest chance hotspot's; "
        f"Benjamini-Hochberg FDR {alpha:g}"
    )


def period_incidents(prepared, whole: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The incidents that ``whole`` (a period's hotspots, whole study area) were found among."""
    from hotspots.analysis.seasons import select_period

    def period(value):
        return None if value in (None, "all") else value

    return select_period(
        prepared.incidents,
        season=period(whole.attrs.get("season")),
        financial_year=period(whole.attrs.get("financial_year")),
    )


def significance_for(
    prepared,
    clusters: gpd.GeoDataFrame,
    **options,
) -> gpd.GeoDataFrame:
    """:func:`cluster_significance` for hotspots of ``prepared``, the same in every view.

    Hotspots are found once per period for the whole study area (a focus-area
    or ward view lists those lying in it), so they are tested once that way
    too: every hotspot of the period against chance incidents spread over the
    whole study area (the wards), with the false-discovery correction over all
    of them. A hotspot therefore has the same p- and q-value in the borough
    view and in its ward's view.

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

    def period(value):
        return None if value in (None, "all") else value

    season, year = period(attrs.get("season")), period(attrs.get("financial_year"))
    whole = clusters
    if attrs.get("area") or attrs.get("ward"):
        whole = hotspots_for(
            prepared,
            season=season,
            financial_year=year,
            params=ClusterParams(eps_m=attrs["eps_m"], min_samples=attrs["min_samples"]),
        )
    if "incidents" not in options and len(whole):
        options["incidents"] = period_incidents(prepared, whole)
    options.setdefault("study_area", prepared.wards)
    options.setdefault("keep", prepared.catchments)
    tested = cluster_significance(whole, prepared.incidents, **options)
    if whole is clusters:
        return tested
    verdicts = tested.set_index("cluster_id")[["p_value", "q_value", "significant"]]
    out = clusters.join(verdicts, on="cluster_id")
    out.attrs = {
        **clusters.attrs,
        **{k: tested.attrs[k] for k in CHANCE_ATTRS if k in tested.attrs},
    }
    return out


def chance_text(
    p_value: float, q_value: float, significant: bool, *, simulations: int = N_SIM,
    alpha: float = ALPHA, model: str | None = None,
) -> str:  # fmt: skip
    """A hotspot's chance test in words an officer can act on.

    ``model`` is the null model's kind (``attrs["chance_model"]``, a key of
    :data:`MODEL_WORDS`); without it the sentence says only what every
    model but "weighted" shares: incidents spread evenly over the study area.

    Examples
    --------
    >>> chance_text(0.001, 0.0012, True, model="snapped")
    'More than chance: none of 999 simulated boroughs, with as many incidents spread evenly over the study area and moved to the nearest map point (as police.uk does), had a hotspot as far above what that puts there (p = 0.001, q = 0.0012).'
    >>> chance_text(0.075, 0.075, False)
    'Not more than chance: 74 of 999 simulated boroughs, with as many incidents spread evenly over the study area, had a hotspot as far above what that puts there (p = 0.075, q = 0.075, above 0.05). Check before sending patrols.'
    """
    exceed = max(0, round(float(p_value) * (simulations + 1)) - 1)
    words = MODEL_WORDS.get(model or "exact", MODEL_WORDS["exact"])
    seen = (
        f"{'none' if exceed == 0 else f'{exceed:,}'} of {simulations:,} simulated boroughs, "
        f"with as many incidents {words}, had a hotspot as far above what that puts there"
    )
    if significant:
        return f"More than chance: {seen} (p = {p_value:.2g}, q = {q_value:.2g})."
    return (
        f"Not more than chance: {seen} (p = {p_value:.2g}, q = {q_value:.2g}, above {alpha:g}). "
        "Check before sending patrols."
    )
