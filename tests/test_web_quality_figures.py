"""Hotspot quality where people read it: ward rates on /wards, the ``significant``
mark on the tasking sheet."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

SELECTION = "fy=2018-19&season=autumn&area=borough"


@pytest.fixture(scope="module")
def open_app(app):
    """Login off, the demo data and its (made-up) population table (the shared demo app)."""
    return app


def _demo_population() -> dict[str, float]:
    from boundaries import get_path

    text = get_path("demo-population").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(text) if line.startswith("Ward Code"))
    rows = csv.DictReader(text[start:])
    return {r["Ward Name"]: float(r["All Ages"].replace(",", "")) for r in rows}


def test_wards_page_shows_rates_per_1000_from_the_population(open_app):
    client = open_app.test_client()
    html = client.get(f"/wards?{SELECTION}").get_data(True)
    assert ">population</th>" in html and ">rate 2018-19</th>" in html
    assert "per 1,000 residents" in html
    table = pd.read_csv(io.StringIO(client.get(f"/wards.csv?{SELECTION}").get_data(True)))
    population = _demo_population()
    wards = table[table["ward"] != "Grand Total"]
    assert set(wards["ward"]) == set(population)
    expected = (1000 * wards["2018-19"] / wards["ward"].map(population)).round(2)
    assert wards["rate 2018-19"].tolist() == pytest.approx(expected.tolist())
    total = table[table["ward"] == "Grand Total"].iloc[0]
    assert total["population"] == pytest.approx(sum(population.values()))
    assert total["rate 2018-19"] == pytest.approx(
        round(1000 * total["2018-19"] / total["population"], 2)
    )
    # the page shows the same figure, two decimals, in the ward's row
    first = wards.iloc[0]
    row = re.search(rf">{re.escape(first['ward'])}</th>(.*?)</tr>", html, re.S).group(1)
    assert f">{first['rate 2018-19']:.2f}</td>" in row
    assert f">{first['population']:,.0f}</td>" in row


def test_wards_table_has_no_rate_without_a_population():
    from hotspots.loader import DataSpec, load
    from webapp import results
    from webapp.selection import parse_selection

    prepared = load(DataSpec())
    args = {"fy": "2018-19", "season": "autumn", "area": "borough"}
    sel = parse_selection(args, results.choices_for(prepared))
    table = results.ward_table_for(prepared, sel)
    assert "population" not in table.columns
    assert not [c for c in table.columns if str(c).startswith("rate ")]


# --------------------------------------------------------------------------- chance test on the sheet


@pytest.fixture(scope="module")
def marked(demo):
    """The autumn sheet with a hand-set ``significant`` column: alternate rows pass."""
    from hotspots.outputs.tasking import tasking

    sheet, clusters = tasking(demo, season="autumn", financial_year="2018-19")
    assert len(sheet) >= 2, "the demo autumn sheet needs two hotspots for this test"
    sheet = sheet.copy()
    sheet["significant"] = [i % 2 == 0 for i in range(len(sheet))]
    return sheet, clusters


def _pdf_text(path) -> str:
    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return " ".join(text.split())


def test_sheet_pdf_and_html_mark_each_hotspot_and_explain_the_test(demo, marked, tmp_path):
    from hotspots.outputs.tasking import write_sheet
    from hotspots.outputs.tasking_table import CHANCE_MARKS

    sheet, clusters = marked
    kw = {"clusters": clusters, "wards": demo.wards, "title": "Autumn sheet",
          "note": "Data: demo.", "areas": demo.areas, "demo": True}  # fmt: skip
    from pypdf import PdfReader

    pdf = write_sheet(sheet, tmp_path / "s.pdf", **kw)
    pages = len(PdfReader(pdf).pages)
    text = _pdf_text(pdf)
    assert text.count("Monte Carlo") == pages  # the legend line on every page
    n_yes, n_no = int(sheet["significant"].sum()), int((~sheet["significant"]).sum())
    # each row, plus the legend line and the map's legend row on every page
    # ("more than chance" is inside "not more than chance": counted apart)
    no = text.count(CHANCE_MARKS[False])
    assert CHANCE_MARKS[False] == "not more than chance" and "not significant" not in text
    assert text.count(CHANCE_MARKS[True]) - no == n_yes + 2 * pages
    assert no == n_no + 2 * pages

    page = write_sheet(sheet, tmp_path / "s.html", **kw).read_text(encoding="utf-8")
    assert page.count(f"<td>{CHANCE_MARKS[True]}</td>") == n_yes
    assert page.count(f"<td>{CHANCE_MARKS[False]}</td>") == n_no
    assert "Monte Carlo" in page

    # without the column: no chance column and no legend line
    plain = _pdf_text(write_sheet(sheet.drop(columns="significant"), tmp_path / "p.pdf", **kw))
    assert "Chance test" not in plain and CHANCE_MARKS[False] not in plain


# --------------------------------------------------------------------------- previous window accuracy


def _expected_sentence(season: str, fy: str) -> str:
    from hotspots.analysis.backtest import previous_window_accuracy
    from hotspots.loader import DataSpec, load

    out = previous_window_accuracy(load(DataSpec()), season=season, financial_year=fy)
    assert out, "the demo holds the season before winter 2018-19"
    return out["sentence"]


def test_map_caption_says_how_the_previous_hotspots_did(open_app):
    import html as html_lib

    client = open_app.test_client()
    page = html_lib.unescape(
        client.get("/map?fy=2018-19&season=winter&area=borough").get_data(True)
    )
    sentence = _expected_sentence("winter", "2018-19")
    assert re.search(r"PAI \d+\)", sentence) and "autumn 2018" in sentence
    assert f'<p id="accuracy" class="summary">{sentence}.</p>' in page
    # all years: no previous window, so no sentence
    whole = client.get("/map?fy=all&season=all&area=borough")
    assert whole.status_code == 200
    assert "Hotspots: " in whole.get_data(True) and 'id="accuracy"' not in whole.get_data(True)


def test_tasking_sheet_carries_the_sentence(tmp_path):
    from click.testing import CliRunner

    from hotspots.cli import main

    out = tmp_path / "sheet.html"
    args = ["tasking", "--season", "winter", "--fy", "2018-19", "-o", str(out)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    sentence = _expected_sentence("winter", "2018-19")
    assert sentence + "." in result.output
    import html as html_lib

    assert sentence in html_lib.unescape(out.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- accuracy of a view

X0, Y0 = 404000.0, 267000.0


@pytest.fixture(scope="module")
def two_wards(tmp_path_factory):
    """Two 1 km wards side by side; autumn 2018 and winter 2019 incidents placed by hand.

    Autumn 2018 (the previous window), DBSCAN eps 50 m, min_samples 5:
    hotspot 1 = 10 incidents on one map point in ward A; hotspot 2 = 6 on a point
    in ward B 20 m east of the boundary and 3 on a point in ward A 20 m west of
    it (its busiest point is in B, so it lies in B, although its outline
    crosses into A); three lone incidents are noise.

    Winter 2019: ward A has 8 incidents, 3 on hotspot 1's point and 2 on
    hotspot 2's ward-A point; ward B has 8, 4 on hotspot 2's ward-B point.
    """
    import geopandas as gpd
    from shapely.geometry import box

    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents

    def rows(date, xy, n):
        return [
            f"{date},Rowdy or nuisance behaviour,{X0 + xy[0]:.0f},{Y0 + xy[1]:.0f},On or near Test Street"
        ] * n

    lines = ["reported_at,category,easting,northing,location"]
    autumn, winter = "15/10/2018 12:00", "15/01/2019 12:00"
    lines += (
        rows(autumn, (300, 500), 10) + rows(autumn, (1020, 500), 6) + rows(autumn, (980, 500), 3)
    )
    lines += (
        rows(autumn, (100, 100), 1) + rows(autumn, (1900, 900), 1) + rows(autumn, (600, 900), 1)
    )
    lines += rows(winter, (300, 500), 3) + rows(winter, (980, 500), 2) + rows(winter, (100, 900), 3)
    lines += rows(winter, (1020, 500), 4) + rows(winter, (1500, 100), 4)
    path = tmp_path_factory.mktemp("views") / "asb.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    wards = gpd.GeoDataFrame(
        {"ward_code": ["A01", "B01"], "ward_name": ["A", "B"]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
        crs=27700,
    )
    return prepare(read_incidents([path]), wards)


def test_view_accuracy_scores_the_study_area_hotspots_lying_in_the_view_by_hand(two_wards):
    import math

    from hotspots.analysis.backtest import previous_window_accuracy
    from hotspots.analysis.cluster import ClusterParams
    from hotspots.analysis.hotspots import hotspots_for

    params = ClusterParams(eps_m=50, min_samples=5)
    kw = {"season": "winter", "financial_year": "2018-19", "params": params}
    before = hotspots_for(two_wards, season="autumn", financial_year="2018-19", params=params)
    assert before["incidents"].tolist() == [10, 9] and before["ward"].tolist() == ["A", "B"]
    hull = dict(zip(before["cluster_id"], before.geometry))
    wards = two_wards.wards.set_index("ward_name").geometry

    a = previous_window_accuracy(two_wards, ward="A", **kw)
    assert a["hotspots"] == [1] and (a["hits"], a["incidents"]) == (3, 8)  # not the 2 in hotspot 2
    assert a["hit_rate"] == 3 / 8
    assert a["coverage"] == pytest.approx(hull[1].area / 1e6)  # of the ward: 1 km²
    assert a["coverage"] == pytest.approx(math.pi * 25**2 / 1e6, rel=0.02)  # a 25 m disc
    assert a["pai"] == pytest.approx(a["hit_rate"] / a["coverage"])
    assert a["sentence"] == (f"Hotspots drawn from autumn 2018 lying in A held 38% of winter 2019's "
                             f"incidents in A on {a['coverage']:.1%} of the ward (PAI {a['pai']:.0f})")  # fmt: skip

    b = previous_window_accuracy(two_wards, ward="B", **kw)
    assert b["hotspots"] == [2] and (b["hits"], b["incidents"]) == (4, 8) and b["hit_rate"] == 0.5
    # hotspot 2's outline is clipped to ward B: half a 25 m disc and a 20 m x 50 m strip
    assert b["coverage"] == pytest.approx(hull[2].intersection(wards["B"]).area / 1e6)
    assert b["coverage"] == pytest.approx((math.pi * 25**2 / 2 + 20 * 50) / 1e6, rel=0.02)
    assert hull[2].area > 1.5 * hull[2].intersection(wards["B"]).area

    whole = previous_window_accuracy(two_wards, **kw)  # the borough: both, of 2 km²
    assert "hotspots" not in whole and whole["sentence"].endswith(
        f"of the borough (PAI {whole['pai']:.0f})"
    )
    assert whole["hit_rate"] == (3 + 2 + 4) / 16


@pytest.mark.parametrize(("season", "fy", "before"), [("winter", "2018-19", ("autumn", "2018-19")),
                                                      ("autumn", "2018-19", ("summer", "2018-19")),
                                                      ("winter", "2017-18", ("autumn", "2017-18"))])  # fmt: skip
def test_every_demo_view_uses_the_study_area_hotspots_lying_in_it(demo, season, fy, before):
    from hotspots.analysis.backtest import previous_window_accuracy
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import select_incidents

    views = [{"ward": w} for w in demo.wards["ward_name"]] + [
        {"area": a} for a in demo.areas["name"]
    ]
    scored = 0
    for view in views:
        out = previous_window_accuracy(demo, season=season, financial_year=fy, **view)
        lying = hotspots_for(demo, season=before[0], financial_year=before[1], **view)
        now = select_incidents(demo.incidents, season=season, financial_year=fy, **view)
        if lying.empty or now.empty:
            assert out is None, (view, out)
            continue
        scored += 1
        assert out["hotspots"] == lying["cluster_id"].tolist(), view
        assert out["incidents"] == len(now)
        name = next(iter(view.values()))
        kind = "ward" if "ward" in view else "focus area"
        assert f"lying in {name} held" in out["sentence"] and out["sentence"].endswith(
            f"of the {kind} (PAI {out['pai']:.0f})"
        )
    assert scored >= 5


def test_ward_view_sentence_on_the_map_and_the_tasking_sheet(open_app, tmp_path):
    import html as html_lib

    from click.testing import CliRunner

    from hotspots.analysis.backtest import previous_window_accuracy
    from hotspots.cli import main
    from hotspots.loader import DataSpec, load

    out = previous_window_accuracy(load(DataSpec()), season="winter", financial_year="2018-19",
                                   ward="Abbey")  # fmt: skip
    assert out["sentence"].startswith("Hotspots drawn from autumn 2018 lying in Abbey held")
    page = open_app.test_client().get("/map?fy=2018-19&season=winter&area=ward:Abbey")
    assert f'<p id="accuracy" class="summary">{out["sentence"]}.</p>' in html_lib.unescape(
        page.get_data(True)
    )
    sheet = tmp_path / "abbey.html"
    args = ["tasking", "--season", "winter", "--fy", "2018-19", "--ward", "Abbey", "-o", str(sheet)]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out["sentence"] + "." in result.output
    assert out["sentence"] in html_lib.unescape(sheet.read_text(encoding="utf-8"))
