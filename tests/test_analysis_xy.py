"""analysis_xy: the incidents' EPSG:27700 coordinates, read once per geometry column."""

from __future__ import annotations

import gc

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots import _validate
from hotspots._errors import HotspotsError
from hotspots._validate import HELD_XY_MAX, analysis_xy, same_objects


def _points(xs, ys, crs=27700) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"n": range(len(xs))}, geometry=gpd.points_from_xy(xs, ys), crs=crs)


@pytest.fixture
def reads(monkeypatch):
    """Count the passes over a frame's geometries (shapely.get_coordinates calls)."""
    calls = []
    real = shapely.get_coordinates

    def counting(geoms, *args, **kwargs):
        calls.append(len(geoms))
        return real(geoms, *args, **kwargs)

    monkeypatch.setattr(_validate.shapely, "get_coordinates", counting)
    return calls


def test_coordinates_in_row_order():
    pts = _points([404188.0, 404200.5, 404188.0], [267544.0, 267000.25, 267544.0])
    assert analysis_xy(pts).tolist() == [[404188.0, 267544.0], [404200.5, 267000.25],
                                         [404188.0, 267544.0]]  # fmt: skip


def test_lon_lat_frames_are_measured_in_british_national_grid():
    pts = _points([-1.94, -1.95], [52.31, 52.30], crs=4326)
    expected = shapely.get_coordinates(pts.to_crs(27700).geometry.to_numpy())
    np.testing.assert_allclose(analysis_xy(pts), expected, rtol=0, atol=1e-6)


def test_read_once_per_geometry_column(reads):
    pts = _points([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    first = analysis_xy(pts)
    again = analysis_xy(pts)
    assert again is first
    assert reads == [3]


def test_frames_of_the_very_same_points_share_one_reading(reads):
    pts = _points([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    first = analysis_xy(pts)
    assert analysis_xy(pts[["n", "geometry"]]) is first  # every row: the same point objects
    assert analysis_xy(pts.loc[pts["n"] >= 0]) is first
    assert analysis_xy(pts.copy()) is first  # a copy holds the same (immutable) point objects
    assert reads == [3]
    assert analysis_xy(pts.iloc[[2, 0]]).tolist() == [[3.0, 6.0], [1.0, 4.0]]  # other rows: read
    again = _points([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])  # new point objects: read
    assert analysis_xy(again).tolist() == first.tolist()
    assert reads == [3, 2, 3]


def test_shared_coordinates_cannot_be_changed():
    xy = analysis_xy(_points([1.0], [2.0]))
    with pytest.raises(ValueError, match="read-only"):
        xy[0, 0] = 9.0


def test_a_geometry_set_in_place_is_read_again(reads):
    pts = _points([1.0, 2.0], [4.0, 5.0])
    assert analysis_xy(pts).tolist() == [[1.0, 4.0], [2.0, 5.0]]
    pts.loc[0, "geometry"] = shapely.Point(7.0, 8.0)
    assert analysis_xy(pts).tolist() == [[7.0, 8.0], [2.0, 5.0]]
    pts.loc[0, "geometry"] = shapely.Point(9.0, 10.0)  # may take the first point's old address
    assert analysis_xy(pts).tolist() == [[9.0, 10.0], [2.0, 5.0]]
    assert len(reads) == 3


def test_a_crs_set_in_place_is_read_again():
    pts = _points([-1.94], [52.31], crs=27700)
    assert analysis_xy(pts).tolist() == [[-1.94, 52.31]]
    pts.set_crs(4326, allow_override=True, inplace=True)
    assert analysis_xy(pts)[0, 0] == pytest.approx(404_000, abs=2_000)


def test_empty_points_keep_the_rows_aligned():
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(1, 2), shapely.Point(), shapely.Point(3, 4)],
                           crs=27700)  # fmt: skip
    xy = analysis_xy(pts)
    assert xy.shape == (3, 2)
    assert xy[0].tolist() == [1.0, 2.0] and np.isnan(xy[1]).all() and xy[2].tolist() == [3.0, 4.0]


def test_no_rows():
    assert analysis_xy(_points([], [])).shape == (0, 2)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"x": [1.0]}), "background must be a GeoDataFrame"),
        (gpd.GeoDataFrame(geometry=gpd.points_from_xy([1.0], [2.0])), "background has no CRS"),
        (gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=27700), "Point geometries only"),
    ],
)
def test_frames_that_are_not_points_are_refused_by_name(frame, message):
    with pytest.raises(HotspotsError, match=message):
        analysis_xy(frame, argument="background")


def test_coordinates_held_for_a_few_frames_and_let_go_with_them():
    frames = [_points([float(i)], [0.0]) for i in range(HELD_XY_MAX + 3)]
    for frame in frames:
        analysis_xy(frame)
    assert len(_validate._HELD_XY) <= HELD_XY_MAX
    del frames, frame
    gc.collect()
    assert len(_validate._HELD_XY) == 0


def test_same_objects_compares_identity_not_value():
    a, b, c = object(), object(), object()
    arr = np.array([a, b, c], dtype=object)
    assert same_objects(arr, arr.copy())
    assert same_objects(arr[::2], np.array([a, c], dtype=object))  # a strided view
    assert not same_objects(arr, np.array([a, b, object()], dtype=object))
    assert not same_objects(arr, arr[:2])
    assert same_objects(arr[:0], np.array([], dtype=object))
    equal_points = np.array([shapely.Point(0, 0)], dtype=object)
    assert not same_objects(equal_points, np.array([shapely.Point(0, 0)], dtype=object))
