"""What a viewer's map and tables may show of council places (issue 18, data side).

Council rows geocoded from a postcode sit on the postcode's centroid: a point
of one case gives the full postcode away. A viewer's map holds no council
coordinate finer than a 100 m grid cell, and no shown point stands for fewer
than :data:`hotspots.privacy.MIN_CASES_SHOWN` cases; police.uk's own snapped
map points may stay. Street counts shown to viewers are counts of streets.
"""

from __future__ import annotations

import re
from collections import Counter

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from boundaries import get_path
from hotspots.analysis.summaries import summarise_clusters
from hotspots.privacy import MIN_CASES_SHOWN, PUBLIC_CELL_M, public_points, street_counts
from hotspots.read.geocode import bng_to_lonlat
from tests.test_webapp import PASSWORD, USER, login

#: Postcodes of one case each, 30-50 m from any 100 m cell centre (404115, 267285 ...).
SINGLE = {f"B97 {i}AA": (403615.0 + 200 * i, 266285.0 + 100 * (i % 3)) for i in range(1, 9)}
#: The hotspot's postcodes: 20 cases each, a few metres apart, in the town centre.
BUSY = {"B97 4HJ": (404107.0, 267511.0), "B97 4HL": (404123.0, 267519.0),
        "B97 4HN": (404111.0, 267532.0)}  # fmt: skip
#: The hotspot's cases' addresses: many house numbers on Unicorn Hill, one address on Market Place,
#: so the three most common addresses are not the streets' counts.
ADDRESSES = {
    "B97 4HJ": [f"{2 + 2 * (k % 10)} Unicorn Hill" for k in range(20)],
    "B97 4HL": [f"{1 + 2 * (k % 10)} Unicorn Hill, Redditch" for k in range(20)],
    "B97 4HN": ["2 Market Place"] * 20,
}


@pytest.fixture(scope="module")
def users_db(tmp_path_factory):
    from webapp.users import add_user

    db = tmp_path_factory.mktemp("users") / "users.sqlite"
    add_user(db, USER, PASSWORD, role="viewer")
    add_user(db, "analyst1", PASSWORD, role="analyst")
    return db


@pytest.fixture(scope="module")
def postcode_app(tmp_path_factory, users_db):
    from webapp import create_app

    folder = tmp_path_factory.mktemp("pc")
    directory = folder / "postcodes.csv"
    directory.write_text("Postcode,Eastings,Northings\n" + "".join(
        f"{pc},{x:.0f},{y:.0f}\n" for pc, (x, y) in {**SINGLE, **BUSY}.items()))  # fmt: skip
    rows = ["case_ref,reported_at,category,postcode,address"]
    i = 0
    for pc in BUSY:
        for address in ADDRESSES[pc]:
            i += 1
            rows.append(f'A{i:03d},{1 + i % 28:02d}/10/2018 21:00,Nuisance,{pc},"{address}"')
    for pc in SINGLE:
        i += 1
        rows.append(f"A{i:03d},{1 + i % 28:02d}/10/2018 21:00,Nuisance,{pc},1 Some Road")
    export = folder / "asb_export.csv"
    export.write_text("\n".join(rows) + "\n")
    return create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_USERS_DB": str(users_db),
                       "HOTSPOTS_INPUTS": [str(export)], "HOTSPOTS_POSTCODES": str(directory),
                       "HOTSPOTS_WARDS": str(get_path("demo-wards"))})  # fmt: skip


def _pairs(text: str) -> list[tuple[float, float]]:
    """Every ``[lat, lon]`` pair in a page (British latitudes and longitudes)."""
    found = re.findall(r"\[\s*(5\d\.\d+)\s*,\s*(-?[0-2]\.\d+)", text)
    return [(float(a), float(o)) for a, o in found]


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = bng_to_lonlat([x], [y])
    return float(lat[0]), float(lon[0])


def test_a_viewer_map_frame_holds_no_single_case_postcode_centroid(postcode_app):
    viewer = postcode_app.test_client()
    assert login(viewer).status_code == 302
    text = viewer.get("/map/frame?fy=2018-19").get_data(True)
    pairs = _pairs(text)
    assert pairs, "the frame holds no points at all"
    shown = {(round(a, 4), round(o, 4)) for a, o in pairs}
    for pc, (x, y) in SINGLE.items():
        lat, lon = _lonlat(x, y)
        assert (round(lat, 4), round(lon, 4)) not in shown, f"{pc}'s centroid is on the map"
    for x, y in BUSY.values():  # nor the hotspot's own postcodes: they are 100 m cells now
        lat, lon = _lonlat(x, y)
        assert (round(lat, 4), round(lon, 4)) not in shown


def test_the_viewer_map_says_how_council_cases_are_shown(postcode_app):
    viewer = postcode_app.test_client()
    assert login(viewer).status_code == 302
    text = viewer.get("/map/frame?fy=2018-19").get_data(True)
    points = [Point(*xy) for pc, xy in {**BUSY, **SINGLE}.items()
              for _ in range(20 if pc in BUSY else 1)]  # fmt: skip
    cases = gpd.GeoDataFrame({"date_precision": ["day"] * len(points)}, geometry=points, crs=27700)
    alone = public_points(cases).attrs["withheld"]
    assert alone == len(SINGLE)  # the lone cases are fewer than 5 in any cell up to 800 m
    assert "100 m grid, or up to 800 m" in text and f"fewer than {MIN_CASES_SHOWN}" in text
    assert f"{alone} still alone are not shown" in text
    assert f"of {len(cases)}" in text  # the layer's name counts every case


