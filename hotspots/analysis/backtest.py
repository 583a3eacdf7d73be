"""Hotspot quality and stability between periods.

* how each hotspot compares with the same season a year before
  (new / growing / steady / shrinking): :func:`change_vs_previous`;
* predictive accuracy: hotspots drawn from one window scored on the next
  (hit rate, PAI, PEI, RRI) against grid and kernel-density baselines:
  :func:`backtest`, :func:`rolling_backtest`;
* how places change over consecutive periods (emerging, persistent,
  intermittent, diminishing, former): :func:`classify_places`.
"""

from __future__ import annotations

import itertools
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots._validate import check_columns, check_points, to_analysis_crs
from hotspots.analysis.cluster import ClusterParams
from hotspots.analysis.grid import (
    Grid,
    _in_cells,
    _xy_of,
    default_bandwidth_m,
    hull_cells,
    quartic_density,
    study_grid,
    top_cells,
)
from hotspots.analysis.seasons import SEASONS
from hotspots.analysis.summaries import find_clusters
from hotspots.analysis.trend import previous_financial_year

# =========================================================================== predictive accuracy
#
# Backtest: hotspots drawn from a training window are scored on the window that
# follows.  Every method is scored on one regular grid over the study area so
# that areas match exactly; see :func:`backtest`.

#: Target coverages: the share of the study area a method may flag.
COVERAGES = (0.01, 0.03, 0.05)
#: The methods compared by :func:`backtest`.
METHODS = ("dbscan", "grid", "kde")
#: The label of the DBSCAN hotspots' own coverage in backtest records.
OWN = "own"
#: The heading of DBSCAN's score when its hotspots cover less than a target coverage: they are
#: scored once, on all their cells (the coverage they reach), beside baselines on as many cells.
HOTSPOT_CELLS = "hotspots' cells"

RECORD_COLUMNS = [
    "method",
    "coverage",
    "coverage_label",
    "area_km2",
    "hits",
    "test_incidents",
    "hit_rate",
    "pai",
    "pei",
    "rri",
    "reached",
    "train",
    "test",
    "cell_m",
    "bandwidth_m",
    "eps_m",
    "min_samples",
]


def accuracy_measures(
    hits: int,
    total: int,
    area_m2: float,
    study_area_m2: float,
    *,
    best_hits: int | None = None,
    train_hits: int | None = None,
    train_total: int | None = None,
) -> dict[str, float]:
    """Hit rate, PAI, PEI and RRI of one set of hotspots.

    Parameters
    ----------
    hits : int
        ``n``: test-window incidents inside the hotspots.
    total : int
        ``N``: all test-window incidents in the study area.
    area_m2, study_area_m2 : float
        ``a``: the hotspots' area; ``A``: the study area.
    best_hits : int, optional
        ``n*``: the most test-window incidents any area of the same size could
        have held (the busiest grid cells of the test window itself).
    train_hits, train_total : int, optional
        ``n1`` and ``N1``: the training window's incidents in the hotspots and in all.

    Returns
    -------
    dict
        ``hit_rate`` = n/N; ``pai`` = (n/N)/(a/A) (Chainey, Tompson & Uhlig 2008);
        ``pei`` = n/n* = PAI/PAI* (Hunt 2016: the share of the best possible
        PAI for that area); ``rri`` = (n/n1)/(N/N1), Levine's recapture rate
        index (Chainey et al. 2008): above 1 when the hotspots kept more than
        their share of incidents. A measure that cannot be worked out (nothing
        to divide by) is NaN.

    Examples
    --------
    20 of 100 test incidents fall in 1 km² of a 50 km² borough (2% of it);
    the best 1 km² held 40; the hotspots held 30 of 120 training incidents:

    >>> m = accuracy_measures(20, 100, 1e6, 50e6, best_hits=40, train_hits=30, train_total=120)
    >>> {k: round(v, 3) for k, v in m.items()}
    {'hit_rate': 0.2, 'pai': 10.0, 'pei': 0.5, 'rri': 0.8}
    """
    nan = float("nan")
    hit_rate = hits / total if total > 0 else nan
    share = area_m2 / study_area_m2 if study_area_m2 > 0 else nan
    pai = hit_rate / share if share and share > 0 and total > 0 else nan
    pei = hits / best_hits if best_hits else nan
    rri = nan
    if train_hits and train_total and total > 0:
        rri = (hits / train_hits) / (total / train_total)
    return {"hit_rate": hit_rate, "pai": pai, "pei": pei, "rri": rri}


