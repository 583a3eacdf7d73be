"""The deck's charts as one model, drawn twice: a native PowerPoint chart and matplotlib.

A :class:`ChartModel` holds what a chart shows: the categories (months April
to March, or incident types), one :class:`ChartSeries` per financial year with
its numbers, and how each year is told apart. :func:`add_pptx_chart` draws it
as a PowerPoint chart whose data sheet holds those numbers (an officer can
restyle or edit it in PowerPoint); :func:`draw_chart` draws the same model on a
matplotlib Axes for the PDF. Neither writer computes anything.

Years are told apart by colour *and* by marker and dash (:func:`year_styles`),
so a reader who cannot tell the colours apart, or a grey print, still can: the
colours are the Okabe-Ito colour-blind-safe set, the report year is drawn
thickest, solid, with the largest markers.

Examples
--------
>>> import pandas as pd
>>> profile = pd.DataFrame({"2017-18": [3.0] * 12, "2018-19": [4.0] * 6 + [None] * 6},
...                        index=["Apr", "May", "Jun", "Jul", "Aug", "Sep",
...                               "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"])
>>> model = seasonal_chart_model(profile, financial_year="2018-19")
>>> [s.name for s in model.series], model.series[1].emphasised
(['2017-18', '2018-19 (this report)'], True)
>>> model.months_drawn
('2017-04', '2018-09')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from hotspots.analysis.seasons import fy_months, months_span
from hotspots.draw import cartography

#: The years' colours: the project's one style (report year first).
YEAR_COLOURS = cartography.YEAR_COLOURS
#: Marker shapes, in the same order (PowerPoint's XL_MARKER_STYLE names).
MARKERS: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "x", "plus", "star")
#: Line dashes, in the same order (PowerPoint's MSO_LINE_DASH_STYLE names).
DASHES: tuple[str, ...] = (
    "solid", "dash", "round_dot", "dash_dot", "long_dash", "long_dash_dot", "square_dot",
)  # fmt: skip

_MPL_MARKER = {"circle": "o", "square": "s", "triangle": "^", "diamond": "D", "x": "x",
               "plus": "P", "star": "*"}  # fmt: skip
_MPL_DASH = {
    "solid": "-",
    "dash": (0, (4, 2)),
    "round_dot": (0, (1, 1.5)),
    "dash_dot": (0, (4, 1.5, 1, 1.5)),
    "long_dash": (0, (8, 3)),
    "long_dash_dot": (0, (8, 2, 1, 2)),
    "square_dot": (0, (2, 1)),
}
THIS_REPORT = " (this report)"


@dataclass(frozen=True)
class YearStyle:
    """How one financial year is drawn: colour, marker, dash and weight.

    Attributes
    ----------
    colour : str
        ``#RRGGBB``.
    marker : str
        A :data:`MARKERS` name.
    dash : str
        A :data:`DASHES` name.
    width_pt : float
        Line width in points.
    marker_size : int
        Marker size in points.
    """

    colour: str
    marker: str
    dash: str
    width_pt: float
    marker_size: int


def year_styles(years: Sequence[str], *, emphasis: str | None = None) -> dict[str, YearStyle]:
    """A style per financial year: different colour, marker and dash each; the report year bold.

    The report year (``emphasis``, default the latest) takes the first
    colour, a solid line and round markers; the other years take the next
    colours, markers and dashes by their distance from it (the year before
    is second). With more years than :data:`YEAR_COLOURS`, colours repeat
    but the marker and dash pair stays unique up to 49 years.

    Parameters
    ----------
    years : sequence of str
        Financial years (``"2018-19"``), any order.
    emphasis : str, optional
        The report year.

    Returns
    -------
    dict
        Year -> :class:`YearStyle`.

    Examples
    --------
    >>> s = year_styles(["2016-17", "2017-18", "2018-19"])
    >>> s["2018-19"].dash, s["2017-18"].dash, s["2016-17"].marker
    ('solid', 'dash', 'triangle')
    >>> s["2018-19"].width_pt > s["2017-18"].width_pt
    True
    """
    years = list(years)
    if not years:
        return {}
    emphasis = emphasis if emphasis in years else max(years)
    pivot = years.index(emphasis)
    order = sorted(years, key=lambda y: (abs(years.index(y) - pivot), years.index(y) > pivot))
    out = {}
    for rank, year in enumerate(order):
        main = year == emphasis
        out[year] = YearStyle(
            colour=YEAR_COLOURS[rank % len(YEAR_COLOURS)],
            marker=MARKERS[rank % len(MARKERS)],
            dash=DASHES[(rank + rank // len(DASHES)) % len(DASHES)],
            width_pt=3.0 if main else 1.75,
            marker_size=8 if main else 6,
        )
    return out


@dataclass(frozen=True)
class ChartSeries:
    """One year's numbers and how they are drawn (None: a month not covered, left as a gap)."""

    name: str
    values: tuple[float | None, ...]
    style: YearStyle
    emphasised: bool = False


