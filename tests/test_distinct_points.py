"""Work on distinct map points and broadcast back gives the per-row answers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots.analysis.cluster import distinct_points
from hotspots.analysis.wards import assign_wards
from hotspots.read.incidents import read_incidents
from tests.conftest import POLICE


def _per_row_wards(points: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, tolerance_m: float):
    """The reference: every incident joined on its own (geopandas sjoin, then sjoin_nearest)."""
    polys = wards[["ward_code", "ward_name", "geometry"]].reset_index(drop=True)
    pts = gpd.GeoDataFrame(geometry=points.geometry.reset_index(drop=True))
    inside = gpd.sjoin(pts, polys, predicate="intersects", how="left")
    inside = inside[~inside.index.duplicated(keep="first")]
    # sjoin's first hit per point is the lowest ward index, as assign_wards keeps
    first = gpd.sjoin(pts, polys, predicate="intersects").reset_index()
    first = first.sort_values(["index", "index_right"]).drop_duplicates("index").set_index("index")
    ward = pd.Series("", index=pts.index, dtype=object)
    ward[first.index] = first["ward_name"].to_numpy()
    match = pd.Series("outside", index=pts.index, dtype=object)
    match[first.index] = "inside"
    rest = pts.loc[~pts.index.isin(first.index)]
    near = gpd.sjoin_nearest(rest, polys, max_distance=tolerance_m)
    near = near[~near.index.duplicated(keep="first")]
    ward[near.index] = near["ward_name"].to_numpy()
    match[near.index] = "nearest"
    return ward.to_numpy(), match.to_numpy()


def test_distinct_points_round_trip_in_order_of_first_appearance():
    rng = np.random.default_rng(3)
    xy = rng.integers(0, 30, (500, 2)).astype(float) * 10
    inverse, uniq, counts = distinct_points(xy)
    np.testing.assert_array_equal(uniq[inverse], xy)
    assert counts.sum() == 500 and len(uniq) == len(np.unique(xy, axis=0))
    first_seen = np.array([np.flatnonzero(inverse == i)[0] for i in range(len(uniq))])
    assert (np.diff(first_seen) > 0).all()


def test_ward_join_per_distinct_point_equals_joining_every_incident(shared_data):
    from boundaries import load_wards

    load = read_incidents(sorted(POLICE.glob("2018-1*-west-mercia-street.csv")))
    wards = pd.concat(
        [load_wards(shared_data / "wards" / f"{n}.geojson") for n in ("redditch", "bromsgrove")],
        ignore_index=True,
    )
    out = assign_wards(load.incidents, wards, tolerance_m=100)
    ward, match = _per_row_wards(load.incidents, wards, 100)
    assert set(match) == {"inside", "nearest", "outside"}
    np.testing.assert_array_equal(out["ward"].to_numpy(dtype=object), ward)
    np.testing.assert_array_equal(out["ward_match"].to_numpy(dtype=object), match)
    assert out.index.equals(load.incidents.index)
    assert "ward" not in load.incidents.columns  # the input is not changed
    out.loc[out.index[0], "location"] = "changed"
    assert load.incidents["location"].iloc[0] != "changed"


def test_point_check_by_type_id_refuses_what_it_refused_before():
    import re

    import pytest
    from shapely.geometry import LineString, Point

    from hotspots._errors import HotspotsError
    from hotspots._validate import check_points

    check_points(gpd.GeoDataFrame(geometry=[Point(0, 0), Point(1, 1)], crs=27700), argument="x")
    for geoms, found in (([Point(0, 0), None], "['Point']"),
                         ([Point(0, 0), LineString([(0, 0), (1, 1)])], "['LineString', 'Point']")):  # fmt: skip
        with pytest.raises(
            HotspotsError, match=re.escape(f"x must hold Point geometries only; found {found}")
        ):
            check_points(gpd.GeoDataFrame(geometry=geoms, crs=27700), argument="x")