def backtest(
    train: gpd.GeoDataFrame,
    test: gpd.GeoDataFrame,
    study_area: gpd.GeoDataFrame,
    *,
    params: ClusterParams | None = None,
    coverages: tuple[float, ...] = COVERAGES,
    own: bool = True,
    methods: tuple[str, ...] = METHODS,
    cell_m: float | None = None,
    bandwidth_m: float | None = None,
    windows: tuple[str, str] = ("", ""),
    grid: Grid | None = None,
    clusters: gpd.GeoDataFrame | None = None,
) -> pd.DataFrame:
    """Score hotspots drawn from ``train`` on ``test``: DBSCAN against grid and KDE.

    Every method flags cells of one grid (:func:`study_grid`), so that at a
    target coverage (a share of the study area) all flag the same area:

    * ``dbscan``: this project's hotspots (:func:`hotspots.analysis.summaries.find_clusters`
      on ``train``), their hulls' cells, densest cluster first
      (:func:`hull_cells`);
    * ``grid``: the cells with most training incidents;
    * ``kde``: the cells with the highest quartic kernel density of the
      training incidents (:func:`quartic_density`).

    At the hotspots' own coverage (``coverage_label`` ``"own"``) DBSCAN is
    scored on its hull polygons themselves (clipped to the study area) and
    the baselines on as many cells as make up the same area.

    Parameters
    ----------
    train, test : geopandas.GeoDataFrame
        Incident points of the two windows, in the study area.
    study_area : geopandas.GeoDataFrame
        The wards; their union is the study area ``A``.
    params : ClusterParams, optional
        DBSCAN settings (``min_samples`` None: chosen from ``train``).
    coverages : tuple of float
        Target shares of the study area (0.01 = 1%).
    own : bool, default True
        Also score at the DBSCAN hotspots' own coverage.
    methods : tuple of str
        Any of :data:`METHODS`.
    cell_m, bandwidth_m : float, optional
        Grid cell size and kernel bandwidth; default :func:`default_cell_m`
        and :func:`default_bandwidth_m`.
    windows : tuple of str
        Labels of the training and test windows, copied into the records.
    grid, clusters : optional
        A ready grid and ready DBSCAN clusters of ``train`` (to save work
        when the caller has them).

    Returns
    -------
    pandas.DataFrame
        One record per method and coverage, columns :data:`RECORD_COLUMNS`:
        ``coverage`` is the share of the study area actually flagged,
        ``coverage_label`` the target ("1%", ..., or "own"). Where the DBSCAN
        hulls are smaller than a target they have no record under it:
        they are scored once, on all their cells, under :data:`HOTSPOT_CELLS`
        (``reached`` False, ``coverage`` the share they do cover), beside the
        baselines on as many cells. ``reached`` is also False where a baseline
        ran out of cells with any training incident or density (it is then
        padded to the target area with zero-score cells, in cell order, so
        its area still matches); ``hits`` is ``n`` and
        ``test_incidents`` ``N`` (see :func:`accuracy_measures`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=27700)
    >>> def pts(xy):
    ...     return gpd.GeoDataFrame(geometry=gpd.points_from_xy(*np.array(xy, float).T), crs=27700)
    >>> train = pts([[150, 150]] * 6 + [[850, 850]])
    >>> test = pts([[150, 150]] * 3 + [[850, 850]])
    >>> r = backtest(train, test, wards, params=ClusterParams(eps_m=50, min_samples=3),
    ...              coverages=(0.01,), own=False, cell_m=100, methods=("dbscan", "grid"))
    >>> r[["method", "hits", "hit_rate", "pai", "pei", "rri"]].values.tolist()
    [['dbscan', 3, 0.75, 75.0, 1.0, 0.875], ['grid', 3, 0.75, 75.0, 1.0, 0.875]]
    """
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise HotspotsError(f"methods must be among {list(METHODS)!r}; got {unknown!r}")
    bad = [c for c in coverages if not 0 < c < 1]
    if bad:
        raise HotspotsError(f"coverages are shares of the study area between 0 and 1; got {bad!r}")
    check_points(train, argument="train")
    check_points(test, argument="test")
    params = params or ClusterParams()
    grid = grid or study_grid(study_area, cell_m=cell_m)
    bandwidth_m = float(bandwidth_m) if bandwidth_m else default_bandwidth_m(grid.cell_m)
    A = grid.study_area_m2
    train_xy, test_xy = _xy_of(train), _xy_of(test)
    n_train, n_test = len(train_xy), len(test_xy)
    train_counts, test_counts = grid.counts(train_xy), grid.counts(test_xy)
    best_sorted = np.sort(np.where(grid.inside, test_counts, 0))[::-1]
    if clusters is None and "dbscan" in methods and n_train:
        clusters = find_clusters(train, params=params, study_area_m2=A)
    min_samples = (
        clusters.attrs.get("min_samples", params.min_samples) if clusters is not None else None
    )
    scores = {}
    if "grid" in methods:
        scores["grid"] = train_counts
    if "kde" in methods:
        scores["kde"] = quartic_density(grid, train_xy, bandwidth_m=bandwidth_m)

    def record(
        method, label, cells=None, *, area_m2=None, hits=None, train_hits=None, reached=True
    ):
        if cells is not None:
            area_m2 = len(cells) * grid.cell_area_m2
            hits = _in_cells(grid, test_xy, cells)
            train_hits = _in_cells(grid, train_xy, cells)
        k = grid.cells_for(area_m2) if area_m2 else 0
        m = accuracy_measures(
            hits, n_test, area_m2, A, best_hits=int(best_sorted[:k].sum()),
            train_hits=train_hits, train_total=n_train,
        )  # fmt: skip
        return {
            "method": method, "coverage": area_m2 / A, "coverage_label": label,
            "area_km2": area_m2 / 1e6, "hits": hits, "test_incidents": n_test, **m,
            "reached": reached, "train": windows[0], "test": windows[1], "cell_m": grid.cell_m,
            "bandwidth_m": bandwidth_m if method == "kde" else float("nan"),
            "eps_m": params.eps_m if method == "dbscan" else float("nan"),
            "min_samples": min_samples if method == "dbscan" else None,
        }  # fmt: skip

    targets = [(f"{c * 100:g}%", grid.cells_for(c * A)) for c in coverages]
    rows = []
    if own and clusters is not None and len(clusters):
        union = (
            to_analysis_crs(clusters)
            .geometry.union_all()
            .intersection(to_analysis_crs(study_area).geometry.union_all())
        )
        own_area = float(union.area)
        if "dbscan" in methods:
            inside = gpd.GeoSeries(gpd.points_from_xy(*test_xy.T)).within(union) if n_test else []
            in_train = gpd.GeoSeries(gpd.points_from_xy(*train_xy.T)).within(union)
            rows.append(record("dbscan", OWN, area_m2=own_area, hits=int(np.sum(inside)),
                               train_hits=int(in_train.sum())))  # fmt: skip
        targets.append((OWN, grid.cells_for(own_area)))
    short = None  # DBSCAN's cells when they fall short of a target (the same for every larger one)
    for label, k in targets:
        if "dbscan" in methods and label != OWN:
            if clusters is None or clusters.empty:
                cells, reached = np.empty(0, dtype=np.int64), False
            else:
                cells, reached = hull_cells(grid, clusters, train_counts, k)
            if reached:
                rows.append(record("dbscan", label, cells))
            elif short is None:
                short = cells
        for method, score in scores.items():
            cells = top_cells(grid, score, k, pad=True)
            reached = int((score[cells] > 0).sum()) >= k
            rows.append(record(method, label, cells, reached=reached))
    if short is not None:  # never under a heading whose area the hotspots do not reach
        rows.append(record("dbscan", HOTSPOT_CELLS, short, reached=False))
        for method, score in scores.items() if len(short) else ():
            cells = top_cells(grid, score, len(short), pad=True)
            rows.append(
                record(
                    method,
                    HOTSPOT_CELLS,
                    cells,
                    reached=int((score[cells] > 0).sum()) >= len(short),
                )
            )
        targets.insert(len(coverages), (HOTSPOT_CELLS, len(short)))
    order = {m: i for i, m in enumerate(METHODS)}
    labels = [lab for lab, _ in targets]
    out = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    if len(out):
        out = out.sort_values(
            ["coverage_label", "method"],
            key=lambda s: s.map(labels.index) if s.name == "coverage_label" else s.map(order),
            kind="stable", ignore_index=True,
        )  # fmt: skip
    return out