@dataclass(frozen=True)
class ChartModel:
    """A chart both writers draw the same way.

    Attributes
    ----------
    kind : str
        ``"line"`` (seasonal: months April to March) or ``"bar"`` (incident
        types, horizontal bars, one per year).
    categories : tuple of str
    series : tuple of ChartSeries
    y_title : str
        The value axis title.
    legend_title : str
    months_drawn : tuple of str or None
        First and last ``YYYY-MM`` that hold a value (line charts).
    band : tuple of float or None
        A shaded span on the category axis (0 = the first category's centre),
        e.g. the Halloween / half-term window; shaded behind the lines, with
        its label, by matplotlib and in the PowerPoint chart (a rectangle behind
        a plot area of fixed place, see :func:`add_pptx_chart`).
    band_label : str
    alt : str
        Alternative text (what the chart shows, in words).
    """

    kind: str
    categories: tuple[str, ...]
    series: tuple[ChartSeries, ...]
    y_title: str
    legend_title: str = "Financial year"
    months_drawn: tuple[str, str] | None = None
    band: tuple[float, float] | None = None
    band_label: str = ""
    alt: str = ""

    def frame(self) -> pd.DataFrame:
        """The numbers as a table: categories down, series across (NaN for gaps)."""
        return pd.DataFrame(
            {s.name: [float("nan") if v is None else v for v in s.values] for s in self.series},
            index=list(self.categories),
        )

    @property
    def months_drawn_text(self) -> str:
        """``"Apr 2015 to Mar 2020"`` (empty for a chart with no months)."""
        return months_span(self.months_drawn or (), none="")


def months_drawn(profile: pd.DataFrame) -> tuple[str, str] | None:
    """The first and last month that hold a value in a seasonal profile (April-March rows).

    Examples
    --------
    >>> p = pd.DataFrame({"2015-16": [1.0] + [None] * 11, "2019-20": [None] * 11 + [2.0]})
    >>> months_drawn(p)
    ('2015-04', '2020-03')
    """
    held = []
    for fy in profile.columns:
        for month, value in zip(fy_months(str(fy)), profile[fy].tolist()):
            if value is not None and pd.notna(value):
                held.append(month)
    return (min(held), max(held)) if held else None


#: The Halloween / October half-term window, 20 Oct to 5 Nov, on the April-March axis.
HALLOWEEN_BAND = (6 - 0.5 + 19 / 31, 7 - 0.5 + 5 / 30)


