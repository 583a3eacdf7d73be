"""GeoJSON written by hotspots/_geojson.py: the content GDAL's RFC 7946 mode wrote, parsed.

GDAL (through pyogrio, with the options write_layer used to pass) is kept here only as the
reference: every layer is written both ways, parsed with json.loads and compared, then the
new file is read back with pyogrio as QGIS would read it.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from geopandas import GeoDataFrame
from shapely.geometry import LineString, MultiPolygon, Point, Polygon

from hotspots._validate import WEB_CRS, reproject
from hotspots.io import ATTRIBUTION, write_layer

# Clockwise exterior and counter-clockwise hole: GDAL's RFC 7946 mode turns both round.
HOLED = Polygon([(-1.95, 52.30), (-1.95, 52.31), (-1.94, 52.31), (-1.94, 52.30)],
                [[(-1.948, 52.302), (-1.942, 52.302), (-1.942, 52.308), (-1.948, 52.308)]])  # fmt: skip


def gdal_document(layer: GeoDataFrame, path) -> dict:
    """What write_layer wrote before: GDAL's GeoJSON driver in RFC 7946 mode, parsed."""
    reproject(layer, WEB_CRS).to_file(
        path, driver="GeoJSON", engine="pyogrio",
        layer_options={"FOREIGN_MEMBERS_COLLECTION": json.dumps({"attribution": ATTRIBUTION}),
                       "RFC7946": "YES", "WRITE_NAME": "NO"},
    )  # fmt: skip
    return json.loads(path.read_text(encoding="utf-8"))


def written(layer: GeoDataFrame, path) -> dict:
    """write_layer's GeoJSON, parsed."""
    return json.loads(write_layer(layer, path).read_text(encoding="utf-8"))


def rounded(coordinates):
    """Nested coordinates rounded to 7 decimals (GDAL's RFC 7946 precision)."""
    if coordinates and isinstance(coordinates[0], list):
        return [rounded(c) for c in coordinates]
    return [round(c, 7) for c in coordinates]


def assert_same_document(new: dict, old: dict) -> None:
    """Same members, same properties (keys, types, values), same geometry after rounding."""
    assert list(new) == list(old)
    assert {k: v for k, v in new.items() if k != "features"} == {
        k: v for k, v in old.items() if k != "features"
    }
    assert len(new["features"]) == len(old["features"])
    for mine, gdal in zip(new["features"], old["features"]):
        assert list(mine) == list(gdal) == ["type", "properties", "geometry"]
        assert list(mine["properties"]) == list(gdal["properties"])
        for key, value in gdal["properties"].items():
            assert type(mine["properties"][key]) is type(value), key
            # GDAL writes a few numbers at 15 digits (0.30000000000000004 as 0.3); here each
            # number reads back as the same double, so the last bits may differ from GDAL's.
            assert mine["properties"][key] == (
                pytest.approx(value, rel=1e-15) if type(value) is float else value
            ), key
        if gdal["geometry"] is None:
            assert mine["geometry"] is None
            continue
        assert mine["geometry"]["type"] == gdal["geometry"]["type"]
        assert rounded(mine["geometry"]["coordinates"]) == rounded(gdal["geometry"]["coordinates"])


def assert_reads_back(path, layer: GeoDataFrame) -> None:
    """pyogrio (GDAL, as QGIS) reads the file back as the layer, coordinates to 1e-7 degrees."""
    back = pyogrio.read_dataframe(path)
    web = reproject(layer, WEB_CRS)
    assert back.crs.to_epsg() == 4326
    names = list(web.columns.drop(web.geometry.name))
    assert list(back.columns.drop("geometry")) == names
    for name in names:
        pd.testing.assert_series_equal(
            back[name], web[name], check_dtype=False, check_names=False, check_index=False
        )
    oriented = shapely.orient_polygons(web.geometry.values, exterior_cw=False)
    assert shapely.equals_exact(back.geometry.values, oriented, tolerance=1e-7).all()


