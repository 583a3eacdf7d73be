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
the table's cells and the HTML page are in :mod:`hotspots.outputs.tasking_table`, the
printable pages in :mod:`hotspots.outputs.tasking_pages`; :func:`write_sheet` writes any
of them.
"""

from __future__ import annotations

import logging
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
from hotspots.analysis.patterns import patterns_at, place_patterns
from hotspots.analysis.peaks import peak_hour, peak_months, peak_weekday
from hotspots.analysis.prepare import Prepared, check_view
from hotspots.analysis.seasons import parse_financial_year
from hotspots.analysis.trend import NO_EARLIER_DATA, change_vs_previous
from hotspots.io import write_layer, write_table
from hotspots.read.geocode import bng_to_lonlat

if TYPE_CHECKING:  # matplotlib is imported where a sheet is drawn, not when a table is made
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
        from hotspots.outputs.tasking_table import sheet_html

        return sheet_html(sheet, path, title=title, note=note, area=area, demo=demo)
    from hotspots.outputs.tasking_pages import sheet_pdf

    return sheet_pdf(sheet, clusters, wards, path, title=title, note=note, area=area,
                     areas=areas, demo=demo, style=style)  # fmt: skip
