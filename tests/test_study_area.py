"""The study area as one shape: the wards' coverage union equals GEOS's general union."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon, box

from hotspots.analysis.catchments import _union, study_area_shape

CASES = {
    "neighbours": [box(0, 0, 1, 1), box(1, 0, 2, 1)],
    "T-junction": [box(0, 0, 1, 2), box(1, 0, 2, 1), box(1, 1, 2, 2)],
    "edges nearly matching": [
        box(0, 0, 1, 1),
        Polygon([(1 + 1e-9, 0), (2, 0), (2, 1), (1 - 1e-9, 1)]),
    ],
    "gap": [box(0, 0, 1, 1), box(1.001, 0, 2, 1)],
    "overlap": [box(0, 0, 2, 1), box(1, 0, 3, 1)],
    "one inside another": [box(0, 0, 3, 3), box(1, 1, 2, 2)],
    "hole": [box(0, 0, 3, 3).difference(box(1, 1, 2, 2))],
}


@pytest.mark.parametrize("name", list(CASES))
def test_union_equals_the_general_union(name):
    parts = np.array(CASES[name], dtype=object)
    got = _union(parts)
    assert got.is_valid
    assert got.area == pytest.approx(shapely.union_all(parts).area, rel=1e-12)
    assert shapely.symmetric_difference(got, shapely.union_all(parts)).area < 1e-9


def test_real_wards_union_equals_the_general_union(shared_data):
    files = sorted((shared_data / "wards").glob("*.geojson"))
    wards = pd.concat([gpd.read_file(f).to_crs(27700) for f in files], ignore_index=True)
    wards = gpd.GeoDataFrame(wards, geometry="geometry", crs=27700)
    got = study_area_shape(wards)
    expected = shapely.union_all(shapely.make_valid(wards.geometry.to_numpy()))
    assert len(files) == 6 and got.is_valid
    assert got.area == pytest.approx(expected.area, rel=1e-12)
    assert shapely.symmetric_difference(got, expected).area < 1e-3  # m², of 1,741 km²
