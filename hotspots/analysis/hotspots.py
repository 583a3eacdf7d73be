"""The stages joined up: what the CLI, the web app and the reports all do first.

``prepare`` turns an :class:`~hotspots.read._rows.IncidentLoad` into the
analysis table (wards joined, the study area kept, season columns added);
``find_hotspots`` clusters one period of it and gives the view of a focus
area or ward; ``hotspots_for`` and ``hotspots_with_trend`` are its tables.

The same hotspots in every view
-------------------------------
DBSCAN runs once per period (season and financial year) on the **whole study
area**, with ``min_samples`` chosen from that period's incidents unless an
analyst gives it. A focus-area or ward view never re-clusters: it lists the
study area's hotspots that lie in it, with the same ``cluster_id`` (the rank in
the study area, 1 = most incidents), counts, shares and colours.

A hotspot *lies in* the ward and focus area of its **busiest map point** (the
point holding most of its incidents; ties go to the one nearest the mean of its
incidents). That is the point the tasking sheet pins for patrols, so every
hotspot belongs to exactly one ward, and to at most one focus area, in every
output (the ``ward`` and ``area`` columns say which).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._errors import HotspotsError
from hotspots._validate import analysis_xy, to_analysis_crs
from hotspots.analysis.cluster import (
    ClusterParams,
    check_min_samples,
    default_min_samples,
    label_incidents,
    map_points_of,
)
from hotspots.analysis.labels import hotspot_places
from hotspots.analysis.prepare import Prepared, check_view, select_incidents
from hotspots.analysis.seasons import (
    select_period,
)
from hotspots.analysis.summaries import summarise_clusters
from hotspots.read.geocode import bng_to_lonlat
from hotspots.read.places import tag_focus_areas

log = logging.getLogger(__name__)

#: How a hotspot is placed in a ward or focus area, in every view and output.
LIES_IN = "the ward and focus area of its busiest map point"
#: Columns :func:`find_hotspots` adds to :data:`hotspots.analysis.summaries.CLUSTER_COLUMNS`:
#: the busiest map point (EPSG:27700 and WGS84).
POINT_COLUMNS = ["point_x", "point_y", "point_lon", "point_lat"]


def pin_to_busiest_points(clusters: gpd.GeoDataFrame, points: pd.DataFrame) -> None:
    """Give freshly summarised clusters their busiest point's ward, area and place, in place.

    ``points`` is :func:`busiest_points`' table (indexed by ``cluster_id``); the
    clusters gain ``ward``, ``area``, ``point_x``/``point_y`` (EPSG:27700) and
    ``point_lon``/``point_lat`` (EPSG:4326, 6 decimals). For the functions that
    build a cluster table (this module's and :mod:`hotspots.distributed`), so
    that every engine pins hotspots one way.
    """
    points = points.reindex(clusters["cluster_id"])
    clusters["ward"] = points["ward"].to_numpy()
    clusters["area"] = points["area"].to_numpy()
    clusters["point_x"] = points["point_x"].to_numpy(dtype=float)
    clusters["point_y"] = points["point_y"].to_numpy(dtype=float)
    lon, lat = bng_to_lonlat(clusters["point_x"], clusters["point_y"])
    clusters["point_lon"] = np.round(lon, 6)
    clusters["point_lat"] = np.round(lat, 6)


def add_labels(clusters: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, members: pd.Series) -> None:
    """Give freshly summarised clusters their one ``label``, in place.

    See :func:`hotspots.analysis.labels.hotspot_places`:
    "2 Herbert Street / Wellington Street": rank and main streets at street
    level, made once from the clustered incidents; every output shows it as
    it is. For the functions that build a cluster table (this module's and
    :mod:`hotspots.distributed`), so that every engine labels hotspots one way.
    """
    if "location" not in incidents.columns:
        clusters["label"] = [str(int(c)) for c in clusters["cluster_id"]]
        return
    places = hotspot_places(incidents, members)
    clusters["label"] = places["label"].reindex(clusters["cluster_id"]).fillna("").to_numpy()


def busiest_points(incidents: gpd.GeoDataFrame, members: pd.Series) -> pd.DataFrame:
    """Each hotspot's busiest map point, with the ward and focus area it lies in.

    The busiest point is the map point holding most of the hotspot's incidents;
    on a tie, the one nearest the mean of its incidents (then the lowest
    easting, northing). Array operations over every hotspot at once, no loop.

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The clustered incidents (``ward`` and ``area`` columns used where present).
    members : pandas.Series
        ``cluster_id`` of each incident (``<NA>`` or 0 for none), index-aligned.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``cluster_id``: ``point_x``, ``point_y`` (EPSG:27700), ``ward``,
        ``area`` ("" where the data has none) and ``point_incidents``.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> pts = gpd.GeoDataFrame({"ward": ["A", "A", "B", "B", "B"]},
    ...     geometry=gpd.points_from_xy([0, 0, 50, 50, 50], [0, 0, 0, 0, 0]), crs=27700)
    >>> best = busiest_points(pts, pd.Series([1, 1, 1, 1, 2]))  # cluster 1: a tie, lowest x
    >>> best[["point_x", "ward", "point_incidents"]].reset_index().values.tolist()
    [[1, 0.0, 'A', 2], [2, 50.0, 'B', 1]]
    """
    xy = analysis_xy(incidents)  # read once per frame: DBSCAN has read it already
    cid = pd.to_numeric(members.reindex(incidents.index), errors="coerce").fillna(0).astype(int)
    rows = np.flatnonzero(cid.to_numpy() > 0)  # the hotspots' incidents
    rows = rows[np.isfinite(xy[rows]).all(axis=1)]
    columns = ["point_x", "point_y", "ward", "area", "point_incidents"]
    if not len(rows):
        return pd.DataFrame(columns=columns, index=pd.Index([], name="cluster_id", dtype=int))
    ids, x, y = cid.to_numpy()[rows], xy[rows, 0], xy[rows, 1]
    point = map_points_of(incidents)[0][rows]  # DBSCAN found them: no second hashing
    # each hotspot's map points: pairs of (hotspot, point), and the first row of each
    pairs, first, pair = np.unique(ids * (int(point.max()) + 1) + point, return_index=True,
                                   return_inverse=True)  # fmt: skip
    count = np.bincount(pair, minlength=len(pairs))
    centre = pd.DataFrame({"x": x, "y": y}).groupby(ids).mean()  # each hotspot's mean
    best = _busiest(ids[first], x[first], y[first], count, centre)
    places = {c: _first_given(incidents[c], rows, pair, first)[best] if c in incidents.columns
              else np.full(len(best), "", dtype=object) for c in ("ward", "area")}  # fmt: skip
    return pd.DataFrame(
        {"point_x": x[first[best]], "point_y": y[first[best]],
         **{c: pd.Series(v, dtype=object).fillna("").astype(str).to_numpy() for c, v in places.items()},
         "point_incidents": count[best]},
        index=pd.Index(ids[first[best]], name="cluster_id"),
    )[columns]  # fmt: skip


def _busiest(
    ids: np.ndarray, x: np.ndarray, y: np.ndarray, count: np.ndarray, centre: pd.DataFrame
) -> np.ndarray:
    """Of (hotspot, map point) pairs, each hotspot's busiest, in hotspot order.

    Most incidents first, then the point nearest the hotspot's mean (``centre``,
    indexed by hotspot), then the lowest easting, northing.
    """
    mean = centre.to_numpy()[np.searchsorted(centre.index.to_numpy(), ids)]
    d2 = (x - mean[:, 0]) ** 2 + (y - mean[:, 1]) ** 2
    order = np.lexsort((y, x, d2, -count, ids))
    return order[np.r_[True, ids[order][1:] != ids[order][:-1]]]


def _first_given(
    column: pd.Series, rows: np.ndarray, group: np.ndarray, first: np.ndarray
) -> np.ndarray:
    """Each group's first value of ``column`` that is not missing (missing if none).

    ``rows`` are the rows read, ``group`` the group of each, ``first`` each
    group's first of them; the rest are read only for groups whose first is missing.
    """
    out = column.take(rows[first]).to_numpy(dtype=object, copy=True)
    missing = pd.isna(out)
    if missing.any():
        values = column.take(rows).to_numpy(dtype=object)
        given = np.flatnonzero(missing[group] & pd.notna(values))
        found, at = np.unique(group[given], return_index=True)
        out[found] = values[given[at]]
    return out


def rank_labels(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DBSCAN labels renamed to ranks: 0 for the cluster with most incidents.

    Ties keep DBSCAN's order; noise (-1) stays -1. The single-machine path
    (:func:`clusters_and_members`) and the Dask engine
    (:mod:`hotspots.distributed`) rank with this one function, so a
    ``cluster_id`` (rank + 1) means the same in both.

    Parameters
    ----------
    labels : numpy.ndarray of int
        One DBSCAN label per incident (-1 for noise).

    Returns
    -------
    ranked : numpy.ndarray of int
        Each incident's rank (-1 for noise).
    counts : numpy.ndarray of int
        Incidents per rank, largest first.

    Examples
    --------
    >>> ranked, counts = rank_labels(np.array([0, 0, 1, 1, 1, -1, 2, 2]))
    >>> ranked.tolist(), counts.tolist()
    ([1, 1, 0, 0, 0, -1, 2, 2], [3, 2, 2])
    """
    labels = np.asarray(labels)
    valid = labels >= 0
    counts = np.bincount(labels[valid])  # labels are small whole numbers: counted, not sorted
    uniq = np.flatnonzero(counts)
    counts = counts[uniq]
    order = np.lexsort((uniq, -counts))
    rank_of = np.full(int(uniq.max()) + 1 if len(uniq) else 0, -1, dtype=np.int64)
    rank_of[uniq[order]] = np.arange(len(order))
    ranked = np.full(len(labels), -1, dtype=np.int64)
    ranked[valid] = rank_of[labels[valid]]
    return ranked, counts[order]


