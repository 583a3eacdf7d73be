"""DBSCAN in metres; dedupe equals plain DBSCAN; cluster summaries; the giant-cluster trap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import Point
from sklearn.cluster import DBSCAN

from hotspots._errors import HotspotsError
from hotspots.analysis.cluster import (
    ClusterParams,
    ClusterWarning,
    _near_possible_cores,
    check_min_samples,
    dbscan_labels,
    default_min_samples,
    distinct_points,
    neighbour_pairs,
    radius_graph,
    suggest_eps,
)
from hotspots.analysis.summaries import CLUSTER_COLUMNS, find_clusters
from hotspots.read.geocode import lonlat_to_bng
from hotspots.read.incidents import read_incidents
from tests.conftest import POLICE, TOWN_CENTRE_LONLAT


def test_two_obvious_clusters_and_noise(two_clusters):
    out = find_clusters(two_clusters, params=ClusterParams(eps_m=80, min_samples=5))
    assert list(out.columns) == CLUSTER_COLUMNS
    assert out["incidents"].tolist() == [30, 20]
    assert out["cluster_id"].tolist() == [1, 2]
    assert out["share"].tolist() == pytest.approx([30 / 60, 20 / 60])
    assert out["ward"].tolist() == ["West", "East"]
    assert out["top_locations"].tolist() == ["On or near A Street (30)", "On or near B Road (20)"]
    assert out["months"].tolist() == ["2018-10", "2018-11"]
    assert out.crs.to_epsg() == 27700
    assert out.geometry.iloc[0].contains(Point(404000, 267000))
    assert out.geometry.iloc[1].contains(Point(406000, 267000))


def test_input_is_not_changed(two_clusters):
    before = two_clusters.copy()
    find_clusters(two_clusters, params=ClusterParams(eps_m=80, min_samples=5))
    assert two_clusters.equals(before)


def test_a_one_point_cluster_still_has_area():
    xy = np.array([[404000.0, 267000.0]] * 6)
    import geopandas as gpd

    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    out = find_clusters(pts, params=ClusterParams(eps_m=50, min_samples=5, hull_buffer_m=25))
    assert out["incidents"].tolist() == [6]
    assert out.geometry.iloc[0].area == pytest.approx(math.pi * 25**2, rel=0.02)


def test_lonlat_input_is_clustered_in_metres(two_clusters):
    wgs = two_clusters.to_crs(4326)
    out = find_clusters(wgs, params=ClusterParams(eps_m=80, min_samples=5))
    assert out["incidents"].tolist() == [30, 20] and out.crs.to_epsg() == 27700


def test_params_are_checked():
    with pytest.raises(HotspotsError, match="eps_m must be"):
        ClusterParams(eps_m=0)
    with pytest.raises(HotspotsError, match="min_samples must be 2 or more"):
        ClusterParams(min_samples=1)


def test_dedupe_gives_plain_dbscan_labels_on_real_data(shared_data):
    load = read_incidents(sorted(POLICE.glob("2018-1*-west-mercia-street.csv")))
    xy = np.column_stack([load.incidents.geometry.x, load.incidents.geometry.y])
    n_unique = len(np.unique(xy, axis=0))
    assert n_unique < 0.6 * len(xy)  # police.uk snapping: many shared points
    for eps, ms in ((100, 5), (200, 15), (50, 3)):
        plain = DBSCAN(eps=eps, min_samples=ms).fit(xy).labels_
        fast = dbscan_labels(xy, eps_m=eps, min_samples=ms)
        assert plain.max() > 10
        np.testing.assert_array_equal(fast, plain)


def test_giant_cluster_warning():
    with pytest.warns(ClusterWarning, match="one giant cluster"):
        msg = check_min_samples(50_000, 50e6, eps_m=200, min_samples=5)
    assert "Raise min_samples above" in msg
    assert check_min_samples(450, 54e6, eps_m=100, min_samples=5) is None


def test_default_min_samples_grows_with_the_selection():
    assert default_min_samples(100, 54e6, 100) == 5
    assert default_min_samples(3200, 54e6, 100) == 32
    dense = default_min_samples(50_000, 54e6, 100)
    assert dense >= 3 * 50_000 * math.pi * 100**2 / 54e6


def test_suggest_eps_sits_between_cluster_spacing_and_background(two_clusters):
    eps = suggest_eps(two_clusters, min_samples=5)
    assert 10 <= eps < 700  # the noise points are 700 m or more apart


def test_defaults_find_the_town_centre_first_on_real_data(redditch_autumn_2018):
    from hotspots.analysis.hotspots import hotspots_for

    out = hotspots_for(redditch_autumn_2018, season="autumn")
    assert 5 <= len(out) <= 60
    x, y = lonlat_to_bng([TOWN_CENTRE_LONLAT[0]], [TOWN_CENTRE_LONLAT[1]])
    top = out.iloc[0]
    assert top["ward"] == "Abbey"
    assert math.hypot(top["centroid_x"] - x[0], top["centroid_y"] - y[0]) < 500
    assert top["area"] == "Town centre"


# --------------------------------------------------------------------------- vectorised summaries
# The per-cluster loop that summarise_clusters replaced (hotspots 0.1, before issue 11), kept here
# only as the reference the vectorised version must equal, column by column.


def _old_top(values, n=3):
    counts = values[values.astype(str).str.strip() != ""].value_counts()
    return "; ".join(f"{k} ({v})" for k, v in counts.head(n).items())


def _old_summarise_clusters(incidents, labels, *, areas=None, hull_buffer_m=25.0):
    import geopandas as gpd
    import pandas as pd
    from shapely import MultiPoint, convex_hull

    from hotspots._validate import ANALYSIS_CRS, to_analysis_crs
    from hotspots.privacy import street_counts
    from hotspots.read.geocode import bng_to_lonlat
    from hotspots.read.places import tag_focus_areas

    geoms = to_analysis_crs(incidents).geometry
    xy = np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])
    lab = labels.reindex(incidents.index).to_numpy()
    total = len(incidents)
    frame = pd.DataFrame(index=incidents.index)
    for col in ("ward", "location", "category", "month"):
        frame[col] = incidents[col] if col in incidents.columns else ""
    rows = []
    for label in sorted(set(lab[lab != -1].tolist())):
        members = lab == label
        pts = xy[members]
        sub = frame.loc[members]
        hull = convex_hull(MultiPoint(pts)).buffer(hull_buffer_m if hull_buffer_m > 0 else 1.0)
        months = sorted(m for m in sub["month"].unique() if m)
        ward = sub["ward"][sub["ward"] != ""].mode()
        rows.append(
            {
                "_label": label,
                "incidents": int(members.sum()),
                "share": members.sum() / total,
                "ward": ward.iloc[0] if len(ward) else "",
                "top_locations": _old_top(sub["location"]),
                "top_categories": _old_top(sub["category"]),
                "top_streets": street_counts(sub["location"]),
                "months": ", ".join(months),
                "first_month": months[0] if months else "",
                "last_month": months[-1] if months else "",
                "centroid_x": float(pts[:, 0].mean()),
                "centroid_y": float(pts[:, 1].mean()),
                "geometry": hull,
            }
        )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=ANALYSIS_CRS)
    out = out.sort_values(["incidents", "_label"], ascending=[False, True], ignore_index=True)
    out["cluster_id"] = np.arange(1, len(out) + 1)
    lon, lat = bng_to_lonlat(out["centroid_x"], out["centroid_y"])
    out["centroid_lon"], out["centroid_lat"] = lon.round(6), lat.round(6)
    out["area"] = tag_focus_areas(out.geometry, areas)
    return out[CLUSTER_COLUMNS]


def _assert_same_summaries(new, old):
    import pandas as pd
    import shapely

    assert list(new.columns) == list(old.columns) == CLUSTER_COLUMNS
    assert len(new) == len(old) > 0
    for col in CLUSTER_COLUMNS:
        if col == "geometry":
            a = shapely.normalize(new.geometry.to_numpy())
            b = shapely.normalize(old.geometry.to_numpy())
            assert shapely.equals_exact(a, b, tolerance=1e-6).all(), col
            # and the same area, to the square millimetre
            np.testing.assert_allclose(shapely.area(a), shapely.area(b), rtol=0, atol=1e-6)
        elif col in ("share", "centroid_x", "centroid_y"):
            np.testing.assert_allclose(new[col], old[col], rtol=1e-12, err_msg=col)
        elif col in ("centroid_lon", "centroid_lat"):
            np.testing.assert_allclose(new[col], old[col], rtol=0, atol=1.01e-6, err_msg=col)
        else:
            pd.testing.assert_series_equal(
                new[col].reset_index(drop=True), old[col].reset_index(drop=True),
                check_dtype=False, obj=col,
            )  # fmt: skip


@pytest.fixture(scope="module")
def west_mercia_all_types(shared_data):
    """All five real months, every crime type, whole force, wards of all six districts."""
    import pandas as pd

    from boundaries import load_wards
    from hotspots.analysis.wards import assign_wards

    load = read_incidents(sorted(POLICE.glob("*-west-mercia-street.csv")), crime_types=None)
    wards = pd.concat([load_wards(p) for p in sorted((shared_data / "wards").glob("*.geojson"))])
    return assign_wards(load.incidents, wards.reset_index(drop=True))


@pytest.mark.parametrize(
    ("crime", "eps", "min_samples", "buffer"),
    [("asb", 100, 5, 25.0), ("asb", 200, 15, 0.0), ("all", 150, 30, 10.0)],
)
def test_vectorised_summaries_equal_the_old_loop_on_real_data(
    west_mercia_all_types, crime, eps, min_samples, buffer
):
    from boundaries import get_path
    from hotspots.analysis.cluster import label_incidents
    from hotspots.analysis.summaries import summarise_clusters
    from hotspots.read.places import read_focus_areas

    incidents = west_mercia_all_types
    if crime == "asb":
        incidents = incidents[incidents["category"] == "Anti-social behaviour"]
    areas = read_focus_areas(get_path("redditch-focus-areas"))
    labels = label_incidents(incidents, eps_m=eps, min_samples=min_samples)
    assert labels.max() > 20
    new = summarise_clusters(incidents, labels, areas=areas, hull_buffer_m=buffer)
    old = _old_summarise_clusters(incidents, labels, areas=areas, hull_buffer_m=buffer)
    _assert_same_summaries(new, old)
    assert (new["ward"] != "").any() and (new["area"] != "").any()
    if crime == "all":
        assert new["top_categories"].str.contains(";").any()


def test_vectorised_summaries_equal_the_old_loop_with_blanks_ties_and_categoricals(two_clusters):
    from hotspots.analysis.cluster import label_incidents
    from hotspots.analysis.summaries import summarise_clusters

    pts = two_clusters.copy()
    # ties between locations (first seen wins), blank and space-only values, a ward tie
    pts.loc[0:9, "location"] = "On or near Z Lane"
    pts.loc[10:19, "location"] = "  "
    pts.loc[30:39, "ward"] = "West"
    pts.loc[40:44, "month"] = ""
    pts.loc[45:49, "category"] = "Other theft"
    labels = label_incidents(pts, eps_m=80, min_samples=5)
    old = _old_summarise_clusters(pts, labels)
    _assert_same_summaries(summarise_clusters(pts, labels), old)
    cats = pts.astype(dict.fromkeys(("ward", "location", "category", "month"), "category"))
    _assert_same_summaries(summarise_clusters(cats, labels), old)
    assert old["top_locations"].iloc[0] == "On or near Z Lane (10); On or near A Street (10)"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_dbscan_equals_scikit_learn_with_ties_on_a_lattice(seed):
    """Points on a 10 m lattice: many exact eps distances and border points between clusters."""
    rng = np.random.default_rng(seed)
    xy = np.vstack([rng.integers(0, 150, (2500, 2)), rng.integers(60, 75, (400, 2))]) * 10.0
    xy += [400000, 260000]
    for eps, ms in ((20, 4), (30, 9), (50, 20)):
        plain = DBSCAN(eps=eps, min_samples=ms).fit(xy).labels_
        assert (plain >= 0).any() and (plain == -1).any()
        np.testing.assert_array_equal(dbscan_labels(xy, eps_m=eps, min_samples=ms), plain)


@pytest.mark.parametrize("seed", [0, 1])
def test_weighted_dbscan_leaves_out_what_cannot_be_core_and_gives_the_same_labels(seed):
    """Dense spots in a sparse lattice (most points left out of the graph), eps distances
    exact across the grid's cells, and a min_samples that no neighbourhood reaches."""
    rng = np.random.default_rng(seed)
    sparse = rng.integers(0, 400, (3000, 2)) * 10.0
    spots = np.vstack([c + rng.integers(0, 6, (60, 2)) * 10.0 for c in ([500, 500], [2000, 3100],
                                                                       [2060, 3160], [3990, 0])])  # fmt: skip
    xy = np.vstack([sparse, spots]) + [400000, 260000]
    _, uniq, counts = distinct_points(xy)
    for eps, ms in ((30, 12), (50, 25), (100, 40), (100, 10_000)):
        plain = DBSCAN(eps=eps, min_samples=ms).fit(xy).labels_
        assert (plain == -1).any() and ((plain >= 0).any() or ms == 10_000)
        np.testing.assert_array_equal(dbscan_labels(xy, eps_m=eps, min_samples=ms), plain)
        near = _near_possible_cores(uniq, counts, eps, ms)
        assert near.sum() < 0.5 * len(uniq)  # most points never enter the neighbour graph
        core = radius_graph(uniq, eps) @ counts >= ms
        assert near[core].all()  # ... and no core point is among those left out


