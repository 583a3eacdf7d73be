"""Focus areas: the TOML config, its errors, and tagging clusters and incidents."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import Point

from boundaries import get_path, load_wards
from hotspots._errors import ConfigError
from hotspots.analysis.wards import assign_wards
from hotspots.read.places import read_focus_areas, tag_focus_areas


def test_redditch_focus_areas_sit_in_their_wards(shared_data):
    from tests.conftest import REDDITCH_WARDS

    areas = read_focus_areas(get_path("redditch-focus-areas"))
    assert areas["name"].iloc[0] == "Town centre" and areas.crs.to_epsg() == 27700
    centres = gpd.GeoDataFrame(areas[["name"]], geometry=areas.geometry.centroid, crs=27700)
    wards = assign_wards(centres, load_wards(REDDITCH_WARDS)).set_index("name")["ward"]
    assert wards["Town centre"] == "Abbey"
    assert wards["Woodrow"] == "Greenlands"
    assert wards["Matchborough"] == "Matchborough" and wards["Winyates"] == "Winyates"
    assert wards["Church Hill"] == "Church Hill"


def test_toml_shapes(tmp_path):
    path = tmp_path / "areas.toml"
    path.write_text(
        '[[area]]\nname = "A"\nkind = "town centre"\nlat = 52.306\nlon = -1.94\nradius_m = 100\n'
        '[[area]]\nname = "B"\nkind = "district centre"\neasting = 405000\nnorthing = 265000\n'
        "radius_m = 200\n"
        '[[area]]\nname = "C"\npolygon = [[-1.95, 52.30], [-1.94, 52.30], [-1.94, 52.31]]\n'
    )
    areas = read_focus_areas(path)
    assert areas["name"].tolist() == ["A", "B", "C"]
    assert areas["kind"].tolist() == ["town centre", "district centre", "other"]
    assert areas.geometry.iloc[1].area == pytest.approx(3.1416 * 200**2, rel=0.01)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("not toml [[", "not valid TOML"),
        ("title = 'x'", "no [[area]] tables"),
        ('[[area]]\nlat = 52.3\nlon = -1.9\nradius_m = 50', "every area needs a name"),
        ('[[area]]\nname = "A"\nlat = 52.3\nlon = -1.9', "give radius_m"),
        ('[[area]]\nname = "A"\nradius_m = 50', "give a centre"),
        ('[[area]]\nname = "A"\nkind = "city"\nlat = 52.3\nlon = -1.9\nradius_m = 5', "kind must be"),
        ('[[area]]\nname = "A"\npolygon = [[1, 2]]', "polygon needs 3 or more"),
        ('[[area]]\nname = "A"\nlat = 52.3\nlon = -1.9\nradius_m = 5\n'
         '[[area]]\nname = "A"\nlat = 52.3\nlon = -1.9\nradius_m = 5', "must be unique"),
    ],
)  # fmt: skip
def test_config_errors_name_the_problem(tmp_path, text, words):
    path = tmp_path / "areas.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words.replace("[", r"\[")):
        read_focus_areas(path)


def test_tag_prefers_the_largest_overlap():
    areas = gpd.GeoDataFrame(
        {"name": ["Small", "Big"], "kind": ["other", "other"]},
        geometry=[Point(0, 0).buffer(50), Point(300, 0).buffer(300)],
        crs=27700,
    )
    hull = gpd.GeoSeries([Point(60, 0).buffer(100)], crs=27700)
    assert tag_focus_areas(hull, areas).tolist() == ["Big"]
    assert tag_focus_areas(gpd.GeoSeries([Point(-40, 0)], crs=27700), areas).tolist() == ["Small"]
    assert tag_focus_areas(hull, None).tolist() == [""]
