"""The chance test's null model: even spread over the study area, moved to the nearest map point.

Held-out-style data are made the way police.uk makes its files: incidents
spread evenly over the Redditch wards and moved to the nearest real West
Mercia map point (every distinct location in the five shared months). No
hotspot of such data may be called "more than chance"; a planted cluster must
be; and the fast test (a multinomial draw over the map points' catchments,
stopping early) must give the p-values of the literal 999-simulation run.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from hotspots.analysis.catchments import catchment_shares, study_area_shape
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.null_model import (
    ChanceModel,
    chance_model,
    excess_score,
    uniform_points,
)
from hotspots.analysis.significance import (
    benjamini_hochberg,
    cluster_significance,
    significance_for,
)
from hotspots.analysis.simulations import null_scores
from hotspots.analysis.summaries import find_clusters
from tests.conftest import POLICE, REDDITCH_WARDS, TOWN_CENTRE_LONLAT

MONTHS = ["2018-10", "2018-11", "2018-12", "2019-01", "2019-02"]


@pytest.fixture(scope="module")
def west_mercia_points(shared_data):
    """Every distinct West Mercia map point in the five months: (lon, lat) and metres."""
    from hotspots.read.geocode import lonlat_to_bng

    frames = [
        pd.read_csv(f, usecols=["Longitude", "Latitude"]) for f in sorted(POLICE.glob("*.csv"))
    ]
    lonlat = np.unique(pd.concat(frames).dropna().to_numpy(), axis=0)
    x, y = lonlat_to_bng(lonlat[:, 0], lonlat[:, 1])
    return lonlat, np.column_stack([x, y])


@pytest.fixture(scope="module")
def redditch_wards(shared_data):
    from boundaries import load_wards

    return load_wards(REDDITCH_WARDS)


def _even_spread_file(path, seed, wards, west_mercia_points, n=1155, planted=None):
    """A police.uk CSV of ``n`` ASB incidents spread evenly over ``wards`` and snapped."""
    from scipy.spatial import cKDTree

    from hotspots.analysis.catchments import study_area_shape

    lonlat, xy = west_mercia_points
    rng = np.random.default_rng(seed)
    where = uniform_points(study_area_shape(wards), n, rng)
    if planted is not None:
        where = np.vstack([where, planted])
    nearest = cKDTree(xy).query(where)[1]
    frame = pd.DataFrame({
        "Crime ID": "", "Month": np.asarray(MONTHS)[rng.integers(0, 5, len(where))],
        "Reported by": "West Mercia Police", "Falls within": "West Mercia Police",
        "Longitude": lonlat[nearest, 0], "Latitude": lonlat[nearest, 1],
        "Location": "On or near Somewhere", "LSOA code": "E01", "LSOA name": "Redditch 001A",
        "Crime type": "Anti-social behaviour", "Last outcome category": "", "Context": "",
    })  # fmt: skip
    frame.to_csv(path, index=False)
    return path


def _tested(path, wards):
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare(read_incidents([path]), wards)
        found = hotspots_for(prepared)
    return found, significance_for(prepared, found)


@pytest.mark.parametrize("seed", range(5))
def test_even_spread_snapped_to_real_map_points_is_never_more_than_chance(
    tmp_path, seed, redditch_wards, west_mercia_points
):
    path = _even_spread_file(
        tmp_path / "2018-10-even-street.csv", seed, redditch_wards, west_mercia_points
    )
    found, tested = _tested(path, redditch_wards)
    assert len(found) >= 5  # DBSCAN does find clusters on the rural map points' catchments ...
    assert not tested["significant"].any(), tested[
        ["incidents", "expected", "p_value"]
    ]  # ... chance
    assert tested.attrs["chance_model"] == "snapped"
    assert "moved to the nearest" in tested.attrs["significance"]


def test_a_planted_15_incident_cluster_within_30_m_is_flagged(
    tmp_path, redditch_wards, west_mercia_points
):
    from hotspots.read.geocode import lonlat_to_bng

    # 15 incidents within 30 m of the map point nearest Redditch town centre
    lon, lat = TOWN_CENTRE_LONLAT
    town = np.array(lonlat_to_bng(np.array([lon]), np.array([lat]))).ravel()
    xy = west_mercia_points[1]
    centre = xy[np.argmin(np.hypot(*(xy - town).T))]
    angle = np.random.default_rng(7).uniform(0, 2 * np.pi, 15)
    radius = 30 * np.sqrt(np.random.default_rng(8).uniform(0, 1, 15))
    planted = centre + np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    path = tmp_path / "2018-10-planted-street.csv"
    _even_spread_file(path, 0, redditch_wards, west_mercia_points, planted=planted)
    _, tested = _tested(path, redditch_wards)
    holds = tested[tested.geometry.contains(shapely.Point(*centre))]
    assert len(holds) == 1 and holds["incidents"].iloc[0] >= 15
    assert bool(holds["significant"].iloc[0]), holds[
        ["incidents", "expected", "p_value", "q_value"]
    ]
    assert tested["significant"].sum() == 1  # the even spread around it stays chance


def test_a_hotspot_not_matched_to_its_incidents_expects_its_outlines_map_points(
    tmp_path, redditch_wards, west_mercia_points
):
    """Each hotspot's own map points give its expected count; one whose incidents are not
    matched (a count that is not its cluster's) falls back to the map points in its outline."""
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents

    path = _even_spread_file(tmp_path / "2018-10-x-street.csv", 1, redditch_wards,
                             west_mercia_points)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare(read_incidents([path]), redditch_wards)
        found = hotspots_for(prepared)
    assert len(found) >= 3
    odd = found.copy()
    odd.loc[1, "incidents"] += 1  # no cluster of the period has this count now
    options = {"study_area": redditch_wards, "n_sim": 19, "sequential": False}
    own = cluster_significance(odd, prepared.incidents, incidents=prepared.incidents, **options)
    outline = cluster_significance(odd, prepared.incidents, **options)
    assert own["expected"].iloc[1] == outline["expected"].iloc[1]
    others = np.arange(len(found)) != 1
    assert (own["expected"].to_numpy()[others] <= outline["expected"].to_numpy()[others]).all()
    assert own["expected"].notna().all() and (own["expected"] > 0).all()


@pytest.mark.parametrize("month", MONTHS)
def test_fast_p_values_equal_the_full_literal_run_on_real_months(
    month, shared_data, redditch_wards
):
    """Multinomial over catchments, pruned, stopping early == placing and snapping 999 times."""
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import prepare
    from hotspots.analysis.seasons import select_period
    from hotspots.read.incidents import read_incidents

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare(read_incidents(sorted(POLICE.glob("*.csv"))), redditch_wards)
    one = prepared.incidents[prepared.incidents["month"] == month]
    assert len(one) > 150 and select_period is not None
    found = hotspots_for(prepared.__class__(one, 0, prepared.load, prepared.wards, None))
    model = chance_model(prepared.incidents, study_area=redditch_wards)
    fast = cluster_significance(found, one, model=model, incidents=one)
    full = cluster_significance(
        found, one, model=model, incidents=one, place=True, sequential=False
    )
    assert full.attrs["simulations"] == 999 and len(found) >= 3
    runs = fast.attrs["simulations"]
    p, q = fast["p_value"].to_numpy(), full["p_value"].to_numpy()
    se = np.sqrt(q * (1 - q) / 999 + q * (1 - q) / runs)
    assert (np.abs(p - q) <= 4 * se + 2 / (runs + 1)).all(), (p, q)
    assert (fast["significant"] == full["significant"]).all()


def test_catchments_are_the_voronoi_cells_clipped_to_the_study_area():
    pts = np.array([[250.0, 500], [750, 500], [750, 2000]])
    shares = catchment_shares(pts, box(0, 0, 1000, 1000))
    assert shares.tolist() == pytest.approx([0.5, 0.5, 0.0])
    # an L-shaped area: the shares are where evenly spread incidents land (nearest point)
    from scipy.spatial import cKDTree

    arm = shapely.union_all([box(0, 0, 1000, 1000), box(1000, 0, 5000, 200)])
    pts = np.array([[200.0, 500], [800, 500], [4500, 100]])
    landed = cKDTree(pts).query(uniform_points(arm, 200_000, np.random.default_rng(0)))[1]
    shares = catchment_shares(pts, arm)
    assert shares.tolist() == pytest.approx(np.bincount(landed) / 200_000, abs=0.005)
    assert shares[2] > 0.25  # the lone point at the end of the arm collects most of it


def _catchments_tested_cell_by_cell(points, area):
    """Catchments as GEOS's Voronoi cells give them, every cell tested against the area."""
    lo = np.minimum(points.min(axis=0), area.bounds[:2]) - 1_000
    hi = np.maximum(points.max(axis=0), area.bounds[2:]) + 1_000
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=shapely.box(*lo, *hi), ordered=True))  # fmt: skip
    shapely.prepare(area)
    inside = shapely.contains(area, cells)
    shares = np.where(inside, shapely.area(cells), 0.0)
    cross = ~inside & shapely.intersects(area, cells)
    shares[cross] = shapely.area(shapely.intersection(cells[cross], area))
    shares = shares / area.area
    return shares / shares.sum()