def test_the_analyst_map_frame_still_has_the_points(postcode_app):
    analyst = postcode_app.test_client()
    assert login(analyst, "analyst1").status_code == 302
    shown = {(round(a, 4), round(o, 4)) for a, o in _pairs(
        analyst.get("/map/frame?fy=2018-19").get_data(True))}  # fmt: skip
    lat, lon = _lonlat(*next(iter(SINGLE.values())))
    assert (round(lat, 4), round(lon, 4)) in shown


def test_public_points_are_cell_centres_of_enough_cases():
    xy = [*[(404107.0, 267511.0)] * 5, (404190.0, 267590.0), (406115.0, 266285.0)]
    incidents = gpd.GeoDataFrame(
        {"date_precision": ["day"] * 6 + ["datetime"], "n": range(7)},
        geometry=[Point(x, y) for x, y in xy], crs=27700,
    )  # fmt: skip
    shown = public_points(incidents)
    assert PUBLIC_CELL_M == 100 and MIN_CASES_SHOWN >= 3
    # the five and the one of the same cell become six at its centre; the lone one is dropped
    assert len(shown) == 6 and set(zip(shown.geometry.x, shown.geometry.y)) == {
        (404150.0, 267550.0)
    }
    assert shown.attrs["withheld"] == 1


def test_cells_of_too_few_cases_try_a_coarser_grid():
    """3 + 2 cases in two 100 m cells of one 200 m cell: shown at the 200 m cell's centre."""
    xy = [(404010.0, 267510.0)] * 3 + [(404190.0, 267590.0)] * 2
    incidents = gpd.GeoDataFrame({"date_precision": ["day"] * 5},
                                 geometry=[Point(x, y) for x, y in xy], crs=27700)  # fmt: skip
    shown = public_points(incidents)
    assert set(zip(shown.geometry.x, shown.geometry.y)) == {(404100.0, 267500.0)}
    assert len(shown) == 5 and shown.attrs["withheld"] == 0
    counts = pd.Series(list(zip(shown.geometry.x, shown.geometry.y))).value_counts()
    assert counts.min() >= MIN_CASES_SHOWN


def test_police_uk_map_points_stay_as_they_are():
    incidents = gpd.GeoDataFrame(
        {"date_precision": ["month", "month", "day"]},
        geometry=[Point(404107, 267511), Point(405003, 266001), Point(404111, 267512)], crs=27700,
    )  # fmt: skip
    shown = public_points(incidents)
    assert sorted(zip(shown.geometry.x, shown.geometry.y)) == [(404107.0, 267511.0),
                                                               (405003.0, 266001.0)]  # fmt: skip
    assert shown.attrs["withheld"] == 1


# --------------------------------------------------------------------------- street counts


def _cluster_of(addresses: list[str]) -> gpd.GeoDataFrame:
    n = len(addresses)
    pts = gpd.GeoDataFrame({"location": addresses}, crs=27700,
                           geometry=[Point(404100 + i % 5, 267500 + i % 3) for i in range(n)])  # fmt: skip
    return summarise_clusters(pts, pd.Series(np.zeros(n, dtype=int), index=pts.index))


def test_viewer_street_counts_count_streets_not_the_top_addresses():
    addresses = (["1 Bates Hill"] * 9 + [f"{k} Unicorn Hill" for k in range(2, 30, 2)] * 2
                 + ["On or near Unicorn Hill"] * 5 + ["Flat 2, 14 Market Place"] * 3)  # fmt: skip
    clusters = _cluster_of(addresses)
    from hotspots.privacy import redact_places

    shown = redact_places(clusters)["top_locations"].iloc[0]
    assert shown == "Unicorn Hill (33); Bates Hill (9); Market Place (3)"
    assert "Unicorn Hill (33)" in street_counts(pd.Series(addresses))


def test_police_uk_places_stay_in_the_viewer_street_counts():
    """police.uk's published places ("On or near Parking Area") are counted, not withheld."""
    clusters = _cluster_of(["On or near Parking Area"] * 4 + ["On or near Unicorn Hill"] * 2)
    from hotspots.privacy import redact_places

    assert redact_places(clusters)["top_locations"].iloc[0] == "Parking Area (4); Unicorn Hill (2)"


def test_the_viewer_street_counts_equal_a_direct_count(postcode_app):
    viewer = postcode_app.test_client()
    assert login(viewer, USER, PASSWORD).status_code == 302
    doc = viewer.get("/api/clusters?fy=2018-19").get_json()
    (feature,) = doc["features"]  # the hotspot holds the 60 cases of the three busy postcodes
    direct = Counter(re.sub(r"^\d+ |, Redditch$", "", a) for pc in BUSY for a in ADDRESSES[pc])
    assert feature["properties"]["incidents"] == sum(direct.values()) == 60
    shown = feature["properties"]["top_locations"]
    assert shown == "; ".join(f"{street} ({n})" for street, n in direct.most_common())
    assert shown == "Unicorn Hill (40); Market Place (20)"
