"""The same hotspots in every view: DBSCAN once per period for the whole study area."""

from __future__ import annotations

import numpy as np
import pytest

from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.hotspots import LIES_IN, busiest_points, find_hotspots, hotspots_for
from hotspots.analysis.seasons import SEASONS
from hotspots.analysis.trend import hotspots_with_trend


def _periods(prepared):
    years = sorted(prepared.incidents["financial_year"].unique())
    return [(s, fy) for fy in years for s in (*SEASONS, None)]


def test_every_view_holds_exactly_the_study_areas_hotspots_inside_it(demo):
    """For every season x financial year of the demo, each focus-area and ward view."""
    areas = demo.areas["name"].tolist()
    wards = demo.wards["ward_name"].tolist()
    checked = 0
    for season, fy in _periods(demo):
        whole = find_hotspots(demo, season=season, financial_year=fy)
        borough = whole.clusters
        assert borough["cluster_id"].tolist() == list(range(1, len(borough) + 1))
        # Where each hotspot lies, worked out here from its members (busiest map point).
        members = whole.period.assign(cid=whole.members)
        members = members[members["cid"].notna()]
        xy = np.column_stack([members.geometry.x, members.geometry.y])
        home = {}
        for cid in borough["cluster_id"]:
            pts = xy[(members["cid"] == cid).to_numpy()]
            uniq, counts = np.unique(pts, axis=0, return_counts=True)
            best = uniq[counts == counts.max()]
            pick = best[np.argmin(((best - pts.mean(axis=0)) ** 2).sum(axis=1))]
            at = members[(members["cid"] == cid).to_numpy() & (xy == pick).all(axis=1)]
            home[cid] = (at["ward"].iloc[0], at["area"].iloc[0])
        counts = dict(zip(borough["cluster_id"], borough["incidents"]))
        for kind, names in (("area", areas), ("ward", wards)):
            seen = set()
            for i, name in enumerate(names):
                view = whole.within(**{kind: name}).clusters
                if i == 0:  # what the outputs call gives the same view
                    direct = hotspots_for(demo, season=season, financial_year=fy, **{kind: name})
                    assert direct.drop(columns="geometry").equals(view.drop(columns="geometry"))
                    assert direct.attrs == view.attrs
                expected = sorted(
                    c for c, (w, a) in home.items() if (a if kind == "area" else w) == name
                )
                assert sorted(view["cluster_id"]) == expected, (season, fy, kind, name)
                assert dict(zip(view["cluster_id"], view["incidents"])) == {
                    c: counts[c] for c in expected
                }
                assert view.attrs["min_samples"] == borough.attrs["min_samples"]
                seen |= set(view["cluster_id"])
                checked += 1
            if kind == "ward":  # every hotspot lies in exactly one ward
                assert seen == set(borough["cluster_id"]), (season, fy)
    assert checked == len(_periods(demo)) * (len(areas) + len(wards))


def test_a_view_is_never_a_reclustering(demo):
    """The issue's example: 2018-19, all seasons; the town centre keeps the borough's 3."""
    borough = hotspots_for(demo, financial_year="2018-19")
    centre = hotspots_for(demo, financial_year="2018-19", area="Town centre")
    abbey = hotspots_for(demo, financial_year="2018-19", ward="Abbey")
    in_centre = borough[borough["area"] == "Town centre"]
    assert centre["incidents"].tolist() == in_centre["incidents"].tolist() == [270, 72, 36]
    assert centre["share"].tolist() == in_centre["share"].tolist()
    assert set(abbey["cluster_id"]) == set(borough.loc[borough["ward"] == "Abbey", "cluster_id"])
    assert abbey["incidents"].min() >= borough.attrs["min_samples"]
    assert centre.attrs["selected"] < borough.attrs["selected"] == borough.attrs["clustered"]


def test_trend_is_the_same_in_every_view(demo):
    borough = hotspots_with_trend(demo, season="summer", financial_year="2018-19").set_index(
        "cluster_id"
    )
    ward = hotspots_with_trend(demo, season="summer", financial_year="2018-19", ward="Abbey")
    assert len(ward)
    for col in ("previous", "change", "trend"):
        assert (
            ward.set_index("cluster_id")[col].to_dict()
            == borough.loc[ward["cluster_id"], col].to_dict()
        )
    assert ward.attrs["compared_with"] == "summer 2017-18"