def seasonal_chart_model(profile: pd.DataFrame, *, financial_year: str) -> ChartModel:
    """The seasonal chart: months April to March, a line per financial year.

    Parameters
    ----------
    profile : pandas.DataFrame
        Monthly counts, rows ``Apr`` … ``Mar``, a column per financial year,
        NaN for months the data does not cover (as the report's
        ``seasonal_profile`` gives it).
    financial_year : str
        The report year (emphasised and named "(this report)").

    Returns
    -------
    ChartModel
    """
    years = sorted(str(c) for c in profile.columns)
    styles = year_styles(years, emphasis=financial_year)
    series = []
    for fy in years:
        values = tuple(None if pd.isna(v) else float(v) for v in profile[fy].tolist())
        main = fy == financial_year
        series.append(ChartSeries(fy + (THIS_REPORT if main else ""), values, styles[fy], main))
    drawn = months_drawn(profile[years])
    span = ""
    if drawn:
        span = ChartModel("line", (), (), "", months_drawn=drawn).months_drawn_text
    return ChartModel(
        kind="line",
        categories=tuple(str(i) for i in profile.index),
        series=tuple(series),
        y_title="ASB incidents per month",
        months_drawn=drawn,
        band=HALLOWEEN_BAND,
        band_label="Halloween / half-term (20 Oct-5 Nov)",
        alt=f"Monthly ASB incidents April to March, one line per financial year ({span}).",
    )


def type_chart_model(
    types: pd.DataFrame, years: Sequence[str], *, financial_year: str, label: str = "type"
) -> ChartModel:
    """Incident types as bars, one bar per year for each type (largest type at the top).

    Parameters
    ----------
    types : pandas.DataFrame
        The incident-type table: ``label``, a column per year, the last row
        the total (left out of the chart).
    years : sequence of str
    financial_year : str
        The report year (emphasised).

    Examples
    --------
    >>> t = pd.DataFrame({"type": ["Youths", "Noise", "Total"], "2018-19": [5, 2, 7]})
    >>> m = type_chart_model(t, ["2018-19"], financial_year="2018-19")
    >>> m.categories, m.series[0].values
    (('Youths', 'Noise'), (5.0, 2.0))
    """
    body = types.iloc[:-1]
    styles = year_styles(list(years), emphasis=financial_year)
    series = tuple(
        ChartSeries(
            fy + (THIS_REPORT if fy == financial_year else ""),
            tuple(float(v) for v in body[fy].tolist()),
            styles[fy],
            fy == financial_year,
        )
        for fy in years
    )
    return ChartModel(
        kind="bar",
        categories=tuple(str(v) for v in body[label].tolist()),
        series=series,
        y_title="ASB incidents",
        alt="ASB incidents by type, one bar per financial year.",
    )


# --------------------------------------------------------------------------- PowerPoint


