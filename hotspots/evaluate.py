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
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import ConfigError, HotspotsError
from hotspots._validate import check_columns, check_points, to_analysis_crs
from hotspots.cluster import ClusterParams, ClusterWarning, find_clusters
from hotspots.seasons import SEASONS, financial_year_of, parse_financial_year

TRENDS = ("new", "growing", "steady", "shrinking")
#: Trend where the data holds nothing for the same season a year before.
NO_EARLIER_DATA = "no earlier data"
#: A hotspot is growing (shrinking) when it has this many times more (fewer) incidents.
GROWTH = 1.25


def previous_financial_year(financial_year: str) -> str:
    """The financial year before ``financial_year``.

    Examples
    --------
    >>> previous_financial_year("2018-19")
    '2017-18'
    """
    start = parse_financial_year(financial_year)
    return financial_year_of(start - 1, 4)


def trend_label(current: int, previous: int, *, growth: float = GROWTH) -> str:
    """Label a hotspot's change: new, growing, steady or shrinking.

    ("steady", not "persistent": that word is a place pattern's, see :func:`classify_pattern`.)

    Examples
    --------
    >>> [trend_label(10, 0), trend_label(30, 20), trend_label(20, 19), trend_label(10, 20)]
    ['new', 'growing', 'steady', 'shrinking']
    """
    if previous <= 0:
        return "new"
    if current >= growth * previous:
        return "growing"
    if current * growth <= previous:
        return "shrinking"
    return "steady"


