"""What the pages show that is web-specific: selection choices, tables and layers for pages.

The hotspots themselves (clusters, trend, label, chance test, pattern) come
from the results layer (:func:`hotspots.results.analyse_period`, one
:class:`~hotspots.results.PeriodResult` per period cached by
:class:`~webapp.data.DataStore`); the functions here only shape a view of it, or
count incidents for the ward table and profiles, for a page.
Nothing here returns free text from individual incidents: only counts, and the
cluster summaries' most frequent (police.uk anonymised) place names.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.hotspots import LIES_IN
from hotspots.analysis.prepare import Prepared, select_incidents
from hotspots.analysis.seasons import (
    SEASONS,
    financial_year_of,
    monthly_profile,
    season_of,
)
from hotspots.analysis.wards import ward_table
from hotspots.draw.cartography import chance_word
from hotspots.io import ATTRIBUTION
from hotspots.results import Period, View
from webapp.selection import ALL_YEARS, Choices, ParamError, Selection

WEB_CRS = "EPSG:4326"
#: Margin around a hotspot's outline when the map is centred on it (``focus=<id>``), metres.
FOCUS_MARGIN_M = 250.0


def choices_for(prepared: Prepared) -> Choices:
    """The allowed selection values for a dataset."""
    fys = tuple(sorted(prepared.incidents["financial_year"].unique().tolist()))
    areas = tuple(prepared.areas["name"].tolist()) if prepared.areas is not None else ()
    return Choices(fys, areas, tuple(prepared.wards["ward_name"].tolist()))


def selected_incidents(
    prepared: Prepared, sel: Selection, *, period: bool = True
) -> gpd.GeoDataFrame:
    """The incidents of a selection (``period=False`` ignores the year and season)."""
    return select_incidents(
        prepared.incidents,
        season=sel.season_filter if period else None,
        financial_year=sel.financial_year if period else None,
        area=sel.focus_area,
        ward=sel.ward_name,
    )


def cluster_params(sel: Selection, *, eps_m: float, min_samples: int | None) -> ClusterParams:
    """DBSCAN settings: the app's, overridden by an analyst's selection."""
    return ClusterParams(
        eps_m=sel.eps if sel.eps is not None else eps_m,
        min_samples=sel.min_samples if sel.min_samples is not None else min_samples,
    )


def period_of(sel: Selection) -> Period:
    """The selection's period (season and financial year) as the results layer types it.

    Examples
    --------
    >>> period_of(Selection("2018-19", "winter", area="ward:Abbey"))
    Period(season='winter', financial_year='2018-19')
    """
    return Period(sel.season_filter, sel.financial_year)


def chance_table(hotspots: gpd.GeoDataFrame) -> pd.DataFrame:
    """The chance test's verdicts of a tested result's hotspots, by ``cluster_id``.

    ``p_value``, ``q_value``, ``significant``; ``attrs``: ``significance`` (the
    method in words), ``simulations``, ``alpha``.
    """
    from hotspots.analysis.significance import CHANCE_ATTRS, SIGNIFICANCE_COLUMNS

    table = pd.DataFrame(hotspots[["cluster_id", *SIGNIFICANCE_COLUMNS]]).set_index("cluster_id")
    table.attrs = {k: hotspots.attrs[k] for k in CHANCE_ATTRS if k in hotspots.attrs}
    return table


def chance_words(significant: pd.Series) -> list[str]:
    """ "more than chance" / "not more than chance" (blank where a hotspot was not tested).

    Examples
    --------
    >>> chance_words(pd.Series([True, False, None]))
    ['more than chance', 'not more than chance', '']
    """
    return [chance_word(v) for v in significant]


def focus_hull(clusters: gpd.GeoDataFrame, sel: Selection):
    """The EPSG:27700 shape a map centred on hotspot ``sel.focus`` fits (None without focus).

    Raises
    ------
    ParamError
        When the selection has no hotspot with that id (naming the ids it has).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> found = gpd.GeoDataFrame({"cluster_id": [1, 4]},
    ...                          geometry=[Point(0, 0).buffer(10), Point(900, 0).buffer(10)])
    >>> [round(v) for v in focus_hull(found, Selection("2018-19", focus=4)).bounds]
    [640, -260, 1160, 260]
    >>> focus_hull(found, Selection("2018-19", focus=2))
    Traceback (most recent call last):
    ...
    webapp.selection.ParamError: query parameter 'focus' cannot be '2'; allowed: 1, 4
    """
    if sel.focus is None:
        return None
    hit = clusters.loc[clusters["cluster_id"] == sel.focus]
    if hit.empty:
        raise ParamError("focus", str(sel.focus), [str(c) for c in clusters["cluster_id"]]
                         or ["no hotspot in this selection"])  # fmt: skip
    return hit.geometry.union_all().buffer(FOCUS_MARGIN_M)


#: The line under a ward table with rates.
RATE_NOTE = (
    "Rates are incidents per 1,000 residents, from the configured population table; "
    "blank where a ward has no population figure."
)


def read_population(path, wards: gpd.GeoDataFrame) -> pd.Series:
    """Population by boundary ward name: see :func:`hotspots.analysis.population.read_population`."""
    from hotspots.analysis.population import read_population as read

    return read(path, wards)


def ward_layer(
    prepared: Prepared,
    sel: Selection,
    *,
    population: pd.Series | None = None,
    incidents: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Wards with the season and year's incident count (and rate per 1,000 residents).

    Every ward keeps its own total in a focus-area or ward view (the view only
    moves the map), so neighbouring wards never read as 0.

    Returns
    -------
    geopandas.GeoDataFrame
        ``ward_code``, ``ward_name``, ``incidents``, ``population`` and
        ``rate_per_1000`` (missing without a population table), EPSG:4326.
        ``incidents``: the period's incidents when already selected (a
        :attr:`hotspots.results.PeriodResult.incidents`).
    """
    from hotspots.draw.webmap import ward_summary

    chosen = incidents
    if chosen is None:
        chosen = select_incidents(
            prepared.incidents, season=sel.season_filter, financial_year=sel.financial_year
        )
    return ward_summary(chosen, prepared.wards, population=population).to_crs(WEB_CRS)


