"""What a page shows: the selection held in the query string, checked against known values.

Every page and API route takes the same parameters:

``fy``      a financial year present in the data (``2018-19``) or ``all``;
            default the latest
``season``  ``winter``, ``spring``, ``summer``, ``autumn`` or ``all`` (default)
``area``    ``borough`` (default: the whole study area), a focus area name, or
            ``ward:<ward name>``
``ward``    a ward name (optional; the same as ``area=ward:<name>``)

Analysts may also pass ``eps`` (DBSCAN radius, metres) and ``min_samples``.
The map also takes ``focus=<hotspot id>`` (the ``cluster_id`` / rank shown on
every table and the tasking sheet): it opens centred on that hotspot. Hotspot
ids are the same in every view of a season and year (see
:mod:`hotspots.analysis.hotspots`), so a link from any table finds the same hotspot.
A value that is not one of the allowed ones raises :class:`ParamError`, which
the app turns into a 400 page naming the parameter and the allowed values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from hotspots.analysis.seasons import SEASONS

SEASON_CHOICES = (*SEASONS, "all")
BOROUGH = "borough"
WARD_PREFIX = "ward:"
ALL_YEARS = "all"
EPS_RANGE = (10.0, 1000.0)
MIN_SAMPLES_RANGE = (2, 1000)
FOCUS_RANGE = (1, 100_000)


class ParamError(ValueError):
    """A query parameter with a value that is not allowed."""

    def __init__(self, name: str, value: str, allowed: Sequence[str] | str) -> None:
        self.name = name
        self.value = value
        self.allowed = list(allowed) if not isinstance(allowed, str) else [allowed]
        shown = ", ".join(self.allowed)
        super().__init__(f"query parameter {name!r} cannot be {value!r}; allowed: {shown}")


class NoData(LookupError):
    """The data holds no incidents yet: there is nothing to select (the app says so)."""

    def __init__(self) -> None:
        super().__init__(
            "There is no data yet: no incidents have been loaded. Once incidents are loaded "
            "(hotspots ingest FILE... --store, or hotspots serve --data FILE...) they show here."
        )


class ParamForbidden(PermissionError):
    """A query parameter the user's role may not use."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"query parameter {name!r} is for analysts only")


@dataclass(frozen=True)
class Choices:
    """The values a selection may take for one dataset."""

    financial_years: tuple[str, ...]
    areas: tuple[str, ...]
    wards: tuple[str, ...]

    @property
    def area_values(self) -> list[str]:
        """Every allowed ``area`` value, as the selector lists them."""
        return [BOROUGH, *self.areas, *(WARD_PREFIX + w for w in self.wards)]

    @property
    def fy_values(self) -> list[str]:
        """Every allowed ``fy`` value, latest first."""
        return [*sorted(self.financial_years, reverse=True), ALL_YEARS]

    @property
    def latest_fy(self) -> str:
        """The latest financial year (``all`` when there is none)."""
        return max(self.financial_years) if self.financial_years else ALL_YEARS


@dataclass(frozen=True)
class Selection:
    """One selection: financial year, season, area, ward and clustering overrides."""

    fy: str
    season: str = "all"
    area: str = BOROUGH
    ward: str = ""
    eps: float | None = None
    min_samples: int | None = None
    focus: int | None = None

    @property
    def base(self) -> Selection:
        """The same selection without ``focus`` (which only moves the map's view)."""
        return replace(self, focus=None) if self.focus is not None else self

    @property
    def financial_year(self) -> str | None:
        """The financial year for the library (None = every year)."""
        return None if self.fy == ALL_YEARS else self.fy

    @property
    def season_filter(self) -> str | None:
        """The season for the library (None = every season)."""
        return None if self.season == "all" else self.season

    @property
    def focus_area(self) -> str | None:
        """The focus area chosen, if any."""
        if self.area == BOROUGH or self.area.startswith(WARD_PREFIX):
            return None
        return self.area

    @property
    def ward_name(self) -> str | None:
        """The ward chosen (by ``ward`` or ``area=ward:...``), if any."""
        if self.ward:
            return self.ward
        if self.area.startswith(WARD_PREFIX):
            return self.area[len(WARD_PREFIX) :]
        return None

    def params(self) -> dict[str, str]:
        """The selection as query parameters (only the ones that are set)."""
        out = {"fy": self.fy, "season": self.season, "area": self.area}
        if self.ward:
            out["ward"] = self.ward
        if self.eps is not None:
            out["eps"] = f"{self.eps:g}"
        if self.min_samples is not None:
            out["min_samples"] = str(self.min_samples)
        if self.focus is not None:
            out["focus"] = str(self.focus)
        return out

    def query(self) -> str:
        """The URL query string of this selection."""
        return urlencode(self.params())

    @property
    def label(self) -> str:
        """A short title, e.g. ``"autumn, 2018-19, Town centre"``."""
        season = "all seasons" if self.season == "all" else self.season
        fy = "all years" if self.fy == ALL_YEARS else self.fy
        place = self.ward_name or self.focus_area or "whole borough"
        if self.ward and self.focus_area:
            place = f"{self.focus_area} in {self.ward}"
        return f"{season}, {fy}, {place}"

    @property
    def key(self) -> tuple:
        """A hashable key for caches (``focus`` left out: it changes only where a map looks)."""
        return (self.fy, self.season, self.focus_area, self.ward_name, self.eps, self.min_samples)


