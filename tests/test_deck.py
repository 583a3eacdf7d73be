"""The panel deck (``hotspots report``, ``/report.pptx``): opened with python-pptx and checked
against the numbers it was made from; each slide rendered via the PDF into tests/artifacts."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from pptx import Presentation
from shapely.geometry import box

from boundaries import get_path
from hotspots.cli import main
from hotspots.loader import DataSpec, load
from hotspots.outputs._slides import pdf_bytes
from hotspots.outputs.deck import TITLES, build_deck
from hotspots.outputs.panel import (
    PARTNERSHIP_TOTAL,
    district_sentence,
    district_table,
    incident_type_table,
)
from hotspots.read.qualifiers import read_qualifiers

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DEMO_TITLES = [
    "Anti-social behaviour: the demo borough",
    TITLES["types"],
    TITLES["seasonal"],
    TITLES["wards"],
    TITLES["where"],
    TITLES["patterns"],
    TITLES["limits"],
]


def titles(prs) -> list[str]:
    return [s.shapes.title.text for s in prs.slides]


def tables(slide) -> list[list[list[str]]]:
    out = []
    for shape in slide.shapes:
        if shape.has_table:
            t = shape.table
            out.append([[t.cell(i, j).text for j in range(len(t.columns))]
                        for i in range(len(t.rows))])  # fmt: skip
    return out


def text_of(slide) -> str:
    return "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)


def number(cell: str) -> float:
    cell = cell.replace(",", "").replace("%", "").replace("+", "")
    return float(cell) if cell else float("nan")


def slide_by_title(prs, title: str):
    return next(s for s in prs.slides if s.shapes.title.text.startswith(title))


def render_pages(pdf: bytes, stem: str) -> list[Path]:
    """Each PDF page as a PNG in tests/artifacts (what a panel member would see)."""
    import pypdfium2 as pdfium

    ARTIFACTS.mkdir(exist_ok=True)
    doc = pdfium.PdfDocument(pdf)
    paths = []
    for i in range(len(doc)):
        path = ARTIFACTS / f"{stem}_{i + 1:02d}.png"
        doc[i].render(scale=1.2).to_pil().save(path)
        paths.append(path)
    return paths


def cut_cells(prs) -> list[tuple[str, str, float, float]]:
    """Table cells whose text is wider than their column (in DejaVu Sans, the PDF's font)."""
    from matplotlib import font_manager
    from PIL import ImageFont

    regular = font_manager.findfont("DejaVu Sans")
    bold = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans", weight="bold"))
    out = []
    for slide in prs.slides:
        for shape in slide.shapes:
            if not shape.has_table:
                continue
            t = shape.table
            for row in t.rows:
                for j, cell in enumerate(row.cells):
                    para = cell.text_frame.paragraphs[0]
                    pt = para.font.size.pt if para.font.size else 12
                    font = ImageFont.truetype(bold if para.font.bold else regular, size=100)
                    need = font.getlength(cell.text) / 100 * pt / 72 + 0.1  # padding
                    width = t.columns[j].width / 914400
                    if need > width:
                        out.append((slide.shapes.title.text, cell.text, round(need, 2), width))
    return out


@pytest.fixture(scope="module")
def demo_deck(tmp_path_factory):
    out = tmp_path_factory.mktemp("deck") / "panel.pptx"
    result = CliRunner().invoke(main, ["report", "--fy", "2018-19", "--dpi", "60", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


# --------------------------------------------------------------------------- the demo deck


def test_demo_deck_has_the_panel_slides_in_order(demo_deck):
    prs = Presentation(str(demo_deck[0]))
    assert titles(prs) == DEMO_TITLES
    assert "7 slides written" in demo_deck[1]
    # Charts are native PowerPoint charts, maps pictures; tables are real tables (editable).
    seasonal = slide_by_title(prs, TITLES["seasonal"])
    assert any(s.has_chart for s in seasonal.shapes)
    assert not any(s.shape_type == 13 for s in seasonal.shapes)  # no PICTURE
    assert any(s.shape_type == 13 for s in slide_by_title(prs, TITLES["where"]).shapes)
    assert tables(slide_by_title(prs, TITLES["wards"]))
    assert cut_cells(prs) == []
    # Licence on every slide; nothing hangs off a slide.
    for slide in prs.slides:
        assert "Open Government Licence" in text_of(slide)
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, shape.name
            assert shape.left + shape.width <= prs.slide_width, (
                slide.shapes.title.text,
                shape.name,
            )
            assert shape.top + shape.height <= prs.slide_height, (
                slide.shapes.title.text,
                shape.name,
            )


def test_ward_table_cells_equal_hotspots_wards_output(demo_deck, tmp_path):
    out = tmp_path / "wards.csv"
    result = CliRunner().invoke(main, ["wards", "-o", str(out)])
    assert result.exit_code == 0, result.output
    expected = list(csv.reader(out.open(encoding="utf-8")))
    header, rows = expected[0], expected[1:]
    (table,) = tables(slide_by_title(Presentation(str(demo_deck[0])), TITLES["wards"]))
    assert table[0] == ["Ward", "2017-18", "2018-19", "Difference", "Percentage"]
    # The council's columns of `hotspots wards` (it may add more, e.g. rates per 1,000).
    cols = [header.index(h.lower()) for h in table[0]]
    rows = [[r[c] for c in cols] for r in rows]
    assert len(table) - 1 == len(rows) == 13
    for got, want in zip(table[1:], rows):
        assert got[0] == want[0]
        for g, w in zip(got[1:], want[1:]):
            if w == "":
                assert g == ""
            else:
                assert number(g) == pytest.approx(float(w)), (got, want)
    assert table[-1][0] == "Grand Total"


def test_incident_type_counts_equal_a_direct_count(demo_deck):
    raw = pd.read_csv(get_path("demo-incidents"), dtype=str)
    prepared = load(DataSpec())
    inc = prepared.incidents
    (table,) = tables(slide_by_title(Presentation(str(demo_deck[0])), TITLES["types"]))
    assert table[0] == ["Type", "2017-18", "2018-19", "Mean", "Mean %"]
    for year in ("2017-18", "2018-19"):
        direct = inc.loc[inc["financial_year"] == year, "category"].value_counts()
        col = table[0].index(year)
        got = {row[0]: number(row[col]) for row in table[1:-1]}
        assert got == {k: float(v) for k, v in direct.items()}
        assert number(table[-1][col]) == direct.sum()
    # Every category of the export is in the table.
    assert {row[0] for row in table[1:-1]} == set(raw["category"].dropna())
    shares = [number(r[4]) for r in table[1:-1]]
    assert sum(shares) == pytest.approx(100, abs=len(shares))


def test_seasonal_text_names_the_peak_month_and_its_share(demo_deck):
    prepared = load(DataSpec())
    inc = prepared.incidents
    fy = inc[inc["financial_year"] == "2018-19"]
    counts = fy["month"].value_counts()
    peak = counts.idxmax()
    label = pd.Timestamp(f"{peak}-01").strftime("%B %Y")
    text = text_of(slide_by_title(Presentation(str(demo_deck[0])), TITLES["seasonal"]))
    pct = round(100 * counts.max() / len(fy))
    assert f"Highest in {label}: {counts.max():,} incidents, {pct}%" in text
    halloween = int(fy["halloween"].sum())
    assert f"half-term window (20 Oct to 5 Nov): {halloween:,} incidents" in text


def test_where_slide_names_the_largest_hotspot(demo_deck):
    text = text_of(slide_by_title(Presentation(str(demo_deck[0])), TITLES["where"]))
    assert "1 Unicorn Hill / Market Place (Abbey ward" in text  # the map's label
    assert re.search(r"\d+ hotspots hold [\d,]+ of [\d,]+ incidents", text)


# --------------------------------------------------------------------------- districts


def _district_fixture(tmp_path: Path, counts: dict[str, tuple[int, int]]) -> list[Path]:
    """Two districts of one square ward each; a council export with the given yearly counts."""
    paths = []
    rows = ["Ref,Date,Type,Easting,Northing,Youth,Drugs,Alcohol"]
    n = 0
    for i, (district, (before, after)) in enumerate(counts.items()):
        x0 = 400000 + i * 5000
        wards = gpd.GeoDataFrame({"WD13CD": [f"E0500000{i}"], "WD13NM": [f"{district} Central"]},
                                 geometry=[box(x0, 260000, x0 + 2000, 262000)], crs=27700)  # fmt: skip
        path = tmp_path / f"{district.lower().replace(' ', '-')}.geojson"
        wards.to_crs(4326).to_file(path, driver="GeoJSON")
        paths.append(path)
        for year, count in ((2017, before), (2018, after)):
            for k in range(count):
                n += 1
                youth = "Y" if k % 2 == 0 else ""
                drugs = "Yes" if k % 3 == 0 else ""
                rows.append(f"C{n},{1 + k % 28:02d}/07/{year} 21:00,Youths,{x0 + 1000 + k % 7},"
                            f"{261000 + k % 5},{youth},{drugs},")  # fmt: skip
    export = tmp_path / "council.csv"
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return [export, *paths]


def test_district_table_sums_and_sentence_with_one_district_rising(tmp_path):
    export, *wards = _district_fixture(tmp_path, {"Northtown": (30, 20), "Southvale": (10, 14)})
    out = tmp_path / "panel.pptx"
    args = ["report", str(export)]
    for w in wards:
        args += ["--wards", str(w)]
    result = CliRunner().invoke(main, [*args, "--fy", "2018-19", "--dpi", "50", "-o", str(out)])
    assert result.exit_code == 0, result.output
    prs = Presentation(str(out))
    assert titles(prs)[-2] == TITLES["districts"]
    assert titles(prs)[0] == "Anti-social behaviour: Northtown and Southvale"
    slide = slide_by_title(prs, TITLES["districts"])
    (table,) = tables(slide)
    assert table[0] == ["District", "2017-18", "2018-19", "Difference", "Percentage"]
    body = {r[0]: [number(c) for c in r[1:]] for r in table[1:-1]}
    assert body == {"Northtown": [30, 20, -10, -33], "Southvale": [10, 14, 4, 40]}
    total = table[-1]
    assert total[0] == PARTNERSHIP_TOTAL
    for col in (1, 2, 3):
        assert number(total[col]) == sum(v[col - 1] for v in body.values())
    text = text_of(slide)
    assert "All districts recorded a reduction" not in text
    assert "Northtown (-10, -33%) recorded a reduction" in text
    assert "Southvale (+4, +40%) recorded a rise" in text
    # Qualifier flags were detected and counted as a direct count gives them.
    # The qualifiers have a slide of their own (beside the type table they ran off the slide).
    assert titles(prs)[1:3] == [TITLES["types"], f"{TITLES['types']}: youth, drugs and alcohol"]
    q = next(t for s in prs.slides for t in tables(s) if t[0][0] == "Qualifier")
    rows = {r[0]: r for r in q}
    youth_2018 = sum(len(range(0, c, 2)) for c in (20, 14))
    drugs_2018 = sum(len(range(0, c, 3)) for c in (20, 14))
    assert number(rows["Youth"][3]) == youth_2018
    assert number(rows["Drugs"][3]) == drugs_2018
    assert number(rows["Any qualifier"][3]) == youth_2018 + sum(
        len([k for k in range(c) if k % 3 == 0 and k % 2]) for c in (20, 14))  # fmt: skip


def test_district_sentence_is_true_to_the_numbers():
    def table(before, after):
        inc = pd.DataFrame({
            "ward": [w for w, n in zip("AB", before) for _ in range(n)]
            + [w for w, n in zip("AB", after) for _ in range(n)],
            "financial_year": ["2017-18"] * sum(before) + ["2018-19"] * sum(after),
        })  # fmt: skip
        return district_table(inc, pd.Series({"A": "Alpha", "B": "Beta"}), ["2017-18", "2018-19"])

    years = ["2017-18", "2018-19"]
    assert district_sentence(table((5, 5), (3, 4)), years).startswith(
        "All districts recorded a reduction")  # fmt: skip
    assert district_sentence(table((5, 5), (6, 9)), years).startswith(
        "All districts recorded a rise"
    )
    mixed = district_sentence(table((5, 5), (3, 5)), years)
    assert "All districts" not in mixed
    assert "Alpha (-2, -40%) recorded a reduction; Beta recorded no change" in mixed
    t = table((5, 5), (3, 5))
    assert t.iloc[-1]["2018-19"] == t.iloc[:-1]["2018-19"].sum()


def test_incident_types_ignore_police_rows():
    inc = pd.DataFrame({
        "category": ["Anti-social behaviour", "Youths", "Youths"],
        "financial_year": ["2018-19"] * 3,
        "date_precision": ["month", "day", "datetime"],
    })  # fmt: skip
    table = incident_type_table(inc, ["2018-19"])
    assert table["type"].tolist() == ["Youths", "Total"]
    assert table["2018-19"].tolist() == [2, 2]


def test_read_qualifiers_matches_line_numbers_with_quoted_newlines(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('Ref,Date,Notes,Flags\nA,1/10/2018,"two\nlines",Youth\n\nB,2/10/2018,x,'
                    '"drugs, alcohol"\n', encoding="utf-8")  # fmt: skip
    q = read_qualifiers([path])
    assert q["line"].tolist() == [2, 5]
    assert q[["youth", "drugs", "alcohol"]].values.tolist() == [[True, False, False],
                                                                [False, True, True]]  # fmt: skip


# --------------------------------------------------------------------------- errors


def test_report_errors_say_what_to_fix(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(main, ["report", "--fy", "2018-19", "-o", str(tmp_path / "x.docx")])
    assert bad.exit_code != 0 and ".pptx" in bad.output and "Traceback" not in bad.output
    none = runner.invoke(main, ["report", "--fy", "2012-13", "-o", str(tmp_path / "x.pptx")])
    assert none.exit_code != 0
    assert "no incidents in that financial year" in none.output and "2018-19" in none.output
    col = runner.invoke(main, ["report", "--fy", "2018-19", "--column", "youth=NOPE",
                               "-o", str(tmp_path / "y.pptx")])  # fmt: skip
    assert col.exit_code != 0 and "NOPE" in col.output


# --------------------------------------------------------------------------- web


def test_web_deck_is_for_analysts(tmp_path):
    from tests.test_webapp import PASSWORD, login
    from webapp import create_app
    from webapp.users import add_user

    db = tmp_path / "users.sqlite"
    add_user(db, "viewer1", PASSWORD, role="viewer")
    add_user(db, "analyst1", PASSWORD, role="analyst")
    app = create_app({"TESTING": True, "SECRET_KEY": "s", "HOTSPOTS_USERS_DB": str(db)})
    client = app.test_client()
    assert client.get("/report.pptx?fy=2018-19").status_code == 302  # to the login page
    login(client, "viewer1")
    assert client.get("/report.pptx?fy=2018-19").status_code == 403
    client = app.test_client()
    login(client, "analyst1")
    assert client.get("/report.pptx?fy=all").status_code == 400
    response = client.get("/report.pptx?fy=2018-19")
    assert response.status_code == 200
    assert response.mimetype.endswith("presentationml.presentation")
    prs = Presentation(io.BytesIO(response.data))
    assert titles(prs) == DEMO_TITLES


# --------------------------------------------------------------------------- real data


@pytest.mark.shared
def test_real_north_worcestershire_deck_has_three_districts(shared_data, tmp_path):
    police = sorted((shared_data / "police-uk" / "west-mercia").glob("*.csv"))
    wards = [shared_data / "wards" / f"{d}.geojson" for d in ("bromsgrove", "redditch",
                                                              "wyre-forest")]  # fmt: skip
    out = tmp_path / "panel.pdf"
    args = ["report", *map(str, police)]
    for w in wards:
        args += ["--wards", str(w)]
    result = CliRunner().invoke(main, [*args, "--fy", "2018-19", "--dpi", "150", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "2018-19: Oct 2018 to Feb 2019 only (5 of 12 months)" in result.output
    pptx = tmp_path / "panel.pptx"
    again = CliRunner().invoke(main, [*args, "--fy", "2018-19", "--dpi", "60", "-o", str(pptx)])
    assert again.exit_code == 0, again.output
    prs = Presentation(str(pptx))
    names = titles(prs)
    assert names[0] == "Anti-social behaviour: Bromsgrove, Redditch and Wyre Forest"
    assert names[-2:] == [TITLES["districts"], TITLES["limits"]]
    order = [next(i for i, t in enumerate(names) if t.startswith(TITLES[k]))
             for k in ("types", "seasonal", "wards", "where", "districts", "limits")]  # fmt: skip
    assert order == sorted(order)
    assert [t for t in names if t.startswith(TITLES["where"])] == [
        "Where? Bromsgrove", "Where? Redditch", "Where? Wyre Forest"]  # fmt: skip
    slide = slide_by_title(prs, TITLES["districts"])
    (table,) = tables(slide)
    assert [r[0] for r in table] == ["District", "Bromsgrove", "Redditch", "Wyre Forest",
                                     PARTNERSHIP_TOTAL]  # fmt: skip
    assert table[0] == ["District", "2018-19"]  # one (part) year: no invented comparison
    values = [number(r[1]) for r in table[1:]]
    assert sum(values[:-1]) == values[-1] > 0
    text = text_of(slide)
    assert "No earlier year in the data to compare with" in text
    assert "reduction" not in text and "rise" not in text
    assert "Oct 2018 to Feb 2019 only (5 of 12 months)" in text
    # Redditch's ASB rows as the data README counts them (LSOA name "Redditch ..."), give or
    # take the few per cent that generalised boundaries move between districts.
    assert abs(values[1] - (250 + 199 + 228 + 213 + 265)) <= 0.03 * 1155
    types = text_of(slide_by_title(prs, TITLES["types"]))
    assert "police.uk publishes ASB without a type" in types
    assert "council export" in types and "gives this table" not in types
    assert "part year" in text_of(prs.slides[0]).lower()
    pages = render_pages(out.read_bytes(), "report_north_worcs")
    assert cut_cells(prs) == []
    assert len(pages) == len(prs.slides)
    assert all(p.stat().st_size > 10_000 for p in pages)


def test_demo_pdf_pages_render(tmp_path):
    """The PDF is the same deck: one page per slide, drawn (not blank)."""
    prepared = load(DataSpec())
    deck = build_deck(prepared, financial_year="2018-19", title="the demo borough", demo=True,
                      dpi=100)  # fmt: skip
    assert deck.titles == DEMO_TITLES
    pages = render_pages(pdf_bytes(deck), "report_demo")
    assert len(pages) == len(deck.slides)
    from PIL import Image

    for page in pages:
        with Image.open(page) as im:
            pixels = np.asarray(im.convert("L"))
        assert (pixels < 128).mean() > 0.002, page  # there is text on it


def _one_ward_deck(tmp_path: Path, dates: list[str]) -> Presentation:
    wards = gpd.GeoDataFrame({"WD13CD": ["E05000001"], "WD13NM": ["Middle"]},
                             geometry=[box(400000, 260000, 402000, 262000)], crs=27700)  # fmt: skip
    wpath = tmp_path / "testshire.geojson"
    wards.to_crs(4326).to_file(wpath, driver="GeoJSON")
    rows = ["Ref,Date,Type,Easting,Northing"]
    rows += [f"R{i},{d},Youths,401000,261000" for i, d in enumerate(dates)]
    export = tmp_path / "council.csv"
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "panel.pptx"
    result = CliRunner().invoke(main, ["report", str(export), "--wards", str(wpath), "--fy",
                                       "2018-19", "--dpi", "40", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    return Presentation(str(out))


def test_part_year_is_compared_like_for_like(tmp_path):
    """A part year against the same months of the year before, never against a whole year."""
    dates = ["15/10/2017"] * 6 + ["15/01/2018"] * 30 + ["15/10/2018"] * 4
    prs = _one_ward_deck(tmp_path, dates)
    assert titles(prs)[0] == "Anti-social behaviour: Testshire"
    slide = slide_by_title(prs, TITLES["wards"])
    (table,) = tables(slide)
    assert table[-1][:4] == ["Grand Total", "6", "4", "-2"]  # October against October
    assert "2017-18 is counted over the same months (Oct)" in text_of(slide)


def test_year_before_missing_some_months_compares_the_months_both_hold(tmp_path):
    dates = ["15/10/2017"] * 6 + ["15/10/2018"] * 4 + ["15/11/2018"] * 9
    prs = _one_ward_deck(tmp_path, dates)
    slide = slide_by_title(prs, TITLES["wards"])
    (table,) = tables(slide)
    header, total = table[0], table[-1]
    assert header[1:3] == ["2017-18", "2018-19"]
    assert total[1:3] == ["6", "13"]
    # The change is October against October, in columns of their own.
    assert header[-2:] == ["Difference", "Percentage"]
    assert total[-2:] == ["-2", "-33%"]
    text = text_of(slide)
    assert "The data holds only 1 of those months of 2017-18" in text
    assert "-2" in text and "+7" not in text


def test_district_table_compares_the_months_both_years_hold(tmp_path):
    export, *wards = _district_fixture(tmp_path, {"Northtown": (30, 20), "Southvale": (10, 14)})
    extra = tmp_path / "november.csv"
    extra.write_text("Ref,Date,Type,Easting,Northing\n"
                     + "".join(f"N{i},10/11/2018,Youths,401000,261000\n" for i in range(50)),
                     encoding="utf-8")  # fmt: skip
    out = tmp_path / "panel.pptx"
    args = ["report", str(export), str(extra)]
    for w in wards:
        args += ["--wards", str(w)]
    result = CliRunner().invoke(main, [*args, "--fy", "2018-19", "--dpi", "40", "-o", str(out)])
    assert result.exit_code == 0, result.output
    slide = slide_by_title(Presentation(str(out)), TITLES["districts"])
    (table,) = tables(slide)
    assert table[0][1:3] == ["2017-18 Jul", "2018-19 Jul"]
    assert [r[1:4] for r in table[1:]] == [["30", "20", "-10"], ["10", "14", "+4"],
                                          ["40", "34", "-6"]]  # fmt: skip
    assert "compared over the months both hold: Jul" in text_of(slide)