def clusters_and_members(
    incidents: gpd.GeoDataFrame,
    *,
    params: ClusterParams | None = None,
    areas: gpd.GeoDataFrame | None = None,
    study_area_m2: float | None = None,
    labeller: Callable[..., np.ndarray] | None = None,
) -> tuple[gpd.GeoDataFrame, pd.Series]:
    """Cluster incidents once; return the ranked hotspots and each incident's hotspot.

    Like :func:`hotspots.analysis.summaries.find_clusters`, plus which incidents make each
    hotspot, so nothing downstream runs DBSCAN again. ``ward`` and ``area`` are
    those of each hotspot's busiest map point (:func:`busiest_points`), which
    is also given (:data:`POINT_COLUMNS`).

    Parameters
    ----------
    incidents : geopandas.GeoDataFrame
        The incidents to cluster (all of them: a period of the whole study area).
    params : ClusterParams, optional
        DBSCAN settings; ``min_samples=None`` chooses it from these incidents
        with :func:`hotspots.analysis.cluster.default_min_samples`.
    areas : geopandas.GeoDataFrame, optional
        Focus areas, to name the area of incidents that have no ``area`` column.
    study_area_m2 : float, optional
        For choosing ``min_samples``; defaults to the incidents' convex hull.
    labeller : callable, optional
        ``labeller(incidents, eps_m=..., min_samples=...)`` gives each incident's
        DBSCAN label (-1 for noise), equal to
        :func:`hotspots.analysis.cluster.label_incidents`' (the Dask engine's
        :func:`hotspots.distributed.dask_labeller`); default: that function.

    Returns
    -------
    clusters : geopandas.GeoDataFrame
        :data:`hotspots.analysis.summaries.CLUSTER_COLUMNS`, :data:`POINT_COLUMNS`, then
        ``label`` (rank and main streets: :func:`add_labels`);
        ``cluster_id`` 1, 2, ... by incidents (largest first). ``attrs``:
        ``eps_m``, ``min_samples``, ``min_samples_chosen`` (True when chosen from
        the data) and ``clustered`` (incidents given): small values only, as pandas
        deep-copies ``attrs`` into every frame and column taken from this one.
    members : pandas.Series
        ``cluster_id`` of each incident (``Int64``; ``<NA>`` for noise), index-aligned.

    Examples
    --------
    >>> import geopandas as gpd, numpy as np
    >>> rng = np.random.default_rng(0)
    >>> xy = np.vstack([rng.normal(0, 20, (20, 2)), rng.normal(2000, 20, (30, 2)),
    ...                 rng.uniform(-3000, 5000, (10, 2))]) + [404000, 267000]
    >>> pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    >>> found, members = clusters_and_members(pts, params=ClusterParams(eps_m=60, min_samples=5))
    >>> found["incidents"].tolist(), members.value_counts().sort_index().tolist()
    ([30, 20], [30, 20])
    >>> int(members.iloc[0]), int(members.iloc[20])
    (2, 1)
    """
    params = params or ClusterParams()
    n = len(incidents)
    if study_area_m2 is None:
        study_area_m2 = (
            float(to_analysis_crs(incidents).union_all().convex_hull.area) if n > 2 else 0.0
        )
    chosen = params.min_samples is None
    if chosen:
        min_samples = default_min_samples(n, study_area_m2, params.eps_m)
        log.info("min_samples chosen from %d incidents: %d", n, min_samples)
    else:
        min_samples = int(params.min_samples)
        check_min_samples(n, study_area_m2, eps_m=params.eps_m, min_samples=min_samples)
    label = labeller or label_incidents
    labels = np.asarray(label(incidents, eps_m=params.eps_m, min_samples=min_samples))
    # ranks, so that summarise_clusters' cluster_id (sorted the same way) is rank + 1
    ranked, counts = rank_labels(labels)
    valid = ranked >= 0
    clusters = summarise_clusters(
        incidents, pd.Series(ranked, index=incidents.index), areas=areas,
        hull_buffer_m=params.hull_buffer_m,
    )  # fmt: skip
    if clusters["incidents"].tolist() != counts.tolist():
        raise HotspotsError("internal: cluster summaries do not follow the DBSCAN labels")
    members = pd.Series(pd.arrays.IntegerArray(np.where(valid, ranked + 1, 0), ~valid),
                        index=incidents.index, name="cluster_id")  # fmt: skip
    tagged = incidents
    if "area" not in incidents.columns:
        tagged = incidents.assign(area=tag_focus_areas(to_analysis_crs(incidents).geometry, areas))
    pin_to_busiest_points(clusters, busiest_points(tagged, members))
    add_labels(clusters, incidents, members)
    clusters.attrs.update(
        eps_m=float(params.eps_m),
        min_samples=min_samples,
        min_samples_chosen=chosen,
        clustered=n,
        params_source=getattr(params, "source", ""),
    )
    return clusters, members