def change_vs_previous(
    clusters: gpd.GeoDataFrame, previous_incidents: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Count the earlier period's incidents inside each hotspot's outline.

    Parameters
    ----------
    clusters : geopandas.GeoDataFrame
        Hotspots with ``incidents`` and hull polygons (from
        :func:`hotspots.cluster.find_clusters`).
    previous_incidents : geopandas.GeoDataFrame
        The incidents of the period to compare with (for example the same
        season a year before: ``select_period(..., financial_year=
        previous_financial_year(fy))``).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy of ``clusters`` with ``previous`` (incidents in the outline then),
        ``change`` (now minus then) and ``trend`` (see :func:`trend_label`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> hs = gpd.GeoDataFrame({"incidents": [12]}, geometry=[Point(0, 0).buffer(50)], crs=27700)
    >>> old = gpd.GeoDataFrame(geometry=[Point(1, 1)] * 4 + [Point(500, 500)], crs=27700)
    >>> change_vs_previous(hs, old)[["previous", "change", "trend"]].values.tolist()
    [[4, 8, 'growing']]
    """
    check_points(previous_incidents, argument="previous_incidents")
    out = clusters.copy()
    counts = np.zeros(len(out), dtype=np.int64)
    if len(out) and len(previous_incidents):
        hulls = to_analysis_crs(out).geometry.reset_index(drop=True)
        points = to_analysis_crs(previous_incidents).geometry.reset_index(drop=True)
        hull_idx, _ = points.sindex.query(hulls, predicate="intersects")
        counts = np.bincount(hull_idx, minlength=len(out)).astype(np.int64)
    out["previous"] = counts
    out["change"] = out["incidents"].to_numpy(dtype=np.int64) - counts
    out["trend"] = pd.Series(
        [trend_label(int(c), int(p)) for c, p in zip(out["incidents"], counts)],
        index=out.index,
        dtype=object,
    )
    return out


# =========================================================================== predictive accuracy
#
# Backtest: hotspots drawn from a training window are scored on the window that
# follows.  Every method is scored on one regular grid over the study area so
# that areas match exactly; see :func:`backtest`.

#: Target coverages: the share of the study area a method may flag.
COVERAGES = (0.01, 0.03, 0.05)
#: The methods compared by :func:`backtest`.
METHODS = ("dbscan", "grid", "kde")
#: Grid cell size rule: the shorter side of the study area's bounding box over this.
CELLS_ACROSS = 150
#: Kernel bandwidth rule: this many cell widths.
BANDWIDTH_CELLS = 5
#: The label of the DBSCAN hotspots' own coverage in backtest records.
OWN = "own"

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


@dataclass(frozen=True)
class Grid:
    """A regular grid of square cells over the study area (EPSG:27700 metres).

    Attributes
    ----------
    x0, y0 : float
        South-west corner of the grid.
    cell_m : float
        Cell side, metres.
    nx, ny : int
        Columns and rows; cell ``i`` is column ``i % nx``, row ``i // nx``.
    inside : numpy.ndarray of bool
        Cells that overlap the study area (only they can be flagged).
    study_area_m2 : float
        The study area's own area, ``A`` in the PAI.
    """

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    inside: np.ndarray
    study_area_m2: float

    @property
    def cell_area_m2(self) -> float:
        """One cell's area."""
        return self.cell_m**2

    def centres(self) -> np.ndarray:
        """Cell centres, shape (nx * ny, 2)."""
        col, row = np.meshgrid(np.arange(self.nx), np.arange(self.ny))
        return np.column_stack(
            [self.x0 + (col.ravel() + 0.5) * self.cell_m, self.y0 + (row.ravel() + 0.5) * self.cell_m]
        )

    def cell_of(self, xy: np.ndarray) -> np.ndarray:
        """The cell index of each point; -1 off the grid."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        col = np.floor((xy[:, 0] - self.x0) / self.cell_m).astype(np.int64)
        row = np.floor((xy[:, 1] - self.y0) / self.cell_m).astype(np.int64)
        ok = (col >= 0) & (col < self.nx) & (row >= 0) & (row < self.ny)
        return np.where(ok, row * self.nx + col, -1)

    def counts(self, xy: np.ndarray) -> np.ndarray:
        """Points per cell, shape (nx * ny,)."""
        cells = self.cell_of(xy)
        return np.bincount(cells[cells >= 0], minlength=self.nx * self.ny)

    def cells_for(self, area_m2: float) -> int:
        """How many cells make up ``area_m2`` (rounded, at least 1)."""
        return max(1, round(area_m2 / self.cell_area_m2))


def default_cell_m(study_area: gpd.GeoDataFrame) -> float:
    """Grid cell size by rule: the shorter side of the study area's bounding box / 150.

    The rule of thumb of Chainey & Ratcliffe (2005, *GIS and Crime Mapping*),
    rounded to 5 m and kept between 25 m and 250 m. For Redditch (about
    8.6 x 11.6 km) it gives 65 m.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> default_cell_m(gpd.GeoDataFrame(geometry=[box(0, 0, 9000, 12000)], crs=27700))
    60.0
    """
    x0, y0, x1, y1 = to_analysis_crs(study_area).total_bounds
    side = min(x1 - x0, y1 - y0) / CELLS_ACROSS
    return float(min(250.0, max(25.0, round(side / 5.0) * 5.0)))


def default_bandwidth_m(cell_m: float) -> float:
    """Quartic kernel bandwidth by rule: five cell widths.

    Examples
    --------
    >>> default_bandwidth_m(55)
    275.0
    """
    return float(BANDWIDTH_CELLS * cell_m)


def study_grid(study_area: gpd.GeoDataFrame, *, cell_m: float | None = None) -> Grid:
    """Lay a grid of ``cell_m`` squares over the study area (the wards).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = study_grid(gpd.GeoDataFrame(geometry=[box(0, 0, 300, 200)], crs=27700), cell_m=100)
    >>> g.nx, g.ny, int(g.inside.sum()), g.study_area_m2
    (3, 2, 6, 60000.0)
    """
    area = to_analysis_crs(study_area)
    if area.empty:
        raise HotspotsError("the study area is empty: give ward boundaries with at least one ward")
    cell_m = float(cell_m) if cell_m else default_cell_m(area)
    if cell_m <= 0:
        raise HotspotsError(f"cell_m must be a size in metres above 0; got {cell_m!r}")
    x0, y0, x1, y1 = area.total_bounds
    x0, y0 = math.floor(x0 / cell_m) * cell_m, math.floor(y0 / cell_m) * cell_m
    nx = max(1, math.ceil((x1 - x0) / cell_m))
    ny = max(1, math.ceil((y1 - y0) / cell_m))
    grid = Grid(x0, y0, cell_m, nx, ny, np.zeros(nx * ny, dtype=bool), float(area.area.sum()))
    cells = shapely.box(*(grid.centres() + [[-cell_m / 2, -cell_m / 2]]).T,
                        *(grid.centres() + [[cell_m / 2, cell_m / 2]]).T)  # fmt: skip
    hit, _ = gpd.GeoSeries(cells).sindex.query(area.geometry.values, predicate="intersects")[::-1]
    inside = np.zeros(nx * ny, dtype=bool)
    inside[hit] = True
    return Grid(x0, y0, cell_m, nx, ny, inside, grid.study_area_m2)


def quartic_density(grid: Grid, xy: np.ndarray, *, bandwidth_m: float) -> np.ndarray:
    """Quartic (biweight) kernel density of points at each cell centre.

    ``K(d) = 3 / (pi h^2) * (1 - d^2/h^2)^2`` for ``d < h``, 0 beyond: the kernel
    of CrimeStat and ArcGIS's Kernel Density. Values are incidents per m².

    Examples
    --------
    One point at a cell centre: that cell gets the kernel's peak, 3 / (pi h^2).

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = study_grid(gpd.GeoDataFrame(geometry=[box(0, 0, 300, 100)], crs=27700), cell_m=100)
    >>> d = quartic_density(g, np.array([[50.0, 50.0]]), bandwidth_m=150)
    >>> [round(float(v) * math.pi * 150**2 / 3, 6) for v in d]  # (1 - (100/150)^2)^2 next door
    [1.0, 0.308642, 0.0]
    """
    from scipy.spatial import cKDTree

    out = np.zeros(grid.nx * grid.ny)
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return out
    uniq, weight = np.unique(xy, axis=0, return_counts=True)
    centres = grid.centres()
    dist = cKDTree(centres).sparse_distance_matrix(
        cKDTree(uniq), max_distance=bandwidth_m, output_type="coo_matrix"
    )
    kernel = 3.0 / (math.pi * bandwidth_m**2) * (1.0 - (dist.data / bandwidth_m) ** 2) ** 2
    np.add.at(out, dist.row, kernel * weight[dist.col])
    return out


def top_cells(grid: Grid, score: np.ndarray, k: int, *, pad: bool = False) -> np.ndarray:
    """The ``k`` highest-scoring cells inside the study area (ties: lower index first).

    Cells scoring 0 are taken only with ``pad=True`` (then in cell order, so a
    method that runs out of cells with a score still flags the whole area);
    otherwise fewer than ``k`` may come back.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = study_grid(gpd.GeoDataFrame(geometry=[box(0, 0, 400, 100)], crs=27700), cell_m=100)
    >>> top_cells(g, np.array([1, 5, 5, 0]), 2).tolist(), top_cells(g, np.array([1, 5, 5, 0]), 9).tolist()
    ([1, 2], [1, 2, 0])
    >>> top_cells(g, np.array([1, 5, 5, 0]), 9, pad=True).tolist()
    [1, 2, 0, 3]
    """
    score = np.where(grid.inside, np.asarray(score, dtype=float), 0.0)
    order = np.lexsort((np.arange(len(score)), -score))
    order = order[(score[order] > 0) | (pad & grid.inside[order])]
    return order[: max(0, int(k))]


def hull_cells(grid: Grid, clusters: gpd.GeoDataFrame, train_counts: np.ndarray, k: int | None = None):
    """Grid cells of DBSCAN hulls, densest cluster first, cut to ``k`` cells.

    A cell belongs to a hull when its centre lies inside it (a hull too small
    to hold a centre takes the cell under its representative point). Clusters
    are ranked by density (incidents per m² of hull) and taken whole until
    ``k`` cells are reached; the last one is cut to its busiest cells (training
    incidents, then cell order).

    Returns
    -------
    tuple of (numpy.ndarray, bool)
        The chosen cells and whether ``k`` was reached (all hull cells are
        returned when the hulls are smaller than ``k`` cells).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = study_grid(gpd.GeoDataFrame(geometry=[box(0, 0, 500, 100)], crs=27700), cell_m=100)
    >>> hulls = gpd.GeoDataFrame({"incidents": [10, 9]},
    ...     geometry=[box(0, 0, 200, 100), box(300, 0, 400, 100)], crs=27700)
    >>> cells, reached = hull_cells(g, hulls, np.array([4, 6, 0, 9, 0]), k=2)
    >>> cells.tolist(), reached   # the small hull is denser; then cell 1 beats cell 0
    ([3, 1], True)
    """
    hulls = to_analysis_crs(clusters)
    if hulls.empty:
        return np.empty(0, dtype=np.int64), k is None or k <= 0
    centres = grid.centres()
    pts = gpd.GeoSeries(gpd.points_from_xy(centres[:, 0], centres[:, 1]))
    hull_idx, cell_idx = pts.sindex.query(hulls.geometry.values, predicate="contains")
    rep = hulls.geometry.representative_point()
    rep_cells = grid.cell_of(np.column_stack([rep.x, rep.y]))
    hull_idx = np.concatenate([hull_idx, np.arange(len(hulls))])
    cell_idx = np.concatenate([cell_idx, rep_cells])
    density = hulls["incidents"].to_numpy(dtype=float) / hulls.geometry.area.to_numpy()
    table = pd.DataFrame(
        {"cell": cell_idx, "density": density[hull_idx], "count": np.asarray(train_counts)[cell_idx]}
    )
    table = table[(table["cell"] >= 0) & grid.inside[table["cell"].clip(lower=0)]]
    table = table.sort_values(["density", "count", "cell"], ascending=[False, False, True])
    cells = table.drop_duplicates("cell")["cell"].to_numpy(dtype=np.int64)
    if k is None:
        return cells, True
    return cells[:k], len(cells) >= k


def _in_cells(grid: Grid, xy: np.ndarray, cells: np.ndarray) -> int:
    chosen = np.zeros(grid.nx * grid.ny + 1, dtype=bool)
    chosen[cells] = True
    return int(chosen[grid.cell_of(xy)].sum())  # -1 (off the grid) hits the spare False slot


def _xy_of(incidents: gpd.GeoDataFrame) -> np.ndarray:
    geoms = to_analysis_crs(incidents).geometry
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])


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

    * ``dbscan``: this project's hotspots (:func:`hotspots.cluster.find_clusters`
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
        ``coverage_label`` the target ("1%", ..., or "own"); ``reached`` is
        False where the DBSCAN hulls were smaller than the target (they are
        then scored on all their cells, a smaller area), or where a baseline
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
    min_samples = clusters.attrs.get("min_samples", params.min_samples) if clusters is not None else None
    scores = {}
    if "grid" in methods:
        scores["grid"] = train_counts
    if "kde" in methods:
        scores["kde"] = quartic_density(grid, train_xy, bandwidth_m=bandwidth_m)

    def record(method, label, cells=None, *, area_m2=None, hits=None, train_hits=None, reached=True):
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
        union = to_analysis_crs(clusters).geometry.union_all().intersection(
            to_analysis_crs(study_area).geometry.union_all()
        )
        own_area = float(union.area)
        if "dbscan" in methods:
            inside = gpd.GeoSeries(gpd.points_from_xy(*test_xy.T)).within(union) if n_test else []
            in_train = gpd.GeoSeries(gpd.points_from_xy(*train_xy.T)).within(union)
            rows.append(record("dbscan", OWN, area_m2=own_area, hits=int(np.sum(inside)),
                               train_hits=int(in_train.sum())))  # fmt: skip
        targets.append((OWN, grid.cells_for(own_area)))
    for label, k in targets:
        if "dbscan" in methods and label != OWN:
            if clusters is None or clusters.empty:
                cells, reached = np.empty(0, dtype=np.int64), False
            else:
                cells, reached = hull_cells(grid, clusters, train_counts, k)
            rows.append(record("dbscan", label, cells, reached=reached))
        for method, score in scores.items():
            cells = top_cells(grid, score, k, pad=True)
            reached = int((score[cells] > 0).sum()) >= k
            rows.append(record(method, label, cells, reached=reached))
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
        keys = keys.assign(rank=keys["season"].astype(str).map(SEASONS.index)).sort_values(["season_year", "rank"])
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
                study_area, params=params, grid=grid, windows=(train_label, test_label),
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

#: Place patterns over consecutive periods, from :func:`classify_places`.
PATTERNS = ("emerging", "persistent", "intermittent", "diminishing", "former")
#: A place hot in at least this share of the periods is persistent.
PERSISTENT_SHARE = 0.8


def classify_pattern(hot: list[bool] | np.ndarray, *, persistent_share: float = PERSISTENT_SHARE) -> str:
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
    :func:`hotspots.patterns.place_patterns`: a grid cell inside (or holding the
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
    :mod:`hotspots.significance` for that), *recent* is the later half rather
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


def classify_places(flags: pd.DataFrame, *, persistent_share: float = PERSISTENT_SHARE) -> pd.Series:
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
    names = np.array([classify_pattern(u, persistent_share=persistent_share) for u in uniq], dtype=object)
    return pd.Series(names[inverse.ravel()], index=flags.index, name="pattern")


def place_patterns(
    incidents: gpd.GeoDataFrame,
    study_area: gpd.GeoDataFrame,
    *,
    by: str = "season",
    params: ClusterParams | None = None,
    cell_m: float | None = None,
    **selection,
) -> gpd.GeoDataFrame:
    """Grid cells that were hotspots in any period, with their pattern over the periods.

    The same as :func:`hotspots.patterns.place_patterns` (which states the
    rules: places, periods, what counts as hot); kept here beside
    :func:`classify_pattern`. ``selection`` takes ``season``,
    ``financial_year`` or ``month``: the periods run up to the last one it holds.

    Returns
    -------
    geopandas.GeoDataFrame
        One square per cell hot at least once (EPSG:27700): ``cell``, one bool
        column per period (time order), ``periods_hot``, ``pattern``
        (:func:`classify_pattern`), ``hot_in``, ``incidents``, ``street``,
        ``ward``. ``attrs["periods"]`` lists the periods.
    """
    from hotspots.patterns import (
        place_patterns as patterns_of_places,  # pipeline imports this module
    )

    return patterns_of_places(incidents, study_area, by=by, params=params, cell_m=cell_m,
                              **selection)  # fmt: skip


# =========================================================================== tuning

#: eps_m values (metres) searched by :func:`tune_params` by default.
EPS_GRID = (50.0, 75.0, 100.0, 125.0, 150.0, 200.0, 250.0, 300.0)
#: min_samples values searched by :func:`tune_params` by default.
MIN_SAMPLES_GRID = (3, 4, 5, 6, 8, 10, 12, 15)
TUNE_METRICS = ("pai", "pei")


def tune_params(
    train: gpd.GeoDataFrame,
    test: gpd.GeoDataFrame,
    study_area: gpd.GeoDataFrame,
    *,
    coverage: float | str = 0.03,
    metric: str = "pai",
    eps_grid: tuple[float, ...] = EPS_GRID,
    min_samples_grid: tuple[int, ...] = MIN_SAMPLES_GRID,
    hull_buffer_m: float = 25.0,
    cell_m: float | None = None,
    progress=None,
) -> pd.DataFrame:
    """Search DBSCAN's ``eps_m`` and ``min_samples`` for the best hotspots of the next window.

    Each pair clusters ``train`` and is scored on ``test`` (:func:`backtest`,
    DBSCAN only) at ``coverage``: a share of the study area (the hulls' cells,
    densest cluster first; a pair whose hulls cannot reach that area is not
    eligible) or ``"own"`` (the hulls themselves; small hulls then score
    high PAI on few incidents, so prefer ``metric="pei"`` there).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``eps_m``, ``min_samples``, ``clusters``,
        ``area_km2``, ``hit_rate``, ``pai``, ``pei``, ``rri``, ``eligible``,
        best first (eligible pairs by ``metric``, then hit rate; then smaller
        ``eps_m``). ``attrs`` holds ``metric`` and ``coverage``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs=27700)
    >>> def pts(xy):
    ...     return gpd.GeoDataFrame(geometry=gpd.points_from_xy(*np.array(xy, float).T), crs=27700)
    >>> train = pts([[150, 150]] * 4 + [[850, 850]] * 2)
    >>> test = pts([[150, 150]] * 3 + [[850, 850]] * 3)
    >>> best = tune_params(train, test, wards, coverage="own", metric="pei", eps_grid=(50,),
    ...                    min_samples_grid=(2, 3), cell_m=100).iloc[0]
    >>> int(best["min_samples"]), int(best["clusters"]), float(best["hit_rate"])
    (2, 2, 1.0)
    """
    if metric not in TUNE_METRICS:
        raise HotspotsError(f"metric must be one of {list(TUNE_METRICS)!r}; got {metric!r}")
    own = coverage == OWN
    if not own and not (isinstance(coverage, int | float) and 0 < coverage < 1):
        raise HotspotsError(f"coverage is a share of the study area (0.03 = 3%) or 'own'; got {coverage!r}")
    grid = study_grid(study_area, cell_m=cell_m)
    pairs = [(float(e), int(m)) for e in eps_grid for m in min_samples_grid]
    rows = []
    for eps_m, min_samples in progress(pairs) if progress else pairs:
        params = ClusterParams(eps_m=eps_m, min_samples=min_samples, hull_buffer_m=hull_buffer_m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ClusterWarning)  # low min_samples are tried on purpose
            found = find_clusters(train, params=params, study_area_m2=grid.study_area_m2)
        r = backtest(
            train, test, study_area, params=params, grid=grid, clusters=found, methods=("dbscan",),
            coverages=() if own else (float(coverage),), own=own,
        )  # fmt: skip
        rec = r.iloc[0].to_dict() if len(r) else {"area_km2": 0.0, "reached": False}
        rows.append({
            "eps_m": eps_m, "min_samples": min_samples, "clusters": len(found),
            **{k: rec.get(k, float("nan")) for k in ("area_km2", "hit_rate", "pai", "pei", "rri")},
            "eligible": bool(len(found)) and bool(rec.get("reached", False)),
        })  # fmt: skip
    out = pd.DataFrame(rows)
    out = out.sort_values(
        ["eligible", metric, "hit_rate", "eps_m", "min_samples"],
        ascending=[False, False, False, True, True], na_position="last", ignore_index=True,
    )  # fmt: skip
    out.attrs.update(metric=metric, coverage=coverage)
    return out


def write_params(path, params: ClusterParams, *, notes: dict | None = None) -> Path:
    """Write DBSCAN parameters to a TOML file that ``--params`` / ``HOTSPOTS_PARAMS`` read.

    ``notes`` (how the parameters were chosen) go in a ``[tuned]`` table.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "params.toml"
    >>> _ = write_params(p, ClusterParams(eps_m=150, min_samples=4), notes={"metric": "pai"})
    >>> read_params(p)
    ClusterParams(eps_m=150.0, min_samples=4, hull_buffer_m=25.0)
    """

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float | np.integer | np.floating):
            return repr(float(v)) if isinstance(v, float | np.floating) else str(int(v))
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        "# DBSCAN parameters for hotspots (read by --params FILE and HOTSPOTS_PARAMS).",
        "[dbscan]",
        f"eps_m = {value(float(params.eps_m))}",
    ]
    if params.min_samples is not None:
        lines.append(f"min_samples = {int(params.min_samples)}")
    lines.append(f"hull_buffer_m = {value(float(params.hull_buffer_m))}")
    if notes:
        lines += ["", "[tuned]"]
        lines += [f"{k} = {value(v)}" for k, v in notes.items() if v is not None and v == v]
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def read_params(path) -> ClusterParams:
    """Read DBSCAN parameters written by :func:`write_params` (``hotspots tune -o``).

    The file needs a ``[dbscan]`` table with ``eps_m`` and optionally
    ``min_samples`` and ``hull_buffer_m``.
    """
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: parameter file not found; write one with `hotspots tune -o {path.name}`") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable TOML parameter file ({exc})") from None
    table = data.get("dbscan")
    allowed = {"eps_m", "min_samples", "hull_buffer_m"}
    if not isinstance(table, dict) or "eps_m" not in table or set(table) - allowed:
        raise ConfigError(
            f"{path}: expected a [dbscan] table with eps_m (and optionally min_samples, "
            f"hull_buffer_m); found {table!r}. Write one with `hotspots tune -o {path.name}`."
        )
    try:
        return ClusterParams(**{k: table[k] for k in allowed & set(table)}, source=path.name)
    except TypeError as exc:
        raise ConfigError(f"{path}: {exc}") from None


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
        out["note"] = np.where(records["reached"], "", "area not reached")
    return out


def plot_backtest(records: pd.DataFrame, *, title: str = "", footer: str = ""):
    """A bar chart of PAI by coverage and method (mean PAI when records hold several pairs).

    Colours are viridis steps (colour-blind safe); each bar is labelled with its value.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    grouped = records.groupby(["coverage_label", "method"], sort=False)
    mean = grouped["pai"].mean().unstack("method")
    mean = mean.reindex(columns=[m for m in METHODS if m in mean.columns])
    short = (~grouped["reached"].all()).unstack("method").reindex_like(mean).fillna(False)
    short = short.astype(bool) & (mean.columns == "dbscan")[None, :]
    fig = Figure(figsize=(7.5, 4.2), dpi=150)
    ax = fig.subplots()
    colours = matplotlib.colormaps["viridis"](np.linspace(0.15, 0.85, max(1, len(mean.columns))))
    width = 0.8 / max(1, len(mean.columns))
    x = np.arange(len(mean.index))
    for i, method in enumerate(mean.columns):
        bars = ax.bar(x + (i - (len(mean.columns) - 1) / 2) * width, mean[method].fillna(0),
                      width, label=method, color=colours[i])  # fmt: skip
        for bar, is_short in zip(bars, short[method]):
            if is_short:
                bar.set_hatch("///")
                bar.set_edgecolor("white")
        labels = [f"{v:.0f}" + ("*" if s else "") if v == v else "" for v, s in zip(mean[method], short[method])]
        ax.bar_label(bars, labels=labels, fontsize=7)
    if short.to_numpy().any():
        footer = "* hatched: the hotspots cover less than the target area and are scored on their own. " + footer
    ax.set_xticks(x, [f"{c} of the area" if c != OWN else "hotspots' own area" for c in mean.index])
    ax.set_ylabel("PAI (share of incidents / share of area)")
    ax.set_title(title or "Predictive accuracy index by method", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    if footer:
        fig.text(0.01, 0.01, footer, fontsize=6, color="#444444", wrap=True)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


# =========================================================================== one-line accuracy


def previous_window_accuracy(
    prepared,
    *,
    season: str | None,
    financial_year: str | None,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
) -> dict | None:
    """How well the previous season's hotspots predicted this selection, in one sentence.

    The hotspots of the season just before the selected one (the financial
    year before, for a whole year) are found once in the whole study area, as
    every map does, and scored on the selection's incidents at their own
    coverage (:func:`backtest`, DBSCAN only):

    * whole borough: all of them, on the period's incidents, coverage of the
      borough;
    * a focus area or ward: those **lying in** it (the ward and focus area of
      their busiest map point, as :meth:`hotspots.pipeline.Hotspots.within`
      lists them), on the view's incidents, coverage of the view's own area
      (their outlines clipped to the ward or focus area).

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
    from hotspots.pipeline import select_incidents

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
    if area or ward:
        return _view_accuracy(prepared, previous, current, area=area, ward=ward, params=params,
                              windows=(train_label, test_label))  # fmt: skip
    previous = select_incidents(previous, area=area, ward=ward)
    current = select_incidents(current, area=area, ward=ward)
    if previous.empty or current.empty:
        return None
    records = backtest(previous, current, prepared.wards, params=params, coverages=(),
                       methods=("dbscan",), windows=(train_label, test_label))  # fmt: skip
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
) -> dict | None:
    """:func:`previous_window_accuracy` for a focus area and/or ward view."""
    from hotspots.pipeline import Hotspots, check_view, clusters_and_members, select_incidents

    check_view(prepared, area=area, ward=ward)
    now = select_incidents(current, area=area, ward=ward)
    if previous.empty or now.empty:
        return None
    found, members = clusters_and_members(
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
