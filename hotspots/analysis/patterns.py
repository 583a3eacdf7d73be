"""Is a place getting worse? Each hotspot place's pattern over consecutive periods.

The rules (exactly what the map layer, the tasking sheet's "Pattern" column,
the report pack's table and ``hotspots patterns`` use):

* **A place** is a square cell of the study grid (:func:`hotspots.analysis.grid.study_grid`:
  the shorter side of the wards' bounding box / 150, rounded to 5 m, between
  25 m and 250 m; 55 m for the demo borough, 65 m for Redditch).
* **The periods** are the seasons of each financial year, in the order the app
  selects them (``spring 2018-19`` = April, May 2018 and March 2019; then
  summer, autumn, winter), or calendar months with ``by="month"``. Only
  periods that hold incidents count, and a selection takes the periods **up
  to and including the last one it holds** (``autumn 2018-19``: every season
  from the first in the data to autumn 2018-19; ``all`` seasons of 2018-19:
  up to the last season of 2018-19 in the data). A period the data holds only
  partly (police.uk months missing) is used as it is.
* **Hot in a period**: the period's hotspots are found exactly as the map finds
  them (DBSCAN once on the whole study area, ``min_samples`` chosen from that
  period's incidents unless given). A cell is hot when its centre lies inside
  one of their outlines, or when it holds a hotspot's busiest map point (the
  point the tasking sheet pins), so every hotspot, however small, makes at
  least one place hot.
* **The classes** (:func:`hotspots.analysis.patterns.classify_pattern`), over T periods,
  the earlier half being the first T // 2 and the later half the rest:
  persistent (hot in at least 80% of the periods), emerging (hot in the latest
  period, never in the earlier half), former (hot in the earlier half, never in
  the later half), diminishing (hot in the earlier half, not in the latest
  period, but still in the later half), intermittent (any other place hot at
  least once). Two periods at least.

A hotspot's pattern (the tasking column) is the pattern of the cell holding its
busiest map point. For a one-season selection that cell is hot in the latest
period, so a current hotspot is persistent, emerging or intermittent.

How this compares with sfhotspot's ``hotspot_classify`` and ArcGIS Pro's
*Emerging Hot Spot Analysis* is in :func:`hotspots.analysis.patterns.classify_pattern`.
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import HotspotsError
from hotspots._validate import ANALYSIS_CRS, check_columns, to_analysis_crs
from hotspots.analysis import labels as place_labels
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.grid import Grid, study_grid
from hotspots.analysis.hotspots import clusters_and_members

log = logging.getLogger(__name__)

#: Seasons in the order a financial year (April to March) meets them.
FY_SEASONS = ("spring", "summer", "autumn", "winter")
#: Period lengths :func:`place_patterns` knows.
PERIOD_KINDS = ("season", "month")


def pattern_periods(incidents: pd.DataFrame, *, by: str = "season") -> list[tuple[str, str]]:
    """The periods the data holds, oldest first, as ``(label, key)`` pairs.

    ``by="season"``: the seasons of each financial year (``"autumn 2018-19"``),
    spring, summer, autumn, winter within a year; ``by="month"``: ``"2018-10"``.

    Examples
    --------
    >>> t = pd.DataFrame({"season": ["winter", "autumn", "spring"],
    ...                   "financial_year": ["2018-19", "2018-19", "2019-20"]})
    >>> [label for label, _ in pattern_periods(t)]
    ['autumn 2018-19', 'winter 2018-19', 'spring 2019-20']
    """
    if by == "season":
        check_columns(incidents, ["season", "financial_year"], argument="incidents")
        keys = incidents[["financial_year", "season"]].drop_duplicates()
        keys = keys.assign(order=keys["season"].astype(str).map(FY_SEASONS.index)).sort_values(
            ["financial_year", "order"]
        )
        return [(f"{s} {fy}", f"{s} {fy}") for fy, s in zip(keys["financial_year"], keys["season"])]
    if by == "month":
        check_columns(incidents, ["month"], argument="incidents")
        return [(m, m) for m in sorted(incidents["month"].astype(str).unique())]
    raise HotspotsError(f"by must be one of {PERIOD_KINDS!r}; got {by!r}")


def period_keys(incidents: pd.DataFrame, *, by: str = "season") -> pd.Series:
    """Each incident's period key, as :func:`pattern_periods` keys them (index-aligned).

    Examples
    --------
    >>> t = pd.DataFrame({"season": ["winter"], "financial_year": ["2018-19"]})
    >>> period_keys(t).tolist()
    ['winter 2018-19']
    """
    return _period_of(incidents, by)


def _period_of(incidents: pd.DataFrame, by: str) -> pd.Series:
    if by == "season":
        return incidents["season"].astype(str) + " " + incidents["financial_year"].astype(str)
    return incidents["month"].astype(str)


def periods_until(
    periods: list[tuple[str, str]],
    *,
    season: str | None = None,
    financial_year: str | None = None,
    month: str | None = None,
) -> list[tuple[str, str]]:
    """The periods up to and including the last one a selection holds.

    Parameters
    ----------
    periods : list of (label, key)
        From :func:`pattern_periods`.
    season : str, optional
        ``"autumn"``; None or ``"all"``: any season.
    financial_year : str, optional
        ``"2018-19"``; None: any year.
    month : str, optional
        ``"2018-11"`` (for monthly periods).

    Raises
    ------
    HotspotsError
        When no period matches the selection (naming the periods there are).

    Examples
    --------
    >>> p = [(x, x) for x in ("autumn 2017-18", "winter 2017-18", "autumn 2018-19", "winter 2018-19")]
    >>> [k for k, _ in periods_until(p, season="autumn", financial_year="2018-19")]
    ['autumn 2017-18', 'winter 2017-18', 'autumn 2018-19']
    >>> len(periods_until(p, financial_year="2017-18")), len(periods_until(p, season="autumn"))
    (2, 3)
    """
    season = None if season in (None, "all") else season
    last = None
    for i, (label, _) in enumerate(periods):
        if month is not None:
            ok = label == month
        else:
            s, _, fy = label.partition(" ")
            ok = (season is None or s == season) and (
                financial_year is None or fy == financial_year
            )
        if ok:
            last = i
    if last is None:
        wanted = month or " ".join(p for p in (season or "any season", financial_year or "") if p)
        raise HotspotsError(
            f"the data holds no period for {wanted!r}; its periods are "
            f"{[label for label, _ in periods]!r}"
        )
    return periods[: last + 1]


def selection_periods(
    incidents: pd.DataFrame,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    by: str = "season",
) -> list[str]:
    """The period labels :func:`place_patterns` would use for a selection, without clustering.

    An empty list when the data holds fewer than two periods up to the selection
    (or none for it): then there is no pattern to show.

    Examples
    --------
    >>> t = pd.DataFrame({"season": ["autumn", "winter"], "financial_year": ["2018-19"] * 2})
    >>> selection_periods(t, financial_year="2018-19"), selection_periods(t, season="autumn")
    (['autumn 2018-19', 'winter 2018-19'], [])
    """
    try:
        periods = periods_until(pattern_periods(incidents, by=by), season=season,
                                financial_year=financial_year)  # fmt: skip
    except HotspotsError:
        return []
    return [label for label, _ in periods] if len(periods) >= 2 else []


def hot_cells(
    grid: Grid, clusters: gpd.GeoDataFrame, *, centres: gpd.GeoSeries | None = None
) -> np.ndarray:
    """The cells one period's hotspots make hot (bool, one per grid cell).

    A cell is hot when its centre lies inside a hotspot's outline, or when it
    holds a hotspot's busiest map point (``point_x``, ``point_y``), so that a
    hotspot too small to hold a cell centre still makes one place hot. Only
    cells overlapping the study area can be hot.

    Parameters
    ----------
    grid : hotspots.analysis.grid.Grid
    clusters : geopandas.GeoDataFrame
        The period's hotspots (outlines; ``point_x``/``point_y`` when known).
    centres : geopandas.GeoSeries, optional
        The centres of the grid's cells inside the study area, indexed by cell
        (:func:`inside_centres`), to reuse across periods.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = study_grid(gpd.GeoDataFrame(geometry=[box(0, 0, 400, 100)], crs=27700), cell_m=100)
    >>> found = gpd.GeoDataFrame({"point_x": [120.0, 390.0], "point_y": [60.0, 10.0]},
    ...     geometry=[box(20, 20, 180, 90), box(380, 0, 395, 20)], crs=27700)
    >>> hot_cells(g, found).nonzero()[0].tolist()  # centre 50 in the first; 350 holds a point
    [0, 1, 3]
    """
    flag = np.zeros(grid.nx * grid.ny, dtype=bool)
    if clusters.empty:
        return flag
    hulls = to_analysis_crs(clusters)
    pts = inside_centres(grid) if centres is None else centres
    _, inside = pts.sindex.query(hulls.geometry.values, predicate="contains")
    flag[pts.index.to_numpy()[inside]] = True
    if {"point_x", "point_y"} <= set(hulls.columns):
        at = grid.cell_of(hulls[["point_x", "point_y"]].to_numpy(dtype=float))
        flag[at[at >= 0]] = True
    return flag & grid.inside


def inside_centres(grid: Grid) -> gpd.GeoSeries:
    """The centres of the cells overlapping the study area, indexed by cell number.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = study_grid(gpd.GeoDataFrame(geometry=[box(0, 0, 200, 100)], crs=27700), cell_m=100)
    >>> inside_centres(g).x.tolist()
    [50.0, 150.0]
    """
    cells = np.flatnonzero(grid.inside)
    xy = grid.centres()[cells]
    return gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), index=cells, crs=ANALYSIS_CRS)


def _grid_attrs(grid: Grid) -> dict:
    return {"x0": grid.x0, "y0": grid.y0, "cell_m": grid.cell_m, "nx": grid.nx, "ny": grid.ny}


def _cell_places(incidents: gpd.GeoDataFrame, cells: np.ndarray) -> pd.DataFrame:
    """Per cell: incidents, main street (police.uk ``location``) and ward, in one grouping."""
    frame = pd.DataFrame({"cell": cells})
    frame["location"] = incidents["location"].to_numpy() if "location" in incidents else ""
    frame["ward"] = incidents["ward"].to_numpy() if "ward" in incidents else ""
    frame = frame[frame["cell"] >= 0]
    out = pd.DataFrame({"incidents": frame.groupby("cell").size()})
    locs = (frame.assign(location=frame["location"].fillna("").astype(str))
            .groupby(["cell", "location"]).size().rename("n").reset_index())  # fmt: skip
    locs = locs[locs["location"].str.strip() != ""].sort_values(
        ["cell", "n", "location"], ascending=[True, False, True]
    )
    locs = locs.assign(k=locs.groupby("cell").cumcount())
    locs = locs[
        locs["k"] < 3
    ]  # the three commonest, "On or near X (12); ..." as clusters write them
    text = (locs["location"] + " (" + locs["n"].astype(str) + ")").to_numpy()
    wide = pd.DataFrame({"cell": locs["cell"].to_numpy(), "k": locs["k"].to_numpy(), "t": text})
    wide = (
        wide.pivot(index="cell", columns="k", values="t").reindex(columns=range(3)).astype(object)
    )
    wide = wide.where(wide.notna(), "")
    joined = wide[0].str.cat([("; " + wide[k]).where(wide[k] != "", "") for k in (1, 2)])
    out["top_locations"] = joined.reindex(out.index).fillna("")
    wards = (frame.assign(ward=frame["ward"].fillna("").astype(str))
             .groupby(["cell", "ward"]).size().rename("n").reset_index()
             .sort_values(["cell", "n", "ward"], ascending=[True, False, True])
             .drop_duplicates("cell").set_index("cell")["ward"])  # fmt: skip
    out["ward"] = wards.reindex(out.index).fillna("")
    return out


def place_patterns(
    incidents: gpd.GeoDataFrame,
    study_area: gpd.GeoDataFrame,
    *,
    by: str = "season",
    season: str | None = None,
    financial_year: str | None = None,
    month: str | None = None,
    params: ClusterParams | None = None,
    cell_m: float | None = None,
    progress=None,
    known: dict[str, gpd.GeoDataFrame] | None = None,
) -> gpd.GeoDataFrame:
    """Grid cells that were hot in any period, with their pattern (see the module notes).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Prepared incidents (``season``, ``financial_year`` for seasons; ``month``
        for months; ``location`` and ``ward`` name the places when present).
    study_area : geopandas.GeoDataFrame
        The wards (the grid and ``min_samples`` are set from them).
    by : {"season", "month"}
        Period length.
    season, financial_year, month : str, optional
        The selection: the periods run up to the last one it holds (all periods
        when none is given).
    params : ClusterParams, optional
        DBSCAN settings; ``min_samples=None`` chooses it per period, as the map does.
    cell_m : float, optional
        Cell side; by default :func:`hotspots.analysis.grid.default_cell_m`.
    progress : callable, optional
        Wraps the list of periods (e.g. ``tqdm``).
    known : dict, optional
        Hotspots already found for some periods, by label (``"autumn 2018-19"``):
        the whole study area's, with the same ``params`` (as
        :func:`hotspots.analysis.hotspots.find_hotspots` gives them), so that a tasking
        sheet does not cluster its own season twice.

    Returns
    -------
    geopandas.GeoDataFrame
        One square per cell hot at least once (EPSG:27700), busiest first:
        ``cell``, one bool column per period (oldest first), ``periods_hot``,
        ``pattern``, ``hot_in`` (the periods it was hot, in words),
        ``incidents`` (in the cell over the periods), ``street`` (main street of
        those incidents' police.uk locations), ``ward``. ``attrs``: ``periods``
        (labels), ``by``, ``grid`` (x0, y0, cell_m, nx, ny), ``min_samples``
        (per period) and ``eps_m``.

    Raises
    ------
    HotspotsError
        With fewer than two periods up to the selection.

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.read.incidents import read_incidents
    >>> from hotspots.analysis.prepare import prepare
    >>> p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    >>> cells = place_patterns(p.incidents, p.wards, season="autumn", financial_year="2018-19")
    >>> cells.attrs["periods"][-1], len(cells.attrs["periods"])
    ('autumn 2018-19', 7)
    >>> set(cells["pattern"]) <= set(PATTERNS)
    True
    """
    periods = periods_until(pattern_periods(incidents, by=by), season=season,
                            financial_year=financial_year, month=month)  # fmt: skip
    if len(periods) < 2:
        raise HotspotsError(
            f"a place's pattern needs two or more {by}s of data up to the selection; "
            f"found {[label for label, _ in periods]!r}: choose a later period or add earlier data"
        )
    grid = study_grid(study_area, cell_m=cell_m)
    params = params or ClusterParams()
    label_of = _period_of(incidents, by)
    keep = label_of.isin([key for _, key in periods]).to_numpy()
    used = incidents.loc[keep]
    used_label = label_of[keep].to_numpy()
    columns, min_samples = {}, {}
    centres = inside_centres(grid)
    for label, key in progress(periods) if progress else periods:
        if known and label in known:
            found = known[label]
        else:
            chosen = used.loc[used_label == key]
            found, _ = clusters_and_members(chosen, params=params, study_area_m2=grid.study_area_m2)
        columns[label] = hot_cells(grid, found, centres=centres)
        min_samples[label] = int(found.attrs["min_samples"])
    order = [label for label, _ in periods]
    table = pd.DataFrame(columns)
    table = table.loc[table.any(axis=1)]
    table["periods_hot"] = table[order].sum(axis=1).astype(int)
    table["pattern"] = classify_places(table[order]).to_numpy()
    flags = table[order].to_numpy()
    names = np.array(order, dtype=object)
    table["hot_in"] = [", ".join(names[row]) for row in flags]
    geoms = to_analysis_crs(used).geometry
    places = _cell_places(used, grid.cell_of(np.column_stack([geoms.x, geoms.y])))
    places = places.reindex(table.index)
    table["incidents"] = places["incidents"].fillna(0).astype(int).to_numpy()
    table["street"] = [
        place_labels.main_street(t) if isinstance(t, str) else "" for t in places["top_locations"]
    ]
    table["ward"] = places["ward"].fillna("").to_numpy()
    table = table.rename_axis("cell").reset_index()
    table = table.sort_values(["incidents", "periods_hot", "cell"], ascending=[False, False, True],
                              ignore_index=True)  # fmt: skip
    centres = grid.centres()[table["cell"].to_numpy()]
    half = grid.cell_m / 2
    squares = shapely.box(centres[:, 0] - half, centres[:, 1] - half,
                          centres[:, 0] + half, centres[:, 1] + half)  # fmt: skip
    out = gpd.GeoDataFrame(table, geometry=squares, crs=ANALYSIS_CRS)
    out.attrs.update(periods=order, by=by, grid=_grid_attrs(grid), min_samples=min_samples,
                     eps_m=float(params.eps_m))  # fmt: skip
    log.info("place patterns over %d %ss: %d places hot at least once", len(order), by, len(out))
    return out


def cell_index(cells: gpd.GeoDataFrame, xy: np.ndarray) -> np.ndarray:
    """The grid cell of each point, on the grid ``cells`` were made on (-1 off the grid).

    Examples
    --------
    >>> c = gpd.GeoDataFrame(geometry=[], crs=27700)
    >>> c.attrs["grid"] = {"x0": 0.0, "y0": 0.0, "cell_m": 100.0, "nx": 3, "ny": 2}
    >>> cell_index(c, np.array([[150.0, 150.0], [999.0, 0.0]])).tolist()
    [4, -1]
    """
    g = cells.attrs["grid"]
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    col = np.floor((xy[:, 0] - g["x0"]) / g["cell_m"]).astype(np.int64)
    row = np.floor((xy[:, 1] - g["y0"]) / g["cell_m"]).astype(np.int64)
    ok = (col >= 0) & (col < g["nx"]) & (row >= 0) & (row < g["ny"])
    return np.where(ok, row * g["nx"] + col, -1)


def patterns_at(cells: gpd.GeoDataFrame, xy: np.ndarray) -> pd.DataFrame:
    """The pattern of the place (cell) under each point: ``pattern``, ``periods_hot``, ``hot_in``.

    A point in a cell never hot gets ``pattern`` "" and ``periods_hot`` 0.

    Examples
    --------
    >>> c = gpd.GeoDataFrame({"cell": [4], "pattern": ["emerging"], "periods_hot": [1],
    ...                       "hot_in": ["winter 2018-19"]}, geometry=[None], crs=27700)
    >>> c.attrs.update(grid={"x0": 0.0, "y0": 0.0, "cell_m": 100.0, "nx": 3, "ny": 2},
    ...                periods=["autumn 2018-19", "winter 2018-19"])
    >>> patterns_at(c, np.array([[150.0, 150.0], [50.0, 50.0]]))["pattern"].tolist()
    ['emerging', '']
    """
    at = cell_index(cells, xy)
    table = pd.DataFrame(cells[["cell", "pattern", "periods_hot", "hot_in"]]).set_index("cell")
    out = table.reindex(at)
    out["pattern"] = out["pattern"].fillna("")
    out["periods_hot"] = out["periods_hot"].fillna(0).astype(int)
    out["hot_in"] = out["hot_in"].fillna("")
    return out.reset_index(drop=True)


def pattern_text(pattern: str, periods_hot: int, periods: int, by: str = "season") -> str:
    """A pattern in words for a sheet: ``"persistent (hot 7 of 8 seasons)"``.

    Examples
    --------
    >>> pattern_text("emerging", 1, 8), pattern_text("", 0, 8)
    ('emerging (hot 1 of 8 seasons)', 'not hot in any season')
    """
    if not pattern:
        return f"not hot in any {by}"
    return f"{pattern} (hot {periods_hot} of {periods} {by}s)"


def pattern_counts(cells: gpd.GeoDataFrame) -> pd.DataFrame:
    """Places per pattern, in :data:`~hotspots.analysis.patterns.PATTERNS` order, with a total.

    Examples
    --------
    >>> c = pd.DataFrame({"pattern": ["emerging", "persistent", "emerging"]})
    >>> pattern_counts(c).values.tolist()
    [['emerging', 2], ['persistent', 1], ['intermittent', 0], ['diminishing', 0], ['former', 0], ['Total', 3]]
    """
    counts = cells["pattern"].value_counts().reindex(list(PATTERNS), fill_value=0)
    out = counts.rename_axis("pattern").reset_index(name="places")
    total = pd.DataFrame({"pattern": ["Total"], "places": [int(counts.sum())]})
    out["places"] = out["places"].astype(int)
    return pd.concat([out, total], ignore_index=True)


def top_places(cells: gpd.GeoDataFrame, n: int = 10) -> pd.DataFrame:
    """The busiest places by street, ward and pattern: neighbouring cells of one street together.

    Cells with the same main street, ward and pattern make one row: ``street``,
    ``ward``, ``pattern``, ``places`` (cells), ``periods_hot`` (the most of any of
    them) and ``incidents`` (their total over the periods); the ``n`` rows with
    most incidents (then most periods hot, then street). Cells with no street
    name are left out.

    Examples
    --------
    >>> c = pd.DataFrame({"street": ["A", "A", "B", ""], "ward": ["W"] * 4,
    ...                   "pattern": ["persistent", "persistent", "emerging", "former"],
    ...                   "periods_hot": [8, 7, 1, 2], "incidents": [40, 30, 50, 99]})
    >>> top_places(c).values.tolist()
    [['A', 'W', 'persistent', 2, 8, 70], ['B', 'W', 'emerging', 1, 1, 50]]
    """
    named = pd.DataFrame(cells[["street", "ward", "pattern", "periods_hot", "incidents"]])
    named = named[named["street"].astype(str).str.strip() != ""]
    out = (
        named.groupby(["street", "ward", "pattern"], sort=False)
        .agg(places=("incidents", "size"), periods_hot=("periods_hot", "max"),
             incidents=("incidents", "sum"))
        .reset_index()
        .sort_values(["incidents", "periods_hot", "street"], ascending=[False, False, True])
    )  # fmt: skip
    return out.head(max(0, int(n))).reset_index(drop=True)


#: Place patterns over consecutive periods, from :func:`classify_places`.
PATTERNS = ("emerging", "persistent", "intermittent", "diminishing", "former")


#: A place hot in at least this share of the periods is persistent.
PERSISTENT_SHARE = 0.8


def pattern_rules(periods: int, *, by: str = "season") -> dict[str, str]:
    """Each pattern's rule in words, for ``periods`` consecutive periods (legends, decks, sheets).

    The words of :func:`classify_pattern`'s rules, with the earlier half counted.

    Examples
    --------
    >>> pattern_rules(2)["emerging"]
    'hot in the latest, not in the first season'
    >>> pattern_rules(8)["former"]
    'hot in the first 4 seasons, not since'
    """
    half = periods // 2
    first = f"the first {by}" if half == 1 else f"the first {half} {by}s"
    return {
        "persistent": f"hot in {PERSISTENT_SHARE:.0%} or more of the {by}s",
        "emerging": f"hot in the latest, not in {first}",
        "intermittent": "hot on and off",
        "diminishing": f"hot in {first} and since, not in the latest",
        "former": f"hot in {first}, not since",
    }


def classify_pattern(
    hot: list[bool] | np.ndarray, *, persistent_share: float = PERSISTENT_SHARE
) -> str:
    """Name the pattern of one place's hotspot flags over consecutive periods (oldest first).

    Rules, checked in this order (T periods, T >= 2; the earlier half is the
    first ``T // 2``, the later half the rest, so the latest period is always
    "later"):

    1. never hot: ``""`` (not a hotspot place);
    2. **persistent**: hot in at least ``persistent_share`` (80%) of the periods
       (every period when T < 5: 4 of 4, 3 of 3, 2 of 2);
    3. **emerging**: hot in the latest period and never in the earlier half;
    4. **former**: hot in the earlier half and never in the later half;
    5. **diminishing**: hot in the earlier half, not in the latest period, but
       still in part of the later half;
    6. **intermittent**: any other place hot at least once.

    What "hot in a period" means, and which periods, is set by
    :func:`hotspots.analysis.patterns.place_patterns`: a grid cell inside (or holding the
    busiest map point of) one of the period's DBSCAN hotspots, over the seasons
    of each financial year up to the selection.

    **Compared with sfhotspot's** ``hotspot_classify`` (R; Ashby, CRAN
    reference manual and ``R/hotspot_classify.R``): there a cell is hot in a
    period when its Getis-Ord Gi* is positive with p < 0.05 (``critical_p``);
    the *recent* periods are the last ``recent_prop`` = 20% (at least one);
    persistent = hot in >= ``persistent_prop`` = 80% of all periods; emerging =
    hot in < ``hotspot_prop`` = 10% of the older periods and >= 20% of the
    recent ones; former = hot in >= 10% of the older and < 10% of the recent
    ones; intermittent = hot in >= 10% of all periods; cold spots are
    classified the same way. Here: the same 80% for persistent and the same
    order (persistent, emerging, former, intermittent), but hot means lying in
    this project's DBSCAN hotspots (no significance test: see
    :mod:`hotspots.analysis.significance` for that), *recent* is the later half rather
    than the last 20% (with the 8 seasons of two years, 20% is one season, and
    one busy season would make a place "emerging"), any hot period counts
    rather than a 10% floor, there are no cold spots, and there is a fifth
    class, diminishing.

    **Compared with ArcGIS Pro's Emerging Hot Spot Analysis** ("How Emerging
    Hot Spot Analysis works", Space Time Pattern Mining toolbox): each bin of a
    space-time cube is tested with Gi* (false discovery rate corrected) and each
    location's series with the Mann-Kendall trend test, giving eight hot
    patterns: new (hot only in the final time step), consecutive (one unbroken
    run of hot steps ending at the final one, never hot before, < 90% hot),
    intensifying / persistent / diminishing (hot in >= 90% of the steps, with
    a significant upward / no / downward trend in the intensity of clustering;
    intensifying and diminishing include the final step), sporadic (hot in the
    final step, on and off before, < 90%, never cold), oscillating (the same,
    but cold in some step) and historical (not hot in the final step, hot in
    >= 90% of the others). Here emerging covers ArcGIS's new and most of its
    consecutive hot spots; persistent uses 80% and no trend test (ArcGIS's
    intensifying, persistent and diminishing all fall in it); former is close
    to historical without its 90% floor; intermittent covers sporadic and
    oscillating. **Diminishing here is not ArcGIS's diminishing**: ArcGIS's is
    a place still hot in the final step whose clustering weakens; ours is a
    place that has dropped out of the latest period's hotspots after being hot
    in both halves. Counts within a period (intensity) are not used.

    Examples
    --------
    >>> [classify_pattern(h) for h in ([1, 1], [0, 1], [1, 0], [0, 0])]
    ['persistent', 'emerging', 'former', '']
    >>> [classify_pattern(h) for h in ([0, 1, 1], [1, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 1])]
    ['emerging', 'diminishing', 'former', 'intermittent', 'intermittent']
    >>> classify_pattern([1, 1, 0, 1, 1])
    'persistent'
    """
    flags = np.asarray(hot, dtype=bool)
    t = len(flags)
    if t < 2:
        raise HotspotsError(f"a pattern needs two or more periods; got {t}")
    if not flags.any():
        return ""
    earlier, later = flags[: t // 2], flags[t // 2 :]
    if flags.mean() >= persistent_share - 1e-9:
        return "persistent"
    if flags[-1] and not earlier.any():
        return "emerging"
    if earlier.any() and not later.any():
        return "former"
    if earlier.any() and not flags[-1]:
        return "diminishing"
    return "intermittent"


def classify_places(
    flags: pd.DataFrame, *, persistent_share: float = PERSISTENT_SHARE
) -> pd.Series:
    """:func:`classify_pattern` for every row of a place-by-period table of hotspot flags.

    The rules depend only on the row's pattern of flags, so each distinct
    pattern is named once and the answer broadcast to the places.

    Examples
    --------
    >>> f = pd.DataFrame({"2018-10": [1, 0, 1], "2018-11": [1, 1, 0]}, index=["a", "b", "c"])
    >>> classify_places(f).tolist()
    ['persistent', 'emerging', 'former']
    """
    values = flags.to_numpy(dtype=bool)
    uniq, inverse = np.unique(values, axis=0, return_inverse=True)
    names = np.array(
        [classify_pattern(u, persistent_share=persistent_share) for u in uniq], dtype=object
    )
    return pd.Series(names[inverse.ravel()], index=flags.index, name="pattern")
