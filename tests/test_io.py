"""Outputs: formats, CRS, attribution, and never a half-written file."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest

from hotspots._errors import HotspotsError
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.summaries import find_clusters
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


# --------------------------------------------------------------------------- CSV formula safety

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\tTAB", "\rCR"]  # fmt: skip


def _cells(path) -> list[list[str]]:
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_write_table_neutralises_formulas_and_keeps_negative_numbers(tmp_path):
    import pandas as pd

    from hotspots.io import write_table

    table = pd.DataFrame({"location": FORMULAS, "change": [-3, -1, 0, 2, 5, -7],
                          "pct": ["-61%", "-2.5", "+4", "12", "", "-1,234"]})  # fmt: skip
    rows = _cells(write_table(table, tmp_path / "t.csv"))
    assert [r[0] for r in rows[1:]] == ["'" + f.replace("\r", "\n") for f in FORMULAS]
    assert [r[1] for r in rows[1:]] == ["-3", "-1", "0", "2", "5", "-7"]
    assert [r[2] for r in rows[1:]] == ["-61%", "-2.5", "+4", "12", "", "-1,234"]


def test_write_table_neutralises_a_formula_header(tmp_path):
    import pandas as pd

    from hotspots.io import write_table

    rows = _cells(write_table(pd.DataFrame({"=cmd()": ["a"]}), tmp_path / "h.csv"))
    assert rows[0] == ["'=cmd()"]


def test_write_layer_csv_neutralises_formulas(two_clusters, tmp_path):
    layer = two_clusters.assign(location=(FORMULAS * 20)[: len(two_clusters)])
    rows = _cells(write_layer(layer, tmp_path / "l.csv"))
    col = rows[0].index("location")
    assert {r[col] for r in rows[1:]} == {"'" + f.replace("\r", "\n") for f in FORMULAS}


def test_rejects_file_written_by_the_cli_neutralises_formulas(tmp_path, write_police):
    from hotspots.cli import main

    bad = '"=HYPERLINK(""http://evil.example"")"'
    path = write_police([",2018-10,W,W,,,On or near X,,,Anti-social behaviour,,".replace(
        "On or near X", bad)] + [",2018-10,W,W,-1.94,52.306,On or near Y,,,Anti-social behaviour,,"] * 3)  # fmt: skip
    out = tmp_path / "wards.csv"
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["wards", str(path), "--wards",
                                       str(__import__("boundaries").get_path("demo-wards")),
                                       "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    rejects = out.with_name("wards.rejects.csv")
    text = rejects.read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text and ',"=HYPERLINK' not in text and "\n=HYPERLINK" not in text


def test_geojson_written_by_gdal_has_the_same_properties_and_the_licence(demo, tmp_path):
    """write_layer's GeoJSON (hotspots/_geojson.py) equals geopandas' to_json feature by feature."""
    import json

    from hotspots.analysis.trend import hotspots_with_trend
    from hotspots.io import ATTRIBUTION, write_layer

    clusters = hotspots_with_trend(demo, season="autumn", financial_year="2018-19")
    write_layer(clusters, tmp_path / "c.geojson")
    written = json.loads((tmp_path / "c.geojson").read_text(encoding="utf-8"))
    expected = json.loads(clusters.to_crs("EPSG:4326").to_json(na="null", drop_id=True))
    assert written["attribution"] == ATTRIBUTION
    assert [f["properties"] for f in written["features"]] == [
        f["properties"] for f in expected["features"]
    ]
    first = written["features"][0]["geometry"]["coordinates"][0][0]
    assert first == pytest.approx(
        expected["features"][0]["geometry"]["coordinates"][0][0], abs=1e-6
    )
    listed = clusters.head(2).assign(months=[["2018-10", "2018-11"], ["2018-09"]])
    write_layer(listed, tmp_path / "l.geojson")  # lists are arrays (to_json's way)
    doc = json.loads((tmp_path / "l.geojson").read_text(encoding="utf-8"))
    assert doc["features"][0]["properties"]["months"] == ["2018-10", "2018-11"]
    assert doc["attribution"] == ATTRIBUTION


def test_reproject_is_to_crs_with_one_transformer(two_clusters):
    """Hulls and points between British National Grid and WGS84: to_crs's coordinates to the
    bit, columns, index and name kept; another CRS goes through to_crs itself."""
    import shapely
    from geopandas.testing import assert_geodataframe_equal, assert_geoseries_equal

    from hotspots._validate import ANALYSIS_CRS, WEB_CRS, reproject

    clusters = find_clusters(two_clusters, params=ClusterParams(eps_m=80, min_samples=5))
    clusters.index = [7, 3]
    for frame in (clusters, two_clusters, two_clusters.to_crs(WEB_CRS)):
        target = WEB_CRS if frame.crs.to_epsg() == 27700 else ANALYSIS_CRS
        moved, want = reproject(frame, target), frame.to_crs(target)
        assert_geodataframe_equal(moved, want, check_less_precise=False)
        assert (shapely.get_coordinates(moved.geometry.values)
                == shapely.get_coordinates(want.geometry.values)).all()  # fmt: skip
        series = frame.geometry.rename("where")
        assert_geoseries_equal(reproject(series, target), series.to_crs(target))
        assert reproject(series, target).name == "where"
    mercator = reproject(clusters, "EPSG:3857")
    assert mercator.crs.to_epsg() == 3857
    assert_geodataframe_equal(mercator, clusters.to_crs("EPSG:3857"))