# =========================================================================== windows


_MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def parse_window(text: str) -> tuple[str, str]:
    """Read a window of months: ``"2018-10..2018-11"`` or one month ``"2018-12"``.

    Examples
    --------
    >>> parse_window("2018-10..2018-11"), parse_window(" 2019-01 ")
    (('2018-10', '2018-11'), ('2019-01', '2019-01'))
    """
    first, sep, last = str(text).strip().partition("..")
    first, last = first.strip(), (last.strip() if sep else first.strip())
    if not (_MONTH_RE.match(first) and _MONTH_RE.match(last)) or first > last:
        raise HotspotsError(
            f"a window is FIRST..LAST in months, e.g. '2018-10..2018-11' (or one month, "
            f"'2018-12'); got {text!r}"
        )
    return first, last


def select_window(incidents: gpd.GeoDataFrame, window: str | tuple[str, str]) -> gpd.GeoDataFrame:
    """Keep the incidents whose ``month`` ("YYYY-MM") falls in a window (ends included).

    Examples
    --------
    >>> import geopandas as gpd
    >>> t = gpd.GeoDataFrame({"month": ["2018-09", "2018-10", "2018-11", "2018-12"]},
    ...                      geometry=[None] * 4)
    >>> select_window(t, "2018-10..2018-11")["month"].tolist()
    ['2018-10', '2018-11']
    """
    check_columns(incidents, ["month"], argument="incidents")
    first, last = parse_window(window) if isinstance(window, str) else window
    month = incidents["month"].astype(str)
    return incidents.loc[(month >= first) & (month <= last)]


