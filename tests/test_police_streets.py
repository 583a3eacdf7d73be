"""Approximate streets from police.uk map points (``fetch streets --from-police``), offline.

Tiny frames checkable by hand (two "Church Road"s 5 km apart, place categories,
one-point streets), then the real West Mercia months around Redditch, then the
command and the maps that draw what it keeps.
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from hotspots._errors import HotspotsError, InputFileError
from hotspots.read.police_streets import (
    ANCHORED,
    JOINED,
    OGL,
    POLICE_STREETS_ATTRIBUTION,
    SOURCE,
    read_map_points,
    street_name,
    streets_from_map_points,
)
from hotspots.read.roads import NAME_ONLY, as_roads, read_roads, roads_attribution
from tests.conftest import POLICE, REDDITCH_WARDS

# Two places 5 km apart on the British National Grid (Redditch's town centre and east of it).
WEST, EAST = (404000.0, 267400.0), (409000.0, 267400.0)


def rows_at(points: list[tuple[float, float, str]]) -> pd.DataFrame:
    """police.uk rows (lon/lat text, "On or near ...") at BNG ``(x, y, name)`` points."""
    xy = gpd.GeoSeries([Point(x, y) for x, y, _ in points], crs=27700).to_crs(4326)
    return pd.DataFrame({"Longitude": [f"{p.x:.6f}" for p in xy],
                         "Latitude": [f"{p.y:.6f}" for p in xy],
                         "Location": [f"On or near {n}" for _, _, n in points],
                         "Crime type": "Burglary"})  # fmt: skip


def along(start: tuple[float, float], name: str, n: int, step: float = 100.0):
    """``n`` map points ``step`` metres apart going east from ``start``."""
    return [(start[0] + i * step, start[1], name) for i in range(n)]


def test_two_streets_of_one_name_far_apart_stay_apart():
    rows = rows_at(along(WEST, "Church Road", 3) + along(EAST, "Church Road", 4))
    streets = streets_from_map_points(rows)
    assert streets["name"].tolist() == ["Church Road", "Church Road"]
    assert sorted(streets["map_points"]) == [3, 4]
    assert set(streets["kind"]) == {"local"} and set(streets["shape"]) == {JOINED}
    for _, street in streets.iterrows():
        start = WEST if street["map_points"] == 3 else EAST
        # A straight join through the points: from the first to the last, metres on the grid.
        assert street.geometry.length == pytest.approx((street["map_points"] - 1) * 100, abs=1)
        assert street.geometry.distance(Point(start)) < 1
        assert street.geometry.distance(Point(WEST if start == EAST else EAST)) > 4000


def test_points_of_a_name_within_the_gap_are_one_street_and_beyond_it_two():
    rows = rows_at(
        along(WEST, "Mill Lane", 2, step=250) + [(WEST[0] + 250 + 290, WEST[1], "Mill Lane")]
    )
    assert len(streets_from_map_points(rows, max_gap_m=300)) == 1
    assert len(streets_from_map_points(rows, max_gap_m=280)) == 2


def test_a_street_is_joined_by_its_shortest_lines_not_in_file_order():
    # An L: the far corner comes first in the file; the joins are the two 100 m legs.
    pts = [(WEST[0] + 100, WEST[1] + 100, "Bates Hill"), (WEST[0], WEST[1], "Bates Hill"),
           (WEST[0] + 100, WEST[1], "Bates Hill")]  # fmt: skip
    (street,) = streets_from_map_points(rows_at(pts)).geometry
    assert street.length == pytest.approx(200, abs=1)
    assert all(street.distance(Point(x, y)) < 0.5 for x, y, _ in pts)


def test_places_that_are_not_streets_are_left_out():
    from hotspots.analysis.labels import PLACE_TYPES

    places = ["Parking Area", "Supermarket", "Shopping Area", "Petrol Station", "Nightclub",
              "Sports/Recreation Area", "Park/Open Space", "Pedestrian Subway",
              "Redditch Police Station", "Theatre/Concert Hall", "Other Road",
              "Cruckton (Unnamed Unnumbered Road Through)"]  # fmt: skip
    pts = [p for i, name in enumerate(places) for p in along((WEST[0], WEST[1] + 50 * i), name, 3)]
    rows = rows_at([*pts, *along(EAST, "Unicorn Hill", 2)])
    assert streets_from_map_points(rows)["name"].tolist() == ["Unicorn Hill"]
    # Every place type the hotspot labels know is left out too (one vocabulary, not two).
    kept = street_name(pd.Series([f"On or near {t.title()}" for t in sorted(PLACE_TYPES)]))
    assert (kept == "").all(), dict(zip(sorted(PLACE_TYPES), kept))


def test_a_one_point_street_is_a_name_only_at_its_point():
    rows = rows_at([(*WEST, "Dixon Close"), (*WEST, "Dixon Close")])  # one map point, twice
    streets = streets_from_map_points(rows, anchor_m=80)
    (street,) = streets.itertuples()
    assert (street.kind, street.shape, street.map_points) == (NAME_ONLY, ANCHORED, 1)
    assert street.geometry.length == pytest.approx(80)
    assert street.geometry.centroid.distance(Point(WEST)) < 1
    (_, y0), (_, y1) = street.geometry.coords
    assert abs(y1 - y0) < 0.01  # level: the name reads left to right


def test_a_short_join_is_a_name_only_along_its_points():
    rows = rows_at([(*WEST, "Vine Street"), (WEST[0] + 21, WEST[1] + 21, "Vine Street")])
    (street,) = streets_from_map_points(rows, anchor_m=80).itertuples()
    assert street.kind == NAME_ONLY and street.map_points == 2
    (x0, y0), (x1, y1) = street.geometry.coords
    assert np.degrees(np.arctan2(y1 - y0, x1 - x0)) % 180 == pytest.approx(45, abs=1)


def test_output_is_valid_lines_in_metres_with_its_source_and_licence():
    rows = rows_at(along(WEST, "High Street", 4) + [(*EAST, "A441")] + along(EAST, "A441", 3)[1:])
    streets = streets_from_map_points(rows)
    assert streets.crs.to_epsg() == 27700
    assert streets.is_valid.all() and not streets.is_empty.any()
    assert set(streets.geom_type) <= {"LineString", "MultiLineString"}
    assert set(streets["source"]) == {SOURCE} and SOURCE == "police.uk map points"
    assert set(streets["attribution"]) == {POLICE_STREETS_ATTRIBUTION}
    assert dict(zip(streets["name"], streets["kind"])) == {"A441": "main", "High Street": "local"}
    # The licence is police.uk's, as hotspots.io words it; never OpenStreetMap's.
    from hotspots.io import ATTRIBUTION

    assert OGL in ATTRIBUTION and set(streets["licence"]) == {OGL}
    assert (
        "approximate" in POLICE_STREETS_ATTRIBUTION
        and "OpenStreetMap" not in POLICE_STREETS_ATTRIBUTION
    )


def test_rows_without_a_place_give_no_streets_and_bad_input_is_named(tmp_path):
    empty = streets_from_map_points(pd.DataFrame({"Longitude": [""], "Latitude": [""],
                                                  "Location": ["No Location"]}))  # fmt: skip
    assert empty.empty and empty.crs.to_epsg() == 27700
    with pytest.raises(HotspotsError, match=r"missing \['Location'\]"):
        streets_from_map_points(pd.DataFrame({"Longitude": [1.0], "Latitude": [52.0]}))
    with pytest.raises(HotspotsError, match="max_gap_m"):
        streets_from_map_points(rows_at([(*WEST, "A Road")]), max_gap_m=0)
    bad = tmp_path / "council.csv"
    bad.write_text("case_ref,easting,northing,location\n1,404000,267400,On or near X\n")
    with pytest.raises(
        InputFileError,
        match=r"has no column \['Longitude', 'Latitude', 'Location'\] \(columns: \['case_ref'",
    ):
        read_map_points([bad])
    with pytest.raises(InputFileError, match="does not exist"):
        read_map_points([tmp_path / "missing.csv"])


def test_name_only_lines_read_back_as_roads_and_credit_police_uk(tmp_path):
    from hotspots.io import write_layer

    rows = rows_at(along(WEST, "High Street", 3) + [(*EAST, "Dixon Close")])
    path = write_layer(
        streets_from_map_points(rows), tmp_path / "streets.gpkg", layer_name="streets"
    )
    roads = read_roads(path)
    assert dict(zip(roads["name"], roads["kind"])) == {
        "High Street": "local",
        "Dixon Close": NAME_ONLY,
    }
    assert roads_attribution(roads) == POLICE_STREETS_ATTRIBUTION
    assert as_roads(roads)["kind"].tolist() == roads["kind"].tolist()


# --------------------------------------------------------------------------- the real months


@pytest.fixture(scope="module")
def redditch_streets(shared_data):
    from boundaries import load_wards

    wards = load_wards(REDDITCH_WARDS).to_crs(27700)
    rows = read_map_points(sorted(POLICE.glob("*.csv")))
    streets = streets_from_map_points(rows)
    x0, y0, x1, y1 = wards.total_bounds
    return rows, streets.cx[x0 - 300 : x1 + 300, y0 - 300 : y1 + 300], wards


def test_real_streets_of_redditch_lie_in_the_wards_and_through_their_map_points(redditch_streets):
    rows, streets, wards = redditch_streets
    assert len(streets) > 300 and streets.is_valid.all()
    # Streets that really occur in the Redditch rows, around the town centre.
    known = {"Unicorn Hill", "Church Green West", "Grove Street", "Bates Hill", "Prospect Hill"}
    assert known <= set(streets["name"]), known - set(streets["name"])
    # Kept by the wards' box plus 300 m (as the store keeps streets): most lie in a ward, and
    # the town centre's in the town's wards.
    near = streets.geometry.distance(wards.union_all())
    assert (near == 0).mean() > 0.85, near.describe()
    assert (near[streets["name"].isin(known)] == 0).all()
    # Every Redditch map point lies on (or, for a name only, within half its line of) a street
    # of its name.
    redditch = rows[rows["Location"].notna()].copy()
    lsoa = pd.concat(pd.read_csv(p, usecols=["LSOA name"]) for p in sorted(POLICE.glob("*.csv")))
    redditch = redditch[lsoa["LSOA name"].fillna("").str.startswith("Redditch ").to_numpy()]
    redditch["name"] = street_name(redditch["Location"])
    redditch = redditch[redditch["name"] != ""].drop_duplicates()
    pts = gpd.GeoSeries.from_xy(redditch["Longitude"].astype(float),
                                redditch["Latitude"].astype(float), crs=4326).to_crs(27700)  # fmt: skip
    for name, pt in zip(redditch["name"], pts):
        gap = streets[streets["name"] == name].distance(pt).min()
        assert gap <= 40 + 0.5, (name, gap)


def test_real_streets_have_no_place_categories_and_join_what_is_near(redditch_streets):
    _, streets, _ = redditch_streets
    assert not streets["name"].str.contains("/|Parking Area|Supermarket|Subway").any()
    lines = streets[streets["shape"] == JOINED]
    assert len(lines) >= 5  # a few streets have map points 80-300 m apart
    # No join is longer than the gap: straight lines across a town would mislead.
    for geom in lines.geometry:
        parts = getattr(geom, "geoms", [geom])
        for part in parts:
            xy = np.asarray(part.coords)
            assert (np.hypot(*np.diff(xy, axis=0).T) <= 300 + 0.5).all()


# --------------------------------------------------------------------------- the command, the maps


def _run(*args):
    from click.testing import CliRunner

    from hotspots.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def test_cli_from_police_writes_a_street_file_for_the_wards(shared_data, tmp_path):
    out = tmp_path / "streets.gpkg"
    done = _run("fetch", "streets", "--from-police", *sorted(POLICE.glob("*.csv")),
                "--wards", REDDITCH_WARDS, "-o", out)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert f"wrote {out}" in done.output and "police.uk map points" in done.output
    assert "OpenStreetMap" not in done.output
    roads = read_roads(out)
    assert "Unicorn Hill" in set(roads["name"]) and NAME_ONLY in set(roads["kind"])
    assert roads_attribution(roads) == POLICE_STREETS_ATTRIBUTION


def test_cli_from_police_asks_for_files_and_files_ask_for_from_police(tmp_path):
    done = _run("fetch", "streets", "--from-police", "-o", tmp_path / "s.gpkg")
    assert done.exit_code == 2 and "police.uk street-level CSVs" in done.output
    some = tmp_path / "a.csv"
    some.write_text("Longitude,Latitude,Location\n")
    done = _run("fetch", "streets", some, "-o", tmp_path / "s.gpkg")
    assert done.exit_code == 2 and "add --from-police" in done.output
    help_text = _run("fetch", "streets", "--help").output
    assert "approximate" in help_text and "police.uk" in help_text and "--from-police" in help_text


@pytest.fixture(scope="module")
def real_store(shared_data, tmp_path_factory):
    from tests._police_streets import build_real_store

    return build_real_store(tmp_path_factory.mktemp("real"), POLICE, REDDITCH_WARDS)


def test_a_store_with_police_streets_draws_them_on_map_and_tasking_credited_to_police_uk(
    real_store, tmp_path, monkeypatch
):
    from tests.test_streets import _pdf_text, _texts_drawn

    sel = ["--store", real_store, "--season", "autumn", "--fy", "2018-19"]
    done = _run("map", *sel, "-o", tmp_path / "m.html")
    assert done.exit_code == 0, done.output
    page = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert "Unicorn Hill" in page and "Church Green West" in page
    assert "Streets: approximate, from police.uk map points" in page
    assert "OpenStreetMap" not in page and "hotspots fetch streets" not in page
    drawn = _texts_drawn(monkeypatch)
    done = _run("tasking", *sel, "--area", "Town centre", "-o", tmp_path / "t.pdf")
    assert done.exit_code == 0, done.output
    assert {"Unicorn Hill", "Church Green West"} <= set(drawn)
    text = _pdf_text(tmp_path / "t.pdf")
    assert "Streets: approximate, from police.uk map points" in text
    assert "OpenStreetMap" not in text


def test_static_town_centre_map_keeps_street_names_apart_and_draws_no_name_only_line(
    redditch_autumn_2018, redditch_streets
):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import LineCollection

    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.draw.static import MapStyle, WardLayer, map_figure
    from tests.test_static_labels import _check, _overlap

    prepared, (_, streets, _) = redditch_autumn_2018, redditch_streets
    clusters = hotspots_for(prepared, season="autumn", financial_year="2018-19", area="Town centre")
    x0, y0, x1, y1 = (
        prepared.areas.to_crs(27700).set_index("name").loc[["Town centre"]].total_bounds
    )
    fig = map_figure(clusters, WardLayer.of(prepared.wards), title="t", note="n",
                     areas=prepared.areas, extent=(x0 - 300, y0 - 300, x1 + 300, y1 + 300),
                     style=MapStyle(dpi=72, size_in=(8.0, 6.0), roads=as_roads(streets)))  # fmt: skip
    assert _check(fig) >= 3  # the hotspot labels: apart, inside, off the centre names
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer, ax = canvas.get_renderer(), fig.axes[0]
    frame = ax.get_window_extent(renderer)
    names = [t for t in ax.texts if t.get_zorder() == 5.2]
    shown = [t for t in names if t.get_visible()]
    assert 10 <= len(shown) < len(names)  # crowded: some left out, enough kept
    assert len({t.get_text() for t in shown} & {"Church Green West", "Prospect Hill",
                                                "Station Way", "Albert Street"}) >= 2  # fmt: skip
    boxes = [t.get_window_extent(renderer) for t in shown]
    other_texts = [t for t in ax.texts
                   if t.get_visible() and t.get_zorder() != 5.2 and t.get_text().strip()]  # fmt: skip
    # A hotspot label's box (not its leader line, which may cross a name), a ward or centre name.
    others = [(t.get_bbox_patch() or t).get_window_extent(renderer) for t in other_texts]
    for a, b in itertools.combinations(boxes, 2):
        assert _overlap(a, b) == 0, (a, b)
    for a in boxes:
        assert frame.x0 <= a.x0 and a.x1 <= frame.x1 and frame.y0 <= a.y0 and a.y1 <= frame.y1
        bad = [
            (t.get_text(), t.get_zorder()) for t, o in zip(other_texts, others) if _overlap(a, o)
        ]
        assert not bad, (a, bad)
    # Lines: the joined streets' segments only (a name only places its name).
    drawn = sum(len(c.get_segments()) for c in ax.collections
                if isinstance(c, LineCollection) and c.get_zorder() == 4.6)  # fmt: skip
    near = streets.cx[x0 - 350 : x1 + 350, y0 - 350 : y1 + 350]
    assert drawn == len(near[near["kind"] != NAME_ONLY].explode()), drawn
    # The legend says these are names, not roads drawn as lines.
    from hotspots.draw.cartography import STREET_NAMES_LEGEND

    [legend] = fig.legends
    rows = [t.get_text().replace("\n", " ") for t in legend.get_texts()]
    assert STREET_NAMES_LEGEND in rows and "Road, with its name" not in rows, rows


def test_bytes_that_are_not_utf8_cost_their_row_not_the_file(tmp_path, caplog):
    from hotspots.read.police_streets import read_map_points

    path = tmp_path / "2018-10-west-mercia-street.csv"
    path.write_bytes(
        b"Month,Longitude,Latitude,Location\n"
        b"2018-10,-1.94,52.3,On or near \xff\xfeBad Street\n"
        b"2018-10,-1.9405,52.3001,On or near Good Street\n"
    )
    with caplog.at_level("WARNING"):
        points = read_map_points([path])
    assert points["Location"].tolist() == ["On or near Good Street"]
    assert "1 row(s) with bytes that are not UTF-8 left out (lines 2)" in caplog.text


def test_a_name_only_is_named_on_any_map_scale(redditch_streets):
    # Names only are 80 m marks: a length floor for names (span / 25 on static maps) had
    # dropped every one of them from a map a little wider than the town centre.
    from hotspots.read.roads import name_points

    _, streets, _ = redditch_streets
    roads = as_roads(streets)
    only = set(roads.loc[roads["kind"] == NAME_ONLY, "name"])
    assert only <= set(name_points(roads, min_length_m=500.0)["name"])
