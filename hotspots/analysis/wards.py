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
from hotspots.analysis.seasons import months_held

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
    from hotspots.analysis.cluster import distinct_points

    given = points.geometry.to_numpy()
    inverse, uniq, _ = distinct_points(shapely.get_coordinates(given))
    first = np.empty(len(uniq), dtype=np.int64)  # each distinct point's first incident
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    geoms = gpd.GeoSeries(given[first], crs=polys.crs)  # its point, not a new one
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


def _categories(values: pd.Series) -> pd.Index:
    """A ward column's categories: the boundary file's order, then "" (no ward)."""
    return pd.Index([*values.astype(str), ""]).unique()


def _categorical(codes: np.ndarray, values: pd.Series) -> pd.Categorical:
    """``values[codes]`` as a categorical, code ``len(values)`` meaning "" (no ward)."""
    cats = _categories(values)
    return pd.Categorical.from_codes(cats.get_indexer([*values.astype(str), ""])[codes], cats)


def ward_columns_as_joined(
    incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """``ward``, ``ward_code`` and ``ward_match`` typed as :func:`assign_wards` types them.

    For incidents tagged elsewhere (a store) so that they equal, dtype and
    category order included, incidents joined from the files.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, box
    >>> wards = gpd.GeoDataFrame({"ward_code": ["W1", "W2"], "ward_name": ["North", "South"]},
    ...                          geometry=[box(0, 0, 1, 1), box(0, 1, 1, 2)], crs=27700)
    >>> inc = gpd.GeoDataFrame({"ward": ["South", ""], "ward_code": ["W2", ""],
    ...                         "ward_match": ["inside", "outside"]},
    ...                        geometry=[Point(0.5, 1.5), Point(5, 5)], crs=27700)
    >>> list(ward_columns_as_joined(inc, wards)["ward"].cat.categories)
    ['North', 'South', '']
    """
    out = incidents.copy(deep=False)
    columns = {"ward": _categories(wards["ward_name"]), "ward_code": _categories(wards["ward_code"]),
               "ward_match": pd.Index([INSIDE, NEAREST, OUTSIDE])}  # fmt: skip
    for column, categories in columns.items():
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = values.cat.set_categories(categories)
        else:
            out[column] = pd.Categorical(values.astype(str), categories=categories)
    return out


def in_study_area(incidents: gpd.GeoDataFrame) -> pd.Series:
    """Return a boolean Series: True where an incident is in a ward (see :func:`assign_wards`)."""
    check_columns(incidents, ["ward_match"], argument="incidents")
    return incidents["ward_match"] != OUTSIDE


def ward_counts(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.Series:
    """Count incidents per ward, every ward listed (0 where none), in the wards' order."""
    check_columns(incidents, ["ward"], argument="incidents")
    counts = incidents["ward"].value_counts()
    return counts.reindex(wards["ward_name"], fill_value=0).rename("incidents")


#: Warn when the newest incidents are this many years (or more) newer than the boundaries.
YEARS_NEWER_WARNING = 5


def vintage_label(wards: gpd.GeoDataFrame) -> str:
    """Say which boundaries these are, e.g. ``"2013 wards (WD13CD)"``.

    The vintage comes from :func:`boundaries.load_wards` (``attrs["vintage"]``,
    read from the file's ONS ``WDyyCD`` column).

    Examples
    --------
    >>> import geopandas as gpd
    >>> w = gpd.GeoDataFrame({"ward_name": ["Abbey"]}, geometry=[None])
    >>> vintage_label(w)
    'wards of unknown date (no ONS WDyyCD column)'
    >>> w.attrs.update(vintage=2013, vintage_column="WD13CD")
    >>> vintage_label(w)
    '2013 wards (WD13CD)'
    """
    year = wards.attrs.get("vintage")
    if year is None:
        return "wards of unknown date (no ONS WDyyCD column)"
    return f"{year} wards ({wards.attrs.get('vintage_column', 'WDyyCD')})"


def boundary_notes(incidents: pd.DataFrame, wards: gpd.GeoDataFrame) -> list[str]:
    """Lines to print with a ward table or map: the boundaries' vintage, and a warning if old.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> w = gpd.GeoDataFrame({"ward_name": ["Abbey"]}, geometry=[None])
    >>> w.attrs.update(vintage=2013, vintage_column="WD13CD")
    >>> boundary_notes(pd.DataFrame({"month": ["2024-04"]}), w)[1]
    'warning: the incidents run to 2024, 11 years after the boundaries (2013 wards): check that these are still the wards in force'
    """
    notes = [f"Ward boundaries: {vintage_label(wards)}"]
    year = wards.attrs.get("vintage")
    newest = _newest_year(incidents)
    if year is not None and newest is not None and newest - year >= YEARS_NEWER_WARNING:
        warning = (
            f"warning: the incidents run to {newest}, {newest - year} years after the "
            f"boundaries ({year} wards): check that these are still the wards in force"
        )
        log.info("%s", warning)  # the table's notes are printed with it
        notes.append(warning)
    return notes


def _newest_year(incidents: pd.DataFrame) -> int | None:
    if "month" in incidents.columns and len(incidents):
        return int(str(incidents["month"].max())[:4])
    if "date" in incidents.columns and len(incidents):
        return int(pd.DatetimeIndex(incidents["date"]).max().year)
    return None


def _month_numbers(incidents: pd.DataFrame) -> pd.Series | None:
    if "month_num" in incidents.columns:
        return incidents["month_num"].astype(int)
    if "month" in incidents.columns:
        return incidents["month"].str[5:7].astype(int)
    return None


def ward_table(incidents: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> pd.DataFrame:
    """The council's ward table: ward, one column per financial year, change.

    Like is compared with like: when the last two years do not hold the same
    months (a part year at either end of the data), ``difference`` and
    ``percentage`` compare only the months both hold, and two columns show
    those counts (e.g. ``"2017-18 Oct–Feb"`` and ``"2018-19 Oct–Feb"``); with
    no month in common there is no change column. ``attrs["months"]`` says which
    months each year holds, and ``attrs["notes"]`` are lines to print with the
    table: the boundaries' vintage (see :func:`boundary_notes`) and the part
    years.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        With ``ward`` (from :func:`assign_wards`) and ``financial_year``
        (from :func:`hotspots.analysis.seasons.add_season_columns`), and ``month_num``
        or ``month`` for the part-year check; incidents outside the study
        area are ignored.
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
    >>> i["month_num"] = [4, 7, 4, 4]  # 2018-19 holds April only
    >>> t = ward_table(i, w)
    >>> t.to_dict("records")[0]
    {'ward': 'Abbey', '2017-18': 2, '2018-19': 1, '2017-18 Apr': 1, '2018-19 Apr': 1, 'difference': 0, 'percentage': 0.0}
    >>> t.attrs["notes"][1]
    '2017-18 holds Apr, Jul and 2018-19 holds Apr: the change compares Apr in both years'
    """
    check_columns(incidents, ["ward", "financial_year"], argument="incidents")
    inside = incidents[incidents["ward"] != ""]
    table = pd.crosstab(inside["ward"], inside["financial_year"])
    years = sorted(table.columns)
    table = table.reindex(index=list(wards["ward_name"]), columns=years, fill_value=0)
    table.loc[GRAND_TOTAL] = table.sum()
    table = table.astype("int64")
    notes = boundary_notes(incidents, wards)
    month_num = _month_numbers(inside)
    held: dict[str, set[int]] = {}
    if month_num is not None:
        held = {
            str(fy): set(ms)
            for fy, ms in month_num.groupby(inside["financial_year"].to_numpy()).unique().items()
        }
    if len(years) >= 2:
        prev_fy, last_fy = years[-2], years[-1]
        prev, last = table[prev_fy], table[last_fy]
        both = held.get(prev_fy, set()) & held.get(last_fy, set())
        if held and held.get(prev_fy) != held.get(last_fy):
            span = months_held(both)
            if both:
                notes.append(
                    f"{prev_fy} holds {months_held(held[prev_fy])} and {last_fy} holds "
                    f"{months_held(held[last_fy])}: the change compares {span} in both years"
                )
                alike = inside[month_num.isin(both).to_numpy()]
                counts = pd.crosstab(alike["ward"], alike["financial_year"])
                counts = counts.reindex(index=list(wards["ward_name"]), columns=[prev_fy, last_fy],
                                        fill_value=0)  # fmt: skip
                counts.loc[GRAND_TOTAL] = counts.sum()
                prev, last = counts[prev_fy].astype("int64"), counts[last_fy].astype("int64")
                table[f"{prev_fy} {span}"] = prev
                table[f"{last_fy} {span}"] = last
            else:
                notes.append(
                    f"{prev_fy} holds {months_held(held[prev_fy])} and {last_fy} holds "
                    f"{months_held(held[last_fy])}: no month in common, so no change is shown"
                )
                prev = last = None
        if prev is not None:
            table["difference"] = last - prev
            table["percentage"] = (100.0 * (last - prev) / prev.where(prev > 0)).round(0)
    table.columns.name = None
    out = table.rename_axis("ward").reset_index()
    out.attrs["months"] = {fy: months_held(ms) for fy, ms in sorted(held.items())}
    out.attrs["vintage"] = vintage_label(wards)
    out.attrs["notes"] = notes
    return out