def _same_shares(fast: np.ndarray, slow: np.ndarray) -> bool:
    """Equal but for rounding: the cells' corners are GEOS's but for a unit in the last place
    in one in a thousand, and cells crossing the boundary are cut by triangles of the area."""
    return fast.shape == slow.shape and np.allclose(fast, slow, rtol=1e-12, atol=1e-18)


def test_catchments_equal_testing_every_cell(redditch_wards, west_mercia_points):
    """Cells from the Delaunay triangles, only those near the boundary cut (by the area's
    triangles): the shares are those of GEOS's cells each clipped by the whole area."""
    from hotspots.analysis.catchments import study_area_shape

    area = study_area_shape(redditch_wards)
    pts = np.unique(west_mercia_points[1], axis=0)
    slow = _catchments_tested_cell_by_cell(pts, area)
    assert _same_shares(catchment_shares(pts, area), slow)
    assert (slow > 0).sum() > 200 and (slow == 0).sum() > 1000  # inside and outside Redditch
    # a lattice whose cell edges run along the boundary, a hole, an island and points outside
    lattice = np.array([(x, y) for x in range(-45, 1100, 10) for y in range(-45, 1100, 10)], float)
    ring = shapely.difference(box(0, 0, 1000, 1000), box(300, 300, 600, 600))
    holed = shapely.union_all([ring, box(400, 400, 500, 500), box(2000, 0, 2050, 40)])
    for shape in (holed, box(0, 0, 1000, 1000)):
        fast = catchment_shares(lattice, shape)
        assert _same_shares(fast, _catchments_tested_cell_by_cell(lattice, shape))
        assert 0 < (fast == 0).sum() < len(lattice)


