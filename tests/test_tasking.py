"""Tasking sheets: ranking, place text, trend and peaks; the real Redditch autumn 2018 sheet."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer
from sklearn.cluster import DBSCAN

from hotspots._errors import HotspotsError
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.hotspots import clusters_and_members
from hotspots.analysis.trend import NO_EARLIER_DATA, TRENDS
from hotspots.outputs.tasking import SHEET_COLUMNS, sheet_from_clusters, tasking, tasking_sheet

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_sheet_is_ranked_with_every_column(demo):
    sheet, clusters = tasking(demo, season="autumn", financial_year="2018-19")
    assert list(sheet.columns) == SHEET_COLUMNS
    assert len(sheet) == len(clusters) > 2
    assert sheet["rank"].tolist() == list(range(1, len(sheet) + 1))
    assert sheet["rank"].tolist() == sheet["cluster_id"].tolist() == clusters["cluster_id"].tolist()
    assert sheet["incidents"].is_monotonic_decreasing
    assert set(sheet["trend"]) <= set(TRENDS)
    assert sheet.loc[0, "area"] == "Town centre"
    # The place is the map label without its rank: main streets, never "On or near".
    assert sheet.loc[0, "place"] == "Market Place / Unicorn Hill"
    assert sheet["label"].tolist() == clusters["label"].tolist()
    assert sheet["label"].tolist() == [f"{r} {p}" for r, p in zip(sheet["rank"], sheet["place"])]
    assert (sheet["share"] * sheet.attrs["clustered"]).round().astype(int).tolist() == sheet[
        "incidents"
    ].tolist()
    # The demo has times: weekday and hour peaks are filled in.
    assert (sheet["peak_weekday"] != "").all()
    assert sheet["peak_hour"].str.match(r"^\d\d:00-\d\d:00").all()
    # Each hotspot's point lies in its own outline.
    hulls = clusters.set_index("cluster_id").geometry
    for row in sheet.itertuples():
        assert hulls[row.cluster_id].contains(row.geometry)


def test_trend_counts_the_same_season_a_year_before(demo):
    from hotspots.analysis.prepare import select_incidents
    from hotspots.analysis.trend import change_vs_previous

    sheet, clusters = tasking(demo, season="summer", financial_year="2018-19")
    before = select_incidents(demo.incidents, season="summer", financial_year="2017-18")
    expected = change_vs_previous(clusters, before).set_index("cluster_id")
    got = sheet.set_index("cluster_id")
    assert got["previous"].astype(int).to_dict() == expected["previous"].to_dict()
    assert got["trend"].to_dict() == expected["trend"].to_dict()


def test_no_earlier_data_is_not_called_new(demo):
    sheet = tasking_sheet(demo, season="autumn", financial_year="2017-18")
    assert len(sheet) and (sheet["trend"] == NO_EARLIER_DATA).all()
    assert sheet["previous"].isna().all()


def test_area_selection_keeps_only_that_area(demo):
    sheet = tasking_sheet(demo, season="autumn", financial_year="2018-19", area="Woodrow")
    assert len(sheet) >= 1 and set(sheet["area"]) == {"Woodrow"}


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"season": "autumn", "financial_year": None}, "financial year"),
        ({"season": "autumn", "financial_year": "2018/19"}, "2018-19"),
        ({"season": "autumn", "financial_year": "2018-19", "area": "Nowhere"}, "Town centre"),
        ({"season": "autumn", "financial_year": "2018-19", "ward": "Nowhere"}, "Abbey"),
    ],
)
def test_errors_say_what_to_fix(demo, kwargs, words):
    with pytest.raises(HotspotsError, match=words):
        tasking_sheet(demo, **kwargs)


def test_sheet_from_hand_made_clusters(two_clusters):
    clusters, members = clusters_and_members(
        two_clusters, params=ClusterParams(eps_m=60, min_samples=5)
    )
    assert members.value_counts().sort_index().tolist() == [30, 20]
    previous = two_clusters.iloc[:12]  # 12 of cluster A's incidents a year before, none of B's
    sheet = sheet_from_clusters(clusters, two_clusters, members=members, previous=previous)
    assert sheet[["rank", "place", "ward", "incidents", "previous", "trend"]].values.tolist() == [
        [1, "A Street", "West", 30, 12, "growing"],
        [2, "B Road", "East", 20, 0, "new"],
    ]
    # No weekday or hour in the data: left blank, never guessed.
    assert sheet["peak_weekday"].tolist() == ["", ""]
    assert sheet["peak_hour"].tolist() == ["", ""]
    assert sheet["peak_months"].tolist() == ["Oct 2018", "Nov 2018"]


def test_sheet_needs_the_clustered_selection(two_clusters):
    clusters, members = clusters_and_members(
        two_clusters, params=ClusterParams(eps_m=60, min_samples=5)
    )
    with pytest.raises(HotspotsError, match="find_hotspots returns both"):
        sheet_from_clusters(clusters, two_clusters.iloc[5:], members=members)
    with pytest.raises(HotspotsError, match="find_hotspots returns both"):
        sheet_from_clusters(clusters, two_clusters, members=members.where(members != 2))


def test_sheet_does_not_run_dbscan_again(demo, monkeypatch):
    import hotspots.analysis.cluster

    calls = []
    real = hotspots.analysis.cluster.dbscan_labels

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(hotspots.analysis.cluster, "dbscan_labels", counting)
    sheet = tasking_sheet(demo, season="autumn", financial_year="2018-19", ward="Abbey",
                          patterns=False)  # fmt: skip
    assert len(calls) == 1 and len(sheet) >= 1
    # With the Pattern column: once more per earlier season, never the selection's again.
    calls.clear()
    sheet = tasking_sheet(demo, season="autumn", financial_year="2018-19", ward="Abbey")
    assert len(calls) == len(sheet.attrs["pattern_periods"]) == 7


# --------------------------------------------------------------------------- real data


#: police.uk's anonymous place types that Redditch's rows use (written out here, not imported).
_PLACE_TYPES = {
    "Parking Area",
    "Shopping Area",
    "Supermarket",
    "Hospital",
    "Petrol Station",
    "Pedestrian Subway",
    "Further/Higher Educational Building",
    "Sports/Recreation Area",
    "Park/Open Space",
    "Nightclub",
    "Police Station",
    "Bus/Coach Station",
    "Other Road",
    "Theatre/Concert Hall",
    "Train Station",
    "Conference/Exhibition Centre",
}


def _independent_autumn_2018(min_samples: int) -> list[dict]:
    """Redditch ASB clusters for autumn 2018 from the raw CSV rows, without hotspots code."""
    wards = gpd.read_file(SHARED / "wards" / "redditch.geojson").to_crs(27700)
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    rows = []
    for path in sorted(
        (SHARED / "police-uk" / "west-mercia").glob("2018-1*-west-mercia-street.csv")
    ):
        with path.open(newline="", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                if r["Crime type"] != "Anti-social behaviour" or not r["Longitude"]:
                    continue
                if r["Month"] not in ("2018-09", "2018-10", "2018-11"):
                    continue
                x, y = to_bng.transform(float(r["Longitude"]), float(r["Latitude"]))
                rows.append((x, y, r["Location"]))
    pts = gpd.GeoDataFrame(
        {"location": [r[2] for r in rows]},
        geometry=gpd.points_from_xy([r[0] for r in rows], [r[1] for r in rows]),
        crs=27700,
    )
    # Study area: in a ward, or within 100 m of one (boundaries are generalised).
    near = gpd.sjoin_nearest(pts, wards[["WD13NM", "geometry"]], max_distance=100, how="inner")
    near = near[~near.index.duplicated(keep="first")].sort_index()
    xy = np.column_stack([near.geometry.x, near.geometry.y])
    labels = DBSCAN(eps=100, min_samples=min_samples).fit(xy).labels_
    out = []
    for label in sorted(set(labels) - {-1}):
        members = near[labels == label]
        loc = Counter(m.removeprefix("On or near ") for m in members["location"])
        top = max(loc.values())
        streets = Counter({k: v for k, v in loc.items() if k not in _PLACE_TYPES})
        # The hotspot lies in the ward of its busiest map point (ties: nearest the mean).
        xy_m = np.column_stack([members.geometry.x, members.geometry.y])
        uniq, counts = np.unique(xy_m, axis=0, return_counts=True)
        best = uniq[counts == counts.max()]
        pick = best[np.argmin(((best - xy_m.mean(axis=0)) ** 2).sum(axis=1))]
        at = (xy_m[:, 0] == pick[0]) & (xy_m[:, 1] == pick[1])
        ward = Counter(members.loc[at, "WD13NM"])
        out.append(
            {
                "incidents": len(members),
                "places": {k for k, v in loc.items() if v == top},
                "streets": {k for k, v in streets.items() if v == max(streets.values())},
                "ward": ward.most_common(1)[0][0],
                "points": {(round(p.x), round(p.y)) for p in members.geometry},
            }
        )
    return out


@pytest.mark.shared
def test_redditch_autumn_2018_sheet_is_right(shared_data):
    from boundaries import get_path, load_wards
    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents
    from hotspots.read.places import read_focus_areas

    police = SHARED / "police-uk" / "west-mercia"
    prepared = prepare(
        read_incidents(sorted(police.glob("2018-1*-west-mercia-street.csv"))),
        load_wards(SHARED / "wards" / "redditch.geojson"),
        areas=read_focus_areas(get_path("redditch-focus-areas")),
    )
    sheet = tasking_sheet(prepared, season="autumn", financial_year="2018-19")
    assert len(sheet) >= 10
    # A town-centre hotspot comes first.
    assert sheet.loc[0, "area"] == "Town centre"
    assert sheet.loc[0, "rank"] == 1
    truth = _independent_autumn_2018(sheet.attrs["min_samples"])
    assert sorted(t["incidents"] for t in truth) == sorted(sheet["incidents"].tolist())
    for row in sheet.itertuples():
        point = (round(row.geometry.x), round(row.geometry.y))
        match = [t for t in truth if point in t["points"] and t["incidents"] == row.incidents]
        assert len(match) == 1, f"hotspot {row.rank} ({row.place}) has no independent twin"
        assert row.ward == match[0]["ward"], row
        # Named by its busiest street; a place type only with a street ("Supermarket near ...").
        twin = match[0]
        if twin["streets"]:
            assert row.place.split(" / ")[0].split(" near ")[-1] in twin["streets"], row
        else:
            assert row.place.split(" near ")[0] in twin["places"], row
        assert " near " in row.place or row.place.split(" / ")[0] in twin["streets"], row
        assert not row.place.startswith("On or near ") and row.place not in _PLACE_TYPES, row
    assert (sheet["trend"] == NO_EARLIER_DATA).all()  # the data starts in October 2018
    assert (
        pd.Series(sheet["peak_months"]).isin(["Oct 2018", "Nov 2018", "Oct 2018, Nov 2018"]).all()
    )
