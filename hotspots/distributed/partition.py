"""DBSCAN partitioned by police force area, each force with a halo of its neighbours' points, the links merged on the client: labels equal to one machine's."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._validate import ANALYSIS_CRS
from hotspots.analysis.cluster import (
    NOISE,
    distinct_points,
)
from hotspots.distributed.engine import DaskPrepared, _first_rows

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client


def _cluster_area(
    ids: np.ndarray, xy: np.ndarray, counts: np.ndarray, own: np.ndarray, inner: np.ndarray,
    eps_m: float, min_samples: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """DBSCAN links for one force area and its halo.

    ``inner`` points (within ``eps_m`` of the area's box) get their true core
    status (their whole neighbourhood is in the halo); ``own`` points are the
    area's. Returns (component, member) pairs of global ids for the core points
    linked to the area's own core points, and (border point, component) pairs
    for the area's own non-core points that touch a core point.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from sklearn.neighbors import NearestNeighbors

    empty = np.empty(0, dtype=np.int64)
    inner_idx = np.flatnonzero(inner)
    if not len(inner_idx):
        return empty, empty, empty, empty
    nn = NearestNeighbors(radius=eps_m).fit(xy)
    graph = nn.radius_neighbors_graph(xy[inner_idx], mode="connectivity").tocsr()
    weight = graph @ counts  # incidents within eps_m, the point itself included
    core = np.zeros(len(xy), dtype=bool)
    core[inner_idx] = weight >= min_samples
    # links from the area's own core points to every core point near them
    rows = np.repeat(inner_idx, np.diff(graph.indptr))
    cols = graph.indices
    link = own[rows] & core[rows] & core[cols]
    adj = coo_matrix((np.ones(link.sum()), (rows[link], cols[link])), shape=(len(xy), len(xy)))
    _, comp = connected_components(adj, directed=False)
    linked = np.zeros(len(xy), dtype=bool)
    linked[cols[link]] = True
    members = np.flatnonzero(core & (own | linked))
    # a component is named by its smallest global id
    comp_min = pd.Series(ids[members]).groupby(comp[members]).min()
    member_comp = comp_min.reindex(comp[members]).to_numpy()
    # border points: the area's own points that are not core but touch a core point
    touch = own[rows] & ~core[rows] & core[cols]
    return (
        member_comp.astype(np.int64),
        ids[members].astype(np.int64),
        ids[rows[touch]].astype(np.int64),
        ids[cols[touch]].astype(np.int64),
    )


def _label_rows(
    chosen: gpd.GeoDataFrame, point_labels: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray]:
    """The clustered rows of one file (summary columns and coordinates) and their labels."""
    xy = shapely.get_coordinates(chosen.geometry.to_numpy())
    inverse = distinct_points(xy)[0]
    labels = point_labels[inverse]
    keep = labels != NOISE
    cols = [c for c in ("ward", "area", "location", "category", "month") if c in chosen.columns]
    frame = pd.DataFrame(chosen.loc[keep, cols]).reset_index(drop=True)
    frame["_x"], frame["_y"] = xy[keep, 0], xy[keep, 1]
    return frame, labels[keep]


def _merge_labels(
    n: int, comp: np.ndarray, member: np.ndarray, border: np.ndarray, border_core: np.ndarray
) -> np.ndarray:
    """Labels of ``n`` points (ids in order of first appearance), as scikit-learn's DBSCAN gives."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    labels = np.full(n, NOISE, dtype=np.int64)
    if not len(member):
        return labels
    adj = coo_matrix((np.ones(len(member)), (comp, member)), shape=(n, n))
    _, group = connected_components(adj, directed=False)
    core = np.zeros(n, dtype=bool)
    core[member] = True
    # a cluster is numbered by its first core point (its seed), clusters in seed order
    seed = pd.Series(np.flatnonzero(core)).groupby(group[core]).min()
    rank = pd.Series(np.arange(len(seed)), index=seed.sort_values().index)
    labels[core] = rank.reindex(group[core]).to_numpy()
    if len(border):
        # a border point goes to the cluster with the earliest seed among those touching it
        cand = pd.DataFrame({"p": border, "label": labels[border_core]})
        first = cand.groupby("p")["label"].min()
        labels[first.index.to_numpy()] = first.to_numpy()
    return labels


def partitioned_labels(
    xy: np.ndarray,
    counts: np.ndarray,
    area: np.ndarray,
    *,
    eps_m: float,
    min_samples: int,
    run: Callable[[list[tuple]], list] | None = None,
) -> np.ndarray:
    """DBSCAN labels of distinct points clustered area by area, with halos, then merged.

    Parameters
    ----------
    xy : numpy.ndarray, shape (m, 2)
        Distinct points in metres, in order of first appearance.
    counts : numpy.ndarray of int
        Incidents on each point (DBSCAN's ``sample_weight``).
    area : numpy.ndarray
        Each point's partition (police force area).
    eps_m, min_samples
        As for :func:`hotspots.analysis.cluster.dbscan_labels`.
    run : callable, optional
        Runs a list of :func:`_cluster_area` argument tuples and returns their
        results in order (the Dask engine submits them to the cluster); default:
        one after another here.

    Returns
    -------
    numpy.ndarray of int
        Equal to ``dbscan_labels`` on the same points with the same weights.

    Examples
    --------
    >>> xy = np.array([[0.0, 0], [40, 0], [80, 0], [120, 0], [5000, 0]])
    >>> partitioned_labels(xy, np.array([2, 2, 2, 2, 1]), np.array(["a", "a", "b", "b", "b"]),
    ...                    eps_m=50, min_samples=5).tolist()
    [0, 0, 0, 0, -1]
    """
    tasks = []
    for name in pd.unique(area):
        own = area == name
        lo, hi = xy[own].min(axis=0), xy[own].max(axis=0)
        local = np.all((xy >= lo - 2 * eps_m) & (xy <= hi + 2 * eps_m), axis=1)
        inner = np.all((xy >= lo - eps_m) & (xy <= hi + eps_m), axis=1)[local]
        tasks.append((np.flatnonzero(local), xy[local], counts[local], own[local], inner,
                      eps_m, min_samples))  # fmt: skip
    links = run(tasks) if run else [_cluster_area(*t) for t in tasks]
    empty = np.empty(0, dtype=np.int64)
    cat = [np.concatenate([lk[j] for lk in links]) if links else empty for j in range(4)]
    return _merge_labels(len(xy), *cat)


def dask_labeller(client: Client, rows: DaskPrepared) -> Callable[..., np.ndarray]:
    """DBSCAN on Dask, partitioned by force area, for :func:`hotspots.results.analyse_period`.

    The returned ``labeller(incidents, eps_m=..., min_samples=...)`` takes rows
    of ``rows.prepared.incidents`` (a period of them, index unchanged) and
    gives each its DBSCAN label, equal to
    :func:`hotspots.analysis.cluster.label_incidents` (:func:`partitioned_labels`
    on their distinct map points, one task per force area and its halo).
    """
    force_of_row = pd.Series(rows.forces, index=rows.prepared.incidents.index)

    def run(tasks: list[tuple]) -> list:
        return client.gather([client.submit(_cluster_area, *t, pure=False) for t in tasks])

    def labeller(incidents: gpd.GeoDataFrame, *, eps_m: float, min_samples: int) -> np.ndarray:
        xy = shapely.get_coordinates(incidents.to_crs(ANALYSIS_CRS).geometry.to_numpy())
        if not len(xy):
            return np.empty(0, dtype=np.int64)
        inverse, uniq, counts = distinct_points(xy)
        first = _first_rows(inverse, len(uniq))
        force = force_of_row.reindex(incidents.index).to_numpy(dtype=object)[first]
        labels = partitioned_labels(uniq, counts.astype(np.int64), force, eps_m=eps_m,
                                    min_samples=int(min_samples), run=run)  # fmt: skip
        return labels[inverse]

    return labeller