def test_catchments_over_all_six_districts_equal_testing_every_cell(west_mercia_points):
    """All of West Mercia's map points against the wards of Worcestershire's six districts."""
    import pandas as pd

    from tests.conftest import SHARED

    frames = [gpd.read_file(p).to_crs(27700) for p in sorted((SHARED / "wards").glob("*.geojson"))]
    assert len(frames) == 6
    area = study_area_shape(gpd.GeoDataFrame(pd.concat(frames), crs=27700))
    pts = np.unique(west_mercia_points[1], axis=0)
    slow = _catchments_tested_cell_by_cell(pts, area)
    assert _same_shares(catchment_shares(pts, area), slow)
    assert (slow > 0).sum() > 2000 and (slow == 0).sum() > 1000


def test_model_kinds_follow_the_data():
    area = box(0, 0, 1000, 1000)
    on_points = ([100, 100, 100, 900], [100, 100, 100, 900])
    snapped = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*on_points), crs=27700)
    own = ([100, 101, 102, 900], [100, 100, 100, 900])
    exact = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*own), crs=27700)
    assert chance_model(snapped, study_area=area).kind == "snapped"
    assert chance_model(exact, study_area=area).kind == "exact"
    weighted = chance_model(snapped, study_area=area, weighted=True)
    assert weighted.kind == "weighted" and weighted.shares.tolist() == pytest.approx([3 / 4, 1 / 4])
    assert "km²" in chance_model(snapped).describe(10)  # no wards: the incidents' outline, said so
    assert "outline widened" in chance_model(snapped).area_from


