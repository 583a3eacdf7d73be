"""The deck's chart model drawn as a native PowerPoint chart and with matplotlib."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.util import Inches

from hotspots.outputs.deck_charts import (
    YEAR_COLOURS,
    add_pptx_chart,
    draw_chart,
    months_drawn,
    seasonal_chart_model,
    type_chart_model,
    year_styles,
)

MONTHS = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]


def five_year_profile() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    years = ["2015-16", "2016-17", "2017-18", "2018-19", "2019-20"]
    data = {fy: rng.integers(50, 400, 12).astype(float) for fy in years}
    data["2019-20"][5:] = np.nan  # a part year: April to August
    return pd.DataFrame(data, index=MONTHS)


def workbook_cells(blob: bytes) -> dict[str, str]:
    """The first sheet of an .xlsx as {"A1": text} (shared strings resolved)."""
    import zipfile
    from xml.etree import ElementTree as ET

    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        strings = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            strings = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t"))
                       for si in root.findall("m:si", ns)]  # fmt: skip
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    cells = {}
    for c in sheet.iter(f"{{{ns['m']}}}c"):
        v = c.find("m:v", ns)
        if v is not None:
            cells[c.get("r")] = strings[int(v.text)] if c.get("t") == "s" else v.text
    return cells


def reopen(model, box=(0.5, 1.5, 12.0, 5.0)):
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    add_pptx_chart(slide, model, box)
    buf = io.BytesIO()
    prs.save(buf)
    return Presentation(io.BytesIO(buf.getvalue())).slides[0]


def test_year_styles_differ_in_colour_marker_and_dash_and_stress_the_report_year():
    years = [f"{y}-{(y + 1) % 100:02d}" for y in range(2012, 2020)]
    styles = year_styles(years, emphasis="2018-19")
    assert len({s.marker for s in styles.values()}) == 7  # markers repeat after seven
    for a in years:
        for b in years:
            if a != b:
                assert (styles[a].marker, styles[a].dash) != (styles[b].marker, styles[b].dash)
    first7 = years[-7:]
    assert len({styles[y].colour for y in first7}) == 7
    main = styles["2018-19"]
    assert main.colour == YEAR_COLOURS[0] and main.dash == "solid"
    assert all(main.width_pt > s.width_pt for y, s in styles.items() if y != "2018-19")
    assert styles["2017-18"].colour == YEAR_COLOURS[1]  # the year compared with comes second


def test_seasonal_chart_is_native_with_the_numbers_in_its_data_sheet():
    profile = five_year_profile()
    model = seasonal_chart_model(profile, financial_year="2018-19")
    slide = reopen(model)
    charts = [s for s in slide.shapes if s.has_chart]
    assert len(charts) == 1 and not any(s.shape_type == 13 for s in slide.shapes)
    chart = charts[0].chart
    assert chart.chart_type == XL_CHART_TYPE.LINE_MARKERS
    assert list(chart.plots[0].categories) == MONTHS
    got = {s.name: list(s.values) for s in chart.plots[0].series}
    assert list(got) == ["2015-16", "2016-17", "2017-18", "2018-19 (this report)", "2019-20"]
    for fy in profile.columns:
        name = fy + (" (this report)" if fy == "2018-19" else "")
        want = [None if np.isnan(v) else v for v in profile[fy]]
        assert got[name] == want
    # The embedded workbook (PowerPoint's "Edit Data") holds the same numbers.
    sheet = workbook_cells(chart.part.chart_workbook.xlsx_part.blob)
    assert sheet["E1"] == "2018-19 (this report)"
    assert [float(sheet[f"E{r}"]) for r in range(2, 14)] == list(profile["2018-19"])
    assert [sheet[f"A{r}"] for r in range(2, 14)] == MONTHS
    # Each series keeps its colour, marker and dash in the file.
    seen = set()
    for s in chart.plots[0].series:
        line = s.format.line
        seen.add((str(line.color.rgb), s.marker.style, line.dash_style))
    assert len({c for c, _, _ in seen}) == 5
    assert len({m for _, m, _ in seen}) == 5
    assert len({d for _, _, d in seen}) == 5


def test_months_drawn_are_the_first_and_last_months_with_a_value():
    model = seasonal_chart_model(five_year_profile(), financial_year="2018-19")
    assert model.months_drawn == ("2015-04", "2019-08")
    assert model.months_drawn_text == "Apr 2015 to Aug 2019"
    assert months_drawn(pd.DataFrame({"2018-19": [np.nan] * 12}, index=MONTHS)) is None


def test_matplotlib_draws_the_same_model():
    from matplotlib.colors import to_hex
    from matplotlib.figure import Figure

    model = seasonal_chart_model(five_year_profile(), financial_year="2018-19")
    ax = Figure().add_subplot()
    draw_chart(ax, model)
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == [s.name for s in model.series]
    for ln, s in zip(lines, model.series):
        assert to_hex(ln.get_color()).lower() == s.style.colour.lower()
        y = ln.get_ydata()
        assert [None if np.isnan(v) else v for v in y] == list(s.values)
    assert len({ln.get_marker() for ln in lines}) == 5
    assert len({str(ln.get_linestyle()) for ln in lines} | set()) >= 2
    assert len({ln.get_linewidth() for ln in lines}) == 2  # the report year is thicker


def test_type_bars_are_native_and_hold_the_counts():
    types = pd.DataFrame({"type": ["Youths", "Noise", "Total"], "2017-18": [9, 4, 13],
                          "2018-19": [7, 5, 12]})  # fmt: skip
    model = type_chart_model(types, ["2017-18", "2018-19"], financial_year="2018-19")
    chart = next(s for s in reopen(model).shapes if s.has_chart).chart
    assert chart.chart_type == XL_CHART_TYPE.BAR_CLUSTERED
    assert list(chart.plots[0].categories) == ["Youths", "Noise"]
    got = {s.name: list(s.values) for s in chart.plots[0].series}
    assert got == {"2017-18": [9.0, 4.0], "2018-19 (this report)": [7.0, 5.0]}


@pytest.mark.parametrize("n", [1, 2, 8])
def test_any_number_of_years_draws(n):
    years = [f"{y}-{(y + 1) % 100:02d}" for y in range(2010, 2010 + n)]
    profile = pd.DataFrame({fy: [float(i)] * 12 for i, fy in enumerate(years)}, index=MONTHS)
    model = seasonal_chart_model(profile, financial_year=years[-1])
    chart = next(s for s in reopen(model).shapes if s.has_chart).chart
    assert len(list(chart.plots[0].series)) == n
    assert Inches(0.5) <= next(s for s in reopen(model).shapes if s.has_chart).left


def test_halloween_band_is_shaded_behind_the_native_chart_on_its_dates():
    from pptx.oxml.ns import qn

    box = (0.5, 1.5, 12.0, 5.0)
    slide = reopen(seasonal_chart_model(five_year_profile(), financial_year="2018-19"), box)
    shapes = list(slide.shapes)
    [chart_at] = [i for i, s in enumerate(shapes) if s.has_chart]
    [band_at] = [i for i, s in enumerate(shapes) if s.name.startswith("Halloween")]
    assert band_at < chart_at  # behind the lines
    band, chart = shapes[band_at], shapes[chart_at].chart
    labels = [s.text_frame.text for s in shapes if s.has_text_frame and s.text_frame.text]
    assert any("Halloween" in t and "20 Oct" in t for t in labels)
    # The plot area has a fixed place, so the months' slots are known: 20 Oct is 19/31 into
    # October's slot (the seventh from April), 5 Nov 5/30 into November's.
    manual = (
        chart._chartSpace.find(qn("c:chart"))
        .find(qn("c:plotArea"))
        .find(qn("c:layout") + "/" + qn("c:manualLayout"))
    )
    frac = {k: float(manual.find(qn(f"c:{k}")).get("val")) for k in "xywh"}
    plot_left = box[0] + frac["x"] * box[2]
    slot = frac["w"] * box[2] / 12
    left_in, right_in = band.left / 914400, (band.left + band.width) / 914400
    assert left_in == pytest.approx(plot_left + (6 + 19 / 31) * slot, abs=0.01)
    assert right_in == pytest.approx(plot_left + (7 + 5 / 30) * slot, abs=0.01)
    assert band.top / 914400 == pytest.approx(box[1] + frac["y"] * box[3], abs=0.01)
    # Nothing in the chart is filled over it.
    for part in (chart._chartSpace, chart._chartSpace.find(qn("c:chart")).find(qn("c:plotArea"))):
        assert part.find(qn("c:spPr") + "/" + qn("a:noFill")) is not None
