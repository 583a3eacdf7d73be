"""Catchments (Voronoi cells clipped to the study area) from the map points' Delaunay triangles.

Each case is checked against GEOS's own Voronoi cells clipped to the whole area
(``geos_catchments``, the way catchments were made before), or against the
answer by symmetry where GEOS's cells are wrong (points on one circle).
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from hotspots._errors import HotspotsError
from hotspots.analysis import catchments
from hotspots.analysis.catchments import catchment_shares


@pytest.fixture(autouse=True)
def _nothing_kept():
    catchments._CATCHMENTS.clear()


def geos_catchments(points: np.ndarray, area) -> np.ndarray:
    """GEOS's Voronoi cells of the points, each clipped to the whole area, as shares."""
    lo = np.minimum(points.min(axis=0), area.bounds[:2]) - 1_000
    hi = np.maximum(points.max(axis=0), area.bounds[2:]) + 1_000
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(points), extend_to=shapely.box(*lo, *hi), ordered=True))  # fmt: skip
    shares = shapely.area(shapely.intersection(cells, area)) / area.area
    return shares / shares.sum()


SQUARE = box(0, 0, 1000, 1000)
RNG = np.random.default_rng(0)
GRID = np.array([(x, y) for x in range(0, 1001, 50) for y in range(0, 1001, 50)], float)
HOLES = shapely.union_all([
    SQUARE.difference(box(200, 200, 400, 400)).difference(box(600, 600, 800, 800)),
    box(250, 250, 350, 350),  # an island in a hole
    box(3000, 0, 3100, 100),  # a part of its own
])  # fmt: skip
CASES = {
    "two points": (np.array([[200.0, 500], [800, 500]]), SQUARE),
    "collinear, beyond the area": (np.linspace(-100, 1100, 50)[:, None].repeat(2, axis=1), SQUARE),
    "collinear, outside": (np.column_stack([np.full(9, 1500.0), np.linspace(0, 1000, 9)]), SQUARE),
    "a grid on the boundary": (GRID, SQUARE),
    "a grid in British National Grid metres": (GRID + [700_000, 300_000],
                                               shapely.affinity.translate(SQUARE, 700_000, 300_000)),
    "points on the boundary": (np.vstack([RNG.uniform(0, 1000, (200, 2)),
                                          [[0, 500], [1000, 1000], [500, 0]]]), SQUARE),
    "points outside": (np.vstack([RNG.uniform(0, 1000, (100, 2)),
                                  RNG.uniform(2000, 3000, (50, 2))]), SQUARE),
    "holes and parts": (RNG.uniform(-200, 3200, (2000, 2)), HOLES),
    "a dense town": (np.unique(RNG.normal(500, 5, (3000, 2)).round(2), axis=0), SQUARE),
}  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_catchments_equal_geos_cells_clipped_to_the_area(name):
    points, area = CASES[name]
    shares, geos = catchment_shares(points, area), geos_catchments(points, area)
    assert np.allclose(shares, geos, rtol=1e-12, atol=1e-18), np.abs(shares - geos).max()
    assert np.array_equal(shares == 0, geos == 0)  # outside is exactly 0, never rounding
    assert shares.sum() == pytest.approx(1.0, abs=1e-14) and (shares >= 0).all()


def test_catchments_at_british_national_grid_coordinates():
    """At 1.2x10^6 m a coordinate is rounded to 2e-10 m, so a cell of 300 m² is only known
    to about 1e-11 of its area, and a sliver of a few cm² to 1e-10: GEOS's and these are
    each that far from the exact area (rational arithmetic on the same cells)."""
    points = RNG.uniform(0, 1000, (5000, 2)) + [650_000, 1_200_000]
    area = shapely.affinity.translate(HOLES, 650_000, 1_200_000)
    shares, geos = catchment_shares(points, area), geos_catchments(points, area)
    assert np.allclose(shares, geos, rtol=1e-10, atol=1e-16)
    assert np.array_equal(shares == 0, geos == 0)


def test_points_on_one_circle_share_it_equally():
    """Every Delaunay triangle of cocircular points has the same circumcentre; GEOS's own
    Voronoi cells of them are wrong (a share of 0.001 for 1/64), these are not."""
    angle = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    ring = np.column_stack([500 + 300 * np.cos(angle), 500 + 300 * np.sin(angle)])
    disc = shapely.Point(500, 500).buffer(300, quad_segs=64)
    assert catchment_shares(ring, disc) == pytest.approx(np.full(64, 1 / 64), rel=1e-12)
    with_centre = catchment_shares(np.vstack([ring, [[500, 500]]]), SQUARE)
    assert np.allclose(with_centre, geos_catchments(np.vstack([ring, [[500, 500]]]), SQUARE),
                       rtol=1e-12)  # fmt: skip


def test_no_point_or_one():
    assert catchment_shares(np.empty((0, 2)), SQUARE).shape == (0,)
    assert catchment_shares(np.array([[5000.0, 5000]]), SQUARE).tolist() == [1.0]


def test_the_same_point_twice_is_an_error():
    with pytest.raises(HotspotsError, match="duplicates"):
        catchment_shares(np.array([[1.0, 1], [1, 1], [500, 500]]), SQUARE)


def _convex(points: np.ndarray) -> np.ndarray:
    """The convex hull's corners, anticlockwise, not closed."""
    hull = shapely.convex_hull(shapely.multipoints(points))
    corners = shapely.get_coordinates(hull)[:-1]
    return corners if shapely.is_ccw(hull.exterior) else corners[::-1]


def test_overlap_of_convex_shapes_equals_shapely():
    """The overlap kernel against GEOS's intersection: random shapes, shapes sharing an edge
    either way, touching at a corner, one inside the other, repeated vertices."""
    rng = np.random.default_rng(5)
    pairs = [(_convex(rng.normal(size=(8, 2))), _convex(rng.normal(size=(3, 2)) * 1.5))
             for _ in range(300)]  # fmt: skip
    square = np.array([[0.0, 0], [1, 0], [1, 1], [0, 1]])
    for triangle in (
        [[0, 0], [1, 0], [1, 1]],
        [[1, 0], [2, 0], [1, 1]],
        [[0, 1], [1, 1], [0, 2]],
        [[1, 1], [2, 1], [2, 2]],
        [[-1, -1], [3, -1], [-1, 3]],
        [[0.2, 0.2], [0.8, 0.2], [0.5, 0.8]],
        [[1, 0], [2, 0.5], [1, 1]],
    ):
        pairs.append((square, np.array(triangle, float)))
        pairs.append((np.repeat(square, 2, axis=0), np.array(triangle, float)))
    for polygon, triangle in pairs:
        x, y = np.r_[polygon[:, 0], polygon[0, 0]][None], np.r_[polygon[:, 1], polygon[0, 1]][None]
        area, _ = catchments._convex_overlap(x, y, triangle[None])
        expected = shapely.intersection(Polygon(polygon), Polygon(triangle)).area
        assert area[0] == pytest.approx(expected, abs=1e-12), (polygon, triangle)
