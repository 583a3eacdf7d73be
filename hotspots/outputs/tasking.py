"""Tasking sheets: hotspots as a ranked list for the people who plan patrols.

A tasking sheet has one row per hotspot of a selection (season, financial
year, optionally a focus area or ward), ranked by incidents in the whole study
area (a ward's sheet lists the study area's hotspots that lie in the ward, with
their study-area ranks: see :mod:`hotspots.analysis.hotspots`), with its place
(its main streets at street level, e.g. "Herbert Street / Wellington Street":
the map label without the rank, :mod:`hotspots.analysis.labels`; ``label`` is
the map label itself), its ward and focus area,
the change against the same season a year before, its place's pattern over the
seasons up to the selection (:mod:`hotspots.analysis.patterns`: persistent, emerging,
intermittent, diminishing or former), and when it peaks (months; weekday and
hour where the data has them). Its geometry is one point per hotspot, for
patrol devices.

**Pattern** is the pattern of the place under the hotspot: the grid cell
holding its busiest map point (the point the sheet pins), over the seasons of
each financial year up to and including the selected one; the same cell, the
same class and the same periods as the map's "How places changed" layer. That
cell is hot in the selected season, so a one-season sheet says persistent,
emerging or intermittent; a whole-year sheet compares with the year's last
season, where a place may have gone quiet (diminishing, former) or never have
been a seasonal hotspot ("not hot in any season").

Everything here is a pure function on the tables of :mod:`hotspots.analysis.hotspots`;
rendering lives in :mod:`hotspots.outputs.export`.
"""

from __future__ import annotations

import html
import logging
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots._validate import ANALYSIS_CRS, check_columns, to_analysis_crs
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.hotspots import busiest_points
from hotspots.analysis.labels import hotspot_places, place_of_label
from hotspots.analysis.notes import DEMO_NOTE
from hotspots.analysis.patterns import patterns_at, place_patterns
from hotspots.analysis.peaks import peak_hour, peak_months, peak_weekday
from hotspots.analysis.prepare import Prepared, check_view
from hotspots.analysis.seasons import parse_financial_year
from hotspots.analysis.trend import NO_EARLIER_DATA, change_vs_previous
from hotspots.draw import cartography as carto
from hotspots.io import ATTRIBUTION, atomic_path, write_layer, write_table
from hotspots.read.geocode import bng_to_lonlat

if TYPE_CHECKING:  # matplotlib is imported where a sheet is drawn, not when a table is made
    from matplotlib.figure import Figure

    from hotspots.draw.static import MapStyle, WardLayer
    from hotspots.results import View

log = logging.getLogger(__name__)

#: The columns of a tasking sheet, in order (``geometry`` is a point per hotspot).
SHEET_COLUMNS = [
    "rank",
    "place",
    "ward",
    "area",
    "incidents",
    "share",
    "previous",
    "trend",
    "pattern",
    "hot_periods",
    "hot_in",
    "peak_months",
    "peak_weekday",
    "peak_hour",
    "locations",
    "label",
    "cluster_id",
    "lon",
    "lat",
    "geometry",
]


def _empty_sheet() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in SHEET_COLUMNS[:-1]})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=ANALYSIS_CRS), crs=ANALYSIS_CRS)


