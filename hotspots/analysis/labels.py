"""One place label per hotspot: rank and main streets, at street level.

A hotspot's **place** is the street (or two) most of its incidents are on:
"Herbert Street / Wellington Street". police.uk's anonymous place types
("Parking Area", "Supermarket", ...; :data:`PLACE_TYPES`) never stand alone:
a hotspot with streets among its incidents is named by them; one whose
incidents are all at place types is named by the type and the street nearest
its busiest map point ("Supermarket near Alcester Street"). Text is at street
level (:func:`hotspots.privacy.street_level`): no house numbers, in every
output. Its **label** is its rank and place: "2 Herbert Street / Wellington
Street". :func:`hotspot_places` makes both once per period, for every hotspot;
every output shows that string as it is.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from hotspots._validate import analysis_xy
from hotspots.analysis._arrays import positions_in_runs
from hotspots.analysis.cluster import distinct_points, map_points_of
from hotspots.privacy import WITHHELD, street_level
from hotspots.read.police_streets import PLACE_TYPES

_ON_OR_NEAR = re.compile(r"^\s*on or near\s+", re.IGNORECASE)


_COUNTED = re.compile(r"^(?P<name>.*?)\s*\((?P<n>\d+)\)\s*$")


def _places(text: str) -> list[tuple[str, int]]:
    """``[(place, count)]`` from ``"On or near A (5); On or near B (2)"`` (count 1 when none)."""
    out = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        m = _COUNTED.match(part)
        name, n = (m.group("name"), int(m.group("n"))) if m else (part, 1)
        name = _ON_OR_NEAR.sub("", name).strip()
        if name:
            out.append((name, n))
    return out


def main_street(text: str | None) -> str:
    """The street a hotspot is on, from police.uk ``Location`` text.

    Takes a ``top_locations`` list (``"On or near X (12); ..."``) or one
    location. Streets come before police.uk's anonymous place types
    (:data:`PLACE_TYPES`, e.g. "Parking Area"); a second street with at least
    half as many incidents as the first is named too ("Vine Street / Unicorn
    Hill"). With no street at all, the place type is given.

    Examples
    --------
    >>> main_street("On or near Unicorn Hill (30); On or near Market Place (4)")
    'Unicorn Hill'
    >>> main_street("On or near Parking Area (10); On or near Herbert Street (7)")
    'Herbert Street'
    >>> main_street("On or near Vine Street (7); On or near Unicorn Hill (6); On or near Bates Hill (3)")
    'Vine Street / Unicorn Hill'
    >>> main_street("On or near Parking Area"), main_street(None)
    ('Parking Area', '')
    """
    if not text or not isinstance(text, str):
        return ""
    places = _places(text)
    streets = [(name, n) for name, n in places if name.lower() not in PLACE_TYPES]
    if not streets:
        return places[0][0] if places else ""
    names = [streets[0][0]]
    if len(streets) > 1 and streets[1][1] * 2 >= streets[0][1]:
        names.append(streets[1][0])
    return " / ".join(names)


def hotspot_label(rank: int, place: str | None) -> str:
    """The map label of a hotspot: its rank and main street.

    Examples
    --------
    >>> hotspot_label(1, "On or near Unicorn Hill (30); On or near Bates Hill (4)")
    '1 Unicorn Hill'
    >>> hotspot_label(7, "")
    '7'
    """
    street = main_street(place)
    return f"{int(rank)} {street}" if street else f"{int(rank)}"


def hotspot_labels(hotspots) -> list[str]:
    """Labels of many hotspots: their ``label`` (:func:`hotspot_places`) when they have one.

    Without it: ``rank`` (else ``cluster_id``) and the main street, which comes from ``top_locations`` (clusters), ``locations`` (a
    tasking sheet) or ``place``.

    Examples
    --------
    >>> import pandas as pd
    >>> hotspot_labels(pd.DataFrame({"cluster_id": [1], "top_locations": ["On or near A (3)"]}))
    ['1 A']
    """
    if "label" in hotspots:  # made once by hotspot_places: shown as it is
        return [str(v) for v in hotspots["label"]]
    ranks = hotspots["rank"] if "rank" in hotspots else hotspots["cluster_id"]
    column = next((c for c in ("top_locations", "locations", "place") if c in hotspots), None)
    places = hotspots[column] if column else [""] * len(hotspots)
    return [hotspot_label(r, p) for r, p in zip(ranks, places)]


#: How far a place type's street may be (metres); None: any distance, so a place type is
#: never a label alone (police.uk map points are dense: Redditch's hospital is 390 m from one).
NEAR_STREET_M: float | None = None


def _street_name(location: object) -> str:
    """One police.uk or council location at street level, without "On or near" ("" if none)."""
    street = street_level(location)
    if not street or street == WITHHELD:
        return ""
    return _ON_OR_NEAR.sub("", street).strip()


def _is_type(names: pd.Series) -> np.ndarray:
    return names.str.lower().isin(PLACE_TYPES).to_numpy(dtype=bool)


def hotspot_places(
    incidents: pd.DataFrame,
    members: pd.Series,
    *,
    near: pd.DataFrame | None = None,
    max_near_m: float | None = NEAR_STREET_M,
) -> pd.DataFrame:
    """The one place and label of every hotspot, made from its incidents in one group-by.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The incidents that were clustered, with ``location`` (police.uk
        ``Location`` or a council address) and a point geometry (any CRS: measured
        in EPSG:27700).
    members : pandas.Series
        ``cluster_id`` of each incident (``<NA>`` or 0 for noise), index-aligned;
        the cluster id is the hotspot's rank.
    near : pandas.DataFrame, optional
        Where to look for the street next to a hotspot whose incidents are all
        at place types: rows with ``x``, ``y`` (EPSG:27700) and ``location``.
        Default: ``incidents`` themselves (all of them, noise included).
    max_near_m : float, optional
        How far that street may be from the hotspot's map points (None: any distance).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cluster_id``: ``place`` and ``label`` (rank and place:
        what every output shows). The place is the hotspot's busiest street,
        and the next one when it has at least half as many incidents
        ("Herbert Street / Wellington Street"). A place type with more than
        twice the incidents of the streets named is named with the busiest
        street ("Supermarket near Walton Close"); a hotspot whose incidents are
        all at place types gets the type and the street nearest one of its map
        points ("Supermarket near Studley Road"), the type alone only when no
        street is within ``max_near_m`` or the data hold none.

    Examples
    --------
    >>> import geopandas as gpd
    >>> locs = ["On or near Parking Area"] * 4 + ["On or near Herbert Street"] * 3 + [
    ...     "On or near Wellington Street"] * 2 + ["On or near Supermarket"] * 3 + [
    ...     "On or near Alcester Street"] + ["On or near Hospital"] * 5 + ["On or near Bow Lane"]
    >>> xs = [0] * 9 + [500] * 3 + [520] + [900] * 5 + [910]
    >>> pts = gpd.GeoDataFrame({"location": locs},
    ...     geometry=gpd.points_from_xy(xs, [0] * 19), crs=27700)
    >>> members = pd.Series([1] * 9 + [2] * 3 + [None] + [3] * 6, dtype="Int64")
    >>> hotspot_places(pts, members)["label"].tolist()
    ['1 Herbert Street / Wellington Street', '2 Supermarket near Alcester Street', '3 Hospital near Bow Lane']
    """
    cid = pd.to_numeric(members.reindex(incidents.index), errors="coerce").fillna(0).astype(int)
    ids = pd.Index(sorted(set(cid[cid > 0].tolist())), name="cluster_id")
    out = pd.DataFrame({"place": pd.Series("", index=ids, dtype=object)})
    if not len(ids):
        out["label"] = pd.Series(dtype=object)
        return out
    street, names = _row_streets(incidents["location"])
    rows = np.flatnonzero(cid.to_numpy() > 0)  # the hotspots' incidents
    frame = pd.DataFrame({"cluster_id": cid.to_numpy()[rows], "name": names[street[rows]]})
    named = frame[frame["name"] != ""]
    counts = named.groupby(["cluster_id", "name"]).size().rename("n").reset_index()
    counts["type"] = _is_type(counts["name"])
    counts = counts.sort_values(["cluster_id", "type", "n", "name"],
                                ascending=[True, True, False, True], kind="stable")  # fmt: skip
    counts["order"] = counts.groupby(["cluster_id", "type"]).cumcount()
    streets = counts[~counts["type"]]
    first = streets[streets["order"] == 0].set_index("cluster_id")
    second = streets[streets["order"] == 1].set_index("cluster_id").reindex(first.index)
    two = (second["n"] * 2 >= first["n"]).fillna(False).to_numpy(dtype=bool)
    out.loc[first.index, "place"] = np.where(two, first["name"] + " / " + second["name"].fillna(""),
                                             first["name"])  # fmt: skip
    # A place type with more than twice the incidents of the streets named: "Type near Street".
    types = counts[counts["type"]].drop_duplicates("cluster_id").set_index("cluster_id")
    named_n = first["n"] + np.where(two, second["n"].fillna(0), 0)
    busy = types.index.intersection(first.index)
    busy = busy[named_n.reindex(busy).to_numpy() * 2 < types.loc[busy, "n"].to_numpy()]
    out.loc[busy, "place"] = types.loc[busy, "name"] + " near " + first.loc[busy, "name"]
    # Hotspots at place types only: the type, and the street nearest one of its map points.
    only = types.loc[types.index.difference(first.index)]
    if len(only):  # where the incidents are matters only here
        out.loc[only.index, "place"] = only["name"]
        xy = analysis_xy(incidents)  # read once per frame: DBSCAN has read it already
        frame["x"], frame["y"] = xy[rows, 0], xy[rows, 1]
        streets_near = (_street_points_of(map_points_of(incidents), street, names)
                        if near is None else _street_points(near))  # fmt: skip
        pts = (
            frame[frame["cluster_id"].isin(only.index)]
            .merge(only["name"].rename("name").reset_index(), on=["cluster_id", "name"])
            .drop_duplicates(["cluster_id", "x", "y"])
        )
        if len(streets_near) and len(pts):
            bound = np.inf if max_near_m is None else float(max_near_m)
            dist, idx = _nearest(streets_near[["x", "y"]].to_numpy(dtype=float),
                                 pts[["x", "y"]].to_numpy(dtype=float), bound)  # fmt: skip
            pts = pts.assign(dist=dist, street=np.append(streets_near["name"].to_numpy(),
                                                         "")[idx])  # fmt: skip
            best = (pts[np.isfinite(pts["dist"])].sort_values(["cluster_id", "dist", "street"])
                    .drop_duplicates("cluster_id").set_index("cluster_id"))  # fmt: skip
            out.loc[best.index, "place"] = only.loc[best.index, "name"] + " near " + best["street"]
    out["label"] = [f"{int(i)} {p}" if p else f"{int(i)}" for i, p in zip(out.index, out["place"])]
    return out


def _nearest(
    targets: np.ndarray, queries: np.ndarray, bound: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Each query point's nearest target: its distance and index (``inf`` and ``len(targets)``
    when none is nearer than ``bound``); of targets equally near, the first.

    What SciPy's ``cKDTree.query`` answers (the same distances), from a grid of
    the targets searched ring by ring outwards from each query's cell, without
    importing SciPy (a quarter of a second) or making a geometry per target.

    Examples
    --------
    >>> targets = np.array([[0.0, 5], [5, 0], [0, -5], [100, 0]])
    >>> dist, idx = _nearest(targets, np.array([[0.0, 0], [90, 0], [500, 0]]), 50)
    >>> dist.tolist(), idx.tolist()
    ([5.0, 10.0, inf], [0, 3, 4])
    """
    targets = np.asarray(targets, dtype=float).reshape(-1, 2)
    queries = np.asarray(queries, dtype=float).reshape(-1, 2)
    m, k = len(targets), len(queries)
    best = np.full(k, np.inf)  # squared distances
    idx = np.full(k, m, dtype=np.int64)
    if not m or not k:
        return best, idx
    lo = targets.min(axis=0)
    cell = max(float((targets.max(axis=0) - lo).max()) / math.sqrt(m), 1e-6)
    tc = np.floor((targets - lo) / cell).astype(np.int64)
    nx, ny = int(tc[:, 0].max()) + 1, int(tc[:, 1].max()) + 1
    order = np.argsort(tc[:, 0] * ny + tc[:, 1], kind="stable")
    keys, start = np.unique((tc[:, 0] * ny + tc[:, 1])[order], return_index=True)
    end = np.r_[start[1:], m]
    qc = np.floor((queries - lo) / cell).astype(np.int64)
    # the first ring that reaches the grid, and the last that can still find something
    first = np.maximum.reduce([-qc[:, 0], qc[:, 0] - nx + 1, -qc[:, 1], qc[:, 1] - ny + 1,
                               np.zeros(k, dtype=np.int64)])  # fmt: skip
    last = np.maximum.reduce([qc[:, 0], nx - 1 - qc[:, 0], qc[:, 1], ny - 1 - qc[:, 1]])
    active = np.flatnonzero(np.isfinite(queries).all(axis=1))
    ring = 0
    while len(active):
        ring = max(ring, int(first[active].min()))
        if ring == 0:
            dx = dy = np.zeros(1, dtype=np.int64)
        else:
            side = np.arange(-ring, ring + 1)
            inner = side[1:-1]
            dx = np.r_[side, side, np.full(len(inner), -ring), np.full(len(inner), ring)]
            dy = np.r_[np.full(len(side), -ring), np.full(len(side), ring), inner, inner]
        q = np.repeat(active, len(dx))
        cx, cy = qc[q, 0] + np.tile(dx, len(active)), qc[q, 1] + np.tile(dy, len(active))
        inside = (cx >= 0) & (cx < nx) & (cy >= 0) & (cy < ny)
        q, key = q[inside], cx[inside] * ny + cy[inside]
        at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        hit = keys[at] == key
        q, at = q[hit], at[hit]
        n = end[at] - start[at]
        if n.sum():
            within = positions_in_runs(n)
            q, t = np.repeat(q, n), order[np.repeat(start[at], n) + within]
            ddx, ddy = queries[q, 0] - targets[t, 0], queries[q, 1] - targets[t, 1]
            d2 = ddx * ddx + ddy * ddy
            pick = np.lexsort((t, d2, q))  # per query: the nearest, then the first target
            pick = pick[np.r_[True, q[pick][1:] != q[pick][:-1]]]
            q, t, d2 = q[pick], t[pick], d2[pick]
            better = (d2 < best[q]) | ((d2 == best[q]) & (t < idx[q]))
            best[q[better]], idx[q[better]] = d2[better], t[better]
        # done: everything unseen is a ring further out (kept one ring more than needed, so
        # that cell rounding never matters), or beyond the bound, or there is nothing more
        reach = (ring - 1) * cell
        done = (np.sqrt(best[active]) <= reach) | (reach >= bound) | (ring >= last[active])
        active = active[~done]
        ring += 1
    dist = np.sqrt(best)
    far = ~(dist < bound)
    dist[far], idx[far] = np.inf, m
    return dist, idx


