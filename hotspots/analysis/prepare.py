"""Incidents made ready for analysis: wards joined, the study area kept, seasons added."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import geopandas as gpd

from hotspots._errors import HotspotsError
from hotspots.analysis.seasons import (
    add_season_columns,
    as_added,
    covered_months,
    equals,
    period_mask,
)
from hotspots.analysis.wards import NEAREST, assign_wards, in_study_area
from hotspots.read._rows import IncidentLoad
from hotspots.read.places import tag_focus_areas

log = logging.getLogger(__name__)


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
    catchments : object or None
        Where the chance test keeps this dataset's map-point catchments between
        runs (:class:`hotspots.catchment_files.CatchmentFiles`, set by the
        loader); None keeps them in memory only.
    """

    incidents: gpd.GeoDataFrame
    outside: int
    load: IncidentLoad
    wards: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame | None = None
    catchments: object | None = None

    @functools.cached_property
    def months_covered(self) -> list[str]:
        """The months the data cover: :func:`~hotspots.analysis.seasons.covered_months` of the
        incidents read, worked out once (the web app asks on every request)."""
        return covered_months(self.load.incidents)

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
    >>> from hotspots.read.incidents import read_incidents
    >>> p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    >>> p.outside, len(p.incidents), p.incidents.crs.to_epsg()  # one swapped-grid row
    (1, 6671, 27700)
    """
    joined = assign_wards(load.incidents, wards, tolerance_m=tolerance_m)
    inside = in_study_area(joined)
    kept = add_season_columns(joined.loc[inside].reset_index(drop=True))
    kept["area"] = tag_focus_areas(kept.geometry, areas)
    return Prepared(kept, int((~inside).sum()), load, wards, areas)


def select_incidents(
    incidents: gpd.GeoDataFrame,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    area: str | None = None,
    ward: str | None = None,
) -> gpd.GeoDataFrame:
    """Keep a season / financial year / focus area / ward; None keeps all.

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.read.incidents import read_incidents
    >>> p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    >>> len(select_incidents(p.incidents, season="autumn", financial_year="2018-19", ward="Abbey"))
    141
    """
    keep = period_mask(incidents, season=season, financial_year=financial_year)
    if area:
        keep &= equals(incidents["area"], area)
    if ward:
        keep &= equals(incidents["ward"], ward)
    return as_added(incidents.loc[keep])  # one copy; categories: those the rows hold


def check_view(prepared: Prepared, *, area: str | None = None, ward: str | None = None) -> None:
    """Raise a :class:`HotspotsError` naming the choices when a focus area or ward is unknown.

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.read.incidents import read_incidents
    >>> p = prepare(read_incidents([get_path("demo-incidents")]), load_wards(get_path("demo-wards")))
    >>> check_view(p, ward="Abbey")
    >>> check_view(p, area="Town centre")
    Traceback (most recent call last):
    ...
    hotspots._errors.HotspotsError: area 'Town centre' is not one of the focus areas []; give one of them (or --areas FILE with that name)
    """
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