def sheet_from_clusters(
    clusters: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    members: pd.Series,
    previous: gpd.GeoDataFrame | None = None,
    patterns: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Turn hotspots and the incidents that make them into a tasking sheet.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        The hotspots to list (from :func:`hotspots.analysis.hotspots.find_hotspots` or
        :func:`hotspots.analysis.hotspots.clusters_and_members`; a view may list some of them).
    incidents : geopandas.GeoDataFrame
        The incidents that were clustered (the period, whole study area).
    members : pandas.Series
        ``cluster_id`` of each incident (``<NA>`` for noise), index-aligned with
        ``incidents``: the clustering's own answer, so DBSCAN is not run again.
    previous : geopandas.GeoDataFrame, optional
        The incidents of the same season a year before. None means the data
        holds no earlier period: ``previous`` is missing and ``trend`` is
        :data:`NO_EARLIER_DATA`. Ignored when ``clusters`` already has
        ``previous`` and ``trend`` (:func:`hotspots.analysis.trend.add_trend`, which
        compares part years on the months both hold).
    patterns : geopandas.GeoDataFrame, optional
        :func:`hotspots.analysis.patterns.place_patterns` up to this selection: gives
        ``pattern``, ``hot_periods`` and ``hot_in`` (see :func:`add_patterns`);
        blank without it.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`SHEET_COLUMNS`, ordered by ``rank``, which is the
        hotspot's ``cluster_id`` (its rank by incidents in the whole study area,
        so a ward's sheet may start at 3); the geometry is the hotspot's
        busiest map point (EPSG:27700), ``lon``/``lat`` the same point in WGS84.

    Raises
    ------
    HotspotsError
        If ``members`` does not give each hotspot its number of incidents.
    """
    check_columns(incidents, ["location", "month"], argument="incidents")
    if clusters.empty:
        return _empty_sheet()
    ids = clusters["cluster_id"].astype(int)
    cid = pd.to_numeric(members.reindex(incidents.index), errors="coerce")
    keep = cid.isin(set(ids)).to_numpy(dtype=bool)
    sub = incidents.loc[keep].assign(cluster_id=cid[keep].astype(int).to_numpy())
    if sub["cluster_id"].value_counts().reindex(ids, fill_value=0).tolist() != (
        clusters["incidents"].astype(int).tolist()
    ):
        raise HotspotsError(
            "the incidents and members given do not make these clusters: pass the incidents "
            "that were clustered and the members the same run gave (hotspots.analysis.hotspots."
            "find_hotspots returns both)"
        )
    if {"previous", "trend"} <= set(clusters.columns):  # from hotspots.analysis.trend.add_trend
        trend = clusters
    elif previous is not None:
        trend = change_vs_previous(clusters, previous)
    else:
        trend = clusters.assign(previous=pd.NA, trend=NO_EARLIER_DATA)
    groups = sub.groupby("cluster_id")
    blank = pd.Series("", index=groups.size().index)
    if "label" in clusters.columns:  # made once with the clusters (hotspots.analysis.labels)
        labels = clusters.set_index("cluster_id")["label"].astype(str)
    else:
        labels = hotspot_places(to_analysis_crs(incidents), members)["label"]
    labels = labels.reindex(ids).fillna("")
    peaks = pd.DataFrame(
        {
            "peak_months": groups["month"].agg(peak_months),
            "peak_weekday": groups["weekday"].agg(peak_weekday) if "weekday" in sub else blank,
            "peak_hour": groups["hour"].agg(peak_hour) if "hour" in sub else blank,
        }
    ).reindex(ids)
    points = busiest_points(sub, sub["cluster_id"]).reindex(ids)
    out = gpd.GeoDataFrame(
        {
            "rank": ids.to_numpy(),
            "place": [place_of_label(t) for t in labels],
            "ward": clusters["ward"].to_numpy(),
            "area": clusters["area"].to_numpy(),
            "incidents": clusters["incidents"].astype(int).to_numpy(),
            "share": clusters["share"].astype(float).to_numpy(),
            "previous": pd.array(trend["previous"], dtype="Int64"),
            "trend": trend["trend"].to_numpy(),
            "peak_months": peaks["peak_months"].to_numpy(),
            "peak_weekday": peaks["peak_weekday"].to_numpy(),
            "peak_hour": peaks["peak_hour"].to_numpy(),
            "locations": clusters["top_locations"].to_numpy(),
            "label": labels.to_numpy(),
            "cluster_id": ids.to_numpy(),
        },
        geometry=gpd.points_from_xy(points["point_x"], points["point_y"]),
        crs=ANALYSIS_CRS,
    )
    out = out.sort_values("rank", ignore_index=True)
    out = add_patterns(out, patterns)
    lon, lat = bng_to_lonlat(out.geometry.x, out.geometry.y)
    out["lon"], out["lat"] = np.round(lon, 6), np.round(lat, 6)
    return out[SHEET_COLUMNS]


def add_patterns(sheet: gpd.GeoDataFrame, patterns: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Each hotspot's pattern: that of the grid cell holding its busiest map point (the sheet's point).

    Adds ``pattern`` (a class of :data:`hotspots.analysis.patterns.PATTERNS`, or "" where
    the cell was never hot), ``hot_periods`` ("7 of 8 seasons", or "not hot in
    any season") and ``hot_in`` (the periods it was hot). Without ``patterns``
    the three are blank and ``attrs["pattern_periods"]`` is empty.

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> cells = gpd.GeoDataFrame({"cell": [4], "pattern": ["emerging"], "periods_hot": [1],
    ...                           "hot_in": ["winter 2018-19"]}, geometry=[None], crs=27700)
    >>> cells.attrs.update(grid={"x0": 0.0, "y0": 0.0, "cell_m": 100.0, "nx": 3, "ny": 2},
    ...                    periods=["autumn 2018-19", "winter 2018-19"], by="season")
    >>> sheet = gpd.GeoDataFrame({"rank": [1, 2]}, geometry=[Point(150, 150), Point(50, 50)])
    >>> add_patterns(sheet, cells)[["pattern", "hot_periods"]].values.tolist()
    [['emerging', '1 of 2 seasons'], ['', 'not hot in any season']]
    """
    out = sheet.copy()
    if patterns is None:
        out["pattern"] = out["hot_periods"] = out["hot_in"] = ""
        out.attrs["pattern_periods"] = []
        return out
    periods = list(patterns.attrs["periods"])
    by = patterns.attrs.get("by", "season")
    at = patterns_at(patterns, np.column_stack([out.geometry.x, out.geometry.y]))
    out["pattern"] = at["pattern"].to_numpy()
    out["hot_periods"] = [f"{k} of {len(periods)} {by}s" if p else f"not hot in any {by}"
                          for p, k in zip(at["pattern"], at["periods_hot"])]  # fmt: skip
    out["hot_in"] = at["hot_in"].to_numpy()
    out.attrs.update(
        pattern_periods=periods,
        pattern_by=by,
        pattern_cell_m=float(patterns.attrs["grid"]["cell_m"]),
    )
    return out


def patterns_for(
    prepared: Prepared,
    *,
    season: str | None,
    financial_year: str | None,
    params: ClusterParams | None = None,
    known: dict[str, gpd.GeoDataFrame] | None = None,
) -> gpd.GeoDataFrame | None:
    """The place patterns up to a selection, or None when the data holds fewer than two seasons.

    See :func:`hotspots.analysis.patterns.place_patterns` (seasons of financial years;
    ``known``: hotspots already found, by period label).
    """
    try:
        return place_patterns(prepared.incidents, prepared.wards, season=season,
                              financial_year=financial_year, params=params,
                              known=known)  # fmt: skip
    except HotspotsError as exc:
        log.info("no place patterns: %s", exc)
        return None


def view_sheet(view: View, *, patterns: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The tasking sheet of a view of a period's answer: its hotspots, ranked, drawn as they are.

    Parameters
    ----------
    view : hotspots.results.View
        From :meth:`hotspots.results.PeriodResult.view`: the hotspots lying in
        a focus area or ward (or all), with their trend, label and, when the
        result has it, the chance test.
    patterns : geopandas.GeoDataFrame, optional
        Place patterns to use instead of the result's own (the web app's cached ones).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`SHEET_COLUMNS`, then ``p_value``, ``q_value`` and ``significant``
        when the result has the chance test. ``attrs`` are the view's hotspots'.
    """
    result = view.result
    cells = patterns if patterns is not None else result.patterns
    sheet = sheet_from_clusters(view.hotspots, result.incidents, members=result.members,
                                patterns=cells)  # fmt: skip
    if result.chance is not None and "significant" in view.hotspots.columns:
        verdicts = view.hotspots.set_index("cluster_id")
        for col in ("p_value", "q_value", "significant"):
            sheet[col] = verdicts[col].reindex(sheet["cluster_id"]).to_numpy()
    kept = {k: sheet.attrs[k] for k in ("pattern_periods", "pattern_by", "pattern_cell_m")
            if k in sheet.attrs}  # fmt: skip
    sheet.attrs.update(view.hotspots.attrs, **kept)
    return sheet


def tasking(
    prepared: Prepared,
    *,
    season: str | None,
    financial_year: str,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
    patterns: gpd.GeoDataFrame | bool = True,
    chance: bool = False,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The tasking sheet and the clusters (hull polygons) it was made from.

    Same parameters as :func:`tasking_sheet`; the clusters are what a map draws
    (the same hotspots, ids, counts and labels as every other view of the
    period: :func:`hotspots.results.analyse_period`, viewed). ``patterns``:
    True computes the place patterns up to the selection, False leaves the
    pattern columns blank, or give the patterns already computed (the web
    app's cached ones). ``chance``: add the chance test's verdicts.
    """
    from hotspots.results import Period, analyse_period

    if not financial_year:
        raise HotspotsError(
            "a tasking sheet needs a financial year (e.g. '2018-19'): its trend compares each "
            "hotspot with the same season a year before"
        )
    parse_financial_year(financial_year)
    check_view(prepared, area=area, ward=ward)
    result = analyse_period(prepared, Period(season, financial_year), params=params,
                            chance=chance, patterns=patterns is True)  # fmt: skip
    view = result.view(area=area, ward=ward)
    sheet = view_sheet(view, patterns=patterns if isinstance(patterns, gpd.GeoDataFrame) else None)
    log.info("tasking sheet: %d hotspot(s) in a view of %d incidents", len(sheet),
             len(view.incidents))  # fmt: skip
    return sheet, view.hotspots


def tasking_sheet(
    prepared: Prepared,
    *,
    season: str | None,
    financial_year: str,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
    patterns: gpd.GeoDataFrame | bool = True,
) -> gpd.GeoDataFrame:
    """Rank one selection's hotspots for patrol tasking.

    Parameters
    ----------
    prepared : Prepared
        From :func:`hotspots.analysis.prepare.prepare`.
    season : {"winter", "spring", "summer", "autumn", "all"} or None
        None or "all" takes the whole financial year.
    financial_year : str
        ``"2018-19"``; the trend compares with the same season of the year before.
    area, ward : str, optional
        Only this focus area / ward.
    params : ClusterParams, optional
        DBSCAN settings.
    patterns : geopandas.GeoDataFrame or bool, default True
        The Pattern column: see :func:`tasking`.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`sheet_from_clusters`. ``attrs`` are those of
        :func:`hotspots.analysis.hotspots.find_hotspots`' clusters: ``selected``
        (incidents in the view), ``clustered`` (the period's incidents in the
        whole study area; ``share`` is of these), ``eps_m``, ``min_samples``
        and ``parameters`` (a line stating them).

    Raises
    ------
    HotspotsError
        For a missing or malformed financial year, or an unknown area or ward.

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.read.incidents import read_incidents
    >>> from hotspots.analysis.prepare import prepare
    >>> from hotspots.read.places import read_focus_areas
    >>> p = prepare(read_incidents([get_path("demo-incidents")]),
    ...             load_wards(get_path("demo-wards")),
    ...             areas=read_focus_areas(get_path("demo-focus-areas")))
    >>> sheet = tasking_sheet(p, season="autumn", financial_year="2018-19")
    >>> sheet.loc[0, "place"], sheet.loc[0, "area"], sheet.loc[0, "trend"]
    ('Market Place / Unicorn Hill', 'Town centre', 'steady')
    """
    return tasking(
        prepared,
        season=season,
        financial_year=financial_year,
        area=area,
        ward=ward,
        params=params,
        patterns=patterns,
    )[0]


SHEET_FORMATS = (".pdf", ".html", ".csv", ".geojson", ".json", ".gpkg")


def _page_groups(sheet: gpd.GeoDataFrame, area: str | None) -> list[tuple[str, pd.DataFrame]]:
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


def _page_heading(title: str, group: str, *, whole_sheet: bool) -> str:
    """A sheet page's heading: a whole-borough sheet's pages say whose hotspots they list.

    >>> t = "ASB hotspots: whole borough, autumn (Sep-Nov)"
    >>> _page_heading(t, "Town centre", whole_sheet=True)
    'ASB hotspots: whole borough, autumn (Sep-Nov) - page: hotspots in Town centre'
    >>> _page_heading(t, "Elsewhere in the borough", whole_sheet=True)
    'ASB hotspots: whole borough, autumn (Sep-Nov) - page: hotspots elsewhere in the borough'
    >>> _page_heading("ASB hotspots: Town centre, autumn", "Town centre", whole_sheet=False)
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


def _has_patterns(frame: pd.DataFrame) -> bool:
    return "pattern" in frame.columns


def _sheet_rows(
    frame: pd.DataFrame, *, narrow: bool = False, wrap: bool = False
) -> list[list[str]]:
    """The table's cells; the place is the map label's, in full (``wrap``: on several lines)."""
    tested = "significant" in frame.columns
    patterned = _has_patterns(frame)
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
        if wrap and narrow:
            chance = textwrap.fill(chance, 14)
        rows.append([
            str(r.rank), place, ward, str(r.incidents), f"{100 * r.share:.1f}%", trend,
        ] + ([_pattern_mark(r.pattern, r.hot_periods)] if patterned else []) + [
            months, when or "-",
        ] + ([chance] if tested else []))  # fmt: skip
    return rows


def _row_lines(rows: list[list[str]]) -> list[int]:
    """How many lines each table row takes (its tallest cell)."""
    return [max(cell.count("\n") + 1 for cell in row) for row in rows]


def _page_chunks(frame: pd.DataFrame, *, narrow: bool) -> list[pd.DataFrame]:
    """The rows of each page: :data:`ROWS_PER_PAGE` one-line rows' height at most."""
    if frame.empty:
        return [frame]
    lines = _row_lines(_sheet_rows(frame, narrow=narrow, wrap=True))
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
        "hot = inside that season's hotspots. Persistent: hot in at least 80% of them. Emerging: "
        f"hot in the latest, never in the first {t // 2}. Former: hot in the first {t // 2}, "
        f"never since. Diminishing: hot in the first {t // 2}, not in the latest, but in "
        f"between. Intermittent: any other. 'persistent {k}/{t}' = hot in {k} of the {t} seasons."
    )


