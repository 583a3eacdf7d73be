"""DBSCAN clusters of incidents, in metres, with one summary row per cluster.

police.uk moves every incident to one of a set of anonymous map points, so
many incidents share coordinates. :func:`dbscan_labels` clusters each distinct
point once, weighted by how many incidents stand on it (DBSCAN's
``sample_weight``). The labels are exactly those of plain DBSCAN on every
incident, for a fraction of the time and memory.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import MultiPoint, convex_hull
from sklearn.cluster import DBSCAN
from sklearn.neighbors import NearestNeighbors

from hotspots._errors import HotspotsError
from hotspots._validate import ANALYSIS_CRS, check_points, to_analysis_crs
from hotspots.geocode import bng_to_lonlat
from hotspots.places import tag_focus_areas

log = logging.getLogger(__name__)

NOISE = -1
CLUSTER_COLUMNS = [
    "cluster_id",
    "incidents",
    "share",
    "ward",
    "area",
    "top_locations",
    "top_categories",
    "months",
    "first_month",
    "last_month",
    "centroid_x",
    "centroid_y",
    "centroid_lon",
    "centroid_lat",
    "geometry",
]


class ClusterWarning(UserWarning):
    """DBSCAN settings that will probably give a poor answer."""


@dataclass(frozen=True)
class ClusterParams:
    """DBSCAN settings that travel together.

    Attributes
    ----------
    eps_m : float, default 100
        Neighbourhood radius in metres.
    min_samples : int or None, default None
        Incidents within ``eps_m`` (the point itself included) that make a core
        point. None chooses it from the data with :func:`default_min_samples`.
    hull_buffer_m : float, default 25
        Each cluster's convex hull is widened by this, so that a cluster on one
        map point still has an area.
    source : str, default ""
        Where the settings came from (a ``hotspots tune`` parameter file's
        name), so outputs can say so; "" for options or defaults.
    """

    eps_m: float = 100.0
    min_samples: int | None = None
    hull_buffer_m: float = 25.0
    source: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.eps_m > 0:
            raise HotspotsError(f"eps_m must be a distance in metres above 0; got {self.eps_m!r}")
        if self.min_samples is not None and int(self.min_samples) < 2:
            raise HotspotsError(f"min_samples must be 2 or more; got {self.min_samples!r}")
        if self.hull_buffer_m < 0:
            raise HotspotsError(f"hull_buffer_m must be 0 or more; got {self.hull_buffer_m!r}")


def _xy(incidents: gpd.GeoDataFrame) -> np.ndarray:
    check_points(incidents, argument="incidents")
    geoms = to_analysis_crs(incidents).geometry
    return np.column_stack([geoms.x.to_numpy(), geoms.y.to_numpy()])


def dbscan_labels(xy: np.ndarray, *, eps_m: float, min_samples: int, dedupe: bool = True) -> np.ndarray:
    """Run DBSCAN on points in metres, clustering shared coordinates once.

    Parameters
    ----------
    xy : numpy.ndarray, shape (n, 2)
        Eastings and northings (EPSG:27700).
    eps_m, min_samples
        As for :class:`sklearn.cluster.DBSCAN`.
    dedupe : bool, default True
        Collapse identical coordinates and pass their counts as ``sample_weight``.
        The labels are identical to ``dedupe=False``: distinct points are taken in
        order of first appearance, so DBSCAN meets clusters in the same order.

    Returns
    -------
    numpy.ndarray of int
        One label per point; ``-1`` is noise.

    Examples
    --------
    >>> xy = np.array([[0, 0], [0, 0], [0, 0], [10, 0], [5000, 5000]], dtype=float)
    >>> dbscan_labels(xy, eps_m=50, min_samples=3).tolist()
    [0, 0, 0, 0, -1]
    """
    xy = np.asarray(xy, dtype=float)
    if len(xy) == 0:
        return np.empty(0, dtype=np.int64)
    model = DBSCAN(eps=eps_m, min_samples=int(min_samples))
    if not dedupe:
        return model.fit(xy).labels_.astype(np.int64)
    uniq, first, inverse, counts = np.unique(
        xy, axis=0, return_index=True, return_inverse=True, return_counts=True
    )
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    labels = model.fit(uniq[order], sample_weight=counts[order]).labels_
    return labels[rank[inverse.ravel()]].astype(np.int64)


def background_count(n_incidents: int, study_area_m2: float, eps_m: float) -> float:
    """The incidents expected in one ``eps_m`` circle if they were spread evenly.

    Examples
    --------
    >>> round(background_count(1000, 50e6, 100), 2)
    0.63
    """
    if study_area_m2 <= 0:
        return 0.0  # no area to spread over: no background estimate
    return n_incidents * math.pi * eps_m**2 / study_area_m2


def default_min_samples(n_incidents: int, study_area_m2: float, eps_m: float) -> int:
    """Choose ``min_samples`` for a borough-sized selection without tuning.

    A hotspot must hold at least 5 incidents, at least 1% of the selection, and
    at least three times the even-spread background count within ``eps_m``
    (so the whole built-up area never joins into one giant cluster).

    Examples
    --------
    >>> default_min_samples(450, 54e6, 100), default_min_samples(3200, 54e6, 100)
    (5, 32)
    """
    bg = background_count(n_incidents, study_area_m2, eps_m)
    return max(5, math.ceil(0.01 * n_incidents), math.ceil(3 * bg))


def check_min_samples(
    n_incidents: int, study_area_m2: float, *, eps_m: float, min_samples: int
) -> str | None:
    """Warn when ``min_samples`` is so low that background incidents alone make clusters.

    Returns
    -------
    str or None
        The warning text (also issued as a :class:`ClusterWarning`), or None.
    """
    bg = background_count(n_incidents, study_area_m2, eps_m)
    if min_samples > 2 * bg:
        return None
    msg = (
        f"min_samples={min_samples} is at or below twice the {bg:.1f} incidents expected in "
        f"any {eps_m:g} m circle if incidents were spread evenly; clusters will merge into "
        f"one giant cluster. Raise min_samples above {math.ceil(2 * bg)} or lower eps_m."
    )
    warnings.warn(msg, ClusterWarning, stacklevel=2)
    return msg


def suggest_eps(incidents: gpd.GeoDataFrame, *, min_samples: int, quantile: float | None = None) -> float:
    """Suggest ``eps_m`` from the knee of the k-distance curve.

    For each incident, the distance to its ``min_samples``-th nearest incident
    is sorted; the knee (the point furthest from the straight line joining the
    curve's ends) separates clustered incidents from the background.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points.
    min_samples : int
        The ``k`` of the k-distance curve.
    quantile : float, optional
        Use this quantile of the k-distances instead of the knee.

    Returns
    -------
    float
        Metres, rounded to 5 m (at least 10 m).
    """
    xy = _xy(incidents)
    if len(xy) <= min_samples:
        raise HotspotsError(
            f"suggest_eps needs more than min_samples={min_samples} incidents; got {len(xy)}"
        )
    nn = NearestNeighbors(n_neighbors=min_samples).fit(xy)
    dist = np.sort(nn.kneighbors(xy)[0][:, -1])
    if quantile is not None:
        value = float(np.quantile(dist, quantile))
    else:
        x = np.linspace(0.0, 1.0, len(dist))
        y = (dist - dist[0]) / max(dist[-1] - dist[0], 1e-9)
        value = float(dist[int(np.argmax(x - y))])
    return max(10.0, round(value / 5.0) * 5.0)


def label_incidents(
    incidents: gpd.GeoDataFrame, *, eps_m: float = 100.0, min_samples: int = 5
) -> pd.Series:
    """DBSCAN label of each incident (``-1`` for noise), index-aligned.

    Examples
    --------
    >>> import geopandas as gpd
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy([0, 5, 10, 9000], [0, 0, 0, 0]),
    ...                        crs=27700)
    >>> label_incidents(pts, eps_m=50, min_samples=3).tolist()
    [0, 0, 0, -1]
    """
    labels = dbscan_labels(_xy(incidents), eps_m=eps_m, min_samples=min_samples)
    return pd.Series(labels, index=incidents.index, name="cluster")


def _top(values: pd.Series, n: int = 3) -> str:
    counts = values[values.astype(str).str.strip() != ""].value_counts()
    return "; ".join(f"{k} ({v})" for k, v in counts.head(n).items())


def summarise_clusters(
    incidents: gpd.GeoDataFrame,
    labels: pd.Series,
    *,
    areas: gpd.GeoDataFrame | None = None,
    hull_buffer_m: float = 25.0,
) -> gpd.GeoDataFrame:
    """One row per cluster: size, share, place, ward, focus area, months, hull.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The clustered incidents (with ``ward``, ``location``, ``category`` and
        ``month`` where available).
    labels : pandas.Series
        From :func:`label_incidents`, index-aligned with ``incidents``.
    areas : geopandas.GeoDataFrame, optional
        Focus areas (:func:`hotspots.places.read_focus_areas`) to tag clusters with.
    hull_buffer_m : float, default 25
        Widening of each convex hull, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`CLUSTER_COLUMNS`; hull polygons in EPSG:27700; sorted by
        ``incidents``, largest first, with ``cluster_id`` 1, 2, ... in that order.
        ``share`` is the cluster's fraction of all incidents given.
    """
    xy = _xy(incidents)
    lab = labels.reindex(incidents.index).to_numpy()
    total = len(incidents)
    frame = pd.DataFrame(index=incidents.index)
    for col in ("ward", "location", "category", "month"):
        frame[col] = incidents[col] if col in incidents.columns else ""
    rows = []
    for label in sorted(set(lab[lab != NOISE].tolist())):
        members = lab == label
        pts = xy[members]
        sub = frame.loc[members]
        hull = convex_hull(MultiPoint(pts)).buffer(hull_buffer_m if hull_buffer_m > 0 else 1.0)
        months = sorted(m for m in sub["month"].unique() if m)
        ward = sub["ward"][sub["ward"] != ""].mode()
        rows.append(
            {
                "_label": label,
                "incidents": int(members.sum()),
                "share": members.sum() / total,
                "ward": ward.iloc[0] if len(ward) else "",
                "top_locations": _top(sub["location"]),
                "top_categories": _top(sub["category"]),
                "months": ", ".join(months),
                "first_month": months[0] if months else "",
                "last_month": months[-1] if months else "",
                "centroid_x": float(pts[:, 0].mean()),
                "centroid_y": float(pts[:, 1].mean()),
                "geometry": hull,
            }
        )
    if not rows:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in CLUSTER_COLUMNS[:-1]})
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=ANALYSIS_CRS), crs=ANALYSIS_CRS)
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=ANALYSIS_CRS)
    out = out.sort_values(["incidents", "_label"], ascending=[False, True], ignore_index=True)
    out["cluster_id"] = np.arange(1, len(out) + 1)
    lon, lat = bng_to_lonlat(out["centroid_x"], out["centroid_y"])
    out["centroid_lon"], out["centroid_lat"] = lon.round(6), lat.round(6)
    out["area"] = tag_focus_areas(out.geometry, areas)
    return out[CLUSTER_COLUMNS]


def find_clusters(
    incidents: gpd.GeoDataFrame,
    *,
    params: ClusterParams | None = None,
    areas: gpd.GeoDataFrame | None = None,
    study_area_m2: float | None = None,
) -> gpd.GeoDataFrame:
    """Cluster incidents with DBSCAN and summarise each cluster.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        Incident points (any CRS; clustered in EPSG:27700 metres).
    params : ClusterParams, optional
        DBSCAN settings; defaults suit one borough and one season.
    areas : geopandas.GeoDataFrame, optional
        Focus areas to tag clusters with.
    study_area_m2 : float, optional
        The study area (e.g. the wards' total area), used to choose
        ``min_samples`` and to warn about the giant-cluster trap; defaults to
        the convex hull of the incidents.

    Returns
    -------
    geopandas.GeoDataFrame
        See :func:`summarise_clusters`.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.normal(0, 20, (30, 2)), rng.normal(2000, 20, (20, 2)),
    ...                 rng.uniform(-3000, 5000, (10, 2))]) + [404000, 267000]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> find_clusters(pts, params=ClusterParams(eps_m=60, min_samples=5))["incidents"].tolist()
    [30, 20]
    """
    params = params or ClusterParams()
    xy = _xy(incidents)
    if study_area_m2 is None:
        study_area_m2 = convex_hull(MultiPoint(xy)).area if len(xy) > 2 else 0.0
    min_samples = params.min_samples
    if min_samples is None:
        min_samples = default_min_samples(len(xy), study_area_m2, params.eps_m)
        log.info("min_samples chosen from the data: %d", min_samples)
    else:
        check_min_samples(len(xy), study_area_m2, eps_m=params.eps_m, min_samples=min_samples)
    labels = label_incidents(incidents, eps_m=params.eps_m, min_samples=min_samples)
    clusters = summarise_clusters(incidents, labels, areas=areas, hull_buffer_m=params.hull_buffer_m)
    clusters.attrs["min_samples"] = min_samples
    clusters.attrs["eps_m"] = params.eps_m
    clusters.attrs["params_source"] = params.source
    return clusters
