"""The chance test's null model: what chance looks like.

Map points and their catchments (:mod:`hotspots.analysis.catchments`), incidents
spread evenly (and snapped, as police.uk does), the model in words, and how far a
hotspot's count lies above what even spread puts in it (:func:`excess_score`).
Chance study areas are simulated from it in :mod:`hotspots.analysis.simulations`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from hotspots._validate import analysis_xy
from hotspots.analysis.catchments import catchment_shares, study_area_shape

#: Simulations at most by default: p can reach 0.001.
N_SIM = 999

#: Scores this close count as equal (floating-point sums of shares).
TIE = 1e-9


#: Grid (metres) that unsnapped locations are snapped to by :func:`map_points` when asked.
SNAP_M = 50.0


#: The null model in a few words, for popups, legends and tables (keys: :attr:`ChanceModel.kind`).
MODEL_WORDS = {
    "snapped": "spread evenly over the study area and moved to the nearest map point (as police.uk does)",
    "exact": "spread evenly over the study area",
    "weighted": "placed on the map points in proportion to their usual counts",
}


def map_points(
    incidents: gpd.GeoDataFrame, *, snap_m: float | str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct incident locations (EPSG:27700) and how many incidents stand on each.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Points.
    snap_m : float, "auto" or None, default None
        None keeps the locations as they are. A number first snaps them to the
        centres of a grid of that many metres; "auto" snaps to :data:`SNAP_M`
        when the data have exact coordinates (:func:`has_exact_points`).

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 0, 5], [0, 0, 5]), crs=27700)
    >>> xy, counts = map_points(pts)
    >>> xy.tolist(), counts.tolist()
    ([[0.0, 0.0], [5.0, 5.0]], [2, 1])
    >>> [a.tolist() for a in map_points(pts, snap_m=50)]
    [[[25.0, 25.0]], [3]]
    """
    xy = analysis_xy(incidents, argument="incidents")
    if snap_m == "auto":
        snap_m = SNAP_M if has_exact_points(xy) else None
    if snap_m and len(xy):
        xy = (np.floor(xy / snap_m) + 0.5) * snap_m
    return _distinct_counts(xy)


