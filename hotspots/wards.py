"""Join incidents to ward boundaries; ward tables with year-on-year change.

The wards define the study area. A point inside a ward takes that ward; a
point just outside every ward (boundaries are generalised, so a few per cent of
points near the edge fall off them) takes the nearest ward within a tolerance;
anything further away is *outside the study area*: counted and reported, not
an error, and not analysed.
"""

from __future__ import annotations

import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._validate import check_columns, check_points, to_analysis_crs

log = logging.getLogger(__name__)

INSIDE, NEAREST, OUTSIDE = "inside", "nearest", "outside"
GRAND_TOTAL = "Grand Total"


def normalise_ward_name(name: str) -> str:
    """Return a ward name folded for matching ("&" = "and", case and spacing ignored).

    Examples
    --------
    >>> normalise_ward_name("Batchley & Brockhill") == normalise_ward_name("Batchley and Brockhill")
    True
    """
    text = str(name).lower().replace("&", " and ")
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


def match_ward_names(names: list[str], wards: gpd.GeoDataFrame) -> dict[str, str | None]:
    """Map names from another source (a council report, a population table) to boundary names.

    Returns
    -------
    dict
        Each given name to the boundary's ``ward_name``, or None where none matches.

    Examples
    --------
    >>> import geopandas as gpd
    >>> w = gpd.GeoDataFrame({"ward_name": ["Batchley & Brockhill"]}, geometry=[None])
    >>> match_ward_names(["Batchley and Brockhill", "Nowhere"], w)
    {'Batchley and Brockhill': 'Batchley & Brockhill', 'Nowhere': None}
    """
    lookup = {normalise_ward_name(n): n for n in wards["ward_name"]}
    return {n: lookup.get(normalise_ward_name(n)) for n in names}


def assign_wards(
    incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, *, tolerance_m: float = 100.0
) -> gpd.GeoDataFrame:
    """Return a copy of ``incidents`` with the ward each one falls in.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points (any CRS; measured in EPSG:27700).
    wards : geopandas.GeoDataFrame
        From :func:`boundaries.load_wards`: ``ward_code``, ``ward_name``, polygons.
    tolerance_m : float, default 100
        Points outside every ward but within this distance of one take the
        nearest ward (``ward_match == "nearest"``).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:27700, with ``ward``, ``ward_code`` (empty outside the study area)
        and ``ward_match``: ``"inside"``, ``"nearest"`` or ``"outside"``; the
        three are categoricals (a small integer per incident). Each distinct map
        point is joined once and the answer broadcast to its incidents.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> w = gpd.GeoDataFrame({"ward_code": ["W1"], "ward_name": ["Abbey"]},
    ...                      geometry=[box(0, 0, 1000, 1000)], crs=27700)
    >>> pts = gpd.GeoDataFrame(geometry=[Point(500, 500), Point(1050, 500), Point(5000, 5000)],
    ...                        crs=27700)
    >>> assign_wards(pts, w)["ward_match"].tolist()
    ['inside', 'nearest', 'outside']
    """
    check_points(incidents, argument="incidents")
    check_columns(wards, ["ward_code", "ward_name"], argument="wards")
    points = to_analysis_crs(incidents)
    polys = to_analysis_crs(wards)[["ward_code", "ward_name", "geometry"]].reset_index(drop=True)
    # police.uk snaps incidents to shared map points: join each distinct point once, broadcast.
    from hotspots.cluster import distinct_points

    inverse, uniq, _ = distinct_points(shapely.get_coordinates(points.geometry.to_numpy()))
    geoms = gpd.GeoSeries(shapely.points(uniq), crs=polys.crs)
    ward_idx = np.full(len(uniq), -1, dtype=np.int64)
    match_code = np.full(len(uniq), 2, dtype=np.int8)  # 0 inside, 1 nearest, 2 outside
    if len(uniq):
        hit_pt, hit_ward = polys.sindex.query(geoms, predicate="intersects")
        # A point on a shared boundary hits two wards: keep the first.
        first = np.unique(hit_pt, return_index=True)[1]
        ward_idx[hit_pt[first]] = hit_ward[first]
        match_code[hit_pt[first]] = 0
        rest = np.flatnonzero(ward_idx < 0)
        if len(rest) and tolerance_m > 0:
            near_pt, near_ward = polys.sindex.nearest(
                geoms.iloc[rest], max_distance=tolerance_m, return_all=False
            )
            ward_idx[rest[near_pt]] = near_ward
            match_code[rest[near_pt]] = 1
    out = points.copy(deep=False)  # copy-on-write: the input's columns are shared, not copied
    # compact columns: one small integer code per incident (categoricals of the ward names)
    row_ward = np.where(ward_idx >= 0, ward_idx, len(polys))[inverse]  # "" listed last
    out["ward"] = _categorical(row_ward, polys["ward_name"])
    out["ward_code"] = _categorical(row_ward, polys["ward_code"])
    out["ward_match"] = pd.Categorical.from_codes(
        match_code[inverse], categories=[INSIDE, NEAREST, OUTSIDE]
    )
    counts = np.bincount(match_code, weights=np.bincount(inverse, minlength=len(uniq)), minlength=3)
    log.info(
        "wards: %d inside, %d nearest within %g m, %d outside the study area (%d distinct points)",
        counts[0], counts[1], tolerance_m, counts[2], len(uniq),
    )  # fmt: skip
    return out