def parameters_text(attrs: dict) -> str:
    """One line stating the DBSCAN parameters a table or map was made with.

    Examples
    --------
    >>> parameters_text({"eps_m": 100.0, "min_samples": 12, "min_samples_chosen": True,
    ...                  "clustered": 1234, "period": "autumn 2018-19"})
    'DBSCAN eps 100 m, min_samples 12 (chosen from the 1,234 incidents of autumn 2018-19 in the whole study area)'
    >>> parameters_text({"eps_m": 80.0, "min_samples": 6, "min_samples_chosen": False})
    'DBSCAN eps 80 m, min_samples 6 (given by the analyst)'
    >>> parameters_text({"eps_m": 80.0, "min_samples": 6, "params_source": "redditch.toml"})
    'DBSCAN eps 80 m, min_samples 6 (from redditch.toml)'
    """
    if "eps_m" not in attrs or "min_samples" not in attrs:
        return ""
    text = f"DBSCAN eps {attrs['eps_m']:g} m, min_samples {attrs['min_samples']}"
    source = attrs.get("params_source")
    if attrs.get("min_samples_chosen"):
        period = f" of {attrs['period']}" if attrs.get("period") else ""
        why = (
            f"chosen from the {attrs.get('clustered', 0):,} incidents{period} "
            "in the whole study area"
        )
        if source:
            why = f"eps from {source}; min_samples {why}"
    else:
        why = f"from {source}" if source else "given by the analyst"
    return f"{text} ({why})"


