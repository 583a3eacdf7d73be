"""The chance test in the web app: the map, /clusters (+ .csv) and /api/clusters.

The test is run once per period for the whole study area and shared by every
view of it; its p and q are those the tasking sheet and the CLI get from
:func:`hotspots.analysis.significance.significance_for` (the same simulations and seed).
Which demo hotspots are not more than chance is read from the library, never
written here.
"""

from __future__ import annotations

import csv
import html
import io
from urllib.parse import quote

import pytest

from hotspots.analysis import significance
from hotspots.draw import cartography as carto

WINTER = "fy=2018-19&season=winter"
#: The demo's hotspots are all more than chance at the automatic min_samples (5 in winter
#: 2018-19); at 4, winter 2018-19 also has small ones that could be chance.
MIN_SAMPLES = 4


@pytest.fixture
def client(make_app):
    return make_app(HOTSPOTS_MIN_SAMPLES=MIN_SAMPLES).test_client()


@pytest.fixture(scope="module")
def library_verdicts(demo):
    """The library's verdicts for winter 2018-19 (the tasking sheet's and the CLI's way)."""
    from hotspots.analysis.cluster import ClusterParams
    from hotspots.analysis.significance import significance_for
    from hotspots.analysis.trend import hotspots_with_trend

    found = hotspots_with_trend(demo, season="winter", financial_year="2018-19",
                                params=ClusterParams(min_samples=MIN_SAMPLES))  # fmt: skip
    tested = significance_for(demo, found)
    return tested.set_index("cluster_id")[["p_value", "q_value", "significant"]]


def _api(client, query: str) -> dict:
    response = client.get(f"/api/clusters?{query}")
    assert response.status_code == 200, response.get_data(True)[:300]
    return response.get_json()


def test_api_gives_the_same_p_and_q_as_the_tasking_sheet_in_every_view(client, library_verdicts):
    assert (~library_verdicts["significant"]).sum() >= 1 and library_verdicts[
        "significant"
    ].sum() >= 1
    doc = _api(client, f"{WINTER}&area=borough")
    assert doc["simulations"] == 999 and "999 simulations" in doc["chance_test"]
    got = {f["properties"]["cluster_id"]: f["properties"] for f in doc["features"]}
    assert sorted(got) == sorted(library_verdicts.index)
    for cid, row in library_verdicts.iterrows():
        assert got[cid]["p_value"] == pytest.approx(row["p_value"])
        assert got[cid]["q_value"] == pytest.approx(row["q_value"])
        assert got[cid]["significant"] is bool(row["significant"])
    weak = library_verdicts.index[~library_verdicts["significant"]][0]
    ward = got[weak]["ward"]
    in_ward = _api(client, f"{WINTER}&area={quote('ward:' + ward)}")["features"]
    assert weak in [f["properties"]["cluster_id"] for f in in_ward]
    for f in in_ward:  # the ward's hotspots keep the study area's p and q
        p = f["properties"]
        assert (p["p_value"], p["q_value"], p["significant"]) == (
            got[p["cluster_id"]]["p_value"], got[p["cluster_id"]]["q_value"],
            got[p["cluster_id"]]["significant"])  # fmt: skip


def test_the_test_runs_once_per_period_for_every_view(client, monkeypatch):
    calls = []
    real = significance.cluster_significance

    def counted(whole, background, **options):
        calls.append((whole.attrs["season"], whole.attrs["financial_year"], len(whole)))
        assert not whole.attrs["area"] and not whole.attrs["ward"]  # the whole study area
        return real(whole, background, **options)

    monkeypatch.setattr(significance, "cluster_significance", counted)
    for area in ("borough", "Town centre", "ward:Abbey", "ward:Greenlands"):
        query = f"{WINTER}&area={quote(area)}"
        for route in ("/map/frame", "/clusters", "/clusters.csv", "/api/clusters"):
            assert client.get(f"{route}?{query}").status_code == 200, (route, area)
    assert calls == [("winter", "2018-19", calls[0][2])]
    client.get(
        "/api/clusters?fy=2018-19&season=autumn&area=ward:Abbey"
    )  # another period: once more
    assert len(calls) == 2 and calls[1][:2] == ("autumn", "2018-19")


def test_the_map_page_itself_does_not_wait_for_the_test(client, monkeypatch):
    def refuse(*_, **__):
        raise AssertionError("the /map page ran the chance test")

    monkeypatch.setattr(significance, "cluster_significance", refuse)
    assert client.get(f"/map?{WINTER}&area=borough").status_code == 200