def period_labels(incidents: gpd.GeoDataFrame, *, by: str = "month") -> pd.Series:
    """Each incident's period (``"2018-10"`` by month, ``"autumn 2018"`` by season).

    Returns
    -------
    pandas.Series
        Categorical, its categories in time order (winter 2019 = Dec 2018 to Feb 2019
        after autumn 2018).
    """
    if by == "month":
        check_columns(incidents, ["month"], argument="incidents")
        labels = incidents["month"].astype(str)
        order = sorted(labels.unique())
    elif by == "season":
        check_columns(incidents, ["season", "season_year"], argument="incidents")
        labels = incidents["season"].astype(str) + " " + incidents["season_year"].astype(str)
        keys = incidents[["season_year", "season"]].drop_duplicates()
        keys = keys.assign(rank=keys["season"].astype(str).map(SEASONS.index)).sort_values(
            ["season_year", "rank"]
        )
        order = [f"{s} {y}" for s, y in zip(keys["season"], keys["season_year"])]
    else:
        raise HotspotsError(f"by must be 'month' or 'season'; got {by!r}")
    return pd.Series(pd.Categorical(labels, categories=order, ordered=True), index=incidents.index)


def rolling_backtest(
    incidents: gpd.GeoDataFrame,
    study_area: gpd.GeoDataFrame,
    *,
    by: str = "month",
    params: ClusterParams | None = None,
    progress=None,
    **options,
) -> pd.DataFrame:
    """Rolling-origin backtest: each period trains, the next one tests.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        With ``month`` (and ``season``, ``season_year`` for ``by="season"``).
    study_area : geopandas.GeoDataFrame
        The wards.
    by : {"month", "season"}
        Period length. A season only partly covered by the data is used as it is.
    params : ClusterParams, optional
        DBSCAN settings.
    progress : callable, optional
        Wraps the list of pairs (e.g. ``tqdm``).
    **options
        Passed to :func:`backtest` (``coverages``, ``own``, ``methods``,
        ``cell_m``, ``bandwidth_m``).

    Returns
    -------
    pandas.DataFrame
        :func:`backtest`'s records for every consecutive pair, ``train`` and
        ``test`` naming the periods.
    """
    labels = period_labels(incidents, by=by)
    order = list(labels.cat.categories)
    if len(order) < 2:
        raise HotspotsError(
            f"a rolling backtest needs two or more {by}s of data; found {len(order)} ({order!r})"
        )
    grid = study_grid(study_area, cell_m=options.pop("cell_m", None))
    pairs = list(itertools.pairwise(order))
    frames = []
    for train_label, test_label in progress(pairs) if progress else pairs:
        frames.append(
            backtest(
                incidents.loc[(labels == train_label).to_numpy()],
                incidents.loc[(labels == test_label).to_numpy()],
                study_area,
                params=params,
                grid=grid,
                windows=(train_label, test_label),
                **options,
            )
        )
    return pd.concat(frames, ignore_index=True)