def _period_label(season: str | None, financial_year: str | None) -> str:
    season_word = "all seasons" if season in (None, "all") else season
    return f"{season_word} {financial_year or 'all years'}"


@dataclass(frozen=True)
class Hotspots:
    """The study area's hotspots of one period, seen from one view (all, a focus area, a ward).

    Attributes
    ----------
    clusters : geopandas.GeoDataFrame
        The hotspots that lie in the view (all of them for the whole study
        area), as :func:`clusters_and_members` gives them, index 0..n-1.
        ``attrs``: ``eps_m``, ``min_samples``, ``min_samples_chosen``,
        ``parameters`` (:func:`parameters_text`), ``clustered`` (the period's
        incidents in the whole study area), ``selected`` (the view's incidents),
        ``hotspots_in_study_area``, ``season``,
        ``financial_year``, ``period``, ``area``, ``ward``, ``lies_in``.
    members : pandas.Series
        ``cluster_id`` of each incident of ``period`` (``<NA>`` for noise).
    period : geopandas.GeoDataFrame
        Every incident of the period in the study area: what DBSCAN saw.
    selected : geopandas.GeoDataFrame
        The incidents of the view (the period, in the focus area / ward).
    """

    clusters: gpd.GeoDataFrame
    members: pd.Series
    period: gpd.GeoDataFrame
    selected: gpd.GeoDataFrame

    def within(self, *, area: str | None = None, ward: str | None = None) -> Hotspots:
        """The view of a focus area and/or ward: the hotspots lying in it, ids unchanged."""
        keep = pd.Series(True, index=self.clusters.index)
        if area:
            keep &= self.clusters["area"] == area
        if ward:
            keep &= self.clusters["ward"] == ward
        clusters = self.clusters.loc[keep].reset_index(drop=True)
        selected = select_incidents(self.period, area=area, ward=ward)
        clusters.attrs = {**self.clusters.attrs, "area": area or "", "ward": ward or "",
                          "selected": len(selected)}  # fmt: skip
        return Hotspots(clusters, self.members, self.period, selected)

    def member_incidents(self) -> gpd.GeoDataFrame:
        """The incidents of the listed hotspots (all of each, wherever they lie), with ``cluster_id``."""
        ids = set(self.clusters["cluster_id"].tolist())
        keep = self.members.isin(ids).fillna(False).to_numpy(dtype=bool)
        return self.period.loc[keep].assign(cluster_id=self.members[keep].astype(int))