def _categorical(codes: np.ndarray, values: pd.Series) -> pd.Categorical:
    """``values[codes]`` as a categorical, code ``len(values)`` meaning "" (no ward)."""
    cats = pd.Index([*values.astype(str), ""]).unique()
    return pd.Categorical.from_codes(cats.get_indexer([*values.astype(str), ""])[codes], cats)


def in_study_area(incidents: gpd.GeoDataFrame) -> pd.Series:
    """Return a boolean Series: True where an incident is in a ward (see :func:`assign_wards`)."""
    check_columns(incidents, ["ward_match"], argument="incidents")
    return incidents["ward_match"] != OUTSIDE


def ward_counts(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """Count incidents per ward, every ward listed (0 where none), in the wards' order."""
    check_columns(incidents, ["ward"], argument="incidents")
    counts = incidents["ward"].value_counts()
    return counts.reindex(wards["ward_name"], fill_value=0).rename("incidents")


def ward_table(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """The council's ward table: ward, one column per financial year, change.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        With ``ward`` (from :func:`assign_wards`) and ``financial_year``
        (from :func:`hotspots.seasons.add_season_columns`); incidents outside the
        study area are ignored.
    wards : geopandas.GeoDataFrame
        The boundaries; every ward gets a row, even with no incidents.

    Returns
    -------
    pandas.DataFrame
        Columns ``ward``, one per financial year present (e.g. ``2017-18``,
        ``2018-19``), then, with two or more years, ``difference`` (last year
        minus the one before) and ``percentage`` (that change as a whole-number
        per cent of the year before; empty where that year had none). The last
        row is ``Grand Total``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> w = gpd.GeoDataFrame({"ward_name": ["Abbey", "West"]}, geometry=[None, None])
    >>> i = pd.DataFrame({"ward": ["Abbey"] * 3 + ["West"],
    ...                   "financial_year": ["2017-18", "2017-18", "2018-19", "2018-19"]})
    >>> ward_table(i, w).to_dict("records")[0]
    {'ward': 'Abbey', '2017-18': 2, '2018-19': 1, 'difference': -1, 'percentage': -50.0}
    """
    check_columns(incidents, ["ward", "financial_year"], argument="incidents")
    inside = incidents[incidents["ward"] != ""]
    table = pd.crosstab(inside["ward"], inside["financial_year"])
    years = sorted(table.columns)
    table = table.reindex(index=list(wards["ward_name"]), columns=years, fill_value=0)
    table.loc[GRAND_TOTAL] = table.sum()
    table = table.astype("int64")
    if len(years) >= 2:
        prev, last = table[years[-2]], table[years[-1]]
        table["difference"] = last - prev
        pct = (100.0 * (last - prev) / prev.where(prev > 0)).round(0)
        table["percentage"] = pct
    table.columns.name = None
    return table.rename_axis("ward").reset_index()
