"""The results layer (hotspots.results): one answer per period, views that only filter it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from hotspots._errors import HotspotsError
from hotspots.analysis import cluster, significance, summaries
from hotspots.analysis.cluster import ClusterParams
from hotspots.results import Period, PeriodResult, analyse_period

TO_LONLAT = Transformer.from_crs(27700, 4326, always_xy=True)


@pytest.fixture
def tiny(write_police, square_wards, tmp_path):
    """Two hand-checkable hotspots in autumn 2018-19, and an earlier autumn.

    A (West ward): 12 incidents on a parking area at (404000, 267000) and 3 on
    A Street 30 m east: 15. B (East ward): 8 on B Road at (406000, 267000).
    Three incidents alone. Autumn 2017-18: 4 incidents at A's parking area, 1 alone.
    """
    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents

    def row(x, y, month, location):
        lon, lat = TO_LONLAT.transform(x, y)
        return (f",{month},West Mercia Police,West Mercia Police,{lon:.6f},{lat:.6f},{location},"
                "E01032224,Redditch 004A,Anti-social behaviour,,")  # fmt: skip

    rows = [row(404000, 267000, "2018-10", "On or near Parking Area")] * 12
    rows += [row(404030, 267000, "2018-10", "On or near A Street")] * 3
    rows += [row(406000, 267000, "2018-11", "On or near B Road")] * 8
    rows += [row(403300 + 600 * i, 266400, "2018-10", "On or near C Lane") for i in range(3)]
    rows += [row(404000, 267000, "2017-10", "On or near Parking Area")] * 4
    rows += [row(403300, 266400, "2017-11", "On or near C Lane")]  # so both years hold Oct-Nov
    path = write_police(rows)
    return prepare(read_incidents([path]), square_wards)


def test_tiny_period_by_hand(tiny):
    result = analyse_period(tiny, Period("autumn", "2018-19"),
                            params=ClusterParams(eps_m=50, min_samples=5), n_sim=99)  # fmt: skip
    hs = result.hotspots
    assert hs["cluster_id"].tolist() == [1, 2]
    assert hs["incidents"].tolist() == [15, 8]
    assert hs["ward"].tolist() == ["West", "East"]
    # The parking area is A's busiest place, but a place type never names a hotspot alone: with
    # four times A Street's incidents, it is named with it (hotspots.analysis.labels).
    assert hs["label"].tolist() == ["1 Parking Area near A Street", "2 B Road"]
    assert hs["previous"].tolist() == [4, 0]
    assert hs["trend"].tolist() == ["growing", "new"]
    assert result.compared_with == "autumn 2017-18"
    assert result.parameters.min_samples == 5 and not result.parameters.min_samples_chosen
    assert result.parameters.clustered == 26 == len(result.incidents)
    assert result.members.notna().sum() == 23
    assert set(hs.columns) >= {"p_value", "q_value", "significant"}
    assert result.chance is not None and result.chance.simulations == 99


def test_view_filters_and_never_recomputes(tiny, monkeypatch):
    result = analyse_period(tiny, Period("autumn", "2018-19"),
                            params=ClusterParams(eps_m=50, min_samples=5), n_sim=99)  # fmt: skip
    calls = []
    monkeypatch.setattr(cluster, "dbscan_labels", lambda *a, **k: calls.append(1))
    monkeypatch.setattr(summaries, "dbscan_labels", lambda *a, **k: calls.append(1))
    monkeypatch.setattr(significance, "cluster_significance", lambda *a, **k: calls.append(1))
    east = result.view(ward="East")
    assert calls == []
    assert east.hotspots["cluster_id"].tolist() == [2]
    assert east.hotspots["label"].tolist() == ["2 B Road"]
    assert east.hotspots["q_value"].tolist() == result.hotspots["q_value"].iloc[[1]].tolist()
    assert len(east.incidents) == 8  # B's eight; the lone incidents are in West
    assert east.title == "ASB hotspots: East ward, autumn (Sep-Nov), financial year 2018-19"
    assert east.outline.bounds == (405000.0, 266000.0, 407000.0, 268000.0)
    assert east.data_note == "Data: police.uk street-level ASB, Nov 2018."
    whole = result.view()
    assert whole.hotspots is result.hotspots and whole.outline.area == 8e6
    with pytest.raises(HotspotsError, match="ward 'North' is not in the ward boundaries"):
        result.view(ward="North")


def test_dbscan_once_and_chance_once_per_period(tiny, monkeypatch):
    counts = {"dbscan": 0, "chance": 0}
    dbscan, test = cluster.dbscan_labels, significance.cluster_significance

    def counted_dbscan(*args, **kwargs):
        counts["dbscan"] += 1
        return dbscan(*args, **kwargs)

    def counted_test(*args, **kwargs):
        counts["chance"] += 1
        return test(*args, **kwargs)

    monkeypatch.setattr(cluster, "dbscan_labels", counted_dbscan)
    monkeypatch.setattr(summaries, "dbscan_labels", counted_dbscan)  # find_clusters
    monkeypatch.setattr(significance, "cluster_significance", counted_test)
    result = analyse_period(tiny, Period("autumn", "2018-19"),
                            params=ClusterParams(eps_m=50, min_samples=5), n_sim=99)  # fmt: skip
    for ward in (None, "East", "West"):
        result.view(ward=ward)
    assert counts == {"dbscan": 1, "chance": 1}
    analyse_period(tiny, Period("autumn", "2018-19"), params=ClusterParams(eps_m=50, min_samples=5),
                   chance=False)  # fmt: skip
    assert counts == {"dbscan": 2, "chance": 1}


def test_place_type_only_hotspot_is_named_by_the_nearest_street(tiny):
    # Without A Street's three incidents, A is only "Parking Area": named with the nearest street.
    from dataclasses import replace

    keep = tiny.incidents["location"] != "On or near A Street"
    only_types = replace(tiny, incidents=tiny.incidents.loc[keep].reset_index(drop=True))
    result = analyse_period(only_types, Period("autumn", "2018-19"),
                            params=ClusterParams(eps_m=50, min_samples=5), chance=False)  # fmt: skip
    assert result.hotspots["label"].tolist() == ["1 Parking Area near C Lane", "2 B Road"]
    assert "p_value" not in result.hotspots and result.chance is None


def test_period_is_typed_and_checked():
    assert Period("all", "all") == Period()
    assert Period("autumn", "2018-19").label == "autumn 2018-19"
    with pytest.raises(HotspotsError, match="season 'Autumn' is not one of"):
        Period("Autumn", "2018-19")
    with pytest.raises(HotspotsError, match="financial year"):
        Period("autumn", "2018")


def test_analyse_period_refuses_a_dict(tiny):
    with pytest.raises(HotspotsError, match=r"period must be a hotspots\.results\.Period"):
        analyse_period(tiny, {"season": "autumn"})


@pytest.fixture(scope="module")
def demo_winter(demo) -> PeriodResult:
    return analyse_period(demo, Period("winter", "2018-19"), patterns=True)


def test_demo_one_label_per_hotspot_in_every_view(demo_winter):
    result = demo_winter
    labels = result.hotspots.set_index("cluster_id")["label"]
    assert labels.is_unique
    assert all(str(i) == text.split()[0] for i, text in labels.items())
    place_types = {"Parking Area", "Shopping Area", "Supermarket",
                   "Further/Higher Educational Building"}  # fmt: skip
    for text in labels:
        assert text.split(" ", 1)[-1] not in place_types
    for ward in result.hotspots["ward"].unique():
        view = result.view(ward=ward)
        assert (view.hotspots.set_index("cluster_id")["label"] == labels.loc[
            view.hotspots["cluster_id"]]).all()  # fmt: skip
        assert set(view.hotspots["ward"]) == {ward}
    shown = sum(len(result.view(ward=w).hotspots) for w in result.wards["ward_name"])
    assert shown == len(result.hotspots)


def test_demo_chance_and_patterns(demo, demo_winter):
    hs = demo_winter.hotspots.set_index("cluster_id")
    assert hs.loc[1, "significant"]
    # At min_samples 4 (as the web chance tests run the demo) small hotspots could be chance.
    small = analyse_period(demo, Period("winter", "2018-19"), params=ClusterParams(min_samples=4))
    weak = small.hotspots.loc[~small.hotspots["significant"].astype(bool), "incidents"]
    assert len(weak) >= 1 and weak.max() <= 5
    assert demo_winter.chance.simulations == significance.N_SIM
    assert demo_winter.patterns is not None
    assert set(hs["pattern"]) <= {"persistent", "emerging", "intermittent", "diminishing",
                                  "former", ""}  # fmt: skip
    assert hs["hot_periods"].str.endswith("seasons").all()
    assert demo_winter.view(ward="Abbey").data_note.startswith("Data: demo borough made by")


def test_demo_parameters_text_matches_attrs(demo_winter):
    assert demo_winter.hotspots.attrs["parameters"] == demo_winter.parameters.text
    assert demo_winter.parameters.min_samples_chosen
    assert np.isclose(demo_winter.hotspots["share"].sum() * demo_winter.parameters.clustered,
                      demo_winter.hotspots["incidents"].sum())  # fmt: skip
    assert isinstance(demo_winter.members, pd.Series)
