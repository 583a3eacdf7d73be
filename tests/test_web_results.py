"""The web app answers from one PeriodResult per period: DBSCAN once, the chance test at most once."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from hotspots.analysis import cluster, significance, summaries

WINTER = "fy=2018-19&season=winter"


@pytest.fixture
def counts(monkeypatch):
    """Calls of DBSCAN and of the chance test, by the season of the incidents / hotspots given."""
    seen = {"dbscan": 0, "chance": 0}
    dbscan, test = cluster.dbscan_labels, significance.cluster_significance

    def counted_dbscan(*args, **kwargs):
        seen["dbscan"] += 1
        return dbscan(*args, **kwargs)

    def counted_test(*args, **kwargs):
        seen["chance"] += 1
        return test(*args, **kwargs)

    monkeypatch.setattr(cluster, "dbscan_labels", counted_dbscan)
    monkeypatch.setattr(summaries, "dbscan_labels", counted_dbscan)  # find_clusters
    monkeypatch.setattr(significance, "cluster_significance", counted_test)
    return seen


@pytest.fixture
def fresh(make_app):
    """A test client of a fresh app: nothing cached (the shared ``app`` has answers already)."""
    return make_app().test_client()


@pytest.mark.parametrize("area", ["borough", "ward:Abbey", "Town centre"])
def test_one_cold_map_request_clusters_once_and_tests_once(counts, fresh, area):
    client = fresh
    response = client.get(f"/map/frame?{WINTER}&area={quote(area)}")
    assert response.status_code == 200
    assert counts == {"dbscan": 1, "chance": 1}


def test_every_view_of_a_period_reads_the_same_result(counts, fresh):
    client = fresh
    labels = {}
    for area in ("borough", "ward:Abbey", "ward:Greenlands", "Town centre"):
        query = f"{WINTER}&area={quote(area)}"
        for route in ("/map/frame", "/clusters", "/clusters.csv", "/api/clusters",
                      "/api/incidents/summary", "/api/wards"):  # fmt: skip
            assert client.get(f"{route}?{query}").status_code == 200, (route, area)
        for f in client.get(f"/api/clusters?{query}").get_json()["features"]:
            p = f["properties"]
            assert labels.setdefault(p["cluster_id"], p["label"]) == p["label"]
    assert counts == {"dbscan": 1, "chance": 1}
    # /map adds the accuracy sentence: the previous season, clustered once for the borough's
    # sentence and once for every ward and focus area view (not once per view).
    for area in ("borough", "ward:Abbey", "ward:Greenlands", "Town centre"):
        assert client.get(f"/map?{WINTER}&area={quote(area)}").status_code == 200
    assert counts == {"dbscan": 3, "chance": 1}
    assert len(labels) >= 5 and all(text.split()[0] == str(i) for i, text in labels.items())
    client.get("/api/clusters?fy=2018-19&season=autumn")  # another period: its own result
    assert counts == {"dbscan": 4, "chance": 2}


def test_summary_states_the_results_parameters(counts, fresh):
    client = fresh
    doc = client.get(f"/api/incidents/summary?{WINTER}&area=ward:Abbey").get_json()
    whole = client.get(f"/api/incidents/summary?{WINTER}").get_json()
    assert doc["parameters"] == whole["parameters"]
    assert doc["parameters"].startswith("DBSCAN eps 100 m, min_samples ")
    assert (
        doc["hotspots_in_study_area"] == whole["clusters"] and doc["clusters"] < whole["clusters"]
    )
    assert doc["compared_with"] == "winter 2017-18"
    assert counts == {"dbscan": 1, "chance": 0}  # the summary does not wait for the chance test


def test_web_deck_draws_the_years_cached_result(counts, make_app, tmp_path):
    from tests.test_webapp import PASSWORD, login
    from webapp.selection import Selection
    from webapp.users import add_user

    db = tmp_path / "users.sqlite"
    add_user(db, "analyst1", PASSWORD, role="analyst")
    app = make_app(HOTSPOTS_REQUIRE_LOGIN=True, HOTSPOTS_USERS_DB=str(db))
    client = app.test_client()
    login(client, "analyst1")
    assert client.get("/map/frame?fy=2018-19&season=all").status_code == 200
    assert counts == {"dbscan": 1, "chance": 1}
    assert client.get("/report.pptx?fy=2018-19").status_code == 200
    periods = (
        app.extensions["hotspots_store"].patterns(Selection("2018-19", "all")).attrs["periods"]
    )
    # The deck clusters only the seasons of its place patterns; the year is the map's result.
    assert counts == {"dbscan": 1 + len(periods), "chance": 1}
