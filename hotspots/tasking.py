"""Tasking sheets: hotspots as a ranked list for the people who plan patrols.

A tasking sheet has one row per hotspot of a selection (season, financial
year, optionally a focus area or ward), ranked by incidents, with a plain
place description (the most common police.uk ``Location`` string among the
hotspot's incidents, e.g. "On or near Unicorn Hill"), its ward and focus area,
the change against the same season a year before, and when it peaks (months;
weekday and hour where the data has them). Its geometry is one point per
hotspot, for patrol devices.

Everything here is a pure function on the tables of :mod:`hotspots.pipeline`;
rendering lives in :mod:`hotspots.export`.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point

from hotspots._errors import HotspotsError
from hotspots._validate import ANALYSIS_CRS, check_columns, to_analysis_crs
from hotspots.cluster import ClusterParams, label_incidents
from hotspots.evaluate import NO_EARLIER_DATA, change_vs_previous
from hotspots.geocode import bng_to_lonlat
from hotspots.pipeline import Prepared, hotspots_for, previous_selection, select_incidents
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


def _busiest_point(xy: np.ndarray) -> tuple[float, float]:
    """The map point with the most incidents (ties: the one nearest the mean)."""
    uniq, counts = np.unique(xy, axis=0, return_counts=True)
    best = uniq[counts == counts.max()]
    centre = xy.mean(axis=0)
    pick = best[np.argmin(((best - centre) ** 2).sum(axis=1))]
    return float(pick[0]), float(pick[1])


def _empty_sheet() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in SHEET_COLUMNS[:-1]})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=ANALYSIS_CRS), crs=ANALYSIS_CRS)


def sheet_from_clusters(
    clusters: gpd.GeoDataFrame,
    incidents: gpd.GeoDataFrame,
    *,
    previous: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Turn clusters and the incidents they were found in into a tasking sheet.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        From :func:`hotspots.pipeline.hotspots_for` or
        :func:`hotspots.cluster.find_clusters` (their ``attrs`` carry ``eps_m``
        and ``min_samples``, used to recover each hotspot's incidents).
    incidents : geopandas.GeoDataFrame
        Exactly the incidents that were clustered (the same selection).
    previous : geopandas.GeoDataFrame, optional
        The incidents of the same selection a year before. None means the data
        holds no earlier period: ``previous`` is missing and ``trend`` is
        :data:`NO_EARLIER_DATA`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`SHEET_COLUMNS`, ranked by incidents (``rank`` 1 is the
        largest); the geometry is the hotspot's busiest map point (EPSG:27700),
        ``lon``/``lat`` the same point in WGS84.

    Raises
    ------
    HotspotsError
        If ``clusters`` lacks the ``eps_m``/``min_samples`` attributes, or the
        incidents do not reproduce the clusters.
    """
    check_columns(incidents, ["location", "month"], argument="incidents")
    if clusters.empty:
        return _empty_sheet()
    if "eps_m" not in clusters.attrs or "min_samples" not in clusters.attrs:
        raise HotspotsError(
            "clusters must come from find_clusters or hotspots_for (their attrs carry eps_m and "
            f"min_samples); got attrs {sorted(clusters.attrs)!r}"
        )
    labels = label_incidents(
        incidents, eps_m=clusters.attrs["eps_m"], min_samples=clusters.attrs["min_samples"]
    ).to_numpy()
    geoms = to_analysis_crs(incidents).geometry
    xy = np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])
    # Match each DBSCAN label to its summary row by size and mean point (as computed there).
    members: dict[int, np.ndarray] = {}
    for label in np.unique(labels[labels >= 0]):
        mask = labels == label
        pts = xy[mask]
        hit = clusters.index[
            (clusters["incidents"] == mask.sum())
            & np.isclose(clusters["centroid_x"], pts[:, 0].mean(), atol=1e-6)
            & np.isclose(clusters["centroid_y"], pts[:, 1].mean(), atol=1e-6)
        ]
        if len(hit) != 1:
            raise HotspotsError(
                "the incidents given do not reproduce the clusters: pass exactly the selection "
                "that was clustered"
            )
        members[hit[0]] = mask
    if len(members) != len(clusters):
        raise HotspotsError("the incidents given do not reproduce the clusters")
    if previous is not None:
        trend = change_vs_previous(clusters, previous)
    else:
        trend = clusters.assign(previous=pd.NA, trend=NO_EARLIER_DATA)
    has_weekday = "weekday" in incidents.columns
    has_hour = "hour" in incidents.columns
    rows = []
    for idx, row in clusters.iterrows():
        mask = members[idx]
        sub = incidents.loc[mask]
        x, y = _busiest_point(xy[mask])
        rows.append(
            {
                "place": place_of(sub["location"]),
                "ward": row["ward"],
                "area": row["area"],
                "incidents": int(row["incidents"]),
                "share": float(row["share"]),
                "previous": trend.at[idx, "previous"],
                "trend": trend.at[idx, "trend"],
                "peak_months": peak_months(sub["month"]),
                "peak_weekday": peak_weekday(sub["weekday"]) if has_weekday else "",
                "peak_hour": peak_hour(sub["hour"]) if has_hour else "",
                "locations": row["top_locations"],
                "cluster_id": int(row["cluster_id"]),
                "geometry": Point(x, y),
            }
        )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=ANALYSIS_CRS)
    out = out.sort_values(["incidents", "cluster_id"], ascending=[False, True], ignore_index=True)
    out["rank"] = np.arange(1, len(out) + 1)
    out["previous"] = pd.array(out["previous"], dtype="Int64")
    lon, lat = bng_to_lonlat(out.geometry.x, out.geometry.y)
    out["lon"], out["lat"] = np.round(lon, 6), np.round(lat, 6)
    return out[SHEET_COLUMNS]


