"""The committee deck over several financial years (issue 20): native charts, the ward table of
the last two years, incident-type means, districts from a police.uk force file, and what the deck
says with one year only. Every deck is opened with python-pptx and checked against a direct count.
"""

from __future__ import annotations

import csv
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
from tests.test_deck import cut_cells, number, render_pages, slide_by_title, tables, text_of

MONTHS = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
FIVE_YEARS = ["2014-15", "2015-16", "2016-17", "2017-18", "2018-19"]
_DATE = re.compile(r"\b(\d{1,2}/\d{1,2}/)(\d{4})\b")


def shifted_demo_export(path: Path) -> Path:
    """Five financial years of council rows: the demo's 2018-19 rows moved back 0 to 4 years.

    Each earlier copy keeps a different share of the rows, so the years differ.
    """
    with get_path("demo-incidents").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    col = header.index("reported_at")

    def fy_2018_19(cell: str) -> bool:
        m = re.match(r"(\d{1,2})/(\d{1,2})/(\d{4})", cell)
        if not m:
            return False
        month, year = int(m.group(2)), int(m.group(3))
        return (year, month) >= (2018, 4) and (year, month) <= (2019, 3)

    chosen = [r for r in body if fy_2018_19(r[col])]
    out = [header]
    for back in range(5):
        for i, r in enumerate(chosen):
            if back and i % (back + 3) == 0:
                continue
            r = list(r)
            r[col] = _DATE.sub(
                lambda m, back=back: m.group(1) + str(int(m.group(2)) - back), r[col]
            )
            r[0] = f"{r[0]}-{back}"
            out.append(r)
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(out)
    return path