def test_analyst_parameters_are_used_and_stated(demo):
    given = hotspots_for(demo, season="autumn", financial_year="2018-19", ward="Abbey",
                         params=ClusterParams(eps_m=80, min_samples=7))  # fmt: skip
    assert (given.attrs["eps_m"], given.attrs["min_samples"]) == (80, 7)
    assert given.attrs["parameters"] == "DBSCAN eps 80 m, min_samples 7 (given by the analyst)"
    chosen = hotspots_for(demo, season="autumn", financial_year="2018-19", ward="Abbey")
    assert chosen.attrs["min_samples_chosen"] is True
    assert (
        f"min_samples {chosen.attrs['min_samples']} (chosen from the " in chosen.attrs["parameters"]
    )
    assert "autumn 2018-19" in chosen.attrs["parameters"]
    assert chosen.attrs["lies_in"] == LIES_IN


def test_members_give_each_hotspot_its_incidents(demo):
    found = find_hotspots(demo, season="autumn", financial_year="2018-19", area="Town centre")
    counts = found.member_incidents()["cluster_id"].value_counts()
    assert (
        counts.reindex(found.clusters["cluster_id"]).tolist()
        == found.clusters["incidents"].tolist()
    )
    # The busiest point lies in the hotspot's own ward and area, and inside its outline.
    pts = busiest_points(found.period, found.members).loc[found.clusters["cluster_id"]]
    assert pts["ward"].tolist() == found.clusters["ward"].tolist()
    assert set(pts["area"]) == {"Town centre"}
    for hull, x, y in zip(found.clusters.geometry, pts["point_x"], pts["point_y"]):
        from shapely.geometry import Point

        assert hull.contains(Point(x, y))


def test_empty_period_gives_no_hotspots(demo):
    found = find_hotspots(demo, season="winter", financial_year="2099-00")
    assert found.clusters.empty and found.period.empty
    assert found.clusters.attrs["clustered"] == 0


@pytest.mark.parametrize("ward", ["Abbey", "Central"])
def test_ward_views_of_a_whole_year_have_no_footpath_noise(demo, ward):
    """Every hotspot in a ward view is at least min_samples big (no small re-clustered ones)."""
    view = hotspots_for(demo, financial_year="2018-19", ward=ward)
    assert (view["incidents"] >= view.attrs["min_samples"]).all()


def _hull_fills(html: str) -> dict[str, str]:
    """cluster_id -> fill colour of the hotspot outlines in a rendered folium map."""
    import json
    import re

    fills = {}
    for blob in re.findall(r"_add\((\{\"features\".*?\})\);\s*$", html, re.M):
        for feature in json.loads(blob)["features"]:
            props = feature["properties"]
            if "cluster_id" in props and "_fill" in props:
                fills[str(props["cluster_id"])] = props["_fill"]
    return fills


def test_a_hotspot_has_the_same_colour_in_every_view(demo):
    from hotspots.draw.webmap import hotspot_map, ward_summary

    wards = ward_summary(demo.incidents, demo.wards)
    none = demo.incidents.iloc[:0]

    def fills(**view):
        found = hotspots_for(demo, financial_year="2018-19", **view)
        return _hull_fills(hotspot_map(wards, found, none).get_root().render())

    borough = fills()
    assert len(borough) == 8 and len(set(borough.values())) > 1
    for view in ({"ward": "Abbey"}, {"area": "Town centre"}, {"ward": "Winyates"}):
        shown = fills(**view)
        assert shown and shown == {k: borough[k] for k in shown}, view


def _points(xs, ys, **columns):
    import geopandas as gpd

    return gpd.GeoDataFrame(columns, geometry=gpd.points_from_xy(xs, ys), crs=27700)


def test_busiest_point_most_incidents_then_nearest_the_mean_then_lowest_easting():
    import pandas as pd

    # hotspot 1: (0, 0) holds 3 of its 5 incidents; hotspot 2: two points of 2, the mean
    # (7.8, 0) nearer (10, 0); hotspot 3: two points of 1 as near the mean: the lower x
    pts = _points([0, 0, 0, 5, 6, 5, 5, 10, 10, 9, 20, 30], [0] * 12)
    members = pd.Series([1] * 5 + [2] * 5 + [3] * 2, dtype="Int64")
    got = busiest_points(pts, members)
    assert got.index.tolist() == [1, 2, 3]
    assert got[["point_x", "point_incidents"]].values.tolist() == [[0, 3], [10, 2], [20, 1]]
    assert got[["ward", "area"]].values.tolist() == [["", ""]] * 3  # no such columns


def test_busiest_point_takes_the_first_ward_given_among_its_incidents():
    import pandas as pd

    pts = _points([0, 0, 0, 50, 50], [0] * 5, ward=[None, "B", "A", "C", None],
                  area=[None, None, None, None, None])  # fmt: skip
    members = pd.Series([1, 1, 1, 2, 2, pd.NA], dtype="Int64", index=[0, 1, 2, 3, 4, 5])
    got = busiest_points(pts, members)
    assert got[["ward", "area"]].values.tolist() == [["B", ""], ["C", ""]]
    assert busiest_points(pts, pd.Series([pd.NA] * 5, dtype="Int64")).empty