def tasking(
    prepared: Prepared,
    *,
    season: str | None,
    financial_year: str,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The tasking sheet and the clusters (hull polygons) it was made from.

    Same parameters as :func:`tasking_sheet`; the clusters are what a map draws.
    """
    if not financial_year:
        raise HotspotsError(
            "a tasking sheet needs a financial year (e.g. '2018-19'): its trend compares each "
            "hotspot with the same season a year before"
        )
    parse_financial_year(financial_year)
    _check_name(prepared, area=area, ward=ward)
    clusters = hotspots_for(
        prepared, season=season, financial_year=financial_year, area=area, ward=ward, params=params
    )
    chosen = select_incidents(
        prepared.incidents, season=season, financial_year=financial_year, area=area, ward=ward
    )
    before = previous_selection(
        prepared, season=season, financial_year=financial_year, area=area, ward=ward
    )
    sheet = sheet_from_clusters(clusters, chosen, previous=before)
    sheet.attrs.update(
        selected=len(chosen),
        min_samples=clusters.attrs.get("min_samples"),
        eps_m=clusters.attrs.get("eps_m"),
        season=season or "all",
        financial_year=financial_year,
        area=area or "",
        ward=ward or "",
    )
    log.info("tasking sheet: %d hotspot(s) from %d incidents", len(sheet), len(chosen))
    return sheet, clusters


def _check_name(prepared: Prepared, *, area: str | None, ward: str | None) -> None:
    if area:
        names = [] if prepared.areas is None else list(prepared.areas["name"])
        if area not in names:
            raise HotspotsError(
                f"area {area!r} is not one of the focus areas {names!r}; give one of them "
                "(or --areas FILE with that name)"
            )
    if ward:
        names = list(prepared.wards["ward_name"])
        if ward not in names:
            raise HotspotsError(
                f"ward {ward!r} is not in the ward boundaries; give one of {names!r}"
            )


def tasking_sheet(
    prepared: Prepared,
    *,
    season: str | None,
    financial_year: str,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
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

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`sheet_from_clusters`. ``attrs`` hold ``selected`` (incidents
        in the selection), ``min_samples`` and ``eps_m``.

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
    ('On or near Market Place', 'Town centre', 'persistent')
    """
    return tasking(
        prepared, season=season, financial_year=financial_year, area=area, ward=ward, params=params
    )[0]