def add_pptx_chart(slide, model: ChartModel, box: tuple[float, float, float, float]):
    """Add ``model`` to a python-pptx slide as a native chart in ``box`` (inches).

    The chart's embedded workbook holds the numbers (PowerPoint's "Edit
    Data"); each year keeps its colour, marker and dash.

    Returns
    -------
    pptx.shapes.graphfrm.GraphicFrame
    """
    from pptx.chart.data import CategoryChartData
    from pptx.dml.color import RGBColor
    from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION, XL_MARKER_STYLE
    from pptx.enum.dml import MSO_LINE_DASH_STYLE
    from pptx.util import Inches, Pt

    data = CategoryChartData(number_format="#,##0")
    data.categories = list(model.categories)
    series = model.series
    for s in series:
        data.add_series(s.name, list(s.values))
    kind = XL_CHART_TYPE.LINE_MARKERS if model.kind == "line" else XL_CHART_TYPE.BAR_CLUSTERED
    left, top, width, height = (Inches(v) for v in box)
    band = None
    if model.kind == "line" and model.band is not None:
        # Drawn first, so it lies behind the chart (whose areas have no fill).
        band = _pptx_band(slide, model, box)
    frame = slide.shapes.add_chart(kind, left, top, width, height, data)
    frame.name = "Seasonal chart" if model.kind == "line" else "Incident types chart"
    frame._element.nvGraphicFramePr.cNvPr.set("descr", model.alt)
    chart = frame.chart
    chart.font.size = Pt(11)
    chart.has_legend = True
    # Lines: the legend on the right (the chart is wide); bars (beside a table): below.
    chart.legend.position = (XL_LEGEND_POSITION.RIGHT if model.kind == "line"
                             else XL_LEGEND_POSITION.BOTTOM)  # fmt: skip
    chart.legend.include_in_layout = False
    chart.legend.font.size = Pt(11)
    value_axis = chart.value_axis
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = RGBColor(0xD9, 0xD9, 0xD9)
    value_axis.has_title = True
    value_axis.axis_title.text_frame.text = model.y_title
    value_axis.axis_title.text_frame.paragraphs[0].font.size = Pt(11)
    value_axis.tick_labels.number_format = "#,##0"
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.minimum_scale = 0
    chart.has_title = False  # the slide's title and sentences say what it shows
    if model.kind == "bar":
        chart.category_axis.reverse_order = True  # largest type at the top
        plot = chart.plots[0]
        plot.gap_width = 60
        plot.overlap = 0
    for s, drawn in zip(series, chart.plots[0].series):
        rgb = RGBColor.from_string(s.style.colour.lstrip("#").upper())
        if model.kind == "line":
            drawn.smooth = False
            line = drawn.format.line
            line.color.rgb = rgb
            line.width = Pt(s.style.width_pt)
            line.dash_style = getattr(MSO_LINE_DASH_STYLE, s.style.dash.upper())
            marker = drawn.marker
            marker.style = getattr(XL_MARKER_STYLE, s.style.marker.upper())
            marker.size = s.style.marker_size
            marker.format.fill.solid()
            marker.format.fill.fore_color.rgb = rgb
            marker.format.line.color.rgb = rgb
        else:
            fill = drawn.format.fill
            fill.solid()
            fill.fore_color.rgb = rgb
            drawn.format.line.color.rgb = RGBColor(0x40, 0x40, 0x40) if s.emphasised else rgb
            drawn.format.line.width = Pt(1.25 if s.emphasised else 0.5)
    if band is not None:
        _fix_plot_area(chart, pptx_plot_area(model, box))
    return frame


def pptx_plot_area(model: ChartModel, box: tuple[float, float, float, float]):
    """Where a line chart's plot area (inside its axes) lies in ``box``: x, y, w, h as fractions.

    The native chart is given this place (PowerPoint's manual layout), so that
    what is drawn behind it (the band) lines up with its months: room on the
    left for the value axis' labels and title, on the right for the legend
    (as :func:`add_chart_axes` keeps for matplotlib), below for the months.
    """
    _, _, width, height = box
    legend = 0.55 + 0.09 * max([len(s.name) for s in model.series] + [len(model.legend_title)])
    legend = min(legend + 0.3, 0.4 * width)
    pad_left, pad_top, pad_bottom = 0.95, 0.35, 0.45
    return (pad_left / width, pad_top / height, max(width - pad_left - legend, 0.5) / width,
            max(height - pad_top - pad_bottom, 0.5) / height)  # fmt: skip


def _fix_plot_area(chart, place) -> None:
    """Give the chart's plot area (inner, axes excluded) a fixed ``place`` (fractions)."""
    from lxml import etree
    from pptx.oxml.ns import qn

    plot_area = chart._chartSpace.find(qn("c:chart")).find(qn("c:plotArea"))
    for old in plot_area.findall(qn("c:layout")):
        plot_area.remove(old)
    layout = etree.SubElement(plot_area, qn("c:layout"))
    plot_area.remove(layout)
    plot_area.insert(0, layout)
    manual = etree.SubElement(layout, qn("c:manualLayout"))
    etree.SubElement(manual, qn("c:layoutTarget")).set("val", "inner")
    etree.SubElement(manual, qn("c:xMode")).set("val", "edge")
    etree.SubElement(manual, qn("c:yMode")).set("val", "edge")
    for key, value in zip("xywh", place):
        etree.SubElement(manual, qn(f"c:{key}")).set("val", f"{value:.4f}")
    # No fill on the chart or its plot area: the band behind them shows through.
    space = chart._chartSpace
    _no_fill(space, before=(qn("c:txPr"), qn("c:externalData"), qn("c:printSettings"),
                            qn("c:userShapes"), qn("c:extLst")))  # fmt: skip
    _no_fill(plot_area, before=(qn("c:extLst"),))
    # The months sit in the middle of equal slots (the band's arithmetic relies on it).
    for value_axis in plot_area.findall(qn("c:valAx")):
        if value_axis.find(qn("c:crossBetween")) is None:
            between = etree.Element(qn("c:crossBetween"))
            between.set("val", "between")
            crosses = value_axis.find(qn("c:crosses"))
            anchor = crosses if crosses is not None else value_axis.find(qn("c:crossAx"))
            anchor.addnext(between)


