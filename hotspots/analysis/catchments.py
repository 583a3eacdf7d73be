"""Map points' catchments: the share of the study area nearer each map point than any other.

Where an incident spread evenly over the study area lands once police.uk moves
it to its nearest map point (:func:`catchment_shares`): the chance test's null
model (:mod:`hotspots.analysis.null_model`) draws its chance incidents by these
shares. Computed once per dataset, kept in memory and, when the caller gives a
place (:class:`hotspots.catchment_files.CatchmentFiles`), between runs.

The cells come from the Delaunay triangulation of the map points (CDT's: their
corners are the triangles' circumcentres; a fifth of the cost of GEOS's Voronoi polygons); the
few cells crossing the study area's boundary are cut by the area's own
triangles in NumPy. The shares equal those of GEOS's Voronoi cells clipped by
the area to 1e-12 (relative), as far as coordinates in metres allow.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import shapely

from hotspots._errors import HotspotsError


def study_area_shape(study_area) -> shapely.Geometry:
    """One (multi)polygon in metres (EPSG:27700) from wards, a GeoSeries or a shapely geometry.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> wards = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(10, 0, 20, 10)], crs=27700)
    >>> study_area_shape(wards).area
    200.0
    """
    if isinstance(study_area, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if study_area.crs is None:
            raise HotspotsError(
                "study_area has no CRS; set it (wards are usually EPSG:4326 or 27700)"
            )
        geoms = (
            study_area.to_crs(27700).geometry
            if study_area.crs.to_epsg() != 27700
            else study_area.geometry
        )
        shape = _union(shapely.make_valid(geoms.to_numpy()))
    elif isinstance(study_area, shapely.Geometry):
        shape = study_area
    else:
        raise HotspotsError(
            f"study_area must be wards (a GeoDataFrame) or a shapely polygon in metres; "
            f"got {type(study_area).__name__!r}"
        )
    if not shape.area > 0:
        raise HotspotsError(
            "study_area has no area: give the wards (polygons) the incidents lie in"
        )
    return shape


def _union(parts: np.ndarray) -> shapely.Geometry:
    """The union of ward polygons: GEOS's coverage union when they tile without overlaps.

    Wards normally form a coverage (neighbours share their edges exactly); its
    union only drops the shared edges, 8x faster than the general overlay
    (0.011 s against 0.087 s for 3,262 wards). Wards that overlap or whose
    edges do not match (the union then is not valid, or its area is not the
    sum of the wards') get the general union.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> _union(np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)])).area
    2.0
    >>> _union(np.array([box(0, 0, 2, 1), box(1, 0, 3, 1)])).area  # overlapping: the general union
    3.0
    """
    if not np.isin(shapely.get_type_id(parts), (3, 6)).all():  # make_valid left lines or points
        return shapely.union_all(parts)
    try:
        shape = shapely.coverage_union_all(parts)
    except shapely.errors.GEOSException:
        return shapely.union_all(parts)
    parts_area = shapely.area(parts).sum()
    if shapely.is_valid(shape) and abs(shape.area - parts_area) <= 1e-9 * max(parts_area, 1.0):
        return shape
    return shapely.union_all(parts)


_CATCHMENTS: dict[str, np.ndarray] = {}


def catchment_shares(points: np.ndarray, study_area: shapely.Geometry, *, keep=None) -> np.ndarray:
    """Each map point's share of the study area: the part of it nearer that point than any other.

    An incident spread evenly over the study area and moved to its nearest
    map point lands on a point with this probability: the area of the point's
    Voronoi cell clipped to the study area, over the study area. Computed once
    per dataset (kept for the next call with the same points and area, and
    in ``keep`` when given).

    Parameters
    ----------
    points : numpy.ndarray, shape (m, 2)
        Distinct map points, metres.
    study_area : shapely.Geometry
        Polygon(s) in the same metres.
    keep : object, optional
        Where catchments are kept between runs: ``get(key)`` returns them or
        None, ``put(key, shares)`` keeps them (e.g.
        :class:`hotspots.catchment_files.CatchmentFiles`); the key is a hash of
        the points and the study area.

    Returns
    -------
    numpy.ndarray, shape (m,)
        Shares summing to 1 (0 for a point whose cell misses the study area).

    Examples
    --------
    Two points in a 10 x 10 square: the nearer half each; a third outside gets nothing.

    >>> from shapely.geometry import box
    >>> catchment_shares(np.array([[2.0, 5], [8, 5], [50, 5]]), box(0, 0, 10, 10)).tolist()
    [0.5, 0.5, 0.0]
    """
    points = np.ascontiguousarray(points, dtype=float).reshape(-1, 2)
    m = len(points)
    key = hashlib.sha1(b"catchments-1" + points.tobytes() + shapely.to_wkb(study_area)).hexdigest()
    if key in _CATCHMENTS:
        return _CATCHMENTS[key]
    kept = keep.get(key) if keep is not None else None
    if kept is not None and kept.shape == (m,):
        _remember(key, kept)
        return kept
    total = study_area.area
    shares = np.ones(m) if m <= 1 else _areas_inside(points, study_area) / total
    shares = shares / shares.sum() if shares.sum() > 0 else shares
    _remember(key, shares)
    if keep is not None:
        keep.put(key, shares)
    return shares


def _remember(key: str, shares: np.ndarray) -> None:
    if len(_CATCHMENTS) >= 8:
        _CATCHMENTS.pop(next(iter(_CATCHMENTS)))
    _CATCHMENTS[key] = shares


def _areas_inside(points: np.ndarray, study_area: shapely.Geometry) -> np.ndarray:
    """The area of each point's Voronoi cell inside the study area.

    A cell whose box meets no box of a boundary segment (:func:`_near_boundary`)
    lies wholly inside or outside: its own point says which (:func:`_inside`). The others are cut
    by the triangles of the study area (:func:`_area_triangles`): convex pieces
    whose overlaps with the convex cell (:func:`_overlap_areas`) add up to the
    cell's part of the area.
    """
    m = len(points)
    diagram = _voronoi(points, study_area.bounds)
    boxes = _cell_boxes(diagram, m)
    segments = _boundary_boxes(study_area)
    grid = _boundary_grid(segments, study_area.bounds)
    near = _near_boundary(grid, boxes, segments)
    shapely.prepare(study_area)
    inside = np.zeros(m, dtype=bool)
    inside[~near] = _inside(grid, points[~near], study_area)
    area = np.where(inside, _cell_areas(diagram, m), 0.0)
    which = np.flatnonzero(near)
    if len(which):
        corners, tree = _area_triangles(study_area)
        cell, piece = tree.query(shapely.box(*boxes[which].T))
        vertices, counts = _cell_polygons(diagram, which)
        # each pair relative to the cell's own point: small numbers, no digits lost
        triangles = np.take(corners, piece, axis=0) - np.take(points, which[cell], axis=0)[:, None]
        pieces, scale = _overlap_areas(vertices, counts, cell, triangles)
        part = np.bincount(cell, weights=pieces, minlength=len(which))
        # what is left of terms that cancel (a cell touching the area from outside) is 0
        rounding = ROUNDING * np.bincount(cell, weights=scale, minlength=len(which))
        area[which] = np.where(part > rounding, part, 0.0)
    return area


class _Diagram(NamedTuple):
    """The Delaunay triangles of the points and four far frame sites, with their circumcentres.

    ``sites`` are the points, then the frame; ``corners`` the sites of each
    triangle, anticlockwise; ``centres`` each triangle's circumcentre: a vertex
    of the Voronoi cells of its three corners.
    """

    sites: np.ndarray
    corners: np.ndarray
    centres: np.ndarray


def _voronoi(points: np.ndarray, bounds) -> _Diagram:
    """The Voronoi diagram of ``points``, from their Delaunay triangulation (:func:`_delaunay`).

    Four frame sites stand at the corners of the box ``B`` around the points and
    ``bounds``, widened by its diagonal ``D``: a place in ``B`` is at most ``D``
    from its nearest point but more than ``D`` from any frame site, so every
    point's cell is bounded and, inside ``B``, exact. Each circumcentre is
    worked out relative to a corner and then placed as GEOS places a Voronoi
    vertex (the same number but for one in a thousand, a unit in the last place off).
    """
    lo = np.minimum(points.min(axis=0), bounds[:2])
    hi = np.maximum(points.max(axis=0), bounds[2:])
    reach = np.hypot(*(hi - lo)) + 1.0
    x0, y0, x1, y1 = (*(lo - reach), *(hi + reach))
    sites = np.vstack([points, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]]])
    corners = _delaunay(sites)
    if (np.bincount(corners.ravel(), minlength=len(sites)) == 0).any():
        raise HotspotsError(
            "catchments: a map point is missing from the triangulation (duplicates?)"
        )
    centres, clockwise = _circumcentres(np.take(sites, corners, axis=0))
    corners[clockwise] = corners[clockwise][:, ::-1]
    return _Diagram(sites, corners, centres)


def _delaunay(sites: np.ndarray) -> np.ndarray:
    """The Delaunay triangles of distinct ``sites`` (k, 3): the sites' indices at their corners.

    By CDT (``pythoncdt``: exact predicates, insertion in a k-d tree's order),
    a third of the time GEOS's triangulation takes for 115,614 map points
    (0.07 s against 0.23 s) and the same triangles. CDT's own enclosing
    triangle (its first three vertices) is left out rather than erased: its
    triangles lie outside the frame's hull.
    """
    import pythoncdt

    triangulation = pythoncdt.Triangulation(
        pythoncdt.VertexInsertionOrder.AUTO, pythoncdt.IntersectingConstraintEdges.NOT_ALLOWED, 0.0
    )
    try:
        triangulation.insert_vertices(np.ascontiguousarray(sites, dtype=float))
    except RuntimeError as err:  # CDT: "Duplicate vertex detected: #0 is a duplicate of #1"
        raise HotspotsError(f"catchments: the map points hold duplicates ({err})") from None
    vertices = triangulation.triangles_array(copy=False)["vertices"]
    return vertices[(vertices >= 3).all(axis=1)].astype(np.intp) - 3


def _circumcentres(corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The circumcentres of triangles (k, 3, 2), and which triangles run clockwise.

    Worked out from the corner ``a`` facing the longest side (the widest
    angle: from a narrow one, digits cancel), as the midpoint of ``a`` and its
    nearer neighbour ``b`` moved along their bisector. So the centre lies on
    that bisector as exactly as the numbers allow: a cell's edge between two
    near points keeps its line out to a far frame site's triangle.
    """
    x, y = corners[..., 0].ravel(), corners[..., 1].ravel()  # corner k of triangle i at 3 i + k
    facing = [
        (x[j::3] - x[i::3]) ** 2 + (y[j::3] - y[i::3]) ** 2 for i, j in ((1, 2), (2, 0), (0, 1))
    ]
    length = np.column_stack(facing)  # the squared sides facing corners 0, 1 and 2
    first = np.argmax(length, axis=1)
    ahead, behind = (first + 1) % 3, (first + 2) % 3  # side (first, ahead) faces `behind`
    row = np.arange(0, len(x), 3)
    near_ahead = length.ravel()[row + behind] <= length.ravel()[row + ahead]
    second = np.where(near_ahead, ahead, behind)
    a, b, c = row + first, row + second, row + 3 - first - second
    ax, ay = x[a], y[a]
    bx, by = x[b] - ax, y[b] - ay
    cx, cy = x[c] - ax, y[c] - ay
    turn = bx * cy - by * cx
    along = (cx * (cx - bx) + cy * (cy - by)) / (2.0 * turn)
    centres = np.column_stack([ax + (0.5 * bx - along * by), ay + (0.5 * by + along * bx)])
    return centres, (turn < 0) == near_ahead


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1]


def _cell_areas(diagram: _Diagram, m: int) -> np.ndarray:
    """The area of each of the first ``m`` sites' cells.

    Each Delaunay edge ``pq`` between triangles ``t`` (on its left) and ``u``
    has the Voronoi edge from ``u``'s circumcentre to ``t``'s: the triangle it
    makes with ``p`` is ``p``'s share of the cell's shoelace sum, and with
    ``q`` (the other way round) ``q``'s. The two triangles of an edge are found
    by sorting the edges by their two sites.
    """
    sites, corners, centres = diagram
    start, end = corners.ravel(), corners[:, [1, 2, 0]].ravel()
    low = np.minimum(start, end)
    edge = low * len(sites) + np.maximum(start, end)
    order = np.argsort(edge)[: np.count_nonzero(low < m)]  # the frame's own edges sort last
    one, other = order[0::2], order[1::2]  # each edge in its two triangles, one each way
    if not np.array_equal(edge[one], edge[other]):
        raise HotspotsError("catchments: the triangles do not pair up along their edges")
    p, q = np.take(sites, start[one], axis=0), np.take(sites, end[one], axis=0)
    left = np.take(centres, one // 3, axis=0)  # the triangle left of p->q
    right = np.take(centres, other // 3, axis=0)
    area = np.bincount(start[one], weights=_cross(right - p, left - p), minlength=len(sites))
    area += np.bincount(end[one], weights=_cross(left - q, right - q), minlength=len(sites))
    return 0.5 * area[:m]


def _cell_boxes(diagram: _Diagram, m: int) -> np.ndarray:
    """The bounding box ``(xmin, ymin, xmax, ymax)`` of each of the first ``m`` sites' cells."""
    _, corners, centres = diagram
    site = corners.ravel()
    x, y = np.repeat(centres[:, 0], 3), np.repeat(centres[:, 1], 3)
    n = int(site.max()) + 1
    boxes = np.full((4, n), np.inf)
    boxes[2:] = -np.inf
    np.minimum.at(boxes[0], site, x)
    np.minimum.at(boxes[1], site, y)
    np.maximum.at(boxes[2], site, x)
    np.maximum.at(boxes[3], site, y)
    return boxes[:, :m].T


def _cell_polygons(diagram: _Diagram, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cells of the sites ``which``: their vertices in order, relative to the site, and counts.

    A cell is convex and holds its site, so its vertices (the circumcentres
    of the site's triangles) go round it in the order of their angles.
    Cocircular sites give a vertex twice: harmless to areas.
    """
    sites, corners, centres = diagram
    slot = np.full(len(sites), -1)
    slot[which] = np.arange(len(which))
    owner = slot[corners.ravel()]
    mine = np.flatnonzero(owner >= 0)
    owner = owner[mine]
    vertices = np.take(centres, mine // 3, axis=0) - np.take(sites, corners.ravel()[mine], axis=0)
    order = np.lexsort((np.arctan2(vertices[:, 1], vertices[:, 0]), owner))
    return vertices[order], np.bincount(owner, minlength=len(which))


def _boundary_boxes(study_area: shapely.Geometry) -> np.ndarray:
    """The bounding boxes ``(xmin, ymin, xmax, ymax)`` of the segments of the area's boundary."""
    rings = shapely.get_rings(shapely.get_parts(study_area))
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    same = ring[1:] == ring[:-1]  # consecutive vertices of one ring: a segment
    a, b = xy[:-1][same], xy[1:][same]
    return np.column_stack([np.minimum(a, b), np.maximum(a, b)])


#: The grid that finds what is near the boundary has about this many squares a side.
NEAR_GRID = 512


class _Grid(NamedTuple):
    """Squares over the study area's box, marked where a box of a boundary segment covers them.

    A point's square is ``floor((x - x0) * scale)`` (clipped to the grid), a
    rounding that never runs backwards, so a place on a segment lies in a
    square its box covers. Hence no boundary crosses an unmarked square: the
    places in it are all inside the area or all outside.
    """

    x0: float
    y0: float
    scale: float
    marked: np.ndarray  # (rows, columns) bool
    table: np.ndarray  # (rows + 1, columns + 1) marked squares below and left of each corner


def _boundary_grid(segments: np.ndarray, bounds) -> _Grid:
    """The :class:`_Grid` of the boxes ``segments`` (``xmin, ymin, xmax, ymax``) in ``bounds``."""
    x0, y0, x1, y1 = bounds
    scale = NEAR_GRID / max(x1 - x0, y1 - y0)
    shape = (int((y1 - y0) * scale) + 1, int((x1 - x0) * scale) + 1)
    grid = _Grid(x0, y0, scale, np.zeros(shape, dtype=bool), np.zeros(()))
    r0, c0 = _squares(grid, segments[:, 0], segments[:, 1])
    r1, c1 = _squares(grid, segments[:, 2], segments[:, 3])
    cover = np.zeros((shape[0] + 1, shape[1] + 1), dtype=np.int32)
    for r, c, sign in ((r0, c0, 1), (r1 + 1, c1 + 1, 1), (r0, c1 + 1, -1), (r1 + 1, c0, -1)):
        np.add.at(cover, (r, c), sign)
    marked = cover.cumsum(0).cumsum(1)[:-1, :-1] > 0
    table = np.zeros_like(cover)
    table[1:, 1:] = marked.cumsum(0).cumsum(1)
    return grid._replace(marked=marked, table=table)


def _squares(grid: _Grid, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows and columns of the squares of places ``x``, ``y`` (outside: the nearest square)."""
    rows, columns = grid.marked.shape
    row = np.clip((y - grid.y0) * grid.scale, 0, rows - 1).astype(np.intp)
    column = np.clip((x - grid.x0) * grid.scale, 0, columns - 1).astype(np.intp)
    return row, column


def _near_boundary(grid: _Grid, boxes: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Which boxes (``xmin, ymin, xmax, ymax``) meet one of the boxes ``segments``.

    The grid's summed-area table says at once which boxes cover a marked
    square; only those are tested against the segments' boxes (shapely's tree).
    """
    r0, c0 = _squares(grid, boxes[:, 0], boxes[:, 1])
    r1, c1 = _squares(grid, boxes[:, 2], boxes[:, 3])
    t = grid.table
    maybe = t[r1 + 1, c1 + 1] - t[r0, c1 + 1] - t[r1 + 1, c0] + t[r0, c0] > 0
    x0, y0, x1, y1 = *segments[:, :2].min(axis=0), *segments[:, 2:].max(axis=0)
    maybe &= (boxes[:, 0] <= x1) & (boxes[:, 2] >= x0) & (boxes[:, 1] <= y1) & (boxes[:, 3] >= y0)
    maybe = np.flatnonzero(maybe)
    tree = shapely.STRtree(shapely.box(*segments.T))
    near = np.zeros(len(boxes), dtype=bool)
    near[maybe[tree.query(shapely.box(*boxes[maybe].T))[0]]] = True
    return near


def _inside(grid: _Grid, points: np.ndarray, study_area: shapely.Geometry) -> np.ndarray:
    """Which points lie inside the study area (prepared).

    The points of an unmarked square of the grid share the answer of one of
    them; GEOS asks about that one and the points in marked squares.
    """
    row, column = _squares(grid, points[:, 0], points[:, 1])
    square = row * grid.marked.shape[1] + column
    alone = grid.marked.ravel()[square]
    first = np.full(grid.marked.size, -1)
    first[square[::-1]] = np.arange(len(points))[::-1]  # the first point of each square
    ask = np.flatnonzero(alone | (first[square] == np.arange(len(points))))
    inside = np.zeros(len(points), dtype=bool)
    inside[ask] = shapely.contains_xy(study_area, *points[ask].T)
    return np.where(alone, inside, inside[first[square]])


def _area_triangles(study_area: shapely.Geometry) -> tuple[np.ndarray, shapely.STRtree]:
    """The study area cut into triangles (GEOS's constrained Delaunay; holes stay out), and their tree.

    Returns the triangles' corners, anticlockwise, shape (k, 3, 2), and an
    STRtree of the triangles in the same order.
    """
    triangles = shapely.get_parts(shapely.constrained_delaunay_triangles(study_area))
    corners = shapely.get_coordinates(triangles).reshape(-1, 4, 2)[:, :3]
    clockwise = _cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]) < 0
    corners[clockwise] = corners[clockwise][:, ::-1]
    return corners, shapely.STRtree(triangles)


#: A cell's part of the area smaller than this share of its shoelace terms is rounding: 0.
ROUNDING = 1e-13

#: Cells are cut in groups of similar vertex counts (up to these), each padded to its largest.
_WIDTHS = (6, 8, 11, 16)


def _overlap_areas(vertices, counts, cell, triangles) -> tuple[np.ndarray, np.ndarray]:
    """The area where each cell ``cell[i]`` overlaps ``triangles[i]`` (both convex, anticlockwise).

    ``vertices`` and ``counts`` are the cells' vertices, end to end, and their
    numbers (:func:`_cell_polygons`); the triangles are in the same
    coordinates. Cells are padded to a group's largest count by repeating
    their last vertex (an edge of no length adds nothing), then closed.
    Returns the areas and the sizes of the terms they add up
    (:func:`_convex_overlap`).
    """
    area, scale = np.empty(len(cell)), np.empty(len(cell))
    n = counts[cell]
    starts = np.cumsum(counts) - counts
    vx, vy = np.ascontiguousarray(vertices[:, 0]), np.ascontiguousarray(vertices[:, 1])
    low = 0
    for high in (*_WIDTHS, max(int(n.max()), _WIDTHS[-1])):
        pair = np.flatnonzero((n > low) & (n <= high))
        low = high
        if len(pair) == 0:
            continue
        slot = np.minimum(np.arange(int(n[pair].max()) + 1), n[pair][:, None] - 1)
        slot[:, -1] = 0  # back to the first vertex
        at = starts[cell[pair]][:, None] + slot
        area[pair], scale[pair] = _convex_overlap(np.take(vx, at), np.take(vy, at), triangles[pair])
    return area, scale


def _convex_overlap(x: np.ndarray, y: np.ndarray, triangle: np.ndarray) -> tuple[np.ndarray, ...]:
    """Area of closed convex polygons (vertices ``x``, ``y``: (k, w + 1)) meeting triangles (k, 3, 2).

    All anticlockwise. By Green's theorem the overlap's area is the shoelace
    sum over its boundary: the parts of the polygon's edges inside the
    triangle and of the triangle's edges inside the polygon (a part
    ``p + t (q - p)``, ``t0 <= t <= t1``, adds ``(t1 - t0) p x q``). Where an
    edge of the polygon lies along the line of the triangle's edge, only the
    triangle's edge counts, and only if both shapes lie on its left: so a
    cell touching the area along an edge gets exactly 0, not two parts that
    cancel but for rounding. The triangle's edges are cut where their lines
    cross the polygon's edges, never by the polygon's edge lines: a cell's
    edge of almost no length (cocircular points) has no reliable direction.

    Returns the areas and the sums of the sizes of their terms (the scale of
    their rounding: touching at a corner leaves a part of no length that
    rounding makes 1e-16 long).
    """
    own, own_scale = _edges_in_triangle(x, y, triangle)
    other, other_scale = _triangle_in_polygon(x, y, triangle)
    return 0.5 * (own + other), 0.5 * (own_scale + other_scale)


def _edges_in_triangle(x: np.ndarray, y: np.ndarray, triangle: np.ndarray) -> np.ndarray:
    """Shoelace sums over the parts of the polygons' edges inside the (closed) triangles.

    An edge along the line of a triangle's edge counts for nothing
    (:func:`_triangle_in_polygon` counts that part if it should).
    """
    shape = (len(x), x.shape[1] - 1)
    low, high = np.zeros(shape), np.ones(shape)
    for k in range(3):
        ax, ay = triangle[:, k, 0, None], triangle[:, k, 1, None]
        ux = triangle[:, (k + 1) % 3, 0, None] - ax
        uy = triangle[:, (k + 1) % 3, 1, None] - ay
        d = ux * (y - ay) - uy * (x - ax)  # left of the triangle's edge (inside): >= 0
        before, after = d[:, :-1], d[:, 1:]
        inside, inside_after = before >= 0, after >= 0
        t = before / np.where(inside != inside_after, before - after, 1.0)
        np.maximum(low, t, out=low, where=~inside & inside_after)  # enters
        np.minimum(high, t, out=high, where=inside & ~inside_after)  # leaves
        high[(~inside & ~inside_after) | ((before == 0) & (after == 0))] = 0.0  # out, or along
    shoelace = x[:, :-1] * y[:, 1:] - y[:, :-1] * x[:, 1:]
    return _terms(high - low, shoelace)


def _triangle_in_polygon(x: np.ndarray, y: np.ndarray, triangle: np.ndarray) -> np.ndarray:
    """Shoelace sums over the parts of the triangles' edges inside the (open) polygons.

    A triangle's edge ``a + t u`` (``0 <= t <= 1``) is inside the convex
    polygon between the parameters where the polygon's boundary crosses its
    line from its left to its right (entering) and back (leaving). A vertex on
    the line counts as on the right: an edge along the polygon's own edge
    counts between that edge's ends if the polygon lies on its left, and not
    at all if the polygon lies on its right (no vertex on the left).
    """
    ax, ay = triangle[:, :, 0, None], triangle[:, :, 1, None]  # (k, 3, 1)
    ux, uy = np.roll(ax, -1, axis=1) - ax, np.roll(ay, -1, axis=1) - ay
    dx, dy = x[:, None] - ax, y[:, None] - ay  # (k, 3, w + 1)
    left = ux * dy - uy * dx > 0
    enter = _crossing(left[..., :-1] & ~left[..., 1:], dx, dy, ux, uy, np.inf)
    leave = _crossing(~left[..., :-1] & left[..., 1:], dx, dy, ux, uy, -np.inf)
    inside = np.minimum(leave, 1.0) - np.maximum(enter, 0.0)
    shoelace = ax[..., 0] * uy[..., 0] - ay[..., 0] * ux[..., 0]
    return _terms(inside, shoelace)


def _terms(length: np.ndarray, shoelace: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sums over the parts of edges (``length`` of each, where above 0) and their sizes."""
    term = np.maximum(length, 0.0) * shoelace
    return term.sum(axis=1), np.where(length > 0, np.abs(shoelace), 0.0).sum(axis=1)


def _crossing(crosses, dx, dy, ux, uy, none: float) -> np.ndarray:
    """Where the first polygon edge marked in ``crosses`` (k, 3, w) crosses each line ``a + t u``.

    ``dx``, ``dy`` are the polygons' vertices relative to ``a``; the crossing's
    ``t`` is ``none`` where no edge crosses. (A convex polygon's boundary
    crosses a line each way once; where rounding makes more, they lie together.)
    """
    edge = np.argmax(crosses, axis=2)[..., None]
    ends = [np.take_along_axis(d, edge + j, axis=2)[..., 0] for d in (dx, dy) for j in (0, 1)]
    x0, x1, y0, y1 = ends
    ux, uy = ux[..., 0], uy[..., 0]
    side0, side1 = ux * y0 - uy * x0, ux * y1 - uy * x1
    f = side0 / np.where(side0 != side1, side0 - side1, 1.0)
    foot0, foot1 = ux * x0 + uy * y0, ux * x1 + uy * y1  # along the line, times |u|^2
    t = (foot0 + f * (foot1 - foot0)) / (ux * ux + uy * uy)
    return np.where(crosses.any(axis=2), t, none)
