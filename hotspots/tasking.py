"""Tasking sheets: hotspots as a ranked list for the people who plan patrols.

A tasking sheet has one row per hotspot of a selection (season, financial
year, optionally a focus area or ward), ranked by incidents in the whole study
area (a ward's sheet lists the study area's hotspots that lie in the ward, with
their study-area ranks: see :mod:`hotspots.pipeline`), with a plain
place description (the most common police.uk ``Location`` string among the
hotspot's incidents, e.g. "On or near Unicorn Hill"), its ward and focus area,
the change against the same season a year before, its place's pattern over the
seasons up to the selection (:mod:`hotspots.patterns`: persistent, emerging,
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

Everything here is a pure function on the tables of :mod:`hotspots.pipeline`;
rendering lives in :mod:`hotspots.export`.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots._validate import ANALYSIS_CRS, check_columns
from hotspots.cluster import ClusterParams
from hotspots.evaluate import NO_EARLIER_DATA, change_vs_previous
from hotspots.geocode import bng_to_lonlat
from hotspots.patterns import patterns_at, place_patterns
from hotspots.pipeline import (
    Prepared,
    add_trend,
    busiest_points,
    check_view,
    find_hotspots,
)
from hotspots.seasons import parse_financial_year

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
    "cluster_id",
    "lon",
    "lat",
    "geometry",
]
#: Weekday and hour peaks are given only when at least this share of a hotspot's incidents has them.
MIN_KNOWN_SHARE = 0.5
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _mode(values: pd.Series, *, order: list | None = None) -> list:
    """The most common values (all of them on a tie), in ``order`` or sorted."""
    values = values.dropna()
    values = values[values.astype(str).str.strip() != ""]
    if values.empty:
        return []
    counts = values.value_counts()
    top = counts[counts == counts.max()].index.tolist()
    if order is not None:
        return [v for v in order if v in top]
    return sorted(top)


def place_of(locations: pd.Series) -> str:
    """The plain place description: the most common ``Location`` string.

    Ties go to the alphabetically first; blanks are ignored.

    Examples
    --------
    >>> import pandas as pd
    >>> place_of(pd.Series(["On or near Unicorn Hill"] * 2 + ["On or near Bates Hill", ""]))
    'On or near Unicorn Hill'
    >>> place_of(pd.Series(["", None]))
    ''
    """
    top = _mode(locations.astype(object))
    return str(top[0]) if top else ""


def peak_months(months: pd.Series) -> str:
    """The month or months (on a tie) with the most incidents, e.g. ``"Oct 2018"``.

    Parameters
    ----------
    months : pandas.Series
        ``YYYY-MM`` strings (the incidents' ``month`` column).

    Examples
    --------
    >>> import pandas as pd
    >>> peak_months(pd.Series(["2018-10", "2018-10", "2018-11", "2018-09", "2018-09"]))
    'Sep 2018, Oct 2018'
    """
    top = _mode(months.astype(object))
    return ", ".join(pd.Timestamp(f"{m}-01").strftime("%b %Y") for m in top)


def peak_weekday(weekdays: pd.Series) -> str:
    """The busiest weekday (ties joined), or "" when fewer than half the incidents have one.

    Examples
    --------
    >>> import pandas as pd
    >>> peak_weekday(pd.Series(["Friday", "Saturday", "Saturday", None]))
    'Saturday'
    >>> peak_weekday(pd.Series(["Friday", None, None]))
    ''
    """
    known = weekdays.dropna()
    if len(weekdays) == 0 or len(known) < MIN_KNOWN_SHARE * len(weekdays):
        return ""
    return ", ".join(_mode(known.astype(object), order=list(_WEEKDAYS)))


def peak_hour(hours: pd.Series) -> str:
    """The busiest hour as ``"20:00-21:00"`` (ties joined), or "" when most incidents have none.

    Examples
    --------
    >>> import pandas as pd
    >>> peak_hour(pd.Series([20, 20, 21, 3], dtype="Int64"))
    '20:00-21:00'
    >>> peak_hour(pd.Series([20, None, None], dtype="Int64"))
    ''
    """
    known = pd.Series(hours).dropna()
    if len(hours) == 0 or len(known) < MIN_KNOWN_SHARE * len(hours):
        return ""
    top = _mode(known.astype(int))
    return ", ".join(f"{h:02d}:00-{(h + 1) % 24:02d}:00" for h in top)


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
        The hotspots to list (from :func:`hotspots.pipeline.find_hotspots` or
        :func:`hotspots.pipeline.clusters_and_members`; a view may list some of them).
    incidents : geopandas.GeoDataFrame
        The incidents that were clustered (the period, whole study area).
    members : pandas.Series
        ``cluster_id`` of each incident (``<NA>`` for noise), index-aligned with
        ``incidents``: the clustering's own answer, so DBSCAN is not run again.
    previous : geopandas.GeoDataFrame, optional
        The incidents of the same season a year before. None means the data
        holds no earlier period: ``previous`` is missing and ``trend`` is
        :data:`NO_EARLIER_DATA`. Ignored when ``clusters`` already has
        ``previous`` and ``trend`` (:func:`hotspots.pipeline.add_trend`, which
        compares part years on the months both hold).
    patterns : geopandas.GeoDataFrame, optional
        :func:`hotspots.patterns.place_patterns` up to this selection: gives
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
            "that were clustered and the members the same run gave (hotspots.pipeline."
            "find_hotspots returns both)"
        )
    if {"previous", "trend"} <= set(clusters.columns):  # from hotspots.pipeline.add_trend
        trend = clusters
    elif previous is not None:
        trend = change_vs_previous(clusters, previous)
    else:
        trend = clusters.assign(previous=pd.NA, trend=NO_EARLIER_DATA)
    groups = sub.groupby("cluster_id")
    blank = pd.Series("", index=groups.size().index)
    peaks = pd.DataFrame(
        {
            "place": groups["location"].agg(place_of),
            "peak_months": groups["month"].agg(peak_months),
            "peak_weekday": groups["weekday"].agg(peak_weekday) if "weekday" in sub else blank,
            "peak_hour": groups["hour"].agg(peak_hour) if "hour" in sub else blank,
        }
    ).reindex(ids)
    points = busiest_points(sub, sub["cluster_id"]).reindex(ids)
    out = gpd.GeoDataFrame(
        {
            "rank": ids.to_numpy(),
            "place": peaks["place"].to_numpy(),
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

    Adds ``pattern`` (a class of :data:`hotspots.evaluate.PATTERNS`, or "" where
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
    out.attrs.update(pattern_periods=periods, pattern_by=by,
                     pattern_cell_m=float(patterns.attrs["grid"]["cell_m"]))
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

    See :func:`hotspots.patterns.place_patterns` (seasons of financial years;
    ``known``: hotspots already found, by period label).
    """
    try:
        return place_patterns(prepared.incidents, prepared.wards, season=season,
                              financial_year=financial_year, params=params,
                              known=known)  # fmt: skip
    except HotspotsError as exc:
        log.info("no place patterns: %s", exc)
        return None


def tasking(
    prepared: Prepared,
    *,
    season: str | None,
    financial_year: str,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
    patterns: gpd.GeoDataFrame | bool = True,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The tasking sheet and the clusters (hull polygons) it was made from.

    Same parameters as :func:`tasking_sheet`; the clusters are what a map draws
    (the same hotspots, ids and counts as every other view of the period).
    ``patterns``: True computes the place patterns up to the selection
    (:func:`patterns_for`), False leaves the pattern columns blank, or give the
    patterns already computed (the web app's cached ones).
    """
    if not financial_year:
        raise HotspotsError(
            "a tasking sheet needs a financial year (e.g. '2018-19'): its trend compares each "
            "hotspot with the same season a year before"
        )
    parse_financial_year(financial_year)
    check_view(prepared, area=area, ward=ward)
    whole = find_hotspots(prepared, season=season, financial_year=financial_year, params=params)
    found = whole.within(area=area, ward=ward) if (area or ward) else whole
    clusters = add_trend(found.clusters, prepared, season=season, financial_year=financial_year)
    if patterns is True:  # this season's hotspots are one of the periods: not clustered again
        known = {f"{season} {financial_year}": whole.clusters} if season not in (None, "all") else None
        patterns = patterns_for(prepared, season=season, financial_year=financial_year,
                                params=params, known=known)  # fmt: skip
    cells = patterns if isinstance(patterns, gpd.GeoDataFrame) else None
    sheet = sheet_from_clusters(clusters, found.period, members=found.members, patterns=cells)
    kept = {k: sheet.attrs[k] for k in ("pattern_periods", "pattern_by", "pattern_cell_m")
            if k in sheet.attrs}  # fmt: skip
    sheet.attrs.update(clusters.attrs, **kept)
    log.info("tasking sheet: %d hotspot(s) in a view of %d incidents", len(sheet),
             len(found.selected))  # fmt: skip
    return sheet, clusters


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
        From :func:`hotspots.pipeline.prepare`.
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
        :func:`hotspots.pipeline.find_hotspots`' clusters: ``selected``
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
    >>> from hotspots.incidents import read_incidents
    >>> from hotspots.pipeline import prepare
    >>> from hotspots.places import read_focus_areas
    >>> p = prepare(read_incidents([get_path("demo-incidents")]),
    ...             load_wards(get_path("demo-wards")),
    ...             areas=read_focus_areas(get_path("demo-focus-areas")))
    >>> sheet = tasking_sheet(p, season="autumn", financial_year="2018-19")
    >>> sheet.loc[0, "place"], sheet.loc[0, "area"], sheet.loc[0, "trend"]
    ('On or near Market Place', 'Town centre', 'steady')
    """
    return tasking(
        prepared, season=season, financial_year=financial_year, area=area, ward=ward, params=params,
        patterns=patterns,
    )[0]