def test_demo_hotspots_as_gdal_wrote_them(demo, tmp_path):
    from hotspots.analysis.trend import hotspots_with_trend

    clusters = hotspots_with_trend(demo, season="autumn", financial_year="2018-19")
    assert len(clusters) > 1
    assert_same_document(written(clusters, tmp_path / "c.geojson"),
                         gdal_document(clusters, tmp_path / "gdal.geojson"))  # fmt: skip
    assert_reads_back(tmp_path / "c.geojson", clusters)


@pytest.mark.shared
def test_real_redditch_hotspots_as_gdal_wrote_them(redditch_autumn_2018, tmp_path):
    from hotspots.analysis.hotspots import hotspots_for

    clusters = hotspots_for(redditch_autumn_2018, season="autumn")
    assert len(clusters) >= 5
    assert_same_document(written(clusters, tmp_path / "c.geojson"),
                         gdal_document(clusters, tmp_path / "gdal.geojson"))  # fmt: skip
    assert_reads_back(tmp_path / "c.geojson", clusters)


def synthetic() -> GeoDataFrame:
    """Every kind of column and geometry a layer may hold that GDAL writes, in British National Grid."""
    times = pd.to_datetime(["2018-10-01", None, "2019-01-02 03:04:05.5", "2020-02-29 23:59:59"],
                           format="ISO8601")  # fmt: skip
    shapes = [HOLED, None, MultiPolygon([HOLED, shapely.affinity.translate(HOLED, 0.02)]),
              LineString([(-1.9, 52.3), (-1.91, 52.31234567891)])]  # fmt: skip
    layer = GeoDataFrame({
        "cluster_id": np.array([1, 2, 3, 4], dtype="int64"),
        "small": np.array([1, -2, 3, 4], dtype="int8"),
        "count": np.array([0, 2, 3, 2**40], dtype="uint64"),
        "share": [0.1 + 0.2, np.nan, 1 / 3, -0.0],
        "float32": np.array([0.1, np.nan, 2.5, 1 / 3], dtype="float32"),
        "significant": np.array([True, False, True, False]),
        "maybe": pd.array([True, None, False, True], dtype="boolean"),
        "incidents": pd.array([1, None, 3, 4], dtype="Int64"),
        "ward": ["Abbey", None, "Batchley & Brockhill", "Crabbs Cross"],
        "label": ["Café ©", "日本", '"quoted"\nline', "tab\tand \\ backslash"],
        "trend": pd.Categorical(["up", "down", None, "up"]),
        "first": times,
        "first_utc": times.tz_localize("UTC"),
        "first_london": times.tz_localize("Europe/London"),
    }, geometry=shapes, crs=WEB_CRS).to_crs("EPSG:27700")  # fmt: skip
    return layer


def test_every_column_type_and_geometry_as_gdal_wrote_them(tmp_path):
    layer = synthetic()
    new = written(layer, tmp_path / "s.geojson")
    assert_same_document(new, gdal_document(layer, tmp_path / "gdal.geojson"))
    exterior, hole = new["features"][0]["geometry"]["coordinates"]
    assert shapely.is_ccw(shapely.LinearRing(exterior)) and not shapely.is_ccw(
        shapely.LinearRing(hole)
    )
    first = new["features"][0]["properties"]
    assert first["label"] == "Café ©" and first["first_london"] == "2018-10-01T00:00:00+01:00"
    back = pyogrio.read_dataframe(tmp_path / "s.geojson")
    web = reproject(layer, WEB_CRS)
    assert back["label"].tolist() == web["label"].tolist()
    assert back["cluster_id"].tolist() == [1, 2, 3, 4] and back["count"].iloc[3] == 2**40
    oriented = shapely.orient_polygons(web.geometry.values[[0, 2, 3]], exterior_cw=False)
    assert shapely.equals_exact(back.geometry.values[[0, 2, 3]], oriented, tolerance=1e-7).all()
    assert back.geometry.iloc[1] is None