def test_table_and_csv_mark_the_hotspots_that_could_be_chance(client, library_verdicts):
    rows = list(csv.DictReader(io.StringIO(client.get(f"/clusters.csv?{WINTER}").get_data(True))))
    assert [int(r["cluster_id"]) for r in rows] == list(library_verdicts.index)
    for r in rows:
        verdict = bool(library_verdicts.loc[int(r["cluster_id"]), "significant"])
        assert r["significant"] == str(verdict)
        assert r["chance_test"] == carto.CHANCE_WORDS[verdict]
        assert float(r["q_value"]) == pytest.approx(
            library_verdicts.loc[int(r["cluster_id"]), "q_value"]
        )
    page = client.get(f"/clusters?{WINTER}").get_data(True)
    weak = [int(c) for c in library_verdicts.index[~library_verdicts["significant"]]]
    assert page.count('<tr class="chance">') == len(weak)
    for cid in weak:
        assert f'<tr class="chance">\n      <th scope="row">{cid}</th>' in page
    assert 'id="chance-note"' in page and "999 simulated boroughs" in page


def test_map_frame_draws_them_dashed_with_a_legend_entry_and_says_why_in_the_popup(
    client, library_verdicts
):
    frame = client.get(f"/map/frame?{WINTER}&area=borough").get_data(True)
    weak = int((~library_verdicts["significant"]).sum())
    assert frame.count('"_chance": "chance"') == weak
    assert frame.count('"className": "hotspot-label hotspot-label-chance"') == weak  # dashed label
    assert "not more than chance (q \\u0026gt; 0.05)" in frame  # the legend (HTML in a JSON string)
    assert "Chance test (999 simulations, FDR 5%)" in frame
    assert frame.count("Not more than chance: ") == weak  # the popup, in words
    assert "Check before sending patrols" in frame
    assert f'"dashArray": "{" ".join(str(v) for v in carto.CHANCE_DASH)}"' in frame


def test_a_period_with_no_chance_hotspot_draws_none_dashed(demo, make_app):
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.significance import significance_for

    client = make_app().test_client()
    tested = significance_for(demo, hotspots_for(demo, season="autumn", financial_year="2018-19"))
    assert tested["significant"].all()  # the library says so for autumn 2018-19
    frame = client.get("/map/frame?fy=2018-19&season=autumn&area=borough").get_data(True)
    assert (
        '"_chance": "chance"' not in frame and '"hotspot-label hotspot-label-chance"' not in frame
    )
    assert (
        "Chance test (999 simulations, FDR 5%)" in frame
    )  # the legend still says what dashes mean
    assert "More than chance: " in frame


def test_chance_test_follows_the_analysts_clustering_settings(make_app):
    app = make_app()
    store = app.extensions["hotspots_store"]
    from webapp.selection import Selection

    plain = store.chance(Selection("2018-19", "winter"))
    tuned = store.chance(Selection("2018-19", "winter", min_samples=5))
    assert plain is store.chance(
        Selection("2018-19", "winter", area="ward:Abbey")
    )  # one per period
    assert plain is not tuned and len(tuned) > len(plain)  # more, smaller hotspots tested


def test_web_tasking_sheet_carries_the_chance_test_and_the_accuracy_sentence(
    client, library_verdicts, demo
):
    """/tasking, its CSV and its PDF: the same verdicts as the map, and last season's accuracy."""
    import pypdfium2 as pdfium

    from hotspots.analysis.backtest import previous_window_accuracy

    rows = list(csv.DictReader(io.StringIO(client.get(f"/tasking.csv?{WINTER}").get_data(True))))
    got = {int(r["cluster_id"]): r for r in rows}
    assert sorted(got) == sorted(library_verdicts.index)
    for cid, row in library_verdicts.iterrows():
        assert got[cid]["chance_test"] == carto.CHANCE_WORDS[bool(row["significant"])]
        assert float(got[cid]["q_value"]) == pytest.approx(row["q_value"])
    from hotspots.analysis.cluster import ClusterParams

    sentence = previous_window_accuracy(demo, season="winter", financial_year="2018-19",
                                        params=ClusterParams(min_samples=MIN_SAMPLES))["sentence"]  # fmt: skip
    page = client.get(f"/tasking?{WINTER}").get_data(True)
    assert sentence in html.unescape(page) and carto.CHANCE_WORDS[False] in page
    pdf = pdfium.PdfDocument(client.get(f"/tasking.pdf?{WINTER}").get_data())
    text = " ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Chance" in text and "PAI" in " ".join(text.split())
