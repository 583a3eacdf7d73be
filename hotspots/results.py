"""One answer per period: what every output (CLI, web app, sheets, deck) reads and draws.

:func:`analyse_period` works a period out once: it selects the period's
incidents in the whole study area, runs DBSCAN on them **once**
(:func:`hotspots.analysis.hotspots.clusters_and_members`), adds each hotspot's
trend against the same season a year before, its one place label
(rank and main streets at street level; place types never alone), the chance test (at most once,
on that clustering: the observed data are not clustered again) and, when
asked, its place pattern. The answer is a :class:`PeriodResult`;
:meth:`PeriodResult.view` gives the view of a focus area or ward (the
hotspots lying in it, ids, counts, labels and verdicts unchanged), never a
recomputation.

State travels in small frozen dataclasses (:class:`Period`,
:class:`Parameters`, :class:`ChanceTest`) next to the tables. The tables still
carry the older ``attrs`` (``eps_m``, ``min_samples``, ``parameters``,
``compared_with``, ``significance``...) for the drawing functions that read
them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots.analysis import significance
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.hotspots import LIES_IN, add_labels, clusters_and_members, parameters_text
from hotspots.analysis.notes import data_note, is_demo, selection_title
from hotspots.analysis.prepare import Prepared, check_view, select_incidents
from hotspots.analysis.seasons import SEASONS, parse_financial_year, select_period
from hotspots.analysis.trend import add_trend

log = logging.getLogger(__name__)

#: The chance test's columns on :attr:`PeriodResult.hotspots` (when it was run).
CHANCE_COLUMNS = ["p_value", "q_value", "significant"]
#: The place pattern's columns on :attr:`PeriodResult.hotspots` (when asked for).
PATTERN_COLUMNS = ["pattern", "hot_periods", "hot_in"]


@dataclass(frozen=True)
class Period:
    """One selection of time: a season (None: all) of a financial year (None: all years).

    Examples
    --------
    >>> Period("autumn", "2018-19").label
    'autumn 2018-19'
    >>> Period("all", None) == Period(), Period().label
    (True, 'all seasons all years')
    >>> Period("autumn", "2018-19").previous
    Period(season='autumn', financial_year='2017-18')
    >>> Period("monsoon")
    Traceback (most recent call last):
    ...
    hotspots._errors.HotspotsError: season 'monsoon' is not one of ['winter', 'spring', 'summer', 'autumn'] (or 'all')
    """

    season: str | None = None
    financial_year: str | None = None

    def __post_init__(self) -> None:
        season = None if self.season in (None, "", "all") else self.season
        year = None if self.financial_year in (None, "", "all") else self.financial_year
        if season is not None and season not in SEASONS:
            raise HotspotsError(f"season {season!r} is not one of {list(SEASONS)!r} (or 'all')")
        if year is not None:
            parse_financial_year(year)
        object.__setattr__(self, "season", season)
        object.__setattr__(self, "financial_year", year)

    @property
    def label(self) -> str:
        """``"autumn 2018-19"``, ``"all seasons 2018-19"``, ``"winter all years"``."""
        return f"{self.season or 'all seasons'} {self.financial_year or 'all years'}"

    @property
    def previous(self) -> Period | None:
        """The same season a year before (None without a financial year)."""
        from hotspots.analysis.trend import previous_financial_year

        if self.financial_year is None:
            return None
        return Period(self.season, previous_financial_year(self.financial_year))


@dataclass(frozen=True)
class Parameters:
    """The DBSCAN settings a period's hotspots were found with.

    Attributes
    ----------
    eps_m : float
        Neighbourhood radius (metres).
    min_samples : int
        Incidents within ``eps_m`` that make a core point, as used.
    min_samples_chosen : bool
        True when ``min_samples`` was chosen from the period's incidents.
    clustered : int
        The period's incidents in the whole study area (what DBSCAN saw).
    period : str
        The period's label (for :attr:`text`).
    source : str
        Where given settings came from (a parameter file), or "".
    hull_buffer_m : float
        Widening of each hotspot's outline (metres).

    Examples
    --------
    >>> Parameters(100.0, 12, True, 1234, "autumn 2018-19").text
    'DBSCAN eps 100 m, min_samples 12 (chosen from the 1,234 incidents of autumn 2018-19 in the whole study area)'
    """

    eps_m: float
    min_samples: int
    min_samples_chosen: bool
    clustered: int
    period: str = ""
    source: str = ""
    hull_buffer_m: float = 25.0

    @property
    def text(self) -> str:
        """One line stating the settings (:func:`hotspots.analysis.hotspots.parameters_text`)."""
        return parameters_text({"eps_m": self.eps_m, "min_samples": self.min_samples,
                                "min_samples_chosen": self.min_samples_chosen,
                                "clustered": self.clustered, "period": self.period,
                                "params_source": self.source})  # fmt: skip

    def cluster_params(self) -> ClusterParams:
        """The settings as used (``min_samples`` fixed), for clustering other periods alike."""
        return ClusterParams(eps_m=self.eps_m, min_samples=self.min_samples,
                             hull_buffer_m=self.hull_buffer_m, source=self.source)  # fmt: skip


@dataclass(frozen=True)
class ChanceTest:
    """How the period's chance test was made (the verdicts are columns of the hotspots).

    Attributes
    ----------
    method : str
        The test in words (:func:`hotspots.analysis.significance.cluster_significance`).
    simulations : int
        Simulated boroughs.
    alpha : float
        False discovery rate.
    """

    method: str
    simulations: int
    alpha: float


@dataclass(frozen=True, eq=False)
class PeriodResult:
    """The answer for one period of the whole study area: what every output draws.

    Attributes
    ----------
    period : Period
    parameters : Parameters
    hotspots : geopandas.GeoDataFrame
        One row per hotspot (``cluster_id`` 1 = most incidents) of the whole
        study area, EPSG:27700: :data:`hotspots.analysis.summaries.CLUSTER_COLUMNS`
        (counts, share, hull, top locations...), the busiest point and its
        ward and area (:data:`hotspots.analysis.hotspots.POINT_COLUMNS`),
        ``previous``/``change``/``trend``, ``label`` (the one place label),
        :data:`CHANCE_COLUMNS` when the chance test was run and
        :data:`PATTERN_COLUMNS` when patterns were asked for.
    members : pandas.Series
        ``cluster_id`` of each incident of :attr:`incidents` (``<NA>``: noise).
    incidents : geopandas.GeoDataFrame
        The period's incidents in the study area: DBSCAN's input.
    chance : ChanceTest or None
        None when the test was not run.
    compared_with : str or None
        The earlier period of the trend ("autumn 2017-18"), None without one.
    notes : tuple of str
        Notes on the answer (part years compared on the months both hold...).
    patterns : geopandas.GeoDataFrame or None
        The place patterns' grid cells (:func:`hotspots.analysis.patterns.place_patterns`)
        when asked for and the data hold two seasons or more.
    wards, areas : geopandas.GeoDataFrame
        The boundaries (for the views' outlines).
    previous : tuple or None
        The season before's hotspots and members
        (:func:`hotspots.analysis.backtest.previous_window_hotspots`), when the place
        patterns were asked for: found once, for the Pattern column and the accuracy
        sentence alike.
    demo : bool
        True for the embedded demo borough (its data note says so).
    """

    period: Period
    parameters: Parameters
    hotspots: gpd.GeoDataFrame
    members: pd.Series
    incidents: gpd.GeoDataFrame
    chance: ChanceTest | None = None
    compared_with: str | None = None
    notes: tuple[str, ...] = ()
    patterns: gpd.GeoDataFrame | None = None
    wards: gpd.GeoDataFrame | None = field(default=None, repr=False)
    areas: gpd.GeoDataFrame | None = field(default=None, repr=False)
    demo: bool = False
    previous: tuple[gpd.GeoDataFrame, pd.Series] | None = field(default=None, repr=False)

    def view(self, area: str | None = None, ward: str | None = None) -> View:
        """The view of a focus area and/or ward (None: the whole study area): a filter, no recomputation.

        A hotspot lies in the ward and focus area of its busiest map point
        (:data:`hotspots.analysis.hotspots.LIES_IN`); its id, counts, label,
        trend and verdict are those of the whole study area.

        Raises
        ------
        HotspotsError
            For a focus area or ward that the data does not have.

        Examples
        --------
        >>> from hotspots.loader import DataSpec, load
        >>> result = analyse_period(load(DataSpec()), Period("autumn", "2018-19"), chance=False)
        >>> abbey = result.view(ward="Abbey")
        >>> abbey.title
        'ASB hotspots: Abbey ward, autumn (Sep-Nov), financial year 2018-19'
        >>> abbey.hotspots["label"].tolist() == result.hotspots.set_index("cluster_id").loc[
        ...     abbey.hotspots["cluster_id"], "label"].tolist()
        True
        """
        area, ward = area or None, ward or None
        _check_names(self, area=area, ward=ward)
        hs = self.hotspots
        keep = np.ones(len(hs), dtype=bool)
        if area:
            keep &= (hs["area"] == area).to_numpy()
        if ward:
            keep &= (hs["ward"] == ward).to_numpy()
        shown = hs.loc[keep].reset_index(drop=True) if (area or ward) else hs
        incidents = (select_incidents(self.incidents, area=area, ward=ward)
                     if (area or ward) else self.incidents)  # fmt: skip
        if area or ward:
            shown.attrs = {**hs.attrs, "area": area or "", "ward": ward or "",
                           "selected": len(incidents)}  # fmt: skip
        title = selection_title(season=self.period.season,
                                financial_year=self.period.financial_year, area=area, ward=ward)  # fmt: skip
        return View(self, area, ward, shown, incidents, self._outline(area, ward), title,
                    data_note(incidents, demo=self.demo))  # fmt: skip

    def _outline(self, area: str | None, ward: str | None):
        """The view's shape (EPSG:27700): its ward, its focus area, else the study area."""
        if ward and self.wards is not None:
            return self.wards.loc[self.wards["ward_name"] == ward].union_all()
        if area and self.areas is not None:
            return self.areas.loc[self.areas["name"] == area].union_all()
        return None if self.wards is None else self.wards.union_all()


@dataclass(frozen=True, eq=False)
class View:
    """A focus area's or ward's view of a :class:`PeriodResult` (or the whole study area's).

    Attributes
    ----------
    result : PeriodResult
        The period's answer this view filters.
    area, ward : str or None
        The view (None: no filter).
    hotspots : geopandas.GeoDataFrame
        The result's hotspots that lie in the view (rows of :attr:`PeriodResult.hotspots`).
    incidents : geopandas.GeoDataFrame
        The period's incidents in the view.
    outline : shapely geometry or None
        The view's shape (EPSG:27700).
    title : str
        ``"ASB hotspots: Abbey ward, autumn (Sep-Nov), financial year 2018-19"``.
    data_note : str
        Where the data came from and the months they cover.
    """

    result: PeriodResult
    area: str | None
    ward: str | None
    hotspots: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    outline: object = field(repr=False)
    title: str = ""
    data_note: str = ""

    def member_incidents(self) -> gpd.GeoDataFrame:
        """The incidents of the listed hotspots (all of each, wherever they lie), with ``cluster_id``."""
        members = self.result.members
        ids = set(self.hotspots["cluster_id"].tolist())
        keep = members.isin(ids).fillna(False).to_numpy(dtype=bool)
        return self.result.incidents.loc[keep].assign(cluster_id=members[keep].astype(int))


def _check_names(result: PeriodResult, *, area: str | None, ward: str | None) -> None:
    """:func:`hotspots.analysis.prepare.check_view` on the result's boundaries."""
    if result.wards is None:
        return
    stub = Prepared(result.incidents.iloc[:0], 0, None, result.wards, result.areas)
    check_view(stub, area=area, ward=ward)


def analyse_period(
    prepared: Prepared,
    period: Period,
    *,
    params: ClusterParams | None = None,
    chance: bool = True,
    patterns: bool = False,
    n_sim: int = significance.N_SIM,
    labeller: Callable[..., np.ndarray] | None = None,
) -> PeriodResult:
    """Find a period's hotspots in the whole study area once, with everything outputs show.

    Parameters
    ----------
    prepared : hotspots.analysis.prepare.Prepared
        The loaded data (:func:`hotspots.loader.load`).
    period : Period
        Season and financial year (``Period()``: everything).
    params : ClusterParams, optional
        DBSCAN settings; ``min_samples=None`` chooses it from the period's incidents.
    chance : bool, default True
        Run the chance test (:func:`hotspots.analysis.significance.cluster_significance`)
        on this clustering: every hotspot against the study area's map points.
    patterns : bool, default False
        Add each hotspot's place pattern (:func:`add_patterns`; costly: it
        clusters the other seasons up to this one).
    n_sim : int
        Simulations of the chance test.
    labeller : callable, optional
        Who runs DBSCAN (:func:`hotspots.analysis.hotspots.clusters_and_members`):
        this process by default, or the Dask engine
        (:func:`hotspots.distributed.dask_labeller`); the answer is the same.

    Returns
    -------
    PeriodResult

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> demo = load(DataSpec())
    >>> result = analyse_period(demo, Period("winter", "2018-19"), n_sim=99)
    >>> result.parameters.text
    'DBSCAN eps 100 m, min_samples 7 (chosen from the 657 incidents of winter 2018-19 in the whole study area)'
    >>> result.hotspots[["cluster_id", "incidents", "trend", "significant"]].head(2).values.tolist()
    [[1, 63, 'growing', True], [2, 26, 'steady', True]]
    >>> result.hotspots["label"].iloc[2], result.compared_with  # a place type is never alone
    ('3 Shopping Area near Market Place', 'winter 2017-18')
    """
    if not isinstance(period, Period):
        raise HotspotsError(f"period must be a hotspots.results.Period; got {period!r}")
    params = params or ClusterParams()
    incidents = select_period(prepared.incidents, season=period.season,
                              financial_year=period.financial_year)  # fmt: skip
    table, members = clusters_and_members(incidents, params=params, areas=prepared.areas,
                                          study_area_m2=prepared.study_area_m2,
                                          labeller=labeller)  # fmt: skip
    parameters = Parameters(
        eps_m=float(table.attrs["eps_m"]), min_samples=int(table.attrs["min_samples"]),
        min_samples_chosen=bool(table.attrs["min_samples_chosen"]), clustered=len(incidents),
        period=period.label, source=params.source, hull_buffer_m=float(params.hull_buffer_m),
    )  # fmt: skip
    table.attrs.update(
        season=period.season or "all", financial_year=period.financial_year or "all",
        period=period.label, hotspots_in_study_area=len(table), lies_in=LIES_IN, area="",
        ward="", selected=len(incidents), parameters=parameters.text,
    )  # fmt: skip
    table = add_trend(table, prepared, season=period.season, financial_year=period.financial_year,
                      current=incidents)  # fmt: skip
    if "label" not in table.columns:  # the clustering labels its hotspots; one rule if not
        add_labels(table, incidents, members)
    notes = tuple(n for n in [table.attrs.get("months_note")] if n)
    test = None
    if chance:
        table, test = _chance(table, prepared, incidents=incidents, members=members, n_sim=n_sim)
    result = PeriodResult(
        period, parameters, table, members, incidents, chance=test,
        compared_with=table.attrs.get("compared_with"), notes=notes, wards=prepared.wards,
        areas=prepared.areas, demo=_demo(prepared),
    )  # fmt: skip
    if patterns:
        previous, known = _previous_season(prepared, period, params)
        cells = place_patterns_of(prepared, period, params=params, result=result, known=known)
        result = add_patterns(dataclasses.replace(result, previous=previous), cells)
    log.info("%s: %d hotspot(s) from %d incidents (%s)", period.label, len(table),
             len(incidents), parameters.text)  # fmt: skip
    return result


def _demo(prepared: Prepared) -> bool:
    try:
        return is_demo(prepared)
    except AttributeError:  # a Prepared made without a load (tests)
        return False


def _chance(
    table: gpd.GeoDataFrame,
    prepared: Prepared,
    *,
    incidents: gpd.GeoDataFrame,
    members: pd.Series,
    n_sim: int,
) -> tuple[gpd.GeoDataFrame, ChanceTest]:
    """The chance test of the period's hotspots (no re-clustering of the observed data):
    chance incidents spread evenly over the wards (moved to the nearest map point for
    police.uk data), as :func:`hotspots.analysis.significance.significance_for` does."""
    labels = members.reindex(incidents.index).astype("Int64").fillna(0).to_numpy(dtype=np.int64) - 1
    tested = significance.cluster_significance(
        table,
        prepared.incidents,
        study_area=prepared.wards,
        n_incidents=len(incidents),
        incidents=incidents if len(table) else None,
        labels=labels,
        n_sim=n_sim,
        keep=prepared.catchments,
    )
    test = ChanceTest(str(tested.attrs["significance"]), int(tested.attrs["simulations"]),
                      float(tested.attrs["alpha"]))  # fmt: skip
    return tested, test


def _previous_season(
    prepared: Prepared, period: Period, params: ClusterParams | None
) -> tuple[tuple[gpd.GeoDataFrame, pd.Series] | None, dict[str, gpd.GeoDataFrame]]:
    """The season before's hotspots, and them by place-pattern period when they are one.

    The accuracy sentence's previous window (:func:`hotspots.analysis.backtest.
    previous_window_hotspots`) is also a period of the Pattern column when it holds
    exactly that season's incidents; then it is clustered once for both.
    """
    from hotspots.analysis.backtest import previous_window_hotspots
    from hotspots.analysis.patterns import pattern_periods, period_keys

    if not period.season or not period.financial_year:
        return None, {}
    previous = previous_window_hotspots(prepared, season=period.season,
                                        financial_year=period.financial_year, params=params)  # fmt: skip
    if previous is None:
        return None, {}
    keys = period_keys(prepared.incidents)
    held = keys.loc[previous[1].index].unique()
    if len(held) != 1 or int((keys == held[0]).sum()) != len(previous[1]):
        return previous, {}
    label = {key: label for label, key in pattern_periods(prepared.incidents)}.get(held[0])
    return previous, ({label: previous[0]} if label else {})


def place_patterns_of(
    prepared: Prepared,
    period: Period,
    *,
    params: ClusterParams | None = None,
    result: PeriodResult | None = None,
    known: dict[str, gpd.GeoDataFrame] | None = None,
) -> gpd.GeoDataFrame | None:
    """The place patterns up to a period (None: the data hold fewer than two seasons).

    See :func:`hotspots.analysis.patterns.place_patterns`: seasons of financial
    years up to ``period``, each clustered with ``params`` (``min_samples`` chosen
    per season unless given, as the map layer does). For one season, its
    ``result`` (when given) is that season's hotspots: it is not clustered again;
    ``known`` gives other seasons' hotspots found already (by pattern period label).

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> demo = load(DataSpec())
    >>> place_patterns_of(demo, Period("winter", "2018-19")).attrs["periods"][-1]
    'winter 2018-19'
    """
    from hotspots.analysis.patterns import place_patterns

    known = dict(known or {})
    if result is not None and period.season and result.period == period:
        known[period.label] = result.hotspots
    try:
        return place_patterns(prepared.incidents, prepared.wards, season=period.season,
                              financial_year=period.financial_year, params=params,
                              known=known)  # fmt: skip
    except HotspotsError as exc:
        log.info("no place patterns: %s", exc)
        return None


def add_patterns(result: PeriodResult, cells: gpd.GeoDataFrame | None) -> PeriodResult:
    """The result with each hotspot's place pattern: that of the cell holding its busiest point.

    Adds :data:`PATTERN_COLUMNS` (``pattern`` "" where the cell was never hot,
    ``hot_periods`` "7 of 8 seasons", ``hot_in``); blank without ``cells``.
    The hotspots are otherwise unchanged (no clustering).
    """
    from hotspots.analysis.patterns import patterns_at

    out = result.hotspots.copy()
    if cells is None or len(out) == 0:
        for col in PATTERN_COLUMNS:
            out[col] = pd.Series([""] * len(out), index=out.index, dtype=object)
    else:
        periods = list(cells.attrs["periods"])
        by = cells.attrs.get("by", "season")
        at = patterns_at(cells, out[["point_x", "point_y"]].to_numpy(dtype=float))
        out["pattern"] = at["pattern"].to_numpy()
        out["hot_periods"] = [f"{k} of {len(periods)} {by}s" if p else f"not hot in any {by}"
                              for p, k in zip(at["pattern"], at["periods_hot"])]  # fmt: skip
        out["hot_in"] = at["hot_in"].to_numpy()
        out.attrs.update(pattern_periods=periods, pattern_by=by,
                         pattern_cell_m=float(cells.attrs["grid"]["cell_m"]))  # fmt: skip
    return dataclasses.replace(result, hotspots=out, patterns=cells)


def with_chance(result: PeriodResult, prepared: Prepared, *, n_sim: int = significance.N_SIM
                ) -> PeriodResult:  # fmt: skip
    """The result with the chance test added (the result itself when it has one already)."""
    if result.chance is not None:
        return result
    table, test = _chance(result.hotspots, prepared, incidents=result.incidents,
                          members=result.members,
                          n_sim=n_sim)  # fmt: skip
    return dataclasses.replace(result, hotspots=table, chance=test)


# --------------------------------------------------------------------------- kept answers

#: The layout of :func:`encode_result`'s bytes (a new layout: kept results are made again).
RESULT_FORMAT = 1


def _jsonable(value):
    """``attrs`` values as JSON keeps them (NumPy scalars as Python ones)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot keep {type(value).__name__} {value!r} in a result's attrs")


def _members_arrays(members: pd.Series, prefix: str) -> dict[str, np.ndarray]:
    values = members.astype("Int64")
    return {
        f"{prefix}.index": members.index.to_numpy(dtype=np.int64),
        f"{prefix}.values": values.to_numpy(dtype=np.int64, na_value=0),
        f"{prefix}.mask": values.isna().to_numpy(),
    }


def _members_from(arrays: dict[str, np.ndarray], prefix: str, name) -> pd.Series:
    values = pd.array(arrays[f"{prefix}.values"], dtype="Int64")
    values[arrays[f"{prefix}.mask"].astype(bool)] = pd.NA
    return pd.Series(values, index=pd.Index(arrays[f"{prefix}.index"]), name=name)


def encode_result(result: PeriodResult) -> bytes:
    """A period's answer as bytes (no pickle), to keep in the store or pass between processes.

    The hotspots, place patterns and the previous season's hotspots as tables
    (:func:`hotspots.store.codec.encode_table`), the members and the incidents
    as the row labels of the prepared incidents they are (the incidents
    themselves are not repeated), the rest as JSON. :func:`decode_result` gives
    the answer back from the same prepared data.

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> demo = load(DataSpec())
    >>> result = analyse_period(demo, Period("autumn", "2018-19"), n_sim=19)
    >>> back = decode_result(encode_result(result), demo)
    >>> back.hotspots[["cluster_id", "label", "significant"]].equals(
    ...     result.hotspots[["cluster_id", "label", "significant"]]), back.chance == result.chance
    (True, True)
    """
    from hotspots.store.codec import encode_table, pack_arrays

    def table(frame):
        return np.frombuffer(encode_table(frame), dtype=np.uint8)

    arrays: dict[str, np.ndarray] = {"hotspots": table(result.hotspots)}
    arrays.update(_members_arrays(result.members, "members"))
    if not result.incidents.index.equals(result.members.index):
        raise HotspotsError("a result's members must be indexed as its incidents")
    if result.patterns is not None:
        arrays["patterns"] = table(result.patterns)
    if result.previous is not None:
        arrays["previous"] = table(result.previous[0])
        arrays.update(_members_arrays(result.previous[1], "previous_members"))
    meta = {
        "result_format": RESULT_FORMAT,
        "period": [result.period.season, result.period.financial_year],
        "parameters": dataclasses.asdict(result.parameters),
        "chance": dataclasses.asdict(result.chance) if result.chance else None,
        "compared_with": result.compared_with,
        "notes": list(result.notes),
        "demo": result.demo,
        "members_name": result.members.name,
        "attrs": {"hotspots": result.hotspots.attrs,
                  "patterns": result.patterns.attrs if result.patterns is not None else None,
                  "previous": result.previous[0].attrs if result.previous is not None else None},
    }  # fmt: skip
    meta = json.loads(json.dumps(meta, default=_jsonable))
    return pack_arrays(arrays, meta)


def decode_result(data: bytes, prepared: Prepared) -> PeriodResult:
    """The :class:`PeriodResult` of :func:`encode_result`'s bytes, on the prepared data it came from.

    Raises
    ------
    HotspotsError
        When the bytes are of another layout, or do not fit ``prepared`` (other data).
    """
    from hotspots.analysis.seasons import as_added
    from hotspots.store.codec import decode_table, unpack_arrays

    try:
        meta, arrays = unpack_arrays(data)
    except (ValueError, KeyError) as exc:
        raise HotspotsError(f"not a kept result ({exc})") from None
    if meta.get("result_format") != RESULT_FORMAT:
        raise HotspotsError(
            f"a kept result of layout {meta.get('result_format')!r}, not {RESULT_FORMAT}"
        )

    def table(name: str, attrs) -> gpd.GeoDataFrame:
        frame = decode_table(arrays[name].tobytes())
        frame.attrs = attrs or {}
        return frame

    members = _members_from(arrays, "members", meta["members_name"])
    parameters = Parameters(**meta["parameters"])
    labels = members.index
    index = prepared.incidents.index
    if len(labels) != parameters.clustered or (
        len(labels) and (not labels.isin(index).all() if not isinstance(index, pd.RangeIndex)
                         else labels.max() >= len(index) or labels.min() < 0)
    ):  # fmt: skip
        raise HotspotsError("a kept result that does not fit the data (other incidents)")
    incidents = as_added(prepared.incidents.loc[labels])
    previous = None
    if "previous" in arrays:
        previous = (table("previous", meta["attrs"]["previous"]),
                    _members_from(arrays, "previous_members", meta["members_name"]))  # fmt: skip
    season, year = meta["period"]
    return PeriodResult(
        Period(season, year), parameters, table("hotspots", meta["attrs"]["hotspots"]), members,
        incidents, chance=ChanceTest(**meta["chance"]) if meta["chance"] else None,
        compared_with=meta["compared_with"], notes=tuple(meta["notes"]),
        patterns=table("patterns", meta["attrs"]["patterns"]) if "patterns" in arrays else None,
        wards=prepared.wards, areas=prepared.areas, demo=bool(meta["demo"]), previous=previous,
    )  # fmt: skip