def _row_streets(locations: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's street (:func:`_street_name`) as a code into the distinct streets.

    Each distinct location is read once; a missing one gets the street "".

    Examples
    --------
    >>> codes, names = _row_streets(pd.Series(["On or near Mill Lane", None,
    ...                                        "On or near Mill Lane", "6 Unicorn Hill, Redditch"]))
    >>> codes.tolist(), names.tolist()
    ([0, 2, 0, 1], ['Mill Lane', 'Unicorn Hill', ''])
    """
    codes, uniques = pd.factorize(locations.astype(object), use_na_sentinel=True)
    streets = np.array([_street_name(v) for v in uniques] + [""], dtype=object)  # -1: the last
    street_codes, names = pd.factorize(streets)
    return street_codes[codes], np.asarray(names, dtype=object)


def _street_points(near: pd.DataFrame) -> pd.DataFrame:
    """Distinct map points with a street name (not a place type): ``x``, ``y``, ``name``.

    ``near`` has ``x``, ``y`` (else a point geometry) and ``name`` (else
    ``location``). See :func:`_street_points_of`.
    """
    xs = near.geometry.x.to_numpy() if "x" not in near.columns else near["x"].to_numpy()
    ys = near.geometry.y.to_numpy() if "y" not in near.columns else near["y"].to_numpy()
    if "name" in near.columns:
        codes, names = pd.factorize(near["name"].astype(object))  # each name read once
    else:
        codes, names = _row_streets(near["location"])
    xy = np.column_stack([xs, ys]).astype(float)
    known = np.isfinite(xy).all(axis=1)
    inverse = np.full(len(xy), -1, dtype=np.int64)
    found, uniq, _ = distinct_points(xy[known])
    inverse[known] = found
    return _street_points_of((inverse, uniq), codes, np.asarray(names, dtype=object))


def _street_points_of(points: tuple, codes: np.ndarray, names: np.ndarray) -> pd.DataFrame:
    """Distinct map points with a street name (not a place type): ``x``, ``y``, ``name``.

    ``points`` are each row's map point and the map points (:func:`map_points_of`;
    -1: none); each row's name is ``names[codes]`` (-1: none). One name per point
    (alphabetically first), points in x, y order.
    """
    inverse, uniq = points[0], points[1]
    street = (names != "") & ~_is_type(pd.Series(names, dtype=object))
    alphabetical = np.argsort(names, kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[alphabetical] = np.arange(len(names))
    rows = np.flatnonzero((codes >= 0) & street[np.maximum(codes, 0)] & (inverse >= 0))
    first = np.full(len(uniq), len(names), dtype=np.int64)  # its alphabetically first name
    np.minimum.at(first, inverse[rows], rank[codes[rows]])
    kept = np.flatnonzero(first < len(names))  # the map points with a street
    kept = kept[_xy_order(uniq[kept, 0], uniq[kept, 1])]
    return pd.DataFrame({"x": uniq[kept, 0], "y": uniq[kept, 1],
                         "name": names[alphabetical[first[kept]]]})  # fmt: skip


def _xy_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The order of distinct points by x, then y (``np.lexsort((y, x))``), five times faster.

    One argsort of x; only the points that share an x are sorted again, by y.

    Examples
    --------
    >>> _xy_order(np.array([3.0, 1, 3, 2, 1]), np.array([0.0, 5, -1, 0, 2])).tolist()
    [4, 1, 3, 2, 0]
    """
    order = np.argsort(x)
    same = np.flatnonzero(x[order][1:] == x[order][:-1])
    if len(same):
        tied = np.unique(np.r_[same, same + 1])  # the places of runs of one x, in order
        order[tied] = order[tied][np.lexsort((y[order[tied]], x[order[tied]]))]
    return order


def place_of_label(label: str) -> str:
    """The place of a label: the label without its rank.

    Examples
    --------
    >>> place_of_label("2 Herbert Street / Wellington Street"), place_of_label("7")
    ('Herbert Street / Wellington Street', '')
    """
    rank, _, place = str(label).partition(" ")
    return place if rank.isdigit() else str(label)