def summarise_backtest(records: pd.DataFrame) -> pd.DataFrame:
    """Mean hit rate, PAI, PEI and RRI per method and coverage over a rolling backtest.

    Examples
    --------
    >>> r = pd.DataFrame({"method": ["grid", "grid"], "coverage_label": ["1%", "1%"],
    ...                   "coverage": [0.01, 0.01], "hit_rate": [0.1, 0.3], "pai": [10.0, 30.0],
    ...                   "pei": [0.5, 0.7], "rri": [1.0, 2.0]})
    >>> summarise_backtest(r).to_dict("records")
    [{'method': 'grid', 'coverage_label': '1%', 'pairs': 2, 'coverage': 0.01, 'hit_rate': 0.2, 'pai': 20.0, 'pei': 0.6, 'rri': 1.5}]
    """
    grouped = records.groupby(["method", "coverage_label"], sort=False)
    out = grouped[["coverage", "hit_rate", "pai", "pei", "rri"]].mean()
    out.insert(0, "pairs", grouped.size())
    return out.reset_index()


# =========================================================================== getting worse?


# =========================================================================== tuning


# =========================================================================== outputs


def backtest_table(records: pd.DataFrame) -> pd.DataFrame:
    """The backtest as people read it: percentages and rounded indices.

    Examples
    --------
    >>> r = pd.DataFrame([{"method": "grid", "coverage_label": "1%", "coverage": 0.01,
    ...     "area_km2": 0.54, "hits": 344, "test_incidents": 706, "hit_rate": 0.4873,
    ...     "pai": 48.891, "pei": 0.681, "rri": 0.654, "reached": True}])
    >>> backtest_table(r).to_dict("records")[0]["hit rate %"]
    48.7
    """
    out = pd.DataFrame(
        {
            "method": records["method"],
            "coverage": records["coverage_label"],
            "area %": (100 * records["coverage"]).round(2),
            "area km2": records["area_km2"].round(3),
            "hits": records["hits"],
            "of": records["test_incidents"],
            "hit rate %": (100 * records["hit_rate"]).round(1),
            "PAI": records["pai"].round(1),
            "PEI": records["pei"].round(2),
            "RRI": records["rri"].round(2),
        }
    )
    if "reached" in records and not records["reached"].all():
        short = (records["coverage_label"] == HOTSPOT_CELLS) & (records["method"] == "dbscan")
        out["note"] = np.select(
            [records["reached"], short],
            ["", "hotspots cover less than the target areas: scored at their own"],
            "padded: too few cells with training incidents",
        )
    return out


