"""Ward boundaries, the ward join and study area, and the council's ward table."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from boundaries import get_path, load_wards
from hotspots._errors import InputFileError
from hotspots.analysis.prepare import prepare
from hotspots.analysis.wards import GRAND_TOTAL, assign_wards, match_ward_names, ward_table
from hotspots.cli import main
from hotspots.read.incidents import read_incidents
from tests.conftest import POLICE, REDDITCH_WARDS, SHARED

# The published Redditch ASB figures the demo is modelled on.
PUBLISHED = {
    "Abbey": (603, 562), "Astwood Bank and Feckenham": (87, 84), "Batchley and Brockhill": (391, 309),
    "Central": (286, 269), "Church Hill": (280, 298), "Crabbs Cross": (91, 107),
    "Greenlands": (572, 550), "Headless Cross and Oakenshaw": (223, 267), "Lodge Park": (200, 207),
    "Matchborough": (286, 203), "West": (100, 91), "Winyates": (349, 256),
}  # fmt: skip


def test_load_wards_detects_ons_columns(shared_data):
    wards = load_wards(REDDITCH_WARDS)
    assert len(wards) == 12 and wards.crs.to_epsg() == 27700
    assert "E05007868" in set(wards["ward_code"])  # WD13CD, not WD13CDO
    assert "Batchley & Brockhill" in set(wards["ward_name"])
    for other in ("bromsgrove", "wyre-forest"):
        assert len(load_wards(SHARED / "wards" / f"{other}.geojson")) in (23, 17)


def test_load_wards_errors(tmp_path):
    with pytest.raises(InputFileError, match="does not exist"):
        load_wards(tmp_path / "none.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("this is not json")
    with pytest.raises(InputFileError, match="cannot be read as boundaries"):
        load_wards(bad)
    nameless = tmp_path / "nameless.geojson"
    gpd.GeoDataFrame({"foo": [1]}, geometry=[Point(0, 0).buffer(1)], crs=4326).to_file(nameless)
    with pytest.raises(InputFileError, match="has no ward name column"):
        load_wards(nameless)


def test_wards_from_geopackage_and_shapefile(tmp_path):
    demo = load_wards(get_path("demo-wards"))
    for name in ("w.gpkg", "w.shp"):
        demo.rename(columns={"ward_name": "WD23NM", "ward_code": "WD23CD"}).to_file(tmp_path / name)
        again = load_wards(tmp_path / name)
        assert again["ward_name"].tolist() == demo["ward_name"].tolist()


def test_assign_wards_inside_nearest_outside(square_wards):
    pts = gpd.GeoDataFrame(
        geometry=[Point(404000, 267000), Point(405000, 267000), Point(407050, 267000),
                  Point(409000, 267000)],
        crs=27700,
    )  # fmt: skip
    out = assign_wards(pts, square_wards, tolerance_m=100)
    assert out["ward_match"].tolist() == ["inside", "inside", "nearest", "outside"]
    assert out["ward"].tolist()[0] == "West" and out["ward"].tolist()[2] == "East"
    assert out["ward"].tolist()[3] == ""
    assert pts.columns.tolist() == ["geometry"]  # input untouched


def test_name_matching_allows_and_for_ampersand(shared_data):
    wards = load_wards(REDDITCH_WARDS)
    matched = match_ward_names(list(PUBLISHED), wards)
    assert matched["Batchley and Brockhill"] == "Batchley & Brockhill"
    assert all(matched.values())


def test_demo_ward_table_is_the_published_table():
    p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    table = ward_table(p.incidents, p.wards)
    assert list(table.columns) == ["ward", "2017-18", "2018-19", "difference", "percentage"]
    rows = table.set_index("ward")
    for ward, (a, b) in PUBLISHED.items():
        assert (rows.loc[ward, "2017-18"], rows.loc[ward, "2018-19"]) == (a, b)
    assert rows.loc["Abbey", "difference"] == -41 and rows.loc["Abbey", "percentage"] == -7
    assert table["ward"].iloc[-1] == GRAND_TOTAL
    assert rows.loc[GRAND_TOTAL, "2017-18"] == sum(a for a, _ in PUBLISHED.values())


def test_one_year_has_no_change_columns(square_wards):
    inc = pd.DataFrame({"ward": ["West", "West", "East"], "financial_year": ["2018-19"] * 3})
    table = ward_table(inc, square_wards)
    assert list(table.columns) == ["ward", "2018-19"]
    assert table.set_index("ward")["2018-19"].to_dict() == {"East": 1, "West": 2, GRAND_TOTAL: 3}


def test_cli_ward_table_equals_independent_point_in_polygon_count(shared_data, tmp_path):
    files = sorted(POLICE.glob("*-west-mercia-street.csv"))
    out = tmp_path / "table.csv"
    result = CliRunner().invoke(
        main, ["wards", *map(str, files), "--wards", str(REDDITCH_WARDS), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out).set_index("ward")
    assert list(table.columns) == ["2018-19"]  # Oct 2018 - Feb 2019: one financial year

    # Independent count from the raw CSV rows with plain shapely: a point inside a ward polygon
    # counts there; one outside every ward counts for the nearest ward within 100 m.
    raw = pd.concat(pd.read_csv(f, dtype=str, keep_default_na=False) for f in files)
    raw = raw[(raw["Crime type"] == "Anti-social behaviour") & (raw["Longitude"] != "")]
    polys = gpd.read_file(REDDITCH_WARDS).to_crs(27700)
    pts = gpd.GeoSeries(
        gpd.points_from_xy(raw["Longitude"].astype(float), raw["Latitude"].astype(float)), crs=4326
    ).to_crs(27700)
    minx, miny, maxx, maxy = polys.total_bounds
    near_box = pts.cx[minx - 200 : maxx + 200, miny - 200 : maxy + 200]
    independent: dict[str, int] = {}
    for pt in near_box:
        inside = [n for n, g in zip(polys["WD13NM"], polys.geometry) if g.contains(pt)]
        if not inside:
            dist = {n: g.distance(pt) for n, g in zip(polys["WD13NM"], polys.geometry)}
            inside = [min(dist, key=dist.get)] if min(dist.values()) <= 100 else []
        if inside:
            independent[inside[0]] = independent.get(inside[0], 0) + 1
    assert table.drop(GRAND_TOTAL)["2018-19"].to_dict() == independent
    assert table.loc[GRAND_TOTAL, "2018-19"] == sum(independent.values())
    # The Grand Total is every kept incident in the study area, as the summary line says.
    assert f"in the study area {sum(independent.values()):,}" in result.output


# --------------------------------------------------------------------------- like with like


def _incidents(months: list[str], ward: str = "West") -> pd.DataFrame:
    from hotspots.analysis.seasons import financial_year_of

    return pd.DataFrame({
        "ward": [ward] * len(months),
        "month": months,
        "financial_year": [financial_year_of(int(m[:4]), int(m[5:])) for m in months],
    })  # fmt: skip


def test_part_years_with_no_month_in_common_show_no_change(square_wards):
    # The case: 2023-24 holds Jan-Mar 2024, 2024-25 holds April 2024 only.
    inc = _incidents(["2024-01"] * 30 + ["2024-02"] * 30 + ["2024-03"] * 30 + ["2024-04"] * 35)
    table = ward_table(inc, square_wards)
    assert list(table.columns) == ["ward", "2023-24", "2024-25"]  # no -61%
    assert table.attrs["months"] == {"2023-24": "Jan–Mar", "2024-25": "Apr"}
    assert "2023-24 holds Jan–Mar and 2024-25 holds Apr: no month in common, so no change is " \
           "shown" in table.attrs["notes"]  # fmt: skip


def test_part_year_is_compared_on_the_months_both_years_hold(square_wards):
    whole = [f"2017-{m:02d}" for m in range(4, 13)] + [f"2018-{m:02d}" for m in range(1, 4)]
    part = ["2018-04", "2018-05", "2018-06"]
    inc = pd.concat([_incidents(whole * 2), _incidents(part * 3, ward="East")])
    table = ward_table(inc, square_wards).set_index("ward")
    assert list(table.columns) == [
        "2017-18", "2018-19", "2017-18 Apr–Jun", "2018-19 Apr–Jun", "difference", "percentage",
    ]  # fmt: skip
    assert table.loc[GRAND_TOTAL, "2017-18"] == 24 and table.loc[GRAND_TOTAL, "2018-19"] == 9
    assert table.loc["West", "2017-18 Apr–Jun"] == 6 and table.loc["East", "2018-19 Apr–Jun"] == 9
    assert table.loc[GRAND_TOTAL, "difference"] == 3 and table.loc[GRAND_TOTAL, "percentage"] == 50
    assert table.attrs["months"] == {"2017-18": "Apr–Mar", "2018-19": "Apr–Jun"}
    assert "the change compares Apr–Jun in both years" in table.attrs["notes"][-1]


def test_whole_years_keep_the_council_columns(square_wards):
    months = [f"2017-{m:02d}" for m in range(4, 13)] + [f"2018-{m:02d}" for m in range(1, 13)]
    months += ["2019-01", "2019-02", "2019-03"]
    table = ward_table(_incidents(months), square_wards)
    assert list(table.columns) == ["ward", "2017-18", "2018-19", "difference", "percentage"]
    assert len(table.attrs["notes"]) == 1  # the boundaries only


def test_boundary_vintage_is_detected_and_printed(shared_data, tmp_path):
    wards = load_wards(REDDITCH_WARDS)
    assert (wards.attrs["vintage"], wards.attrs["vintage_column"]) == (2013, "WD13CD")
    newer = _incidents(["2024-04"], ward="Abbey")
    table = ward_table(newer, wards)
    assert table.attrs["vintage"] == "2013 wards (WD13CD)"
    assert table.attrs["notes"] == [
        "Ward boundaries: 2013 wards (WD13CD)",
        "warning: the incidents run to 2024, 11 years after the boundaries (2013 wards): check "
        "that these are still the wards in force",
    ]
    demo = load_wards(get_path("demo-wards"))
    assert demo.attrs["vintage"] is None
    demo.rename(columns={"ward_name": "WD23NM", "ward_code": "WD23CD"}).to_file(tmp_path / "w.gpkg")
    assert load_wards(tmp_path / "w.gpkg").attrs["vintage"] == 2023


def test_cli_prints_the_vintage_and_part_year_notes(shared_data, tmp_path):
    out = tmp_path / "t.csv"
    files = [str(POLICE / "2018-10-west-mercia-street.csv")]
    result = CliRunner().invoke(
        main, ["wards", *files, "--wards", str(REDDITCH_WARDS), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Ward boundaries: 2013 wards (WD13CD)" in result.output


# --------------------------------------------------------------------------- dates in exports


def _council_exports(tmp_path):
    """A council export made from the real police.uk Redditch ASB rows, in three date styles.

    Each row gets a date and time inside its month; the same instants are written
    dd/mm/yyyy, as ISO 8601, and as ISO 8601 in UTC or with a +01:00 / -05:00 offset.
    """
    files = sorted(POLICE.glob("*-west-mercia-street.csv"))
    raw = pd.concat(pd.read_csv(f, dtype=str, keep_default_na=False) for f in files)
    raw = raw[
        (raw["Crime type"] == "Anti-social behaviour") & raw["LSOA name"].str.startswith("Redditch")
    ]
    raw = raw.reset_index(drop=True)
    i = pd.Series(range(len(raw)))
    local = pd.to_datetime(raw["Month"] + "-01") + pd.to_timedelta(i % 28, "D") \
        + pd.to_timedelta(8 + i % 14, "h") + pd.to_timedelta(i % 60, "min")  # fmt: skip
    aware = local.dt.tz_localize("Europe/London")
    utc = aware.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    east = aware.dt.tz_convert("Etc/GMT-1").dt.strftime("%Y-%m-%dT%H:%M:%S+01:00")
    west = aware.dt.tz_convert("Etc/GMT+5").dt.strftime("%Y-%m-%dT%H:%M:%S-05:00")
    styles = {
        "uk": local.dt.strftime("%d/%m/%Y %H:%M"),
        "iso": local.dt.strftime("%Y-%m-%dT%H:%M:%S"),
        "offsets": utc.where(i % 3 == 0, east.where(i % 3 == 1, west)),
    }
    paths = {}
    for style, dates in styles.items():
        frame = pd.DataFrame({
            "Case Ref": [f"R{n}" for n in i], "Date Reported": dates, "ASB Type": "Nuisance",
            "Longitude": raw["Longitude"], "Latitude": raw["Latitude"], "Location": raw["Location"],
        })  # fmt: skip
        paths[style] = tmp_path / f"council-{style}.csv"
        frame.to_csv(paths[style], index=False)
    return paths, raw["Month"].tolist(), local


def test_council_ward_table_is_the_same_whatever_the_date_style(shared_data, tmp_path):
    paths, months, local = _council_exports(tmp_path)
    wards = load_wards(REDDITCH_WARDS)
    tables = {}
    for style, path in paths.items():
        prepared = prepare(read_incidents([path]), wards)
        load = prepared.load
        assert load.rejected == 0 and load.kept == len(months)
        by_ref = load.incidents.set_index("incident_id")
        assert by_ref["month"].tolist() == months  # every row in its own month
        assert by_ref["date"].tolist() == local.tolist()  # the same local time
        tables[style] = ward_table(prepared.incidents, prepared.wards)
    pd.testing.assert_frame_equal(tables["uk"], tables["iso"])
    pd.testing.assert_frame_equal(tables["uk"], tables["offsets"])
    # and the same as the police.uk files' own table, read by month
    load = read_incidents(sorted(POLICE.glob("*-west-mercia-street.csv")))
    redditch = load.incidents[load.incidents["lsoa_name"].str.startswith("Redditch")]
    police = prepare(replace(load, incidents=redditch), wards)
    pd.testing.assert_frame_equal(tables["uk"], ward_table(police.incidents, police.wards))


def test_web_wards_page_prints_the_boundary_vintage(shared_data, make_app):
    app = make_app(HOTSPOTS_INPUTS=[str(POLICE / "2018-10-west-mercia-street.csv")],
                   HOTSPOTS_WARDS=str(REDDITCH_WARDS))  # fmt: skip
    response = app.test_client().get("/wards")
    assert response.status_code == 200
    assert "Ward boundaries: 2013 wards (WD13CD)" in response.get_data(True)
