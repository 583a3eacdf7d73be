"""The tasking sheet as a table: its header, its cells and the words under it.

What a sheet's rows say, the same in the PDF (:mod:`hotspots.outputs.tasking_pages`) and the
HTML page (:func:`sheet_html`): one table per focus area (:func:`page_groups`), the place in
full (wrapped, never cut), the trend, the pattern and the chance test in the words of every
output, and the legends that explain the Pattern and Chance test columns. The sheet itself
is made in :mod:`hotspots.outputs.tasking`.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hotspots.analysis.notes import DEMO_NOTE
from hotspots.analysis.patterns import pattern_rules
from hotspots.draw import cartography as carto
from hotspots.io import ATTRIBUTION, atomic_path


def page_groups(sheet: gpd.GeoDataFrame, area: str | None) -> list[tuple[str, pd.DataFrame]]:
    if area or sheet.empty:
        return [(area or "Whole borough", sheet)]
    groups = []
    named = [a for a in dict.fromkeys(sheet["area"]) if a]
    for name in named:
        groups.append((name, sheet[sheet["area"] == name]))
    rest = sheet[sheet["area"] == ""]
    if len(rest):
        groups.append(("Elsewhere in the borough", rest))
    return groups


def page_heading(title: str, group: str, *, whole_sheet: bool) -> str:
    """A sheet page's heading: a whole-borough sheet's pages say whose hotspots they list.

    >>> t = "ASB hotspots: whole borough, autumn (Sep-Nov)"
    >>> page_heading(t, "Town centre", whole_sheet=True)
    'ASB hotspots: whole borough, autumn (Sep-Nov) - page: hotspots in Town centre'
    >>> page_heading(t, "Elsewhere in the borough", whole_sheet=True)
    'ASB hotspots: whole borough, autumn (Sep-Nov) - page: hotspots elsewhere in the borough'
    >>> page_heading("ASB hotspots: Town centre, autumn", "Town centre", whole_sheet=False)
    'ASB hotspots: Town centre, autumn'
    """
    if not whole_sheet:
        return title
    if group == "Whole borough":
        return title
    where = group[0].lower() + group[1:] if group.startswith("Elsewhere") else f"in {group}"
    return f"{title} - page: hotspots {where}"


def _chance_mark(value) -> str:
    """The sheet's words for a ``significant`` value (the map's; "-" where it was not tested)."""
    return carto.chance_word(value) or "-"


def _pattern_mark(pattern, hot_periods) -> str:
    """The sheet's Pattern cell: ``"persistent 7/8"`` (hot in 7 of 8 seasons); "-" where there is none."""
    if not isinstance(hot_periods, str) or not hot_periods:
        return "-"  # no patterns: fewer than two seasons in the data
    if not isinstance(pattern, str) or not pattern:
        return hot_periods  # "not hot in any season"
    k, _, t = hot_periods.split(" ")[:3]  # "7 of 8 seasons"
    return f"{pattern} {k}/{t}"


def has_patterns(frame: pd.DataFrame) -> bool:
    return "pattern" in frame.columns


def sheet_rows(frame: pd.DataFrame, *, narrow: bool = False, wrap: bool = False) -> list[list[str]]:
    """The table's cells; the place is the map label's, in full (``wrap``: on several lines)."""
    tested = "significant" in frame.columns
    patterned = has_patterns(frame)
    place_w, when_w, ward_w = (20, 18, 14) if narrow else (26, 22, 18)
    rows = []
    for r in frame.itertuples(index=False):
        when = "; ".join(p for p in (r.peak_weekday, r.peak_hour) if p)
        trend = r.trend if pd.isna(r.previous) else f"{r.trend} ({int(r.previous)})"
        place = (
            textwrap.fill(str(r.place), place_w, break_on_hyphens=False) if wrap else str(r.place)
        )
        ward = textwrap.fill(str(r.ward), ward_w) if wrap else str(r.ward)
        when = textwrap.fill(when, when_w) if wrap else when  # never cut short
        months = textwrap.fill(str(r.peak_months), 10) if wrap else str(r.peak_months)
        chance = _chance_mark(r.significant) if tested else ""
        if wrap and narrow:  # ten columns: "no earlier data" takes two lines
            chance, trend = textwrap.fill(chance, 14), textwrap.fill(trend, 12)
        rows.append([
            str(r.rank), place, ward, str(r.incidents), f"{100 * r.share:.1f}%", trend,
        ] + ([_pattern_mark(r.pattern, r.hot_periods)] if patterned else []) + [
            months, when or "-",
        ] + ([chance] if tested else []))  # fmt: skip
    return rows


def row_lines(rows: list[list[str]]) -> list[int]:
    """How many lines each table row takes (its tallest cell)."""
    return [max(cell.count("\n") + 1 for cell in row) for row in rows]


