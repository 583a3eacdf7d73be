"""Hotspot quality and stability between periods.

For now: how each hotspot compares with the same season a year before
(new / persistent / growing / shrinking). PAI backtests against KDE,
significance and emerging-hotspot tests will live here too.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._validate import check_points, to_analysis_crs
from hotspots.seasons import financial_year_of, parse_financial_year

TRENDS = ("new", "growing", "persistent", "shrinking")
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
    """Label a hotspot's change: new, growing, persistent or shrinking.

    Examples
    --------
    >>> [trend_label(10, 0), trend_label(30, 20), trend_label(20, 19), trend_label(10, 20)]
    ['new', 'growing', 'persistent', 'shrinking']
    """
    if previous <= 0:
        return "new"
    if current >= growth * previous:
        return "growing"
    if current * growth <= previous:
        return "shrinking"
    return "persistent"


def change_vs_previous(
    clusters: gpd.GeoDataFrame, previous_incidents: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Count the earlier period's incidents inside each hotspot's outline.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        Hotspots with ``incidents`` and hull polygons (from
        :func:`hotspots.cluster.find_clusters`).
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
