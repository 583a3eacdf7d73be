"""hotspots.maps: the folium map of one selection, built from tiny hand-made data."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from hotspots.assets import localized_html
from hotspots.maps import (
    MAX_HEAT_CELLS,
    class_breaks,
    class_colours,
    heat_grid,
    hotspot_map,
    sample_points,
    ward_summary,
)

EVIL = "<script>alert('x')</script>"


def _wards() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ward_code": ["W1", "W2"], "ward_name": ["Abbey", "West & Hill"]},
        geometry=[box(404000, 267000, 405000, 268000), box(405000, 267000, 406000, 268000)],
        crs=27700,
    )


def _incidents(n_abbey: int = 30, n_west: int = 10) -> gpd.GeoDataFrame:
    pts = [Point(404500, 267500)] * n_abbey + [Point(405500, 267500)] * n_west
    return gpd.GeoDataFrame(
        {"ward": ["Abbey"] * n_abbey + ["West & Hill"] * n_west}, geometry=pts, crs=27700
    )


def _clusters() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "cluster_id": [1, 2],
            "incidents": [30, 10],
            "share": [0.75, 0.25],
            "ward": ["Abbey", "West & Hill"],
            "area": ["Town centre", ""],
            "top_locations": [f"On or near {EVIL} (30)", "On or near Park (10)"],
            "top_categories": ["Rowdy (30)", "Vehicle (10)"],
            "months": ["2018-10", "2018-10"],
            "previous": [20, 0],
            "change": [10, 10],
            "trend": ["growing", "new"],
        },
        geometry=[Point(404500, 267500).buffer(40), Point(405500, 267500).buffer(40)],
        crs=27700,
    )


def test_ward_summary_counts_every_ward_and_rates_where_known():
    stats = ward_summary(_incidents(), _wards(), population=pd.Series({"Abbey": 3000.0}))
    assert stats["incidents"].tolist() == [30, 10]
    assert stats["rate_per_1000"].iloc[0] == 10.0
    assert np.isnan(stats["rate_per_1000"].iloc[1])


def test_class_breaks_cover_the_values_with_viridis_colours():
    values = [11, 19, 30, 41, 60]
    breaks = class_breaks(values)
    assert breaks[-1] == 60 and breaks == sorted(breaks) and len(breaks) == 5
    colours = class_colours(len(breaks), "viridis_r")
    assert colours[-1] == "#440154"  # viridis' darkest for the most incidents


def test_map_has_hulls_popups_legend_layers_and_licence():
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), _clusters(),
                                      _incidents(), caption="autumn 2018-19"))  # fmt: skip
    assert '"className": "hotspot-hull"' in html
    assert "hotspot-legend" in html
    assert "Open Government Licence" in html
    assert '"collapsed": false' in html
    for layer in ("Hotspots (DBSCAN clusters)", "Heat (incident density)", "Wards: incidents",
                  "Ward names", "Incident points (40)"):  # fmt: skip
        assert layer in html, layer
    assert "growing: +10 (20 then)" in html  # change vs the same season a year before
    assert "West \\u0026amp; Hill" in html  # names HTML-escaped (then JSON-escaped)
    assert EVIL not in html  # free text is escaped before folium writes it into the popup
    assert "L.tileLayer" not in html  # no basemap unless configured
    # With no tile layer the map itself must say how far it zooms, or the clustered
    # incident markers throw "Map has no maxZoom specified" and nothing after them is drawn.
    map_options = html[html.index("L.map(") :][:400]
    assert '"maxZoom": 19' in map_options
    # Heat and incident points start switched off (their layers are not added to the map).
    points_group = re.search(r'"Incident points \(40\)" : (\w+)', html).group(1)
    heat = re.search(r'"Heat \(incident density\)" : (\w+)', html).group(1)
    for layer in (points_group, heat):
        assert f"{layer}.addTo(map_" not in html, layer


def test_map_without_clusters_says_so():
    empty = _clusters().iloc[0:0]
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), empty, _incidents()))
    assert "No hotspot in this selection." in html
    assert "hotspot-hull" not in html


def test_map_fits_the_focus_shape():
    focus = box(404400, 267400, 404600, 267600)
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), _clusters(),
                                      _incidents(), focus=focus))  # fmt: skip
    s, w, n, e = (float(v) for v in re.search(
        r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", html).groups())  # fmt: skip
    assert 0.001 < n - s < 0.003 and 0.002 < e - w < 0.004  # about 200 m, not the wards' 2 km


def test_tiles_only_when_configured():
    html = localized_html(hotspot_map(ward_summary(_incidents(), _wards()), _clusters(),
                                      _incidents(), tiles_url="https://t.example/{z}/{x}/{y}.png",
                                      tiles_attribution="© Tiles"))  # fmt: skip
    assert "https://t.example/{z}/{x}/{y}.png" in html and "\\u00a9 Tiles" in html


def test_layers_stay_small_however_many_incidents():
    rng = np.random.default_rng(1)
    n = 100_000
    xy = rng.uniform([400000, 262000], [410000, 272000], size=(n, 2))
    many = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    cells = heat_grid(many)
    assert 0 < len(cells) <= MAX_HEAT_CELLS
    assert sum(c[2] for c in cells) == n  # every incident counted once
    assert len(sample_points(many, max_points=2000)) == 2000
    assert sample_points(many, max_points=2000) == sample_points(many, max_points=2000)
