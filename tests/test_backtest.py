"""Hotspot quality: accuracy measures, baselines, coverage cut, patterns, significance."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots._errors import HotspotsError
from hotspots.analysis.backtest import (
    HOTSPOT_CELLS,
    accuracy_measures,
    backtest,
    backtest_table,
    parse_window,
    rolling_backtest,
    select_window,
    summarise_backtest,
)
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.grid import (
    default_cell_m,
    hull_cells,
    quartic_density,
    study_grid,
    top_cells,
)
from hotspots.analysis.patterns import classify_pattern, classify_places, place_patterns
from hotspots.analysis.significance import benjamini_hochberg, cluster_significance
from hotspots.analysis.summaries import find_clusters

# A 1 km square borough and a 100 m grid: 100 cells, cell i = column i % 10, row i // 10.
BOROUGH = gpd.GeoDataFrame({"ward_name": ["Only"]}, geometry=[box(0, 0, 1000, 1000)], crs=27700)


def points(xy, month: str = "2018-10") -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoDataFrame(
        {"month": [month] * len(xy)}, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700
    )


# ------------------------------------------------------------------ measures


def test_accuracy_measures_by_hand():
    # n=30 of N=60 test incidents on a=2 km2 of A=100 km2: hit rate 0.5, PAI 0.5/0.02 = 25.
    # The best 2 km2 held 40: PEI 30/40. Training: 45 of 90 in the same place: RRI (30/45)/(60/90) = 1.
    m = accuracy_measures(30, 60, 2e6, 100e6, best_hits=40, train_hits=45, train_total=90)
    assert m == pytest.approx({"hit_rate": 0.5, "pai": 25.0, "pei": 0.75, "rri": 1.0})


def test_accuracy_measures_nothing_to_divide_by_is_nan():
    m = accuracy_measures(0, 0, 1e6, 50e6, best_hits=0, train_hits=0, train_total=10)
    assert all(math.isnan(v) for v in m.values())


# ------------------------------------------------------------------ grid, KDE, coverage cut


def test_grid_counts_cells_and_cell_size_rule():
    grid = study_grid(BOROUGH, cell_m=100)
    assert (grid.nx, grid.ny, int(grid.inside.sum()), grid.study_area_m2) == (10, 10, 100, 1e6)
    counts = grid.counts(np.array([[50, 50], [60, 40], [950, 950], [2000, 2000]]))
    assert counts[0] == 2 and counts[99] == 1 and counts.sum() == 3  # off-grid point dropped
    assert default_cell_m(gpd.GeoDataFrame(geometry=[box(0, 0, 9000, 30000)], crs=27700)) == 60
    assert default_cell_m(BOROUGH) == 25  # 1000 / 150 = 6.7 m, kept at the 25 m floor


def test_grid_baseline_takes_the_busiest_training_cells():
    train = points([[150, 150]] * 5 + [[850, 850]] * 3 + [[450, 450]])
    test = points([[150, 150]] * 2 + [[850, 850]] * 4 + [[450, 450]] * 2)
    r = backtest(train, test, BOROUGH, coverages=(0.02,), own=False, cell_m=100, methods=("grid",))
    row = r.iloc[0]
    # 2% of 1 km2 = 2 cells: (150,150) and (850,850); they hold 6 of 8 test incidents.
    assert (row["hits"], row["test_incidents"], row["area_km2"]) == (6, 8, 0.02)
    assert row["hit_rate"] == pytest.approx(0.75)
    assert row["pai"] == pytest.approx(0.75 / 0.02)
    assert row["pei"] == pytest.approx(6 / 6)  # the two busiest test cells hold 4 + 2
    assert row["rri"] == pytest.approx((6 / 8) / (8 / 9))


def test_quartic_kernel_values_by_hand():
    grid = study_grid(BOROUGH, cell_m=100)
    # Two incidents on the centre of cell 0 (50, 50); bandwidth 200 m.
    d = quartic_density(grid, np.array([[50, 50], [50, 50]]), bandwidth_m=200)
    peak = 3 / (math.pi * 200**2)
    assert d[0] == pytest.approx(2 * peak)
    assert d[1] == pytest.approx(2 * peak * (1 - (100 / 200) ** 2) ** 2)  # 100 m east
    assert d[11] == pytest.approx(2 * peak * (1 - 20000 / 40000) ** 2)  # 141 m diagonal
    assert d[2] == 0 and d[20] == 0  # 200 m away: the kernel is 0 at the bandwidth


def test_kde_baseline_prefers_the_dense_neighbourhood_over_a_lone_busy_cell():
    # Cell 55 (550, 550) has 3 incidents alone; cells around (150, 150) have 2 each in a block.
    block = [[x, y] for x in (50, 150, 250) for y in (50, 150, 250)] * 2
    train = points(block + [[550, 550]] * 3)
    test = points([[150, 150]])
    r = backtest(train, test, BOROUGH, coverages=(0.01,), own=False, cell_m=100,
                 bandwidth_m=300, methods=("grid", "kde"))  # fmt: skip
    grid_row, kde_row = r.set_index("method").loc["grid"], r.set_index("method").loc["kde"]
    assert grid_row["hits"] == 0  # the grid takes cell 55, the busiest
    assert kde_row["hits"] == 1 and kde_row["bandwidth_m"] == 300  # KDE takes the block's centre


def test_top_cells_ignores_cells_outside_the_study_area_and_zero_scores():
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 200, 100)], crs=27700)
    grid = study_grid(area, cell_m=100)
    assert top_cells(grid, np.array([3.0, 0.0]), 2).tolist() == [0]


def test_hull_cells_densest_cluster_first_then_cut():
    grid = study_grid(BOROUGH, cell_m=100)
    hulls = gpd.GeoDataFrame(
        {"incidents": [40, 30]},
        # A: 4 cells (0,1,10,11), 40 incidents on 40,000 m2; B: 2 cells (88, 89), 30 on 20,000 m2.
        geometry=[box(0, 0, 200, 200), box(800, 800, 1000, 900)],
        crs=27700,
    )
    counts = np.zeros(100)
    counts[[0, 1, 10, 11]] = [1, 9, 3, 5]
    cells, reached = hull_cells(grid, hulls, counts, k=4)
    assert cells.tolist() == [88, 89, 1, 11] and reached  # B is denser; A cut to its busiest cells
    cells, reached = hull_cells(grid, hulls, counts, k=10)
    assert len(cells) == 6 and not reached


def test_backtest_dbscan_at_a_fixed_and_at_its_own_coverage():
    train = points([[150, 150]] * 6 + [[160, 150]] * 2 + [[850, 850]])
    test = points([[150, 150]] * 3 + [[850, 850]])
    params = ClusterParams(eps_m=50, min_samples=3, hull_buffer_m=25)
    r = backtest(train, test, BOROUGH, params=params, coverages=(0.01,), cell_m=100)
    assert r["method"].tolist() == ["dbscan", "grid", "kde"] * 2
    assert r["coverage_label"].tolist() == ["1%"] * 3 + ["own"] * 3
    fixed, own = r.iloc[0], r.iloc[3]
    assert (fixed["hits"], fixed["area_km2"], bool(fixed["reached"])) == (3, 0.01, True)
    # Own coverage: the hull is the segment (150..160, 150) widened by 25 m.
    hull_area = 10 * 50 + math.pi * 25**2
    assert own["area_km2"] == pytest.approx(hull_area / 1e6, rel=0.01)
    assert own["hits"] == 3
    assert own["pai"] == pytest.approx(0.75 / (own["area_km2"] / 1.0))
    assert own["min_samples"] == 3 and own["eps_m"] == 50
    baselines = r.iloc[4:]
    assert (
        baselines["area_km2"] == 0.01
    ).all()  # as many whole cells as the hull's area, at least 1


def test_backtest_errors_name_the_fix():
    with pytest.raises(HotspotsError, match="coverages"):
        backtest(points([[1, 1]]), points([[1, 1]]), BOROUGH, coverages=(3,))
    with pytest.raises(HotspotsError, match="methods must be among"):
        backtest(points([[1, 1]]), points([[1, 1]]), BOROUGH, methods=("svm",))


def test_windows_and_rolling_backtest():
    assert parse_window("2018-10..2019-02") == ("2018-10", "2019-02")
    for bad in ("2018-13", "2018-11..2018-10", "autumn"):
        with pytest.raises(HotspotsError, match=r"FIRST\.\.LAST"):
            parse_window(bad)
    inc = pd.concat(
        [points([[150, 150]] * 6, "2018-10"), points([[150, 150]] * 4 + [[850, 850]] * 6, "2018-11"),
         points([[850, 850]] * 5, "2018-12")],
        ignore_index=True,
    )  # fmt: skip
    assert len(select_window(inc, "2018-11..2018-12")) == 15
    params = ClusterParams(eps_m=50, min_samples=3)
    r = rolling_backtest(inc, BOROUGH, params=params, coverages=(0.01,), own=False, cell_m=100)
    assert r[["train", "test"]].drop_duplicates().values.tolist() == [
        ["2018-10", "2018-11"], ["2018-11", "2018-12"]]  # fmt: skip
    dbscan = r[r["method"] == "dbscan"]
    # Oct's hotspot (150,150) holds 4 of Nov's 10; Nov's densest is (850,850): all 5 of Dec's.
    assert dbscan["hit_rate"].tolist() == pytest.approx([0.4, 1.0])
    summary = summarise_backtest(r).set_index("method")
    assert summary.loc["dbscan", "pairs"] == 2
    assert summary.loc["dbscan", "hit_rate"] == pytest.approx(0.7)
    with pytest.raises(HotspotsError, match="two or more"):
        rolling_backtest(inc[inc["month"] == "2018-10"], BOROUGH)


# ------------------------------------------------------------------ getting worse?


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([0, 0, 0, 0], ""),
        ([1, 1, 1, 1], "persistent"),
        ([1, 1, 1, 1, 0], "persistent"),  # 4 of 5 = 80%
        ([0, 0, 1, 1], "emerging"),
        ([0, 0, 0, 1], "emerging"),
        ([1, 1, 0, 0], "former"),
        ([1, 0, 0, 0], "former"),
        ([1, 1, 1, 0], "diminishing"),
        ([1, 0, 1, 0], "diminishing"),
        ([0, 1, 1, 0], "diminishing"),
        ([1, 0, 0, 1], "intermittent"),
        ([0, 0, 1, 0], "intermittent"),
    ],
)
def test_classification_rules(flags, expected):
    assert classify_pattern(flags) == expected


def test_classify_places_and_the_two_period_minimum():
    flags = pd.DataFrame({"p1": [True, False, True, False], "p2": [True, True, False, False]})
    assert classify_places(flags).tolist() == ["persistent", "emerging", "former", ""]
    with pytest.raises(HotspotsError, match="two or more periods"):
        classify_pattern([1])


def test_place_patterns_on_tiny_months():
    inc = pd.concat(
        [points([[150, 150]] * 5 + [[850, 850]] * 5, "2018-10"),
         points([[150, 150]] * 5, "2018-11")],
        ignore_index=True,
    )  # fmt: skip
    out = place_patterns(inc, BOROUGH, by="month", params=ClusterParams(eps_m=50, min_samples=3),
                         cell_m=100)  # fmt: skip
    assert out.attrs["periods"] == ["2018-10", "2018-11"]
    assert out.set_index("cell")["pattern"].to_dict() == {11: "persistent", 88: "former"}
    assert out.crs.to_epsg() == 27700 and out.geometry.area.eq(100 * 100).all()


# ------------------------------------------------------------------ more than chance?

# Map points: a 100 m lattice over a 3 km square (900 points), as police.uk's snap points are.
LATTICE = np.array([(x, y) for x in range(0, 3000, 100) for y in range(0, 3000, 100)], float)


def _clusters(xy):
    inc = points(xy)
    found = find_clusters(inc, params=ClusterParams(eps_m=150), study_area_m2=9e6)
    found.attrs["selected"] = len(inc)
    return found, points(LATTICE)  # every map point is a possible place


def test_benjamini_hochberg_by_hand():
    # Sorted p: 0.01, 0.03, 0.04, 0.2 -> x4/1, x4/2, x4/3, x4/4 = 0.04, 0.06, 0.0533, 0.2
    # then the running minimum from the top: 0.04, 0.0533, 0.0533, 0.2.
    q = benjamini_hochberg([0.04, 0.01, 0.2, 0.03])
    assert q.tolist() == pytest.approx([0.16 / 3, 0.04, 0.2, 0.16 / 3])


def test_planted_cluster_is_found_and_significant():
    rng = np.random.default_rng(3)
    noise = LATTICE[rng.integers(0, len(LATTICE), 300)]
    planted = np.repeat([[1500.0, 1500.0], [1600.0, 1500.0], [1500.0, 1600.0]], 15, axis=0)
    found, background = _clusters(np.vstack([noise, planted]))
    out = cluster_significance(found, background, n_sim=199)
    top = out.iloc[0]
    assert top["incidents"] >= 45 and top.geometry.contains(points([[1500, 1500]]).geometry[0])
    assert top["p_value"] == pytest.approx(1 / 200) and bool(top["significant"])
    assert "199 simulations" in out.attrs["significance"]


def test_uniform_noise_over_the_same_map_points_gives_no_significant_cluster():
    rng = np.random.default_rng(4)
    found, background = _clusters(LATTICE[rng.integers(0, len(LATTICE), 345)])
    # each lattice point is equally likely: even spread over the squares the lattice tiles
    area = box(-50, -50, 2950, 2950)
    out = cluster_significance(found, background, n_sim=199, study_area=area, snapped=True)
    assert len(out) >= 1  # DBSCAN does find chance clusters in noise ...
    assert not out["significant"].any()  # ... and the test says they are chance
    assert (out["q_value"] > 0.05).all()


def test_significance_needs_cluster_settings():
    found = gpd.GeoDataFrame({"incidents": [5]}, geometry=[box(0, 0, 1, 1)], crs=27700)
    with pytest.raises(HotspotsError, match="find_clusters"):
        cluster_significance(found, points(LATTICE))
    with pytest.raises(HotspotsError, match="n_sim"):
        cluster_significance(found, points(LATTICE), n_sim=5)


def test_hotspots_smaller_than_a_coverage_are_never_scored_under_it():
    """Issue 19: a method that does not reach a coverage is reported at the one it reaches."""
    from hotspots.draw.charts import plot_backtest

    wards = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=27700)
    train = points([[150, 150]] * 6 + [[850, 850]])
    test = points([[150, 150]] * 3 + [[850, 850]])
    r = backtest(train, test, wards, params=ClusterParams(eps_m=50, min_samples=3),
                 coverages=(0.01, 0.03), own=False, cell_m=100)  # fmt: skip
    # one hotspot, one 100 m cell: 1% of the area. It reaches 1%, not 3%.
    by = r.set_index(["coverage_label", "method"])
    assert ("1%", "dbscan") in by.index and ("3%", "dbscan") not in by.index
    assert by.loc[("3%", "grid"), "coverage"] == pytest.approx(0.03)
    assert by.loc[(HOTSPOT_CELLS, "dbscan"), "coverage"] == pytest.approx(0.01)
    assert not by.loc[(HOTSPOT_CELLS, "dbscan"), "reached"]
    assert (
        by.loc[(HOTSPOT_CELLS, "grid"), "area_km2"] == by.loc[(HOTSPOT_CELLS, "dbscan"), "area_km2"]
    )
    assert r["coverage_label"].drop_duplicates().tolist() == ["1%", "3%", HOTSPOT_CELLS]
    rolled = summarise_backtest(pd.concat([r, r]))
    assert not ((rolled["method"] == "dbscan") & (rolled["coverage_label"] == "3%")).any()
    fig = plot_backtest(r)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["1%\nof the area", "3%\nof the area", "hotspots' cells\n(1%)"]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("not\nreached") == 1  # DBSCAN's empty place under 3%


# ------------------------------------------------------------------ real data


@pytest.mark.shared
def test_real_backtest_scores_three_methods(redditch_autumn_2018):
    prepared = redditch_autumn_2018  # 2018-10..2018-12
    train = select_window(prepared.incidents, "2018-10..2018-11")
    test = select_window(prepared.incidents, "2018-12")
    r = backtest(train, test, prepared.wards, windows=("2018-10..2018-11", "2018-12"))
    assert set(r["method"]) == {"dbscan", "grid", "kde"}
    # DBSCAN's default hotspots cover less than 1%: never under 1% / 3% / 5%, but at their own cells
    assert set(r["coverage_label"]) == {"1%", "3%", "5%", HOTSPOT_CELLS, "own"}
    dbscan = r[r["method"] == "dbscan"].set_index("coverage_label")
    assert (
        set(dbscan.index) == {HOTSPOT_CELLS, "own"} and dbscan.loc[HOTSPOT_CELLS, "coverage"] < 0.01
    )
    cells = r[r["coverage_label"] == HOTSPOT_CELLS].set_index("method")
    assert set(cells.index) == {"dbscan", "grid", "kde"}
    assert (
        cells["area_km2"] == cells.loc["dbscan", "area_km2"]
    ).all()  # baselines on as many cells
    table = backtest_table(r)
    assert table.loc[table["coverage"] == HOTSPOT_CELLS, "note"].str.contains("less than").any()
    assert (r["test_incidents"] == len(test)).all() and len(test) > 150
    assert (r["hits"] <= r["test_incidents"]).all() and (r["pei"] <= 1 + 1e-9).all()
    own = r[r["coverage_label"] == "own"].set_index("method")
    # Baselines are cut to the hotspots' own area, to within one grid cell.
    cell_km2 = r["cell_m"].iloc[0] ** 2 / 1e6
    assert abs(own.loc["grid", "area_km2"] - own.loc["dbscan", "area_km2"]) <= cell_km2
    assert (own["pai"] > 1).all()  # every method beats chance on real ASB


def _sklearn_largest(pts, counts, eps_m, min_samples):
    """The largest weighted DBSCAN cluster of each simulation (rows of ``counts``), one by one."""
    from sklearn.cluster import DBSCAN

    expected = []
    for w in counts:
        idx = np.flatnonzero(w)
        labels = (
            DBSCAN(eps=eps_m, min_samples=min_samples).fit(pts[idx], sample_weight=w[idx]).labels_
        )
        inside = labels >= 0
        expected.append(
            np.bincount(labels[inside], weights=w[idx][inside]).max() if inside.any() else 0
        )
    return expected


def test_null_cluster_sizes_equal_sklearn_dbscan():
    from sklearn.neighbors import radius_neighbors_graph

    from hotspots.analysis.simulations import largest_clusters

    rng = np.random.default_rng(5)
    pts = rng.uniform(0, 2000, (200, 2))
    counts = np.random.default_rng(9).multinomial(300, np.full(200, 1 / 200), size=40)
    adjacency = radius_neighbors_graph(pts, 120, mode="connectivity", include_self=True).tocsr()
    fast = largest_clusters(adjacency, counts.T, 5)
    expected = _sklearn_largest(pts, counts, 120, 5)
    assert fast.tolist() == expected and max(expected) > 0


@pytest.mark.parametrize("chunk", [4_000_000, 600])
def test_null_simulations_in_batches_equal_sklearn_dbscan(monkeypatch, chunk):
    from hotspots.analysis import simulations as sig

    rng = np.random.default_rng(6)
    pts = np.round(rng.uniform(0, 1500, (150, 2)), -1)  # some map points share a place's neighbours
    monkeypatch.setattr(sig, "CHUNK_ENTRIES", chunk)  # 600: 2 simulations a batch, 15 batches
    fast = sig.null_largest_clusters(pts, 300, eps_m=110, min_samples=6, n_sim=30, seed=2)
    # The same draws, batch by batch, clustered by scikit-learn one simulation at a time.
    gen, step = np.random.default_rng(2), max(1, chunk // 300)
    counts = np.hstack([sig.chance_counts(150, 300, n_sim=min(step, 30 - a), rng=gen)
                        for a in range(0, 30, step)])  # fmt: skip
    assert counts.shape == (150, 30) and (counts.sum(axis=0) == 300).all()
    expected = _sklearn_largest(pts, counts.T, 110, 6)
    assert fast.tolist() == expected and len(set(expected)) > 1


def test_chance_counts_follow_the_weights():
    from hotspots.analysis.simulations import chance_counts

    counts = chance_counts(3, 1000, n_sim=50, rng=np.random.default_rng(0),
                           weights=np.array([1.0, 0.0, 3.0]))  # fmt: skip
    assert (counts.sum(axis=0) == 1000).all() and (counts[1] == 0).all()
    assert counts[2].sum() / counts.sum() == pytest.approx(0.75, abs=0.01)


# ------------------------------------------------------------------ parameter files


def test_params_file_round_trip_and_errors(tmp_path):
    from hotspots._errors import ConfigError
    from hotspots.analysis.tune import read_params, write_params

    path = write_params(tmp_path / "p.toml", ClusterParams(eps_m=150, min_samples=4),
                        notes={"metric": "pai", "train": "2018-10", "score": float("nan")})  # fmt: skip
    params = read_params(path)
    assert (params.eps_m, params.min_samples, params.hull_buffer_m, params.source) == (
        150,
        4,
        25,
        "p.toml",
    )
    assert 'metric = "pai"' in path.read_text() and "score" not in path.read_text()
    (tmp_path / "bad.toml").write_text("[dbscan]\neps = 100\n")
    with pytest.raises(ConfigError, match=r"\[dbscan\] table with eps_m"):
        read_params(tmp_path / "bad.toml")
    (tmp_path / "zero.toml").write_text("[dbscan]\neps_m = 0\n")
    with pytest.raises(HotspotsError, match="eps_m must be"):
        read_params(tmp_path / "zero.toml")
    with pytest.raises(ConfigError, match="hotspots tune -o"):
        read_params(tmp_path / "missing.toml")


def test_tune_prefers_the_pair_that_predicts_the_next_window():
    from hotspots.analysis.tune import tune_params

    # Next month's incidents sit on the 5-incident place (150,150), not the 3-incident one.
    train = points([[150, 150]] * 5 + [[850, 850]] * 3)
    test = points([[150, 150]] * 4)
    table = tune_params(train, test, BOROUGH, coverage=0.01, eps_grid=(50,), min_samples_grid=(3, 5, 9),
                        cell_m=100)  # fmt: skip
    assert table["min_samples"].tolist()[:2] in ([3, 5], [5, 3])  # both reach 1 cell with 4 of 4
    assert table.iloc[0]["pai"] == pytest.approx(100.0) and table.iloc[0]["eligible"]
    assert not table.set_index("min_samples").loc[9, "eligible"]  # no cluster at all
    with pytest.raises(HotspotsError, match="metric"):
        tune_params(train, test, BOROUGH, metric="auc")


# ------------------------------------------------------------------ population


def test_population_ons_layout_detected_and_plain_layout(tmp_path):
    from hotspots._errors import InputFileError
    from hotspots.analysis.population import add_rates, read_population

    wards = gpd.GeoDataFrame({"ward_code": ["E05000001", "E05000002", "E05000003"],
                              "ward_name": ["Abbey", "Batchley & Brockhill", "West"]},
                             geometry=[None] * 3)  # fmt: skip
    ons = tmp_path / "ons.csv"
    ons.write_text(
        "Ward Mid-2018 Population Estimates,,,,,\n"
        "This worksheet contains one table.,,,,,\n,,,,,\n"
        "Ward Code 2018,Ward Name 2018,LA Code (2018 boundaries),LA name (2018 boundaries),All Ages,0\n"
        'E05000001,Abbey,E07000236,Redditch,"6,000",70\n'
        "E05999999,Batchley and Brockhill,E07000236,Redditch,8000,90\n"  # code changed: by name
        "E05012345,Somewhere Else,E07000001,Elsewhere,5000,60\n"
        "Source: a note at the foot,,,,,\n",
        encoding="utf-8",
    )
    pop = read_population(ons, wards)
    assert pop.to_dict() == {"Abbey": 6000.0, "Batchley & Brockhill": 8000.0}
    assert pop.attrs["layout"] == "ons"
    plain = tmp_path / "plain.csv"
    plain.write_text("ward,population\nAbbey,4000\nBatchley and Brockhill,5000\n", encoding="utf-8")
    assert read_population(plain, wards).to_dict() == {
        "Abbey": 4000.0,
        "Batchley & Brockhill": 5000.0,
    }
    table = pd.DataFrame({"ward": ["Abbey", "West", "Grand Total"], "2018-19": [30, 5, 35]})
    rated = add_rates(table, pop)
    assert rated["rate 2018-19"].tolist()[0] == 5.0  # 30 per 6,000 = 5 per 1,000
    assert rated["rate 2018-19"].isna().tolist()[1:] == [True, True]  # West unknown: no total rate
    (tmp_path / "bad.csv").write_text("name,people\nAbbey,4\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="ONS mid-year estimate layout"):
        read_population(tmp_path / "bad.csv", wards)
    (tmp_path / "unknown.csv").write_text("ward,population\nNowhere,4\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="not in the boundaries"):
        read_population(tmp_path / "unknown.csv", wards)


def test_demo_population_matches_the_generator(tmp_path):
    import importlib.util

    from boundaries import get_path, load_wards
    from hotspots.analysis.population import read_population
    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location(
        "make_demo_population", ROOT / "data" / "make_demo_population.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rebuilt = module.build(tmp_path / "population.csv")
    assert rebuilt.read_text() == get_path("demo-population").read_text()
    pop = read_population(get_path("demo-population"), load_wards(get_path("demo-wards")))
    assert len(pop) == 12 and pop.between(6000, 9000).all() and pop.attrs["layout"] == "ons"


# ------------------------------------------------------------------ commands


def test_cli_evaluate_tune_and_params_on_the_demo(tmp_path):
    import json

    from click.testing import CliRunner

    from hotspots.cli import main

    runner = CliRunner()
    params = tmp_path / "tuned.toml"
    result = runner.invoke(main, ["tune", "--train", "2018-10", "--test", "2018-11", "--eps-grid",
                                  "150,250", "--min-samples-grid", "3,5", "--coverage", "1%", "-o",
                                  str(params)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "chosen: eps_m" in result.output and "suggested eps_m:" in result.output
    assert "[dbscan]" in params.read_text()
    out = tmp_path / "pai.json"
    result = runner.invoke(main, ["evaluate", "--train", "2018-09..2018-11", "--test",
                                  "2018-12..2019-02", "--params", str(params), "-o", str(out),
                                  "--chart", str(tmp_path / "pai.png")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"from {params.name}" in result.output and "PAI" in result.output
    records = json.loads(out.read_text())
    assert {r["method"] for r in records} == {"dbscan", "grid", "kde"}
    assert {r["coverage_label"] for r in records} <= {"1%", "3%", "5%", HOTSPOT_CELLS, "own"}
    assert all(
        r["reached"]
        for r in records
        if r["method"] == "dbscan" and r["coverage_label"].endswith("%")
    )
    assert all(r["train"] == "2018-09..2018-11" for r in records)
    assert (tmp_path / "pai.png").read_bytes()[:4] == b"\x89PNG"
    result = runner.invoke(main, ["clusters", "--season", "autumn", "--fy", "2018-19", "--params",
                                  str(params), "--simulations", "99", "-o", str(tmp_path / "c.geojson")])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"DBSCAN parameters from {params}" in result.output and "significant" in result.output
    props = json.loads((tmp_path / "c.geojson").read_text())["features"][0]["properties"]
    assert {"p_value", "q_value", "significant"} <= set(props)


def test_cli_evaluate_errors_teach(tmp_path):
    from click.testing import CliRunner

    from hotspots.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["evaluate"])
    assert result.exit_code == 1 and "--train 2018-10..2018-11" in result.output
    result = runner.invoke(main, ["evaluate", "--train", "2030-01", "--test", "2030-02",
                                  "-o", str(tmp_path / "pai.json")])  # fmt: skip
    assert result.exit_code == 1 and "holds no incidents" in result.output
    result = runner.invoke(main, ["evaluate", "--rolling", "month", "-o", "x.txt"])
    assert result.exit_code == 1 and ".json or .csv" in result.output
    assert "Traceback" not in result.output


@pytest.mark.shared
def test_cli_evaluate_real_redditch(shared_data, tmp_path):
    from click.testing import CliRunner

    from hotspots.cli import main
    from tests.conftest import POLICE, REDDITCH_WARDS

    result = CliRunner().invoke(main, ["evaluate", str(POLICE), "--wards", str(REDDITCH_WARDS),
                                       "--train", "2018-10..2018-11", "--test", "2018-12..2019-02",
                                       "-o", str(tmp_path / "pai.csv")])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "pai.csv")
    assert (table["test_incidents"] == 706).all()  # Redditch Dec 2018 - Feb 2019 (228 + 213 + 265)
    assert set(table["method"]) == {"dbscan", "grid", "kde"}
    for method in ("dbscan", "grid", "kde"):
        assert f"\n{method:>6}" in result.output or f"{method} " in result.output


def test_cli_patterns_on_the_demo(tmp_path):
    import json

    from click.testing import CliRunner

    from hotspots.analysis.patterns import PATTERNS
    from hotspots.cli import main

    out = tmp_path / "patterns.geojson"
    result = CliRunner().invoke(main, ["patterns", "--by", "season", "-o", str(out)])
    assert result.exit_code == 0, result.output
    props = [f["properties"] for f in json.loads(out.read_text())["features"]]
    assert props and {p["pattern"] for p in props} <= set(PATTERNS)
    persistent = [p for p in props if p["pattern"] == "persistent"]
    assert persistent  # the demo's town centre is a hotspot season after season
    periods = [
        k
        for k in props[0]
        if k not in ("cell", "periods_hot", "pattern", "hot_in", "incidents", "street", "ward")
    ]
    assert len(periods) >= 8  # April 2017 to March 2019, by season
    assert all(
        p["periods_hot"] == sum(p[k] for k in periods) >= 0.8 * len(periods) for p in persistent
    )


def test_web_app_reads_tuned_parameters(tmp_path):
    from hotspots.analysis.tune import write_params
    from hotspots.cli.web import serve_config
    from webapp import create_app

    path = write_params(tmp_path / "tuned.toml", ClusterParams(eps_m=150, min_samples=7))
    app = create_app(
        {"TESTING": True, "HOTSPOTS_REQUIRE_LOGIN": False, "HOTSPOTS_PARAMS": str(path)}
    )
    assert (app.config["HOTSPOTS_EPS_M"], app.config["HOTSPOTS_MIN_SAMPLES"]) == (150, 7)
    store = app.extensions["hotspots_store"]
    assert (store.eps_m, store.min_samples) == (150, 7)
    explicit = create_app({"TESTING": True, "HOTSPOTS_REQUIRE_LOGIN": False,
                           "HOTSPOTS_PARAMS": str(path), "HOTSPOTS_EPS_M": 90})  # fmt: skip
    assert (explicit.config["HOTSPOTS_EPS_M"], explicit.config["HOTSPOTS_MIN_SAMPLES"]) == (90, 7)
    base = {"data": (), "wards": None, "areas": None, "population": None, "host": "127.0.0.1",
            "tiles_url": None, "tiles_attribution": None, "users_db": None}  # fmt: skip
    config = serve_config(**base, eps_m=None, min_samples=None, params=path)
    assert config["HOTSPOTS_PARAMS"] == str(path) and "HOTSPOTS_EPS_M" not in config
    assert serve_config(**base, eps_m=None, min_samples=None)["HOTSPOTS_EPS_M"] == 100.0


def test_season_periods_are_in_time_order_on_prepared_incidents(demo):
    """Prepared season columns are categoricals: the periods must still run in time order."""
    from hotspots.analysis.backtest import period_labels

    labels = period_labels(demo.incidents, by="season")
    first_month = (
        demo.incidents.groupby(labels.to_numpy(), observed=True)["month"].min().astype(str)
    )
    in_order = first_month.reindex(list(labels.cat.categories)).tolist()
    assert len(in_order) >= 8 and in_order == sorted(in_order)