def _sheet_header(frame: pd.DataFrame, *, narrow: bool = False) -> list[str]:
    header = list(SHEET_HEADER)
    if narrow:  # the page's subtitle says what the trend compares
        header = ["Trend" if h.startswith("Trend") else h for h in header]
    if _has_patterns(frame):
        header.insert(6, PATTERN_HEADER)
    return header + ([CHANCE_HEADER] if "significant" in frame.columns else [])


def _sheet_pattern_legend(sheet: gpd.GeoDataFrame) -> str:
    if not _has_patterns(sheet):
        return ""
    return pattern_legend(sheet.attrs.get("pattern_periods", []), sheet.attrs.get("pattern_cell_m"))


ROWS_PER_PAGE = 22
#: A table row's height grows by this share of a one-line row for each extra line.
ROW_EXTRA_LINE = 0.6


def sheet_figures(
    sheet: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    wards: WardLayer | gpd.GeoDataFrame,
    *,
    title: str,
    note: str,
    area: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    demo: bool = False,
    style: MapStyle | None = None,
) -> Iterator[Figure]:
    """The pages of a tasking sheet as matplotlib Figures (A4 landscape), one by one.

    :func:`sheet_pdf` writes them to a PDF; a page can also be saved as PNG
    (:func:`save_figure`) to show or check it. Parameters as :func:`sheet_pdf`.
    """
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure

    from hotspots.draw.static import (
        _A4_LANDSCAPE,
        MapStyle,
        WardLayer,
        _centre_names,
        _extent,
        _north_arrow,
        _scale_bar,
        add_legend,
        chance_look,
        chance_simulations,
        draw_map,
    )

    layer = wards if isinstance(wards, WardLayer) else WardLayer.of(wards)
    style = style or MapStyle(dpi=150)
    hulls = clusters.set_index("cluster_id")
    # One set of colour classes for the whole sheet (the web map's and the static maps').
    classes = carto.hotspot_classes(clusters) if len(clusters) else None
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", style.attribution()) if p)
    for name, frame in _page_groups(sheet, area):
        crowded = _has_patterns(sheet) and "significant" in sheet.columns
        chunks = _page_chunks(frame, narrow=crowded)
        for page, chunk in enumerate(chunks, start=1):
            fig = Figure(figsize=_A4_LANDSCAPE, dpi=style.dpi)
            heading = _page_heading(title, name, whole_sheet=area is None)
            heading += f" (continued, page {page})" if page > 1 else ""
            fig.text(0.03, 0.95, heading, fontsize=12, fontweight="bold", va="center")
            fig.text(0.03, 0.915, f"{len(frame)} hotspot(s), ranked by incidents across the "
                     "whole selection; trend compares the same season a year before. "
                     "Map labels: rank and main street.", fontsize=8, va="center")  # fmt: skip
            # Ten columns (pattern and chance test): a narrower map, a wider table.
            split = 0.375 if crowded else 0.415
            ax = fig.add_axes((0.02, 0.25, split - 0.035, 0.63))
            page_hulls = hulls.loc[[c for c in chunk["cluster_id"] if c in hulls.index]]
            page_hulls = page_hulls.assign(rank=chunk.set_index("cluster_id")["rank"])
            # The map marks the chance test as the table does: the sheet's verdicts, or none.
            page_hulls = page_hulls.drop(columns=["significant"], errors="ignore")
            if "significant" in chunk.columns:
                page_hulls["significant"] = chunk.set_index("cluster_id")["significant"]
            bounds = page_hulls.total_bounds if len(page_hulls) else layer.bounds
            extent = _extent(bounds, pad=0.15, min_span=1200.0)
            points = chunk.set_index("cluster_id").loc[page_hulls.index].reset_index()
            drawn = draw_map(ax, page_hulls.reset_index(), layer, extent=extent, areas=areas,
                             style=style, points=points, classes=classes)  # fmt: skip
            _scale_bar(ax, extent)
            _north_arrow(ax)
            shown = ax.get_xlim()[0], ax.get_ylim()[0], ax.get_xlim()[1], ax.get_ylim()[1]
            entries = carto.legend_entries(
                hotspots=drawn, centres=_centre_names(areas, extent=shown),
                roads=style.roads is not None, approximate_wards=demo,
                chance=chance_simulations(page_hulls),
            )  # fmt: skip
            # The chance model and the missing streets are said in the text beside the table
            # and in the footer: the legend under the map keeps to what the map draws.
            # Below the map, so it never hides a hotspot.
            add_legend(fig, entries, loc="upper left", bbox_to_anchor=(0.02, 0.245), ncols=2,
                       fontsize=6.5, frameon=False, handlelength=1.4, columnspacing=1.2,
                       wrap=34, floor=0.075, right=split - 0.01)  # fmt: skip
            tab = fig.add_axes((split, 0.1, 0.99 - split, 0.78))
            tab.set_axis_off()
            if len(chunk):
                widths = [0.035, 0.25, 0.14, 0.075, 0.06, 0.16, 0.13, 0.15]
                if "significant" in chunk.columns:  # make room: narrower place and trend
                    widths = [0.035, 0.19, 0.11, 0.065, 0.05, 0.13, 0.11, 0.14, 0.14]
                if _has_patterns(chunk):  # the Pattern column after the trend
                    widths = [0.03, 0.2, 0.11, 0.07, 0.05, 0.15, 0.11, 0.11, 0.17]
                    if "significant" in chunk.columns:
                        widths = [0.025, 0.17, 0.11, 0.06, 0.05, 0.1, 0.105, 0.1, 0.16, 0.12]
                cells = _sheet_rows(chunk, narrow=crowded, wrap=True)
                table = tab.table(cellText=cells,
                                  colLabels=_sheet_header(chunk, narrow=crowded),
                                  loc="upper center", cellLoc="left",
                                  colWidths=widths)  # fmt: skip
                table.auto_set_font_size(False)
                table.set_fontsize(6.0 if crowded else 6.5)
                table.scale(1, 1.35)
                for row, n in enumerate(_row_lines(cells), start=1):  # a label in full
                    if n > 1:
                        for col in range(len(cells[0])):
                            cell = table[row, col]
                            cell.set_height(cell.get_height() * (1 + ROW_EXTRA_LINE * (n - 1)))
                if classes is not None:  # the rank cell looks like the hotspot on the map
                    verdicts = (
                        chunk["significant"] if "significant" in chunk else [None] * len(chunk)
                    )
                    for row, (n, sig) in enumerate(zip(chunk["incidents"], verdicts), start=1):
                        cell = table[row, 0]
                        look = chance_look(sig)
                        cell.set_facecolor(to_rgba(classes.colour(n), look["alpha"]))
                        cell.set_linestyle(look["linestyle"])
                        if classes.index(n)[0] >= 3 and look["alpha"] == 1:
                            cell.get_text().set_color("white")
            else:
                tab.text(0.5, 0.9, "No hotspots in this selection.", ha="center", fontsize=11)
            legends = [
                t
                for t in (
                    _sheet_pattern_legend(sheet),
                    CHANCE_LEGEND if "significant" in sheet.columns else "",
                )
                if t
            ]
            if legends:
                # Under the longest table a page holds (ROWS_PER_PAGE rows end near 0.26).
                fig.text(split, 0.2 if len(legends) > 1 else 0.13,
                         "\n".join(textwrap.fill(t, 124) for t in legends), fontsize=6.5,
                         va="top")  # fmt: skip
            fig.text(0.03, 0.045, textwrap.fill(footer, 190), fontsize=6.5, va="center")
            yield fig