def ward_table_for(
    prepared: Prepared, sel: Selection, *, population: pd.Series | None = None
) -> pd.DataFrame:
    """The council's ward table for a season and area, years up to the chosen one.

    The columns are the financial years up to ``sel.fy`` (all years for
    ``fy=all``), then difference and percentage of the last against the one
    before; the last row is the Grand Total (see :func:`hotspots.analysis.wards.ward_table`).
    With a ``population`` (by ward name), ``population`` and one ``rate <year>``
    column per year follow: incidents per 1,000 residents
    (see :func:`hotspots.analysis.population.add_rates`); without one, no rate column.
    """
    chosen = selected_incidents(prepared, sel, period=False)
    chosen = select_incidents(chosen, season=sel.season_filter)
    if sel.fy != ALL_YEARS:
        chosen = chosen[chosen["financial_year"] <= sel.fy]
    table = ward_table(chosen, prepared.wards)
    if population is None or population.empty:
        return table
    from hotspots.analysis.population import add_rates

    rated = add_rates(table, population)
    rated.attrs = {**table.attrs, "notes": [*table.attrs.get("notes", []), RATE_NOTE]}
    return rated


def monthly_for(prepared: Prepared, sel: Selection) -> pd.DataFrame:
    """Incidents by month (April to March), one column per financial year, for an area.

    A month the data does not cover (no incident read in it, anywhere) is NaN,
    "no data", never 0 (:func:`hotspots.analysis.seasons.monthly_profile`); a
    month it covers with no incident in the area is 0.
    """
    return monthly_profile(selected_incidents(prepared, sel, period=False),
                           months_covered=prepared.months_covered)  # fmt: skip


def _counts(values: pd.Series, order: list | None = None) -> dict:
    counts = values.value_counts()
    if order is not None:
        counts = counts.reindex(order, fill_value=0)
    return {str(k): int(v) for k, v in counts.items()}


def _season_counts(seasons: pd.Series, covered: list[str], financial_year: str | None) -> dict:
    """Incidents by season of a year; None (no data) for a season of no month the data cover."""
    counts = _counts(seasons, list(SEASONS))
    if financial_year is None:
        return counts
    held = {season_of(int(m[5:7])) for m in covered if financial_year_of(int(m[:4]), int(m[5:7]))
            == financial_year}  # fmt: skip
    return {k: (v if k in held else None) for k, v in counts.items()}


def summary_for(prepared: Prepared, sel: Selection, view: View) -> dict:
    """Counts for a selection, for ``/api/incidents/summary``.

    Returns
    -------
    dict
        The selection, incidents selected, clusters and the incidents in them,
        the DBSCAN parameters (and a line stating them), the study area's
        incidents of the period that were clustered,
        counts by season (of the year and area; None, "no data", for a season of which
        the data cover no month), month, ward and category, the
        Halloween-window count, the dataset's read / rejected / outside counts,
        and the licence attribution. ``view`` is the selection's view of its
        period's result (:meth:`hotspots.results.PeriodResult.view`).
    """
    chosen = view.incidents
    clusters = view.hotspots
    parameters = view.result.parameters
    year_area = select_incidents(
        selected_incidents(prepared, sel, period=False), financial_year=sel.financial_year
    )
    load = prepared.load
    covered = prepared.months_covered
    return {
        "selection": sel.params(),
        "label": sel.label,
        "incidents": len(chosen),
        "clusters": len(clusters),
        "incidents_in_clusters": int(clusters["incidents"].sum()) if len(clusters) else 0,
        "eps_m": parameters.eps_m,
        "min_samples": parameters.min_samples,
        "min_samples_chosen": parameters.min_samples_chosen,
        "parameters": parameters.text,
        "clustered": parameters.clustered,
        "hotspots_in_study_area": len(view.result.hotspots),
        "lies_in": LIES_IN,
        "compared_with": view.result.compared_with,
        "by_season": _season_counts(year_area["season"], covered, sel.financial_year),
        "by_month": dict(sorted(_counts(chosen["month"]).items())),
        "by_ward": _counts(chosen["ward"], prepared.wards["ward_name"].tolist()),
        "by_category": _counts(chosen["category"]),
        "halloween_window": int(chosen["halloween"].sum()),
        "dataset": {
            "rows_read": load.rows_read,
            "selected": load.selected,
            "kept": load.kept,
            "rejected": load.rejected,
            "outside_study_area": prepared.outside,
            "in_study_area": len(prepared.incidents),
            "financial_years": sorted(prepared.incidents["financial_year"].unique().tolist()),
            "months_covered": covered,
        },
        "attribution": ATTRIBUTION,
    }