def _distinct_counts(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct locations, sorted by x then y, and the incidents on each."""
    if len(xy) == 0:
        return np.empty((0, 2)), np.empty(0, dtype=np.int64)
    # x + iy sorts by x, then y: the rows np.unique(xy, axis=0) gives, 20-30x faster
    uniq, counts = np.unique(xy[:, 0] + 1j * xy[:, 1], return_counts=True)
    return np.column_stack([uniq.real, uniq.imag]), counts.astype(np.int64)


def has_exact_points(xy: np.ndarray) -> bool:
    """True when most incidents stand on a location of their own (not snapped to map points).

    police.uk data share a few map points; council exports with exact
    coordinates have about as many locations as incidents.

    Examples
    --------
    >>> has_exact_points(np.array([[0.0, 0], [0, 0], [0, 0], [5, 5]]))
    False
    >>> has_exact_points(np.array([[0.0, 0], [1, 1]]))
    True
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return len(xy) > 0 and len(np.unique(xy[:, 0] + 1j * xy[:, 1])) > 0.5 * len(xy)


def police_uk_locations(incidents: gpd.GeoDataFrame) -> bool:
    """True when most ``location`` texts read "On or near ...": police.uk's anonymised map points.

    Examples
    --------
    >>> import pandas as pd
    >>> police_uk_locations(pd.DataFrame({"location": ["On or near Unicorn Hill", "12 High St"]}))
    False
    >>> police_uk_locations(pd.DataFrame({"location": ["On or near Unicorn Hill"] * 2}))
    True
    """
    if "location" not in incidents.columns or len(incidents) == 0:
        return False
    sample = incidents["location"].iloc[
        :: max(1, len(incidents) // 2_000)
    ]  # a few thousand will do
    return bool(sample.astype(str).str.startswith("On or near ").mean() > 0.5)


@dataclass(frozen=True)
class ChanceModel:
    """The null model of the chance test: where incidents fall when nothing draws them together.

    Attributes
    ----------
    kind : str
        "snapped" (police.uk: spread evenly over the study area, moved to the
        nearest map point), "exact" (spread evenly, no snap) or "weighted"
        (map points in proportion to their long-run counts).
    points : numpy.ndarray, shape (m, 2)
        The map points (metres); empty for "exact".
    shares : numpy.ndarray, shape (m,), or None
        The chance of each map point (sums to 1); empty for "exact"; None for a
        model made to be described only (:func:`chance_model` with ``catchments=False``).
    study_area : shapely.Geometry
        Where incidents are spread (metres).
    area_from : str
        What the study area is ("the wards", or the incidents' hull).
    """

    kind: str
    points: np.ndarray
    shares: np.ndarray | None
    study_area: shapely.Geometry
    area_from: str

    @property
    def words(self) -> str:
        """The model in a few words (:data:`MODEL_WORDS`)."""
        return MODEL_WORDS[self.kind]

    def describe(self, n_incidents: int) -> str:
        """The model in one sentence, for legends, tables and the README.

        Examples
        --------
        >>> from shapely.geometry import box
        >>> m = ChanceModel("snapped", np.zeros((3, 2)), np.full(3, 1 / 3), box(0, 0, 1e4, 1e4), "the wards")
        >>> m.describe(250)
        '250 incidents spread evenly over the study area (the wards, 100.0 km²) and moved to the nearest of its 3 map points (as police.uk does)'
        """
        where = f"the study area ({self.area_from}, {self.study_area.area / 1e6:,.1f} km²)"
        if self.kind == "snapped":
            return (f"{n_incidents:,} incidents spread evenly over {where} and moved to the nearest "
                    f"of its {len(self.points):,} map points (as police.uk does)")  # fmt: skip
        if self.kind == "exact":
            return f"{n_incidents:,} incidents spread evenly over {where}"
        return (f"{n_incidents:,} incidents placed on the study area's {len(self.points):,} map points "
                "in proportion to their usual counts")  # fmt: skip


def chance_model(
    background: gpd.GeoDataFrame,
    *,
    study_area=None,
    weighted: bool = False,
    snapped: bool | None = None,
    hull_buffer_m: float = 100.0,
    catchments: bool = True,
    keep=None,
) -> ChanceModel:
    """The null model for ``background``'s data: snapped to map points, exact, or weighted.

    Parameters
    ----------
    background : geopandas.GeoDataFrame
        All the study area's incidents (every period): their distinct
        locations are the map points, and they tell snapped data from exact.
    study_area : wards GeoDataFrame, GeoSeries or shapely geometry, optional
        Where incidents are spread evenly. Default: the convex hull of the
        incidents widened by ``hull_buffer_m`` (said so in the description).
    weighted : bool, default False
        Map points in proportion to their counts in ``background`` instead.
    snapped : bool, optional
        Whether the data are snapped to map points; None decides from the data:
        police.uk's "On or near" locations (:func:`police_uk_locations`), or
        incidents sharing locations (not :func:`has_exact_points`).
    catchments : bool, default True
        False leaves a snapped model's catchments out (``shares`` None): the
        model is then for its description only (a period without hotspots has
        nothing to simulate), and the Voronoi cells of every map point, its
        cost, are not made.
    keep : object, optional
        Where catchments are kept between runs (:func:`catchment_shares`).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([2, 2, 8, 8], [5, 5, 5, 5]), crs=27700)
    >>> model = chance_model(pts, study_area=box(0, 0, 10, 10))
    >>> model.kind, model.shares.tolist()
    ('snapped', [0.5, 0.5])
    >>> chance_model(pts, study_area=box(0, 0, 10, 10), catchments=False).shares is None
    True
    """
    key = (id(background), id(study_area), bool(weighted), snapped, float(hull_buffer_m))
    held = _MODELS.get(key)
    if held is not None and held[0]() is background and held[1]() is study_area:
        return held[2]  # the same data and study area (frames are never changed in place)
    xy = analysis_xy(background, argument="background")
    if study_area is None:
        area = shapely.convex_hull(shapely.multipoints(xy)).buffer(hull_buffer_m)
        area_from = f"the incidents' outline widened by {hull_buffer_m:g} m"
    else:
        area, area_from = study_area_shape(study_area), "the wards"
    points, counts = _distinct_counts(xy)
    if snapped is None:
        snapped = police_uk_locations(background) or len(points) <= 0.5 * len(xy)
    if weighted:
        model = ChanceModel("weighted", points, counts / max(counts.sum(), 1), area, area_from)
    elif not snapped:
        model = ChanceModel("exact", np.empty((0, 2)), np.empty(0), area, area_from)
    elif not catchments:  # described only: not kept (a later call may need the catchments)
        return ChanceModel("snapped", points, None, area, area_from)
    else:
        shares = catchment_shares(points, area, keep=keep)
        model = ChanceModel("snapped", points, shares, area, area_from)
    if len(_MODELS) >= 8:
        _MODELS.pop(next(iter(_MODELS)))
    _MODELS[key] = (weakref.ref(background), _ref(study_area), model)
    return model


_MODELS: dict[tuple, tuple] = {}


def _ref(obj):
    """A weak reference, or for ``None`` (or what cannot be referenced weakly) one that returns it."""
    try:
        return weakref.ref(obj)
    except TypeError:
        return lambda: obj


def excess_score(incidents: np.ndarray, expected: np.ndarray, n_incidents: int) -> np.ndarray:
    """How far a hotspot's count is above its even-spread share: Kulldorff's log likelihood ratio.

    ``c log(c / e) + (N - c) log((N - c) / (N - e))`` for ``c`` incidents
    where ``e`` were expected out of ``N``; 0 when ``c <= e``. The scan
    statistic's measure: a hotspot of 15 where 0.5 were expected scores far
    above one of 60 on a rural map point whose catchment expects 50.

    Examples
    --------
    >>> excess_score(np.array([15, 60, 3]), np.array([0.5, 50.0, 5.0]), 1000).round(2).tolist()
    [36.62, 0.99, 0.0]
    """
    c = np.asarray(incidents, dtype=float)
    e = np.clip(np.asarray(expected, dtype=float), 1e-9, None)
    n = float(n_incidents)
    rest = np.where(
        c < n, (n - c) * np.log(np.clip(n - c, 1e-300, None) / np.clip(n - e, 1e-300, None)), 0.0
    )
    score = c * np.log(np.clip(c, 1e-300, None) / e) + rest
    return np.where(c > e, score, 0.0)


def outline_shares(outlines: np.ndarray, model: ChanceModel) -> np.ndarray:
    """The share of even-spread incidents that falls in each outline.

    Snapped data: the catchments of the map points inside it (the incidents
    police.uk moves there); exact coordinates: its area in the study area.
    """
    outlines = np.asarray(outlines, dtype=object)
    if len(outlines) == 0:
        return np.zeros(0)
    if model.kind == "exact":
        return (
            shapely.area(shapely.intersection(outlines, model.study_area)) / model.study_area.area
        )
    tree = _tree(model.points)
    hit_outline, hit_point = tree.query(outlines, predicate="intersects")
    return np.bincount(hit_outline, weights=model.shares[hit_point], minlength=len(outlines))


_TREES: dict[int, tuple[np.ndarray, object]] = {}


def _tree(points: np.ndarray):
    held = _TREES.get(id(points))
    if held is None or held[0] is not points:
        _TREES.clear()
        held = (points, shapely.STRtree(shapely.points(points)))
        _TREES[id(points)] = held
    return held[1]


def uniform_points(study_area: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points spread evenly (uniformly at random) over ``study_area``, shape (n, 2).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> xy = uniform_points(box(0, 0, 10, 5), 100, np.random.default_rng(0))
    >>> xy.shape, bool((xy[:, 0] <= 10).all() and (xy[:, 1] <= 5).all())
    ((100, 2), True)
    """
    # each polygon of the area picked by its bounding box's area, a point drawn in that box and
    # kept when inside the polygon: uniform over the union, and each test is against one polygon
    polys = shapely.get_parts(study_area)
    shapely.prepare(polys)
    box_xy = shapely.bounds(polys)
    box_area = (box_xy[:, 2] - box_xy[:, 0]) * (box_xy[:, 3] - box_xy[:, 1])
    fill = study_area.area / box_area.sum()
    pick = box_area / box_area.sum()
    parts, got = [], 0
    while got < n:
        want = int((n - got) / fill * 1.1) + 16
        i = (
            rng.choice(len(polys), want, p=pick)
            if len(polys) > 1
            else np.zeros(want, dtype=np.int64)
        )
        u = rng.random((want, 2))
        x = box_xy[i, 0] + u[:, 0] * (box_xy[i, 2] - box_xy[i, 0])
        y = box_xy[i, 1] + u[:, 1] * (box_xy[i, 3] - box_xy[i, 1])
        inside = shapely.contains_xy(polys[i], x, y)
        parts.append(np.column_stack([x[inside], y[inside]]))
        got += int(inside.sum())
    return np.vstack(parts)[:n]
