"""Outputs: formats, CRS, attribution, and never a half-written file."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest

from hotspots._errors import HotspotsError
from hotspots.cluster import ClusterParams, find_clusters
from hotspots.io import ATTRIBUTION, atomic_path, write_layer


def test_geojson_is_wgs84_with_attribution(two_clusters, tmp_path):
    clusters = find_clusters(two_clusters, params=ClusterParams(eps_m=80, min_samples=5))
    path = write_layer(clusters, tmp_path / "c.geojson")
    doc = json.loads(path.read_text())
    assert doc["attribution"] == ATTRIBUTION and "Open Government Licence" in ATTRIBUTION
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert -2.5 < lon < -1.5 and 52 < lat < 53
    assert doc["features"][0]["properties"]["incidents"] == 30


def test_geopackage_keeps_british_national_grid(two_clusters, tmp_path):
    clusters = find_clusters(two_clusters, params=ClusterParams(eps_m=80, min_samples=5))
    back = gpd.read_file(write_layer(clusters, tmp_path / "c.gpkg"))
    assert back.crs.to_epsg() == 27700 and back["incidents"].tolist() == [30, 20]


def test_unknown_suffix_is_refused(two_clusters, tmp_path):
    with pytest.raises(HotspotsError, match="must end in one of"):
        write_layer(two_clusters, tmp_path / "c.shp")


def test_a_crash_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
