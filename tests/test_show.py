"""Issue 10's figures where people read them: ward rates on /wards, the ``significant``
mark on the tasking sheet."""

from __future__ import annotations

import csv
import io
import re

import pandas as pd
import pytest

from webapp import create_app

SELECTION = "fy=2018-19&season=autumn&area=borough"


@pytest.fixture(scope="module")
def open_app():
    """Login off, the demo data and its (made-up) population table."""
    return create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False})


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
    assert total["rate 2018-19"] == pytest.approx(round(1000 * total["2018-19"] / total["population"], 2))
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
    from hotspots.tasking import tasking

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
    from hotspots.export import CHANCE_MARKS, write_sheet

    sheet, clusters = marked
    kw = {"clusters": clusters, "wards": demo.wards, "title": "Autumn sheet",
          "note": "Data: demo.", "areas": demo.areas, "demo": True}  # fmt: skip
    from pypdf import PdfReader

    pdf = write_sheet(sheet, tmp_path / "s.pdf", **kw)
    pages = len(PdfReader(pdf).pages)
    text = _pdf_text(pdf)
    assert text.count("Monte Carlo") == pages  # the legend line on every page
    n_yes, n_no = int(sheet["significant"].sum()), int((~sheet["significant"]).sum())
    assert text.count(CHANCE_MARKS[True]) == n_yes + pages  # each row, plus the legend line
    assert text.count(CHANCE_MARKS[False]) == n_no + pages

    page = write_sheet(sheet, tmp_path / "s.html", **kw).read_text(encoding="utf-8")
    assert page.count(f"<td>{CHANCE_MARKS[True]}</td>") == n_yes
    assert page.count(f"<td>{CHANCE_MARKS[False]}</td>") == n_no
    assert "Monte Carlo" in page

    # without the column: no chance column and no legend line
    plain = _pdf_text(write_sheet(sheet.drop(columns="significant"), tmp_path / "p.pdf", **kw))
    assert "Chance test" not in plain and CHANCE_MARKS[False] not in plain


# --------------------------------------------------------------------------- previous window accuracy


def _expected_sentence(season: str, fy: str) -> str:
    from hotspots.evaluate import previous_window_accuracy
    from hotspots.loader import DataSpec, load

    out = previous_window_accuracy(load(DataSpec()), season=season, financial_year=fy)
    assert out, "the demo holds the season before winter 2018-19"
    return out["sentence"]


def test_map_caption_says_how_the_previous_hotspots_did(open_app):
    import html as html_lib

    client = open_app.test_client()
    page = html_lib.unescape(client.get("/map?fy=2018-19&season=winter&area=borough").get_data(True))
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