def _no_fill(element, *, before: tuple[str, ...]) -> None:
    """Give a chart part an ``spPr`` with no fill, placed before the first of ``before``."""
    from lxml import etree
    from pptx.oxml.ns import qn

    sp_pr = element.find(qn("c:spPr"))
    if sp_pr is None:
        sp_pr = etree.Element(qn("c:spPr"))
        follower = next((c for c in element if c.tag in before), None)
        if follower is None:
            element.append(sp_pr)
        else:
            follower.addprevious(sp_pr)
    for fill in list(sp_pr):
        if fill.tag.endswith("Fill"):
            sp_pr.remove(fill)
    sp_pr.insert(0, etree.Element(qn("a:noFill")))


def _pptx_band(slide, model: ChartModel, box: tuple[float, float, float, float]):
    """The band (e.g. Halloween / half-term) as a pale rectangle and its label, in inches."""
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Inches, Pt

    left, top, width, height = box
    x, y, w, h = pptx_plot_area(model, box)
    slot = w * width / len(model.categories)  # one month, inches
    start, end = (left + x * width + (v + 0.5) * slot for v in model.band)
    plot_top, plot_h = top + y * height, h * height
    rect = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Inches(start), Inches(plot_top),
                                  Inches(end - start), Inches(plot_h))  # fmt: skip
    rect.name = model.band_label or "Band"
    rect.fill.solid()
    rect.fill.fore_color.rgb = RGBColor(0xE4, 0xE4, 0xE4)
    rect.line.fill.background()
    rect.shadow.inherit = False
    label = slide.shapes.add_textbox(Inches(start - 0.6), Inches(plot_top - 0.33),
                                     Inches(end - start + 1.2), Inches(0.3))  # fmt: skip
    label.name = "Band label"
    frame = label.text_frame
    frame.word_wrap = False
    para = frame.paragraphs[0]
    para.text = model.band_label
    para.alignment = 2  # centre
    para.font.size = Pt(10)
    para.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    return rect


def pptx_chart_model(chart) -> dict[str, list[float | None]]:
    """Read a PowerPoint chart's series back (name -> values), e.g. in tests.

    Returns
    -------
    dict
    """
    return {s.name: list(s.values) for s in chart.plots[0].series}


# --------------------------------------------------------------------------- matplotlib