# =========================================================================== one-line accuracy


def _windows(prepared, *, season: str | None, financial_year: str | None):
    """(previous, current, train label, test label) of :func:`previous_window_accuracy`, or None."""
    from hotspots.analysis.prepare import select_incidents

    incidents = prepared.incidents
    whole_year = season in (None, "all")
    if not financial_year:
        return None
    current = select_incidents(incidents, season=season, financial_year=financial_year)
    if current.empty:
        return None
    if whole_year:
        test_label = financial_year
        train_label = previous_financial_year(financial_year)
        previous = select_incidents(incidents, financial_year=train_label)
    else:
        year = int(current["season_year"].mode().iloc[0])
        rank = year * 4 + SEASONS.index(season)
        prev_year, prev_index = divmod(rank - 1, 4)
        train_label, test_label = f"{SEASONS[prev_index]} {prev_year}", f"{season} {year}"
        previous = incidents.loc[
            (incidents["season"] == SEASONS[prev_index]).to_numpy()
            & (incidents["season_year"] == prev_year).to_numpy()
        ]
    return previous, current, train_label, test_label


def previous_window_hotspots(
    prepared,
    *,
    season: str | None,
    financial_year: str | None,
    params: ClusterParams | None = None,
) -> tuple[gpd.GeoDataFrame, pd.Series] | None:
    """The previous window's hotspots in the whole study area, as a focus-area or ward view scores them.

    What :func:`previous_window_accuracy` clusters for a view
    (:func:`hotspots.analysis.hotspots.clusters_and_members` of the season
    before); found once, it can be given to every view of the period
    (``previous_hotspots``). None when the data holds no previous window.

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> demo = load(DataSpec())
    >>> found, members = previous_window_hotspots(demo, season="winter", financial_year="2018-19")
    >>> len(found) == members.nunique()
    True
    """
    from hotspots.analysis.hotspots import clusters_and_members

    windows = _windows(prepared, season=season, financial_year=financial_year)
    if windows is None or windows[0].empty:
        return None
    return clusters_and_members(windows[0], params=params, areas=prepared.areas,
                                study_area_m2=prepared.study_area_m2)  # fmt: skip


def previous_window_accuracy(
    prepared,
    *,
    season: str | None,
    financial_year: str | None,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
    previous_hotspots: tuple[gpd.GeoDataFrame, pd.Series] | None = None,
) -> dict | None:
    """How well the previous season's hotspots predicted this selection, in one sentence.

    The hotspots of the season just before the selected one (the financial
    year before, for a whole year) are found once in the whole study area, as
    every map does, and scored on the selection's incidents at their own
    coverage (:func:`backtest`, DBSCAN only):

    * whole borough: all of them, on the period's incidents, coverage of the
      borough;
    * a focus area or ward: those **lying in** it (the ward and focus area of
      their busiest map point, as :meth:`hotspots.analysis.hotspots.Hotspots.within`
      lists them), on the view's incidents, coverage of the view's own area
      (their outlines clipped to the ward or focus area).

    ``previous_hotspots`` (:func:`previous_window_hotspots`) gives the previous
    window's hotspots already found, so neither the borough nor a view clusters it again.

    Returns
    -------
    dict or None
        ``hit_rate``, ``coverage``, ``pai``, ``train`` and ``test`` (period
        names), ``sentence``; for a view also ``view`` (its name), ``hotspots``
        (ids of the previous window's study-area hotspots lying in it),
        ``hits`` and ``incidents``. None when the data holds no previous window,
        or either window (in the view) is empty or has no hotspot (lying in it).

    Examples
    --------
    >>> from hotspots.loader import DataSpec, load
    >>> demo = load(DataSpec())
    >>> out = previous_window_accuracy(demo, season="winter", financial_year="2018-19")
    >>> out["train"], out["test"], out["pai"] > 1
    ('autumn 2018', 'winter 2019', True)
    >>> abbey = previous_window_accuracy(demo, season="winter", financial_year="2018-19", ward="Abbey")
    >>> abbey["sentence"].startswith("Hotspots drawn from autumn 2018 lying in Abbey held"), abbey["hotspots"]
    (True, [1])
    """
    from hotspots.analysis.prepare import select_incidents

    windows = _windows(prepared, season=season, financial_year=financial_year)
    if windows is None:
        return None
    previous, current, train_label, test_label = windows
    if area or ward:
        return _view_accuracy(prepared, previous, current, area=area, ward=ward, params=params,
                              windows=(train_label, test_label),
                              found=previous_hotspots)  # fmt: skip
    previous = select_incidents(previous, area=area, ward=ward)
    current = select_incidents(current, area=area, ward=ward)
    if previous.empty or current.empty:
        return None
    found = previous_hotspots[0] if previous_hotspots is not None else None
    records = backtest(previous, current, prepared.wards, params=params, coverages=(),
                       methods=("dbscan",), windows=(train_label, test_label),
                       clusters=found)  # fmt: skip
    if records.empty or not records["hits"].iloc[0] >= 0:
        return None
    rec = records.iloc[0]
    sentence = (
        f"Hotspots drawn from {train_label} held {rec['hit_rate']:.0%} of {test_label}'s incidents "
        f"on {rec['coverage']:.1%} of the borough (PAI {rec['pai']:.0f})"
    )
    return {
        "hit_rate": float(rec["hit_rate"]), "coverage": float(rec["coverage"]),
        "pai": float(rec["pai"]), "train": train_label, "test": test_label, "sentence": sentence,
    }  # fmt: skip