def test_a_named_index_is_written_as_gdal_wrote_it(tmp_path):
    layer = synthetic().rename_axis("hotspot")
    new = written(layer, tmp_path / "s.geojson")
    assert next(iter(new["features"][0]["properties"])) == "hotspot"
    assert_same_document(new, gdal_document(layer, tmp_path / "gdal.geojson"))


def test_points_as_gdal_wrote_them(two_clusters, tmp_path):
    layer = two_clusters.assign(n=np.arange(len(two_clusters)))
    assert_same_document(written(layer, tmp_path / "p.geojson"),
                         gdal_document(layer, tmp_path / "gdal.geojson"))  # fmt: skip
    assert_reads_back(tmp_path / "p.geojson", layer)


def test_lists_and_dicts_are_json_arrays_and_objects(two_clusters, tmp_path):
    """Values GDAL cannot write: what geopandas' to_json writes, geometry rounded as above."""
    layer = two_clusters.head(3).assign(
        months=[["2018-10", "2018-11"], [], None],
        counts=[{"2018-10": np.int64(3)}, {}, {"a": [1.5, None]}],
        mixed=[1, "x", 2.5],  # an object column's numbers stay numbers (GDAL wrote "1", "2.5")
        when=[pd.Timestamp("2018-10-01 12:00"), np.nan, pd.Timestamp("2018-10-02").date()],
    )
    doc = written(layer, tmp_path / "l.geojson")
    assert [f["properties"]["months"] for f in doc["features"]] == [
        ["2018-10", "2018-11"],
        [],
        None,
    ]
    assert [f["properties"]["counts"] for f in doc["features"]] == [
        {"2018-10": 3}, {}, {"a": [1.5, None]}]  # fmt: skip
    assert [f["properties"]["mixed"] for f in doc["features"]] == [1, "x", 2.5]
    assert [f["properties"]["when"] for f in doc["features"]] == [
        "2018-10-01T12:00:00", None, "2018-10-02"]  # fmt: skip
    expected = json.loads(reproject(layer.drop(columns=["counts", "when"]), WEB_CRS)
                          .to_json(na="null", drop_id=True))  # fmt: skip
    for mine, theirs in zip(doc["features"], expected["features"]):
        assert {k: v for k, v in mine["properties"].items() if k not in ("counts", "when")} == (
            theirs["properties"]
        )
        assert mine["geometry"]["coordinates"] == rounded(theirs["geometry"]["coordinates"])
    assert doc["attribution"] == ATTRIBUTION


def test_infinite_numbers_and_empty_geometries_are_null(tmp_path):
    """Where GDAL left the property out (infinity) or wrote an empty polygon: null, as missing."""
    layer = GeoDataFrame({"change": [np.inf, -np.inf, 1.5]},
                         geometry=[Polygon(), Point(), Point(-1.94, 52.3)], crs=WEB_CRS)  # fmt: skip
    doc = written(layer, tmp_path / "e.geojson")
    assert [f["properties"]["change"] for f in doc["features"]] == [None, None, 1.5]
    assert [f["geometry"] for f in doc["features"]][:2] == [None, None]
    assert doc["features"][2]["geometry"] == {"type": "Point", "coordinates": [-1.94, 52.3]}


def test_an_empty_layer_is_an_empty_collection_with_the_licence(two_clusters, tmp_path):
    layer = two_clusters.iloc[:0]
    path = tmp_path / "none.geojson"
    assert written(layer, path) == {"type": "FeatureCollection", "attribution": ATTRIBUTION,
                                    "features": []}  # fmt: skip
    assert len(pyogrio.read_dataframe(path)) == 0


def test_the_file_is_utf8_with_one_feature_a_line(tmp_path):
    layer = synthetic()
    text = write_layer(layer, tmp_path / "s.geojson").read_bytes().decode("utf-8")
    assert "Café ©" in text and "Crown copyright" in text and "\\u00a9" not in text
    lines = text.splitlines()
    assert len(lines) == 2 + len(layer) and all(
        line.startswith('{"type":"Feature"') for line in lines[1:-1]
    )