def test_exact_points_planted_cluster_flagged_and_even_spread_not():
    area = box(0, 0, 3000, 3000)
    rng = np.random.default_rng(2)
    noise = uniform_points(area, 300, rng)
    planted = np.array([1500.0, 1500]) + rng.uniform(-20, 20, (15, 2))
    from hotspots.analysis.cluster import ClusterParams
    from hotspots.analysis.summaries import find_clusters

    for xy, flagged in ((noise, False), (np.vstack([noise, planted]), True)):
        inc = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*xy.T), crs=27700)
        found = find_clusters(
            inc, params=ClusterParams(eps_m=100, min_samples=5), study_area_m2=9e6
        )
        found.attrs["selected"] = len(inc)
        out = cluster_significance(found, inc, study_area=area, n_sim=199)
        assert out.attrs["chance_model"] == "exact"
        assert bool(out["significant"].any()) is flagged


def test_sequential_run_is_the_start_of_the_full_run():
    model = ChanceModel("snapped", np.array([[x, 0.0] for x in range(0, 2000, 50)]), np.full(40, 1 / 40),
                        box(-25, -500, 1975, 500), "a strip")  # fmt: skip
    full = null_scores(model, 200, eps_m=60, min_samples=12, n_sim=999)
    part = null_scores(
        model, 200, eps_m=60, min_samples=12, n_sim=999, stop_score=0.0, stop_count=5
    )
    assert len(part) == 100 and np.array_equal(part, full[:100])


def test_benjamini_hochberg_is_the_textbook_step_up():
    rng = np.random.default_rng(0)
    for p in (rng.uniform(0, 0.1, 50), rng.uniform(0, 1, 7), np.array([0.001, 0.001, 0.5])):
        order = np.argsort(p)
        m = len(p)
        scaled = p[order] * m / np.arange(1, m + 1)
        by_hand = np.empty(m)
        by_hand[order] = np.minimum.accumulate(scaled[::-1])[::-1].clip(max=1)
        # SciPy's false_discovery_control, equal to the textbook step-up to within rounding
        assert benjamini_hochberg(p) == pytest.approx(by_hand, rel=1e-12)
    assert benjamini_hochberg([]).tolist() == []


def test_benjamini_hochberg_equals_scipy_to_the_last_bit():
    from scipy.stats import false_discovery_control

    rng = np.random.default_rng(3)
    monte_carlo = (1 + rng.integers(0, 1000, 3000)) / 1000  # p = (1 + k) / (999 + 1): many ties
    for p in (monte_carlo, rng.uniform(0, 1, 17), np.array([0.2, 0.01]), np.array([0.3])):
        assert np.array_equal(benjamini_hochberg(p), false_discovery_control(p, method="bh"))


def test_no_hotspot_describes_the_model_without_making_catchments(redditch_wards):
    area = study_area_shape(redditch_wards)
    x0, y0, x1, y1 = area.bounds
    xy = np.array([[x0 + (x1 - x0) * f, y0 + (y1 - y0) * f] for f in (0.4, 0.5, 0.6)])
    snapped = gpd.GeoDataFrame(geometry=gpd.points_from_xy(*np.repeat(xy, 3, axis=0).T), crs=27700)
    described = chance_model(snapped, study_area=redditch_wards, catchments=False)
    full = chance_model(snapped, study_area=redditch_wards)
    assert described.shares is None and full.shares.sum() == pytest.approx(1.0)
    assert described.describe(9) == full.describe(9)
    none = find_clusters(
        snapped, params=ClusterParams(eps_m=10, min_samples=50), study_area_m2=area.area
    )
    none.attrs["selected"] = len(snapped)
    tested = cluster_significance(none, snapped, study_area=redditch_wards)
    assert len(tested) == 0 and full.describe(9) in tested.attrs["significance"]


