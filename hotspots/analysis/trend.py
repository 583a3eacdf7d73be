"""The trend of a hotspot: its change against the same season a year before."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._validate import check_points, to_analysis_crs
from hotspots.analysis.cluster import (
    ClusterParams,
)
from hotspots.analysis.hotspots import hotspots_for
from hotspots.analysis.prepare import Prepared
from hotspots.analysis.seasons import (
    financial_year_of,
    months_held,
    months_in_common,
    parse_financial_year,
    select_period,
)

log = logging.getLogger(__name__)


def previous_period(
    prepared: Prepared, *, season: str | None, financial_year: str | None
) -> gpd.GeoDataFrame | None:
    """The same season a year before in the whole study area, or None when the data has none.

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.read.incidents import read_incidents
    >>> from hotspots.analysis.prepare import prepare
    >>> p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    >>> len(previous_period(p, season="autumn", financial_year="2018-19")) > 0
    True
    >>> previous_period(p, season="autumn", financial_year="2017-18") is None
    True
    """
    if not financial_year:
        return None
    before = previous_financial_year(financial_year)
    whole = select_period(prepared.incidents, season=season, financial_year=before)
    return None if whole.empty else whole


def add_trend(
    clusters: gpd.GeoDataFrame,
    prepared: Prepared,
    *,
    season: str | None,
    financial_year: str | None,
    current: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Add ``previous``, ``change`` and ``trend`` against the same season a year before.

    The earlier incidents counted are those of the whole study area inside each
    hotspot's outline, so a hotspot has the same trend in every view.
    ``attrs["compared_with"]`` names the earlier period ("autumn 2017-18") or is
    None. When the two years do not hold the same months (a part year), both
    are counted on the months they share (``"autumn 2017-18, Nov only (the
    months both hold)"``) and ``attrs["months_note"]`` says what each holds.
    ``current``: the period's incidents when the caller has them already
    (:func:`hotspots.results.analyse_period`), so the period is not selected again.
    """
    attrs = dict(clusters.attrs)
    attrs["compared_with"] = None
    earlier = previous_period(prepared, season=season, financial_year=financial_year)
    season_word = "" if season in (None, "all") else f"{season} "
    out = None
    if earlier is not None:  # like with like: only the months both years hold
        before = previous_financial_year(financial_year)
        now = current
        if now is None:
            now = select_period(prepared.incidents, season=season, financial_year=financial_year)
        common, note = months_in_common(
            now, earlier, labels=(f"{season_word}{financial_year}", f"{season_word}{before}")
        )
        attrs["months_note"] = note
        if note is None:
            out = change_vs_previous(clusters, earlier)
            attrs["compared_with"] = f"{season_word}{before}"
        elif common:  # count both years' incidents in each outline, on the common months
            alike = now[now["month_num"].isin(common)]
            counts = change_vs_previous(clusters, alike)["previous"]
            out = change_vs_previous(
                clusters.assign(incidents=counts), earlier[earlier["month_num"].isin(common)]
            )
            out["incidents"] = clusters["incidents"]
            attrs["compared_with"] = (
                f"{season_word}{before}, {months_held(common)} only (the months both hold)"
            )
    if out is None:
        out = clusters.copy()
        out["previous"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["change"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["trend"] = pd.Series([NO_EARLIER_DATA] * len(out), index=out.index, dtype=object)
    out.attrs = attrs
    return out


def hotspots_with_trend(
    prepared: Prepared,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
) -> gpd.GeoDataFrame:
    """Hotspots of a selection with their change against the same season a year before.

    Returns
    -------
    geopandas.GeoDataFrame
        :func:`hotspots_for`'s columns plus ``previous``, ``change`` and ``trend``
        (see :func:`hotspots.analysis.trend.change_vs_previous` and :func:`add_trend`).
        Where there is no financial year, or the data holds nothing for the same
        season a year before, ``previous`` and ``change`` are missing and
        ``trend`` is :data:`hotspots.analysis.trend.NO_EARLIER_DATA`. When the two
        years do not hold the same months (a part year), both are counted on
        the months they share (``"autumn 2017-18, Nov only (the months both
        hold)"``) and ``attrs["months_note"]`` says what each holds.
    """
    clusters = hotspots_for(
        prepared, season=season, financial_year=financial_year, area=area, ward=ward,
        params=params,
    )  # fmt: skip
    return add_trend(clusters, prepared, season=season, financial_year=financial_year)


TRENDS = ("new", "growing", "steady", "shrinking")


#: Trend where the data holds nothing for the same season a year before.
NO_EARLIER_DATA = "no earlier data"


#: A hotspot is growing (shrinking) when it has this many times more (fewer) incidents.
GROWTH = 1.25


def previous_financial_year(financial_year: str) -> str:
    """The financial year before ``financial_year``.

    Examples
    --------
    >>> previous_financial_year("2018-19")
    '2017-18'
    """
    start = parse_financial_year(financial_year)
    return financial_year_of(start - 1, 4)


def trend_label(current: int, previous: int, *, growth: float = GROWTH) -> str:
    """Label a hotspot's change: new, growing, steady or shrinking.

    ("steady", not "persistent": that word is a place pattern's, see :func:`classify_pattern`.)

    Examples
    --------
    >>> [trend_label(10, 0), trend_label(30, 20), trend_label(20, 19), trend_label(10, 20)]
    ['new', 'growing', 'steady', 'shrinking']
    """
    if previous <= 0:
        return "new"
    if current >= growth * previous:
        return "growing"
    if current * growth <= previous:
        return "shrinking"
    return "steady"


def change_vs_previous(
    clusters: gpd.GeoDataFrame, previous_incidents: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Count the earlier period's incidents inside each hotspot's outline.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        Hotspots with ``incidents`` and hull polygons (from
        :func:`hotspots.analysis.summaries.find_clusters`).
    previous_incidents : geopandas.GeoDataFrame
        The incidents of the period to compare with (for example the same
        season a year before: ``select_period(..., financial_year=
        previous_financial_year(fy))``).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``clusters`` with ``previous`` (incidents in the outline then),
        ``change`` (now minus then) and ``trend`` (see :func:`trend_label`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> hs = gpd.GeoDataFrame({"incidents": [12]}, geometry=[Point(0, 0).buffer(50)], crs=27700)
    >>> old = gpd.GeoDataFrame(geometry=[Point(1, 1)] * 4 + [Point(500, 500)], crs=27700)
    >>> change_vs_previous(hs, old)[["previous", "change", "trend"]].values.tolist()
    [[4, 8, 'growing']]
    """
    check_points(previous_incidents, argument="previous_incidents")
    out = clusters.copy()
    counts = np.zeros(len(out), dtype=np.int64)
    if len(out) and len(previous_incidents):
        hulls = to_analysis_crs(out).geometry.reset_index(drop=True)
        points = to_analysis_crs(previous_incidents).geometry.reset_index(drop=True)
        hull_idx, _ = points.sindex.query(hulls, predicate="intersects")
        counts = np.bincount(hull_idx, minlength=len(out)).astype(np.int64)
    out["previous"] = counts
    out["change"] = out["incidents"].to_numpy(dtype=np.int64) - counts
    out["trend"] = pd.Series(
        [trend_label(int(c), int(p)) for c, p in zip(out["incidents"], counts)],
        index=out.index,
        dtype=object,
    )
    return out