def find_hotspots(
    prepared: Prepared,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
) -> Hotspots:
    """Cluster a period of the whole study area once; view a focus area or ward of it.

    Parameters
    ----------
    prepared : Prepared
        From :func:`prepare`.
    season : {"winter", "spring", "summer", "autumn", "all"} or None
        None or "all": every season.
    financial_year : str, optional
        ``"2018-19"``; None: every year.
    area, ward : str, optional
        The view: only hotspots lying in this focus area / ward (see :data:`LIES_IN`).
        They never change which hotspots are found, nor their ids or counts.
    params : ClusterParams, optional
        DBSCAN settings; ``min_samples=None`` chooses it from the period's
        incidents in the whole study area.

    Returns
    -------
    Hotspots

    Raises
    ------
    HotspotsError
        For a focus area or ward that the data does not have (naming those it has).

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> from hotspots.read.incidents import read_incidents
    >>> from hotspots.read.places import read_focus_areas
    >>> from hotspots.analysis.prepare import prepare
    >>> p = prepare(read_incidents([get_path("demo-incidents")]),
    ...             load_wards(get_path("demo-wards")),
    ...             areas=read_focus_areas(get_path("demo-focus-areas")))
    >>> borough = find_hotspots(p, season="autumn", financial_year="2018-19")
    >>> centre = find_hotspots(p, season="autumn", financial_year="2018-19", area="Town centre")
    >>> ids = centre.clusters["cluster_id"].tolist()
    >>> borough.clusters.set_index("cluster_id").loc[ids, "incidents"].tolist() == (
    ...     centre.clusters["incidents"].tolist())
    True
    >>> centre.clusters.attrs["min_samples"] == borough.clusters.attrs["min_samples"]
    True
    """
    check_view(prepared, area=area, ward=ward)
    period = select_period(prepared.incidents, season=season, financial_year=financial_year)
    clusters, members = clusters_and_members(
        period, params=params, areas=prepared.areas, study_area_m2=prepared.study_area_m2
    )
    label = _period_label(season, financial_year)
    clusters.attrs.update(
        season=season or "all",
        financial_year=financial_year or "all",
        period=label,
        hotspots_in_study_area=len(clusters),
        lies_in=LIES_IN,
        area="",
        ward="",
        selected=len(period),
    )
    clusters.attrs["parameters"] = parameters_text(clusters.attrs)
    whole = Hotspots(clusters, members, period, period)
    return whole.within(area=area, ward=ward) if (area or ward) else whole


def hotspots_for(
    prepared: Prepared,
    *,
    season: str | None = None,
    financial_year: str | None = None,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
) -> gpd.GeoDataFrame:
    """The hotspots of a selection: the study area's, lying in the focus area / ward.

    See :func:`find_hotspots` (which also gives each incident's hotspot).

    Returns
    -------
    geopandas.GeoDataFrame
        :func:`clusters_and_members`' columns; ``share`` is of the period's
        incidents in the whole study area (``attrs["clustered"]``), so it is the
        same in every view. ``attrs["selected"]`` counts the view's incidents.
    """
    return find_hotspots(
        prepared, season=season, financial_year=financial_year, area=area, ward=ward,
        params=params,
    ).clusters  # fmt: skip