def page_chunks(frame: pd.DataFrame, *, narrow: bool) -> list[pd.DataFrame]:
    """The rows of each page: :data:`ROWS_PER_PAGE` one-line rows' height at most."""
    if frame.empty:
        return [frame]
    lines = row_lines(sheet_rows(frame, narrow=narrow, wrap=True))
    chunks, start, used = [], 0, 0.0
    for i, n in enumerate(lines):
        height = 1 + ROW_EXTRA_LINE * (n - 1)
        if i > start and used + height > ROWS_PER_PAGE:
            chunks.append(frame.iloc[start:i])
            start, used = i, 0.0
        used += height
    chunks.append(frame.iloc[start:])
    return chunks


SHEET_HEADER = ["#", "Place", "Ward", "Incidents", "Share", "Trend (a year before)",
                "Peak months", "Peak day / hour"]  # fmt: skip


#: The extra column when the sheet has ``significant`` (hotspots.analysis.significance).
CHANCE_HEADER = "Chance test"


#: The chance column's words: those of every output (hotspots.draw.cartography.CHANCE_WORDS).
CHANCE_MARKS = carto.CHANCE_WORDS


#: The legend line under a sheet with the chance test.
CHANCE_LEGEND = (
    "Chance test: 'more than chance' means a hotspot as far above what even spread puts in its "
    "outline turned up in fewer than 5% (after false-discovery-rate control) of up to 999 "
    "simulated boroughs with the same number of incidents spread evenly over the study area "
    "(and moved to the nearest map point, for police.uk data: a Monte Carlo test); "
    f"'{carto.CHANCE_WORDS[False]}' means it could be chance - check before sending patrols. "
    "On the map it has a dashed outline and a paler fill."
)


#: The Pattern column (hotspots.analysis.patterns), after the trend.
PATTERN_HEADER = "Pattern"


def pattern_legend(periods: Sequence[str], cell_m: float | None = None) -> str:
    """The legend line under a sheet with the Pattern column.

    Examples
    --------
    >>> pattern_legend(["autumn 2017-18", "winter 2017-18", "autumn 2018-19"], 55)[:60]
    'Pattern: how the place under each hotspot (the 55 m grid cel'
    >>> pattern_legend([])
    'Pattern: not shown; the data holds fewer than two seasons up to this selection.'
    """
    if len(periods) < 2:
        return "Pattern: not shown; the data holds fewer than two seasons up to this selection."
    size = f"{cell_m:g} m " if cell_m else ""
    t = len(periods)
    k = -(-4 * t // 5)  # the fewest seasons a persistent place is hot in (80%, rounded up)
    return (
        f"Pattern: how the place under each hotspot (the {size}grid cell holding its busiest map "
        f"point) changed over the {t} seasons {periods[0]} to {periods[-1]}; "
        "hot = inside that season's hotspots. "
        + " ".join(f"{name.capitalize()}: {words}." for name, words in pattern_rules(t).items())
        + f" 'persistent {k}/{t}' = hot in {k} of the {t} seasons."
    )


def sheet_header(frame: pd.DataFrame, *, narrow: bool = False) -> list[str]:
    header = list(SHEET_HEADER)
    if narrow:  # the page's subtitle says what the trend compares
        header = ["Trend" if h.startswith("Trend") else h for h in header]
    if has_patterns(frame):
        header.insert(6, PATTERN_HEADER)
    return header + ([CHANCE_HEADER] if "significant" in frame.columns else [])


def sheet_pattern_legend(sheet: gpd.GeoDataFrame) -> str:
    if not has_patterns(sheet):
        return ""
    return pattern_legend(sheet.attrs.get("pattern_periods", []), sheet.attrs.get("pattern_cell_m"))


ROWS_PER_PAGE = 22
#: A table row's height grows by this share of a one-line row for each extra line.
ROW_EXTRA_LINE = 0.6


def sheet_html(
    sheet: gpd.GeoDataFrame,
    path: str | Path,
    *,
    title: str,
    note: str,
    area: str | None = None,
    demo: bool = False,
) -> Path:
    """Write a tasking sheet as one self-contained HTML page (a table per focus area).

    Returns
    -------
    Path
    """
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>body{{font-family:sans-serif;margin:1.5em}}"
        "table{border-collapse:collapse;margin-bottom:1.5em}td,th{border:1px solid #999;"
        "padding:.25em .5em;text-align:left}th{background:#eee}footer{font-size:.8em;color:#333}"
        "@media print{section{page-break-after:always}}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        "<p>Hotspots ranked by incidents; the trend compares the same season a year before.</p>",
    ]
    for name, frame in page_groups(sheet, area):
        parts.append(f"<section><h2>{esc(name)}</h2>")
        if frame.empty:
            parts.append("<p>No hotspots in this selection.</p></section>")
            continue
        parts.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in sheet_header(frame))
                     + "</tr></thead><tbody>")  # fmt: skip
        for row in sheet_rows(frame):
            parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table></section>")
    if has_patterns(sheet):
        parts.append(f"<p class='legend'>{esc(sheet_pattern_legend(sheet))}</p>")
    if "significant" in sheet.columns:
        parts.append(f"<p class='legend'>{esc(CHANCE_LEGEND)}</p>")
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", ATTRIBUTION) if p)
    parts.append(f"<footer>{esc(footer)}</footer></body></html>")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return Path(path)