def sheet_pdf(
    sheet: gpd.GeoDataFrame,
    clusters: gpd.GeoDataFrame,
    wards: WardLayer | gpd.GeoDataFrame,
    path: str | Path,
    *,
    title: str,
    note: str,
    area: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    demo: bool = False,
    style: MapStyle | None = None,
) -> Path:
    """Write a printable tasking sheet: one A4 page per focus area, a map beside the list.

    Parameters
    ----------
    sheet : geopandas.GeoDataFrame
        From :func:`hotspots.outputs.tasking.tasking_sheet`.
    clusters : geopandas.GeoDataFrame
        The hulls the sheet was made from (matched on ``cluster_id``).
    wards : WardLayer or geopandas.GeoDataFrame
    path : str or Path
        The PDF to write (atomically).
    title, note : str
        Page title and data note (source, date range).
    area : str, optional
        The focus area the sheet was made for: one page (more if the list is long).
    areas : geopandas.GeoDataFrame, optional
        Focus areas to outline and name on the maps.
    demo : bool, default False
        Label the boundaries as approximate.
    style : MapStyle, optional
        Basemap and roads (default: none, at 150 dpi).

    Returns
    -------
    Path
    """
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages

    from hotspots.draw.static import _RC, _SAVE_META

    with (
        rc_context(_RC),
        atomic_path(path) as tmp,
        PdfPages(tmp, metadata=_SAVE_META["pdf"]) as pdf,
    ):
        for fig in sheet_figures(sheet, clusters, wards, title=title, note=note, area=area,
                                 areas=areas, demo=demo, style=style):  # fmt: skip
            pdf.savefig(fig)
    return Path(path)


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
    for name, frame in _page_groups(sheet, area):
        parts.append(f"<section><h2>{esc(name)}</h2>")
        if frame.empty:
            parts.append("<p>No hotspots in this selection.</p></section>")
            continue
        parts.append("<table><thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in _sheet_header(frame))
                     + "</tr></thead><tbody>")  # fmt: skip
        for row in _sheet_rows(frame):
            parts.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table></section>")
    if _has_patterns(sheet):
        parts.append(f"<p class='legend'>{esc(_sheet_pattern_legend(sheet))}</p>")
    if "significant" in sheet.columns:
        parts.append(f"<p class='legend'>{esc(CHANCE_LEGEND)}</p>")
    footer = " ".join(p for p in (note, DEMO_NOTE if demo else "", ATTRIBUTION) if p)
    parts.append(f"<footer>{esc(footer)}</footer></body></html>")
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(parts), encoding="utf-8")
    return Path(path)


