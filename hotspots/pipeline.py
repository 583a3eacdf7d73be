"""The stages joined up: what the CLI, the web app and the reports all do first.

``prepare`` turns an :class:`~hotspots.incidents.IncidentLoad` into the
analysis table (wards joined, the study area kept, season columns added);
``hotspots_for`` clusters one selection of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from hotspots.cluster import ClusterParams, find_clusters
from hotspots.evaluate import NO_EARLIER_DATA, change_vs_previous, previous_financial_year
from hotspots.incidents import IncidentLoad
from hotspots.places import tag_focus_areas
from hotspots.seasons import add_season_columns, months_held, months_in_common, select_period
from hotspots.wards import NEAREST, assign_wards, in_study_area


@dataclass(frozen=True)
class Prepared:
    """Incidents ready for analysis, with what was set aside.

    Attributes
    ----------
    incidents : geopandas.GeoDataFrame
        In the study area, EPSG:27700, with ``ward``, ``ward_match``, ``area``
        (focus area, "" where none) and the season columns.
    outside : int
        Usable incidents outside the study area (not analysed).
    load : IncidentLoad
        What was read (counts, rejects).
    wards : geopandas.GeoDataFrame
        The boundaries used.
    areas : geopandas.GeoDataFrame or None
        The focus areas used.
    """

    incidents: gpd.GeoDataFrame
    outside: int
    load: IncidentLoad
    wards: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame | None = None

    @property
    def study_area_m2(self) -> float:
        """The wards' total area in square metres."""
        return float(self.wards.geometry.area.sum())

    def summary(self) -> str:
        """One line: read / kept / rejected / outside the study area."""
        nearest = int((self.incidents["ward_match"] == NEAREST).sum())
        return (
            f"{self.load.summary()}; outside the study area {self.outside:,}; "
            f"in the study area {len(self.incidents):,} "
            f"({nearest:,} just outside a ward boundary, given the nearest ward)"
        )


def prepare(
    load: IncidentLoad,
    wards: gpd.GeoDataFrame,
    *,
    areas: gpd.GeoDataFrame | None = None,
    tolerance_m: float = 100.0,
) -> Prepared:
    """Join incidents to wards, keep the study area, add season and focus-area columns.

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.incidents import read_incidents
    >>> p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    >>> p.outside, len(p.incidents), p.incidents.crs.to_epsg()  # one swapped-grid row
    (1, 6671, 27700)
    """
    joined = assign_wards(load.incidents, wards, tolerance_m=tolerance_m)
    inside = in_study_area(joined)
    kept = add_season_columns(joined.loc[inside].reset_index(drop=True))
    kept["area"] = tag_focus_areas(kept.geometry, areas)
    return Prepared(kept, int((~inside).sum()), load, wards, areas)


def hotspots_for(
    prepared: Prepared,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
) -> gpd.GeoDataFrame:
    """Cluster one selection (season, financial year, focus area, ward) of the incidents.

    Returns
    -------
    geopandas.GeoDataFrame
        Clusters as :func:`hotspots.cluster.find_clusters` gives them; ``share``
        is of the selection's incidents. ``attrs["selected"]`` holds that count.
    """
    chosen = select_incidents(
        prepared.incidents, season=season, financial_year=financial_year, area=area, ward=ward
    )
    clusters = find_clusters(
        chosen, params=params, areas=prepared.areas, study_area_m2=prepared.study_area_m2
    )
    clusters.attrs["selected"] = len(chosen)
    return clusters


def select_incidents(
    incidents: gpd.GeoDataFrame,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    area: str | None = None,
    ward: str | None = None,
) -> gpd.GeoDataFrame:
    """Keep a season / financial year / focus area / ward; None keeps all."""
    chosen = select_period(incidents, season=season, financial_year=financial_year)
    keep = pd.Series(True, index=chosen.index)
    if area:
        keep &= chosen["area"] == area
    if ward:
        keep &= chosen["ward"] == ward
    return chosen.loc[keep]


def previous_selection(
    prepared: Prepared,
    *,
    season: str | None,
    financial_year: str,
    area: str | None = None,
    ward: str | None = None,
) -> gpd.GeoDataFrame | None:
    """The same selection a year before, or None when the data holds nothing for that period.

    "Nothing" is judged on the whole borough (so a focus area with no
    incidents a year before is a real zero, and its hotspots are "new").
    """
    before = previous_financial_year(financial_year)
    whole = select_period(prepared.incidents, season=season, financial_year=before)
    if whole.empty:
        return None
    return select_incidents(whole, area=area, ward=ward)


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
        (see :func:`hotspots.evaluate.change_vs_previous`). Where there is no
        financial year, or the data holds nothing for the same season a year
        before, ``previous`` and ``change`` are missing and ``trend`` is
        :data:`hotspots.evaluate.NO_EARLIER_DATA`. ``attrs["compared_with"]``
        names the earlier period ("autumn 2017-18") or is None. When the two
        years do not hold the same months (a part year), both are counted on
        the months they share (``"autumn 2017-18, Nov only (the months both
        hold)"``) and ``attrs["months_note"]`` says what each holds.
    """
    clusters = hotspots_for(
        prepared, season=season, financial_year=financial_year, area=area, ward=ward,
        params=params,
    )  # fmt: skip
    attrs = dict(clusters.attrs)
    earlier = (
        previous_selection(
            prepared, season=season, financial_year=financial_year, area=area, ward=ward
        )
        if financial_year
        else None
    )
    season_word = "" if season in (None, "all") else f"{season} "
    if earlier is not None:  # like with like: only the months both years hold
        before = previous_financial_year(financial_year)
        now = select_period(prepared.incidents, season=season, financial_year=financial_year)
        common, note = months_in_common(
            now, select_period(prepared.incidents, season=season, financial_year=before),
            labels=(f"{season_word}{financial_year}", f"{season_word}{before}"),
        )  # fmt: skip
        attrs["months_note"] = note
        if note is not None:
            alike = select_incidents(now[now["month_num"].isin(common)], area=area, ward=ward)
            earlier = earlier[earlier["month_num"].isin(common)] if common else None
    if earlier is not None:
        if attrs.get("months_note"):  # count both years' incidents in each outline, common months
            counts = change_vs_previous(clusters, alike)["previous"]
            out = change_vs_previous(clusters.assign(incidents=counts), earlier)
            out["incidents"] = clusters["incidents"]
            span = months_held(common)
            attrs["compared_with"] = f"{season_word}{before}, {span} only (the months both hold)"
        else:
            out = change_vs_previous(clusters, earlier)
            attrs["compared_with"] = f"{season_word}{previous_financial_year(financial_year)}"
    else:
        out = clusters.copy()
        out["previous"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["change"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["trend"] = pd.Series([NO_EARLIER_DATA] * len(out), index=out.index, dtype=object)
        attrs["compared_with"] = None
    out.attrs.update(attrs)
    return out
