"""A square grid over the study area: cells, quartic (KDE) density, the top cells."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import HotspotsError
from hotspots._validate import to_analysis_crs

#: Grid cell size rule: the shorter side of the study area's bounding box over this.
CELLS_ACROSS = 150


#: Kernel bandwidth rule: this many cell widths.
BANDWIDTH_CELLS = 5


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
            [
                self.x0 + (col.ravel() + 0.5) * self.cell_m,
                self.y0 + (row.ravel() + 0.5) * self.cell_m,
            ]
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


def hull_cells(
    grid: Grid, clusters: gpd.GeoDataFrame, train_counts: np.ndarray, k: int | None = None
):
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
        {
            "cell": cell_idx,
            "density": density[hull_idx],
            "count": np.asarray(train_counts)[cell_idx],
        }
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
