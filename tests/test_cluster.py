"""DBSCAN in metres; dedupe equals plain DBSCAN; cluster summaries; the giant-cluster trap."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import Point
from sklearn.cluster import DBSCAN

from hotspots._errors import HotspotsError
from hotspots.cluster import (
    CLUSTER_COLUMNS,
    ClusterParams,
    ClusterWarning,
    check_min_samples,
    dbscan_labels,
    default_min_samples,
    find_clusters,
    suggest_eps,
)
from hotspots.geocode import lonlat_to_bng
from hotspots.incidents import read_incidents
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
    from hotspots.pipeline import hotspots_for

    out = hotspots_for(redditch_autumn_2018, season="autumn")
    assert 5 <= len(out) <= 60
    x, y = lonlat_to_bng([TOWN_CENTRE_LONLAT[0]], [TOWN_CENTRE_LONLAT[1]])
    top = out.iloc[0]
    assert top["ward"] == "Abbey"
    assert math.hypot(top["centroid_x"] - x[0], top["centroid_y"] - y[0]) < 500
    assert top["area"] == "Town centre"