def _view_accuracy(
    prepared,
    previous: gpd.GeoDataFrame,
    current: gpd.GeoDataFrame,
    *,
    area: str | None,
    ward: str | None,
    params: ClusterParams | None,
    windows: tuple[str, str],
    found: tuple[gpd.GeoDataFrame, pd.Series] | None = None,
) -> dict | None:
    """:func:`previous_window_accuracy` for a focus area and/or ward view."""
    from hotspots.analysis.hotspots import Hotspots, clusters_and_members
    from hotspots.analysis.prepare import check_view, select_incidents

    check_view(prepared, area=area, ward=ward)
    now = select_incidents(current, area=area, ward=ward)
    if previous.empty or now.empty:
        return None
    found, members = found or clusters_and_members(
        previous, params=params, areas=prepared.areas, study_area_m2=prepared.study_area_m2
    )
    inside = Hotspots(found, members, previous, previous).within(area=area, ward=ward).clusters
    if inside.empty:
        return None
    shapes = []
    if ward:
        wards = to_analysis_crs(prepared.wards)
        shapes.append(wards.loc[wards["ward_name"] == ward].union_all())
    if area:
        areas = to_analysis_crs(prepared.areas)
        shapes.append(areas.loc[areas["name"] == area].union_all())
    region = shapes[0] if len(shapes) == 1 else shapes[0].intersection(shapes[1])
    view = gpd.GeoDataFrame(geometry=[region], crs=inside.crs)
    records = backtest(select_incidents(previous, area=area, ward=ward), now, view, params=params,
                       coverages=(), methods=("dbscan",), windows=windows, clusters=inside)  # fmt: skip
    if records.empty:
        return None
    rec = records.iloc[0]
    place = f"{area} in {ward}" if area and ward else (ward or area)
    kind = "ward" if not area else ("focus area" if not ward else "area")
    train_label, test_label = windows
    sentence = (
        f"Hotspots drawn from {train_label} lying in {place} held {rec['hit_rate']:.0%} of "
        f"{test_label}'s incidents in {place} on {rec['coverage']:.1%} of the {kind} "
        f"(PAI {rec['pai']:.0f})"
    )
    return {
        "hit_rate": float(rec["hit_rate"]), "coverage": float(rec["coverage"]),
        "pai": float(rec["pai"]), "train": train_label, "test": test_label, "sentence": sentence,
        "view": place, "hotspots": [int(c) for c in inside["cluster_id"]],
        "hits": int(rec["hits"]), "incidents": int(rec["test_incidents"]),
    }  # fmt: skip