@pytest.mark.parametrize("seed", [0, 1])
def test_neighbour_pairs_are_scipys_query_pairs_with_exact_eps_ties(seed):
    """The grid's pairs are the k-d tree's, distances of exactly eps included, at any scale."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    for scale in (10.0, 0.37, 1000.0):
        xy = np.unique(rng.integers(0, 120, (3000, 2)) * scale, axis=0) + [400000, 260000]
        for eps in (scale, 2 * scale, 5 * scale, math.sqrt(2) * scale, 0.5 * scale):
            i, j = neighbour_pairs(xy, eps)
            want = cKDTree(xy).query_pairs(eps, output_type="ndarray")
            want = want[np.lexsort((want[:, 1], want[:, 0]))]
            assert len(want) > 0 or eps < scale
            np.testing.assert_array_equal(np.column_stack([i, j]).reshape(-1, 2), want)


@pytest.mark.parametrize("buffer_m", [25.0, 0.0])
def test_hulls_are_each_clusters_multipoint_hull_widened(buffer_m):
    """Lone points, two points, collinear and repeated points: the hull of the points."""
    import shapely

    from hotspots.analysis.summaries import _hulls

    rng = np.random.default_rng(7)
    xy = np.round(rng.uniform(0, 60, (80, 2)) / 10) * 10
    xy[:10, 1] = 5.0  # collinear
    group = np.repeat(np.arange(8), [10, 1, 2, 30, 3, 3, 30, 1])
    xy[10], xy[13:16] = [500, 500], [300, 300]  # a lone point; a cluster on one point
    got = _hulls(group, xy, 8, buffer_m)
    for g in range(8):
        want = shapely.MultiPoint(xy[group == g]).convex_hull.buffer(buffer_m or 1.0, quad_segs=16)
        assert got[g].normalize().equals_exact(want.normalize(), 0), g


def test_map_points_of_a_frame_are_found_once_and_follow_its_geometries(monkeypatch):
    import geopandas as gpd
    import shapely

    from hotspots.analysis import cluster

    calls = []
    real = cluster.distinct_points
    monkeypatch.setattr(cluster, "distinct_points", lambda xy: calls.append(1) or real(xy))
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([5, 0, 5], [1, 0, 1]), crs=27700)
    inverse, uniq, counts = cluster.map_points_of(pts)
    assert (inverse.tolist(), uniq.tolist(), counts.tolist()) == (
        [0, 1, 0],
        [[5, 1], [0, 0]],
        [2, 1],
    )
    assert cluster.map_points_of(pts)[1] is uniq and len(calls) == 1
    with pytest.raises(ValueError, match="read-only"):
        uniq[0, 0] = 9.0
    pts.loc[1, "geometry"] = shapely.Point(5, 1)  # set in place: the points are found again
    assert cluster.map_points_of(pts)[2].tolist() == [3] and len(calls) == 2
    # DBSCAN reads them: the labels of plain DBSCAN on the coordinates
    assert cluster.label_incidents(pts, eps_m=1, min_samples=3).tolist() == [0, 0, 0]