def draw_chart(ax, model: ChartModel) -> None:
    """Draw ``model`` on a matplotlib Axes (the PDF page's chart), as PowerPoint draws it."""
    import numpy as np

    n = len(model.categories)
    x = np.arange(n)
    if model.kind == "line":
        if model.band is not None:
            ax.axvspan(*model.band, color="#999999", alpha=0.22, lw=0, zorder=0,
                       label=model.band_label.replace(" (", "\n("))  # fmt: skip
        for s in model.series:
            y = np.array([np.nan if v is None else v for v in s.values], dtype=float)
            ax.plot(x, y, color=s.style.colour, lw=s.style.width_pt,
                    ls=_MPL_DASH[s.style.dash], marker=_MPL_MARKER[s.style.marker],
                    ms=s.style.marker_size * 0.85, mfc=s.style.colour, mec=s.style.colour,
                    label=s.name, zorder=3 if s.emphasised else 2)  # fmt: skip
        ax.set_xticks(x, list(model.categories))
        ax.set_xlim(-0.5, n - 0.5)
        top = np.nanmax([v for s in model.series for v in s.values if v is not None] or [1.0])
        ax.set_ylim(0, top * 1.1 if top > 0 else 1)
        ax.set_ylabel(model.y_title)
        ax.grid(axis="y", color="#d9d9d9", lw=0.8)
    else:
        k = max(len(model.series), 1)
        height = 0.8 / k
        for i, s in enumerate(model.series):
            ax.barh(x - 0.4 + height * (i + 0.5), [v or 0 for v in s.values], height=height,
                    color=s.style.colour, edgecolor="#404040" if s.emphasised else s.style.colour,
                    lw=1.0 if s.emphasised else 0.4, label=s.name)  # fmt: skip
        top = max([v or 0 for s in model.series for v in s.values] + [0])
        ax.set_xlim(0, top * 1.08 if top > 0 else 1)
        ax.set_yticks(x, [_wrap_label(c) for c in model.categories])
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlabel(model.y_title)
        ax.grid(axis="x", color="#d9d9d9", lw=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _: f"{v:,.0f}")
    (ax.yaxis if model.kind == "line" else ax.xaxis).set_major_formatter(fmt)
    handles, labels = ax.get_legend_handles_labels()
    if model.kind == "line":
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  fontsize=10, title=model.legend_title, title_fontsize=10, handlelength=3.2)  # fmt: skip
    else:
        ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.12),
                  frameon=False, fontsize=10, ncols=min(len(handles), 3))  # fmt: skip


#: Bar labels (incident types) wrap at this many characters in the PDF.
BAR_LABEL_CHARS = 18


def _wrap_label(text: str) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, BAR_LABEL_CHARS)) or text


def add_chart_axes(fig, model: ChartModel, box: tuple[float, float, float, float],
                   page_in: tuple[float, float]):  # fmt: skip
    """Axes for ``model`` in ``box`` (left, top, width, height in inches on a page of ``page_in``).

    Room is kept on the left for the tick labels (long type names) and on the
    right for the legend, so nothing leaves the box.
    """
    left, top, width, height = box
    page_w, page_h = page_in
    if model.kind == "line":
        # Legend on the right.
        pad_left, pad_bottom = 0.85, 0.45
        legend = 0.55 + 0.09 * max([len(s.name) for s in model.series]
                                   + [len(model.legend_title)])  # fmt: skip
        if model.band is not None:
            legend = max(legend, 0.55 + 0.09 * 22)
        legend = min(legend, 0.4 * width)
    else:
        # Type names (wrapped at BAR_LABEL_CHARS) on the left, the legend below.
        longest = max((len(line) for c in model.categories for line in _wrap_label(c).split("\n")),
                      default=3)  # fmt: skip
        pad_left = min(0.2 + 0.085 * longest, 0.45 * width)
        legend = 0.1
        pad_bottom = 0.55 + 0.25 * (1 + (len(model.series) - 1) // 3)
    ax_box = (left + pad_left, top + 0.1, max(width - pad_left - legend, 0.5),
              max(height - 0.1 - pad_bottom, 0.5))  # fmt: skip
    return fig.add_axes((ax_box[0] / page_w, 1 - (ax_box[1] + ax_box[3]) / page_h,
                         ax_box[2] / page_w, ax_box[3] / page_h))  # fmt: skip


def chart_png(model: ChartModel, *, size_in: tuple[float, float] = (11.0, 4.6),
              dpi: int = 150) -> bytes:  # fmt: skip
    """The chart as a PNG (for previews and the web; the deck draws it natively)."""
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=size_in)
    ax = add_chart_axes(fig, model, (0.0, 0.0, *size_in), size_in)
    draw_chart(ax, model)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()