@pytest.fixture(scope="module")
def five_year_deck(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("five")
    export = shifted_demo_export(tmp / "council.csv")
    wards = get_path("demo-wards")
    out = tmp / "panel.pptx"
    args = ["report", str(export), "--wards", str(wards), "--fy", "2018-19", "--dpi", "50"]
    result = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    pdf = tmp / "panel.pdf"
    again = CliRunner().invoke(main, [*args, "-o", str(pdf)])
    assert again.exit_code == 0, again.output
    prepared = load(DataSpec(inputs=(export,), wards=wards))
    return Presentation(str(out)), prepared, export, wards, pdf


def seasonal_chart(prs):
    slide = slide_by_title(prs, "Seasonal patterns")
    assert not any(s.shape_type == 13 for s in slide.shapes), "the chart is a picture"
    (frame,) = [s for s in slide.shapes if s.has_chart]
    return slide, frame.chart


def test_seasonal_slide_holds_a_native_chart_with_a_series_per_year(five_year_deck):
    prs, prepared, *_ = five_year_deck
    slide, chart = seasonal_chart(prs)
    assert list(chart.plots[0].categories) == MONTHS
    series = list(chart.plots[0].series)
    names = [s.name.replace(" (this report)", "") for s in series]
    assert names == FIVE_YEARS
    assert series[-1].name == "2018-19 (this report)"
    inc = prepared.incidents
    for fy, s in zip(FIVE_YEARS, series):
        direct = inc[inc["financial_year"] == fy]["month_num"].value_counts()
        want = [float(direct.get(m, 0)) for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
        assert list(s.values) == want, fy
    # Five series told apart by colour AND by marker and dash; the report year thickest.
    looks = [(str(s.format.line.color.rgb), s.marker.style, s.format.line.dash_style)
             for s in series]  # fmt: skip
    assert len({c for c, _, _ in looks}) == 5
    assert len({m for _, m, _ in looks}) == 5
    assert len({d for _, _, d in looks}) == 5
    widths = [s.format.line.width for s in series]
    assert widths[-1] == max(widths) and widths.count(widths[-1]) == 1
    # The footer names the first and last month drawn.
    text = text_of(slide)
    assert "Apr 2014" in text and "Mar 2019" in text
    assert re.search(r"Months drawn: Apr 2014 to Mar 2019", text)


def test_ward_table_equals_hotspots_wards_for_the_last_two_years(five_year_deck, tmp_path):
    prs, _, export, wards, _ = five_year_deck
    out = tmp_path / "wards.csv"
    result = CliRunner().invoke(main, ["wards", str(export), "--wards", str(wards), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as f:
        expected = list(csv.reader(f))
    header = expected[0]
    assert set(FIVE_YEARS) <= set(header)  # the CSV has every year; the slide the last two
    (table,) = tables(slide_by_title(prs, "Ward patterns"))
    assert table[0] == ["Ward", "2017-18", "2018-19", "Difference", "Percentage"]
    cols = [header.index(h.lower()) for h in table[0]]
    rows = [[r[c] for c in cols] for r in expected[1:]]
    assert len(table) - 1 == len(rows)
    for got, want in zip(table[1:], rows):
        assert got[0] == want[0]
        for g, w in zip(got[1:], want[1:]):
            assert (g == "") if w == "" else number(g) == pytest.approx(float(w)), (got, want)


def test_incident_type_means_equal_a_direct_computation(five_year_deck):
    prs, prepared, *_ = five_year_deck
    slide = slide_by_title(prs, "Incident types")
    table = next(t for t in tables(slide) if t[0][0] == "Type")
    assert table[0] == ["Type", "2017-18", "2018-19", "Mean", "Mean %"]
    inc = prepared.incidents
    counts = pd.crosstab(inc["category"], inc["financial_year"])[["2017-18", "2018-19"]]
    means = counts.mean(axis=1)
    for row in table[1:-1]:
        assert not row[3].endswith(".0"), row  # "1,708", not "1,708.0"
        assert number(row[3]) == pytest.approx(means[row[0]], abs=0.05), row
        assert number(row[4]) == pytest.approx(100 * means[row[0]] / means.sum(), abs=0.5)
    assert number(table[-1][3]) == pytest.approx(means.sum(), abs=0.05)
    # The incident-type bars are a native chart holding the table's counts.
    (frame,) = [s for s in slide.shapes if s.has_chart]
    got = {s.name.replace(" (this report)", ""): list(s.values)
           for s in frame.chart.plots[0].series}  # fmt: skip
    cats = list(frame.chart.plots[0].categories)
    for fy in ("2017-18", "2018-19"):
        assert got[fy] == [float(counts.at[c, fy]) for c in cats]


def test_every_slide_of_the_five_year_pdf_renders(five_year_deck):
    prs, *_, pdf = five_year_deck
    pages = render_pages(pdf.read_bytes(), "deck_five_years")
    assert len(pages) == len(prs.slides)


def test_no_shape_leaves_the_slide(five_year_deck):
    prs = five_year_deck[0]
    for slide in prs.slides:
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


# --------------------------------------------------------------------------- police.uk, districts

POLICE_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,"
                 "LSOA name,Crime type,Last outcome category,Context")  # fmt: skip


def police_force_files(tmp_path: Path, counts: dict[str, tuple[int, ...]],
                       months: tuple[str, ...]) -> tuple[list[Path], list[Path]]:  # fmt: skip
    """police.uk force files (``YYYY-MM-testshire-street.csv``) and one ward file per district.

    ``counts[district][i]`` ASB rows fall in that district's square ward in ``months[i]``; each
    file also holds a burglary (not ASB) and an ASB row far outside every ward (another district of
    the force that no ward file covers).
    """
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(27700, 4326, always_xy=True)
    wards, files = [], []
    for i, district in enumerate(counts):
        x0 = 400000 + i * 5000
        frame = gpd.GeoDataFrame({"WD13CD": [f"E0500010{i}"], "WD13NM": [f"{district} Central"]},
                                 geometry=[box(x0, 260000, x0 + 2000, 262000)], crs=27700)  # fmt: skip
        path = tmp_path / f"{district.lower()}.geojson"
        frame.to_crs(4326).to_file(path, driver="GeoJSON")
        wards.append(path)
    for k, month in enumerate(months):
        lines = [POLICE_HEADER]
        for i, district in enumerate(counts):
            x0 = 400000 + i * 5000
            for j in range(counts[district][k]):
                lon, lat = to_wgs.transform(x0 + 1000 + 40 * (j % 5), 261000 + 40 * (j % 3))
                lines.append(f",{month},Testshire Police,Testshire Police,{lon:.6f},{lat:.6f},"
                             f"On or near High Street,E0100000{i},{district} 001A,"
                             "Anti-social behaviour,,")  # fmt: skip
        lon, lat = to_wgs.transform(450000, 300000)
        lines.append(f"abc{k},{month},Testshire Police,Testshire Police,{lon:.6f},{lat:.6f},"
                     "On or near Far Road,E01000099,Elsewhere 001A,Anti-social behaviour,,")  # fmt: skip
        lines.append(f"def{k},{month},Testshire Police,Testshire Police,{lon:.6f},{lat:.6f},"
                     "On or near Far Road,E01000099,Elsewhere 001A,Burglary,Under investigation,")  # fmt: skip
        path = tmp_path / f"{month}-testshire-street.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files, wards


def test_three_districts_from_a_force_file_sum_to_the_partnership_total(tmp_path):
    months = ("2017-07", "2018-07")
    files, wards = police_force_files(
        tmp_path, {"Northtown": (30, 20), "Southvale": (10, 14), "Eastbury": (8, 5)}, months)  # fmt: skip
    out = tmp_path / "panel.pptx"
    args = ["report", *map(str, files)]
    for w in wards:
        args += ["--wards", str(w)]
    result = CliRunner().invoke(main, [*args, "--fy", "2018-19", "--dpi", "40", "-o", str(out)])
    assert result.exit_code == 0, result.output
    prs = Presentation(str(out))
    slide = slide_by_title(prs, "District data")
    (table,) = tables(slide)
    assert table[0][0] == "District" and table[-1][0] == "Partnership total"
    body = {r[0]: [number(c) for c in r[1:4]] for r in table[1:-1]}
    assert body == {"Eastbury": [8, 5, -3], "Northtown": [30, 20, -10], "Southvale": [10, 14, 4]}
    for col in (1, 2, 3):
        assert number(table[-1][col]) == sum(v[col - 1] for v in body.values())
    text = text_of(slide)
    assert "All districts recorded a reduction" not in text
    assert "Eastbury (-3, -38%) and Northtown (-10, -33%) recorded a reduction" in text
    assert "Southvale (+4, +40%) recorded a rise" in text
    assert "48 in 2017-18" in text and "39 in 2018-19" in text
    # police.uk rows: the incident-types slide shows what these data give, and no empty promise.
    types = slide_by_title(prs, "Incident types")
    assert tables(types) or any(s.has_chart for s in types.shapes)
    words = text_of(types)
    assert "gives this table" not in words
    assert "council export" in words


def test_all_districts_falling_is_said_so(tmp_path):
    files, wards = police_force_files(
        tmp_path, {"Northtown": (30, 20), "Southvale": (10, 9), "Eastbury": (8, 5)},
        ("2017-07", "2018-07"))  # fmt: skip
    out = tmp_path / "panel.pptx"
    args = ["report", *map(str, files)]
    for w in wards:
        args += ["--wards", str(w)]
    result = CliRunner().invoke(main, [*args, "--fy", "2018-19", "--dpi", "40", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = text_of(slide_by_title(Presentation(str(out)), "District data"))
    assert "All districts recorded a reduction" in text


def test_one_year_says_which_commands_add_the_earlier_years(tmp_path):
    files, wards = police_force_files(tmp_path, {"Northtown": (30, 20)}, ("2018-07", "2018-08"))
    out = tmp_path / "panel.pptx"
    result = CliRunner().invoke(main, ["report", *map(str, files), "--wards", str(wards[0]),
                                       "--fy", "2018-19", "--dpi", "40", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    prs = Presentation(str(out))
    text = text_of(slide_by_title(prs, "Seasonal patterns"))
    assert "hotspots fetch police-uk --force testshire --from 2014-04 --to 2018-06" in text
    assert "hotspots ingest" in text and "report --store" in text
    _, chart = seasonal_chart(prs)
    (series,) = chart.plots[0].series
    assert list(series.values)[3:5] == [30.0, 20.0]
    assert list(series.values)[5] is None  # not covered: a gap, not a fall to zero
    # Shares name the months they cover.
    assert "Jul 2018 to Aug 2018" in text


def test_means_print_as_the_panel_shows_them():
    from hotspots.outputs._slides import frame_table
    from hotspots.outputs.panel import incident_type_table

    inc = pd.DataFrame({"category": ["Youths"] * 3 + ["Noise"] * 4,
                        "financial_year": ["2017-18", "2018-19", "2018-19"] + ["2018-19"] * 4,
                        "date_precision": "day"})  # fmt: skip
    types = incident_type_table(inc, ["2017-18", "2018-19"])
    assert np.allclose(types["mean"], [2.0, 1.5, 3.5])
    from hotspots.outputs.deck import type_table

    t = type_table(types, ["2017-18", "2018-19"])
    assert [r[3] for r in t.rows] == ["2", "1.5", "3.5"]
    assert frame_table  # the generic formatter stays for other tables


@pytest.mark.shared
def test_real_force_files_two_years_three_districts(shared_data, tmp_path):
    """The five real West Mercia months, and the same months a year earlier (every fourth ASB row
    of Redditch and Wyre Forest left out, every row of Bromsgrove twice): the district slide's
    rows sum to the partnership total and its sentence has the signs of the changes."""
    police = sorted((shared_data / "police-uk" / "west-mercia").glob("*.csv"))
    files = []
    for path in police:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        files.append(path)
        earlier = frame.copy()
        month = pd.Period(path.name[:7], "M") - 12
        earlier["Month"] = str(month)
        asb = earlier["Crime type"] == "Anti-social behaviour"
        bromsgrove = earlier["LSOA name"].str.startswith("Bromsgrove")
        drop = asb & ~bromsgrove & (np.arange(len(earlier)) % 4 == 0)
        earlier = pd.concat([earlier[~drop], earlier[asb & bromsgrove]], ignore_index=True)
        out = tmp_path / f"{month}-west-mercia-street.csv"
        earlier.to_csv(out, index=False)
        files.append(out)
    wards = [shared_data / "wards" / f"{d}.geojson" for d in ("bromsgrove", "redditch",
                                                              "wyre-forest")]  # fmt: skip
    deck = tmp_path / "panel.pptx"
    args = ["report", *map(str, files)]
    for w in wards:
        args += ["--wards", str(w)]
    pdf = tmp_path / "panel.pdf"
    for out in (deck, pdf):
        result = CliRunner().invoke(main, [*args, "--fy", "2018-19", "--dpi", "80", "-o", str(out)])
        assert result.exit_code == 0, result.output
    prs = Presentation(str(deck))
    slide = slide_by_title(prs, "District data")
    (table,) = tables(slide)
    body = {r[0]: [number(c) for c in r[1:4]] for r in table[1:-1]}
    assert list(body) == ["Bromsgrove", "Redditch", "Wyre Forest"]
    for col in range(3):
        assert number(table[-1][col + 1]) == sum(v[col] for v in body.values())
    text = text_of(slide)
    assert body["Bromsgrove"][2] < 0 < body["Redditch"][2] and body["Wyre Forest"][2] > 0
    assert "All districts" not in text
    assert re.search(r"Bromsgrove \(-[\d,]+, -\d+%\) recorded a reduction", text)
    assert re.search(r"Redditch \(\+[\d,]+, \+\d+%\) and Wyre Forest \(\+[\d,]+, \+\d+%\) "
                     r"recorded a rise", text)  # fmt: skip
    _, chart = seasonal_chart(prs)
    assert [s.name for s in chart.plots[0].series] == ["2017-18", "2018-19 (this report)"]
    assert "Oct 2017" in text_of(slide_by_title(prs, "Seasonal patterns"))
    render_pages(pdf.read_bytes(), "deck_real_two_years")
    assert cut_cells(prs) == []


def test_no_table_cell_is_cut(five_year_deck):
    assert cut_cells(five_year_deck[0]) == []


def test_council_rows_by_postcode_get_the_code_point_attribution(tmp_path):
    """Rows placed by postcode: the licence slide names Royal Mail / Code-Point and says the
    locations are postcode centroids; a police.uk deck says neither."""
    wards = gpd.GeoDataFrame({"WD13CD": ["E05000001"], "WD13NM": ["Middle"]},
                             geometry=[box(400000, 260000, 402000, 262000)], crs=27700)  # fmt: skip
    wpath = tmp_path / "testshire.geojson"
    wards.to_crs(4326).to_file(wpath, driver="GeoJSON")
    codes = tmp_path / "codepoint.csv"
    codes.write_text("Postcode,Positional_quality_indicator,Eastings,Northings,Country_code,"
                     "NHS_regional_HA_code,NHS_HA_code,Admin_county_code,Admin_district_code,"
                     "Admin_ward_code\nB97 4AB,10,401000,261000,E92000001,,,,,\n"
                     "B97 4AD,10,401200,261300,E92000001,,,,,\n", encoding="utf-8")  # fmt: skip
    export = tmp_path / "council.csv"
    rows = ["Ref,Date,Type,Postcode"]
    rows += [f"R{i},{1 + i % 28:02d}/10/2018,Youths,{'B97 4AB' if i % 2 else 'b974ad'}"
             for i in range(40)]  # fmt: skip
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "panel.pptx"
    result = CliRunner().invoke(main, ["report", str(export), "--wards", str(wpath),
                                       "--postcodes", str(codes), "--fy", "2018-19",
                                       "--dpi", "40", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    limits = text_of(slide_by_title(Presentation(str(out)), "About the data"))
    assert "Royal Mail" in limits and "Code-Point" in limits
    assert "postcode's centroid" in limits
    assert "police.uk" not in limits.replace("police.uk ASB has no", "")


def test_report_from_a_store_spanning_five_years(five_year_deck, tmp_path):
    """The documented path: ingest the years into a store, then report --store."""
    prs, _, export, wards, _ = five_year_deck
    store = tmp_path / "panel.gpkg"
    made = CliRunner().invoke(main, ["ingest", str(export), "--wards", str(wards), "--store",
                                     str(store)])  # fmt: skip
    assert made.exit_code == 0, made.output
    out = tmp_path / "panel.pptx"
    result = CliRunner().invoke(main, ["report", "--store", str(store), "--fy", "2018-19",
                                       "--dpi", "40", "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    _, chart = seasonal_chart(Presentation(str(out)))
    _, from_files = seasonal_chart(prs)
    got = {s.name: list(s.values) for s in chart.plots[0].series}
    assert got == {s.name: list(s.values) for s in from_files.plots[0].series}
    assert len(got) == 5


def test_shares_and_seasons_name_their_months(five_year_deck):
    prs = five_year_deck[0]
    seasonal = text_of(slide_by_title(prs, "Seasonal patterns"))
    for line in seasonal.splitlines():
        if "%" in line:
            assert re.search(r"\((Apr|Oct) 20\d\d to (Mar|Feb) 20\d\d\)", line), line
    where = text_of(slide_by_title(prs, "Where?"))
    assert re.search(r"hotspots hold [\d,]+ of [\d,]+ incidents in Apr 2018 to Mar 2019 \(\d+%\)",
                     where)  # fmt: skip
    types = text_of(slide_by_title(prs, "Incident types"))
    assert "of the mean of 2017-18 and 2018-19, Apr 2017 to Mar 2019)" in types
    changed = text_of(slide_by_title(prs, "How places changed"))
    assert "from spring 2014-15 (Apr–May 2014 and Mar 2015) to winter 2018-19 " in changed
    assert "(Dec 2018–Feb 2019)" in changed
    title = text_of(prs.slides[0])
    assert "5 financial years, 2014-15 to 2018-19 (Apr 2014 to Mar 2019)" in title
    limits = text_of(slide_by_title(prs, "About the data"))
    assert "2014-15: all 12 months" in limits


def test_a_table_with_no_rows_draws_its_header_in_the_pdf():
    """No hotspot place to list (one month a year): the PDF draws the header, not a traceback."""
    from hotspots.outputs._slides import Deck, Slide, Table, pdf_bytes

    table = Table(("Street", "Incidents"), (), (False, True), total_row=False)
    pdf = pdf_bytes(Deck((Slide("patterns", "How places changed", ("None.",), (table,)),)))
    assert pdf.startswith(b"%PDF")