def write_sheet(
    sheet: gpd.GeoDataFrame,
    path: str | Path,
    *,
    clusters: gpd.GeoDataFrame,
    wards: WardLayer | gpd.GeoDataFrame,
    title: str,
    note: str,
    area: str | None = None,
    areas: gpd.GeoDataFrame | None = None,
    demo: bool = False,
    style: MapStyle | None = None,
) -> Path:
    """Write a tasking sheet in the format its suffix names.

    ``.csv`` (no geometry; ``lon``/``lat`` columns), ``.geojson``/``.json``
    (one point per hotspot, EPSG:4326), ``.gpkg``, ``.html`` or ``.pdf``.

    Raises
    ------
    HotspotsError
        For any other suffix.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SHEET_FORMATS:
        raise HotspotsError(
            f"cannot write the tasking sheet as {str(path)!r}: the output must end in one of "
            f"{SHEET_FORMATS!r}"
        )
    if suffix == ".csv":
        return write_table(pd.DataFrame(sheet.drop(columns=sheet.geometry.name)), path)
    if suffix in (".geojson", ".json", ".gpkg"):
        return write_layer(sheet, path, layer_name="tasking")
    if suffix == ".html":
        return sheet_html(sheet, path, title=title, note=note, area=area, demo=demo)
    return sheet_pdf(sheet, clusters, wards, path, title=title, note=note, area=area,
                     areas=areas, demo=demo, style=style)  # fmt: skip