def test_excess_score_is_zero_at_or_below_the_expected_count():
    assert excess_score(np.array([5, 4]), np.array([5.0, 9.0]), 100).tolist() == [0.0, 0.0]
    assert (
        excess_score(np.array([10]), np.array([1.0]), 100)[0]
        > excess_score(np.array([10]), np.array([5.0]), 100)[0]
    )


def test_fast_p_values_equal_the_full_literal_run_on_even_spread(
    tmp_path, redditch_wards, west_mercia_points
):
    """Where p-values are large (no hotspot more than chance), and the fast run stops early."""
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents

    path = _even_spread_file(
        tmp_path / "2018-10-even-street.csv", 1, redditch_wards, west_mercia_points
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prepared = prepare(read_incidents([path]), redditch_wards)
        found = hotspots_for(prepared)
    model = chance_model(prepared.incidents, study_area=redditch_wards)
    one = prepared.incidents
    fast = cluster_significance(found, one, model=model, incidents=one)
    full = cluster_significance(
        found, one, model=model, incidents=one, place=True, sequential=False
    )
    runs = fast.attrs["simulations"]
    assert runs < 999 and "stopped early" in fast.attrs["significance"]
    p, q = fast["p_value"].to_numpy(), full["p_value"].to_numpy()
    se = np.sqrt(q * (1 - q) / 999 + q * (1 - q) / runs)
    assert (np.abs(p - q) <= 4 * se + 2 / (runs + 1)).all(), (p, q)
    assert not fast["significant"].any() and not full["significant"].any()
    assert q.min() < 0.9  # not all at 1: the comparison means something


def _exceed(scores: np.ndarray, s: float) -> float:
    return float((scores >= s - 1e-9).mean())


def test_highest_alone_score_law_equals_counting_lone_points_one_by_one():
    """The law of the highest score among lone map points: exact for independent counts, and
    within the chance test's own Monte Carlo error of multinomial ones (a fixed total)."""
    from hotspots.analysis.simulations import alone_max_law

    rng = np.random.default_rng(3)
    p = rng.uniform(0.001, 0.009, 80)  # 80 lone map points; the rest of the area gets the rest
    n, ms, sims = 600, 6, 40_000
    values, below = alone_max_law(p, n, ms)
    independent = rng.binomial(n, p, size=(sims, len(p)))
    multinomial = rng.multinomial(n, np.r_[p, 1 - p.sum()], size=sims)[:, :-1]
    checked = 0
    for counts, slack in ((independent, 0.0), (multinomial, 3 * 0.5 / np.sqrt(999))):
        scores = np.where(counts >= ms, excess_score(counts, n * p, n), 0.0).max(axis=1)
        assert len(np.unique(scores)) > 20  # a law, not a constant
        for s in np.quantile(scores[scores > 0], [0.05, 0.25, 0.5, 0.75, 0.95, 0.99]):
            k = int(np.searchsorted(values, s - 1e-9))  # the law's value at or just above s
            law = 1 - below[k]  # P(highest >= values[k])
            seen = _exceed(scores, values[k])
            assert abs(seen - law) <= 4 * np.sqrt(law * (1 - law) / sims) + slack, (s, seen, law)
            checked += 1
    assert checked == 12


def test_lone_map_points_drawn_at_once_give_the_simulated_law(monkeypatch):
    """null_scores with lone rural map points drawn from their law == simulating every one."""
    import hotspots.analysis.simulations as simulations

    rng = np.random.default_rng(8)
    farms = rng.uniform(0, [8_000, 20_000], size=(120, 2))  # far apart: each alone within eps
    pairs = rng.uniform([8_000, 0], 20_000, size=(35, 2))  # two map points 60 m apart: not alone
    points = np.vstack([farms, pairs, pairs + [60.0, 0.0]])
    area = box(-100, -100, 20_100, 20_100)
    model = ChanceModel("snapped", points, catchment_shares(points, area), area, "a square")
    kw = {"eps_m": 100.0, "min_samples": 10, "n_sim": 4_000}
    drawn = null_scores(model, 600, seed=1, **kw)
    assert (model.shares[:120] <= simulations.ALONE_SHARE).mean() > 0.5  # the path is used
    monkeypatch.setattr(simulations, "ALONE_SHARE", 0.0)  # every point simulated
    simulated = null_scores(model, 600, seed=2, **kw)
    assert not np.array_equal(drawn, simulated)
    for s in np.quantile(simulated[simulated > 0], [0.1, 0.5, 0.9, 0.97]):
        a, b = _exceed(drawn, s), _exceed(simulated, s)
        se = np.sqrt(max(b * (1 - b), 1e-3) * 2 / 4_000)
        assert abs(a - b) <= 4 * se, (s, a, b)


def test_the_neighbour_graph_is_built_only_where_a_core_point_is_possible():
    """The grid bound leaves out only points that cannot be core, and keeps all their neighbours."""
    from hotspots.analysis.cluster import radius_graph
    from hotspots.analysis.simulations import _possible_core_area

    rng = np.random.default_rng(5)
    town = rng.normal(0, 300, size=(3_000, 2))  # dense: tiny catchments
    farms = rng.uniform(-20_000, 20_000, size=(200, 2))  # sparse: large ones, in pairs 60 m
    points = np.unique(np.vstack([town, farms, farms + [60.0, 0.0]]), axis=0)  # apart (cells of
    area = box(-20_500, -20_500, 20_500, 20_500)
    p = catchment_shares(points, area)
    n, ms, eps = 3_000, 8, 100.0  # 100 m: many pairs are split between two)
    could, near = _possible_core_area(points, p, n, ms, eps, 1e-6)
    graph = radius_graph(points, eps)
    reach = graph @ p
    from scipy.special import bdtrc

    risk = bdtrc(ms - 1, n, np.minimum(reach, 1))
    assert risk[~could].sum() <= 1e-6  # what is left out could (almost) never be a core point
    assert 0 < could.sum() < 0.5 * len(points)  # the town is left out, the farms are not
    neighbours = np.unique(graph[np.flatnonzero(could)].indices)
    assert np.isin(neighbours, near).all()  # every neighbour of a possible core point is in
    assert len(near) < len(points)


@pytest.mark.parametrize("seed", range(3))
def test_the_neighbour_rows_are_the_radius_graph_and_subgraphs_keep_them(seed):
    """Neighbours (no SciPy) == the k-d tree's radius graph, row sums and subgraphs included."""
    from hotspots.analysis.cluster import radius_graph
    from hotspots.analysis.simulations import Neighbours, _subgraph, neighbour_sums

    rng = np.random.default_rng(seed)
    xy = np.round(rng.uniform(0, 1_000, size=(600, 2)) / 10) * 10  # a lattice: exact-eps ties
    xy = np.unique(xy, axis=0)
    ours, scipys = Neighbours.within(xy, 50.0), radius_graph(xy, 50.0)
    scipys.sort_indices()
    assert np.array_equal(ours.indptr, scipys.indptr)
    assert np.array_equal(ours.indices, scipys.indices)
    values = rng.integers(0, 5, size=(len(xy), 3))
    assert np.array_equal(neighbour_sums(ours, values), scipys @ values)
    keep = np.flatnonzero(rng.random(len(xy)) < 0.4)
    sub = _subgraph(ours, keep)
    dense = scipys[keep][:, keep].toarray()
    rows = np.repeat(np.arange(len(keep)), np.diff(sub.indptr))
    mine = np.zeros_like(dense)
    mine[rows, sub.indices] = 1
    assert np.array_equal(mine, dense)


def test_the_binomial_tail_bound_is_above_the_tail_and_close_where_it_is_small():
    from scipy.special import bdtrc

    from hotspots.analysis.simulations import binomial_tail_bound

    p = np.geomspace(1e-7, 0.5, 400)
    for n, k in ((250, 5), (200_000, 15), (10_000, 2_000)):
        exact = bdtrc(k - 1, n, p)
        bound = binomial_tail_bound(k, n, p)
        assert (bound >= exact * (1 - 1e-9)).all()
        small = exact < 1e-3
        assert small.any() and (bound[small] <= 1.5 * exact[small] + 1e-300).all()