def _one(args: Mapping[str, str], name: str) -> str | None:
    getlist = getattr(args, "getlist", None)
    values = getlist(name) if getlist else ([args[name]] if name in args else [])
    if len(values) > 1:
        raise ParamError(name, ", ".join(values), ["a single value"])
    return values[0].strip() if values else None


def _number(args: Mapping[str, str], name: str, kind: type, bounds: tuple) -> float | int | None:
    raw = _one(args, name)
    if raw is None or raw == "":
        return None
    allowed = f"a number from {bounds[0]:g} to {bounds[1]:g}"
    try:
        value = kind(raw)
    except ValueError:
        raise ParamError(name, raw, allowed) from None
    if not bounds[0] <= value <= bounds[1]:
        raise ParamError(name, raw, allowed)
    return value


def parse_selection(
    args: Mapping[str, str], choices: Choices, *, tuning_allowed: bool = False
) -> Selection:
    """Read and check a selection from query parameters.

    Parameters
    ----------
    args : mapping
        The query parameters (a werkzeug ``MultiDict`` or a dict).
    choices : Choices
        The allowed values for this dataset.
    tuning_allowed : bool, default False
        Whether ``eps`` and ``min_samples`` may be given (analysts).

    Returns
    -------
    Selection

    Raises
    ------
    NoData
        When the data holds no financial year at all (nothing has been loaded yet).
    ParamError
        For a value that is not allowed, naming the parameter and the allowed values.
    ParamForbidden
        For ``eps`` / ``min_samples`` when tuning is not allowed.

    Examples
    --------
    >>> c = Choices(("2017-18", "2018-19"), ("Town centre",), ("Abbey",))
    >>> parse_selection({}, c).query()
    'fy=2018-19&season=all&area=borough'
    >>> parse_selection({"season": "monsoon"}, c)
    Traceback (most recent call last):
    ...
    webapp.selection.ParamError: query parameter 'season' cannot be 'monsoon'; allowed: winter, spring, summer, autumn, all
    """
    if not choices.financial_years:
        raise NoData
    fy = _one(args, "fy") or choices.latest_fy
    if fy not in choices.fy_values:
        raise ParamError("fy", fy, choices.fy_values)
    season = (_one(args, "season") or "all").lower()
    if season not in SEASON_CHOICES:
        raise ParamError("season", season, SEASON_CHOICES)
    area = _one(args, "area") or BOROUGH
    if area not in choices.area_values:
        raise ParamError("area", area, choices.area_values)
    ward = _one(args, "ward") or ""
    if ward and ward not in choices.wards:
        raise ParamError("ward", ward, choices.wards)
    if ward and area.startswith(WARD_PREFIX) and area != WARD_PREFIX + ward:
        raise ParamError("ward", ward, [area[len(WARD_PREFIX) :]])
    eps = min_samples = None
    for name in ("eps", "min_samples"):
        if _one(args, name) not in (None, "") and not tuning_allowed:
            raise ParamForbidden(name)
    eps = _number(args, "eps", float, EPS_RANGE)
    min_samples = _number(args, "min_samples", int, MIN_SAMPLES_RANGE)
    focus = _number(args, "focus", int, FOCUS_RANGE)
    return Selection(fy, season, area, ward, eps, min_samples, focus)
