"""Clusters on Dask: the selection read and clustered across workers (:func:`hotspots_dask`),
or the study area's rows gathered for the results layer (:func:`prepare_dask`)."""

from __future__ import annotations

import logging
import operator
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._validate import ANALYSIS_CRS
from hotspots.analysis.cluster import (
    ClusterParams,
    check_min_samples,
    default_min_samples,
    distinct_points,
)
from hotspots.analysis.summaries import _summarise
from hotspots.distributed.engine import Selection, _prepare_part, _used_once
from hotspots.distributed.partition import _cluster_area, _label_rows, partitioned_labels
from hotspots.read._rows import ASB, IncidentLoad

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client
from hotspots.distributed.engine import DaskPrepared, _sources

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- worker tasks


# --------------------------------------------------------------------------- client side


def _hotspots_table(
    members: pd.DataFrame,
    xy: np.ndarray,
    labels: np.ndarray,
    *,
    n_total: int,
    areas: gpd.GeoDataFrame | None,
    params: ClusterParams,
    min_samples: int,
) -> gpd.GeoDataFrame:
    """The hotspot table of :func:`hotspots.analysis.hotspots.clusters_and_members`, from the clustered rows.

    ``members`` are the clustered incidents only (in the single-machine row
    order) with their DBSCAN ``labels``; ``n_total`` counts the whole period.
    """
    from hotspots.analysis.hotspots import (
        add_labels,
        busiest_points,
        pin_to_busiest_points,
        rank_labels,
    )

    ranked, _ = rank_labels(labels)  # as clusters_and_members ranks them
    clusters = _summarise(members, xy, ranked, areas=areas, hull_buffer_m=params.hull_buffer_m,
                          total=n_total)  # fmt: skip
    rows = gpd.GeoDataFrame(members[["ward", "area"]].astype(object),
                            geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=ANALYSIS_CRS)  # fmt: skip
    ids = pd.Series(ranked + 1, index=rows.index)
    pin_to_busiest_points(clusters, busiest_points(rows, ids))
    # The one label; a hotspot at place types only looks for its street among the clustered rows.
    add_labels(clusters, rows.assign(location=members["location"].to_numpy())
               if "location" in members else rows, ids)  # fmt: skip
    clusters.attrs.update(
        eps_m=float(params.eps_m), min_samples=min_samples, clustered=n_total,
        params_source=params.source,
    )  # fmt: skip
    return clusters


def _view(clusters: gpd.GeoDataFrame, *, season, financial_year, area, ward, in_view: int
          ) -> gpd.GeoDataFrame:  # fmt: skip
    """As :func:`hotspots.analysis.hotspots.find_hotspots` and ``Hotspots.within``: attrs, then the view."""
    from hotspots.analysis.hotspots import LIES_IN, _period_label, parameters_text

    clusters.attrs.update(
        season=season or "all", financial_year=financial_year or "all",
        period=_period_label(season, financial_year), hotspots_in_study_area=len(clusters),
        lies_in=LIES_IN, area="", ward="", selected=clusters.attrs["clustered"],
    )  # fmt: skip
    clusters.attrs["parameters"] = parameters_text(clusters.attrs)
    if not (area or ward):
        return clusters
    keep = pd.Series(True, index=clusters.index)
    if area:
        keep &= clusters["area"] == area
    if ward:
        keep &= clusters["ward"] == ward
    out = clusters.loc[keep].reset_index(drop=True)
    out.attrs = {**clusters.attrs, "area": area or "", "ward": ward or "", "selected": in_view}
    return out


def hotspots_dask(
    paths: Iterable[str | Path],
    wards: gpd.GeoDataFrame,
    *,
    client: Client,
    areas: gpd.GeoDataFrame | None = None,
    crime_types: Sequence[str] | None = (ASB,),
    tolerance_m: float = 100.0,
    season: str | None = None,
    financial_year: str | None = None,
    area: str | None = None,
    ward: str | None = None,
    params: ClusterParams | None = None,
    council: dict | None = None,
    keep_addresses: bool = False,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Read, join, select and cluster on Dask; the clusters equal the single-machine path's.

    Parameters
    ----------
    paths : iterable of str or Path
        Files, folders or police.uk zips (as :func:`hotspots.read.incidents.read_incidents`),
        readable by every worker.
    wards : geopandas.GeoDataFrame
        The ward boundaries (the study area).
    client : distributed.Client
        From :func:`connect`.
    areas, crime_types, tolerance_m
        As for :func:`hotspots.analysis.prepare.prepare` and :func:`~hotspots.read.incidents.read_incidents`.
    season, financial_year, area, ward, params
        The selection and DBSCAN settings, as for :func:`hotspots.analysis.hotspots.hotspots_for`.
    council : dict, optional
        Keyword arguments for :func:`hotspots.read.council.read_council_csv` (``columns``);
        council exports are read without geocoders (rows need coordinates).
    keep_addresses : bool, default False
        Keep council addresses in full; by default every row's place text is
        cut to street level on its worker (:func:`hotspots.privacy.redact_places`),
        as the single-machine loader does (``--keep-addresses``).

    Returns
    -------
    clusters : geopandas.GeoDataFrame
        As :func:`hotspots.analysis.hotspots.hotspots_for` returns them (``attrs`` carry
        ``eps_m``, ``min_samples`` and ``selected``).
    info : dict
        ``rows_read``, ``selected``, ``kept``, ``rejected``, ``outside``,
        ``chosen`` (rows clustered), ``points`` (distinct map points),
        ``forces``, ``rejects`` (a DataFrame) and ``notes`` (inputs given twice, used once).
    """
    params = params or ClusterParams()
    sources = _sources(paths)
    sel = Selection(season, financial_year, area, ward, keep_addresses=keep_addresses)
    used, skips, notes = _used_once(client, sources, council)
    wards_f, areas_f = client.scatter([wards, areas], broadcast=True, hash=False)
    parts = client.map(
        _prepare_part, [sources[i] for i in used], [skips[i] for i in used], wards=wards_f,
        areas=areas_f, crime_types=crime_types, tolerance_m=tolerance_m, selection=sel,
        council=council or {}, pure=False,
    )  # fmt: skip
    infos = client.gather(client.map(operator.itemgetter(1), parts, pure=False))
    chosen_f = client.map(operator.itemgetter(0), parts, pure=False)
    # distinct points over all files, in order of first appearance in the concatenated rows
    offsets = np.cumsum([0] + [i["chosen"] for i in infos])
    pts = pd.concat(
        [i["points"].assign(first=i["points"]["first"] + off, part=k)
         for k, (i, off) in enumerate(zip(infos, offsets))],
        ignore_index=True,
    )  # fmt: skip
    inverse, uniq, _ = distinct_points(pts[["x", "y"]].to_numpy())
    pts["g"] = inverse
    count = np.bincount(inverse, weights=pts["count"].to_numpy(), minlength=len(uniq))
    # one row per distinct point where it first appears; that order is the global id
    firsts = pts.sort_values("first", kind="stable").drop_duplicates("g")
    gid = np.empty(len(uniq), dtype=np.int64)
    gid[firsts["g"].to_numpy()] = np.arange(len(firsts))
    xy = firsts[["x", "y"]].to_numpy()
    count = count[firsts["g"].to_numpy()].astype(np.int64)
    forces = np.array([i["force"] for i in infos], dtype=object)
    force = forces[firsts["part"].to_numpy()]  # the force area of the file it first appears in

    n_total = int(offsets[-1])
    study_area_m2 = float(wards.geometry.area.sum())
    min_samples = params.min_samples
    if min_samples is None:
        min_samples = default_min_samples(n_total, study_area_m2, params.eps_m)
    else:
        check_min_samples(n_total, study_area_m2, eps_m=params.eps_m, min_samples=min_samples)
    eps = params.eps_m

    def run(tasks: list[tuple]) -> list:
        return client.gather([client.submit(_cluster_area, *t, pure=False) for t in tasks])

    labels = partitioned_labels(xy, count, force, eps_m=eps, min_samples=min_samples, run=run)

    # back to the rows: each file's distinct points in its own order
    starts = np.cumsum([0] + [len(i["points"]) for i in infos])
    rows = client.gather([
        client.submit(_label_rows, f, labels[gid[inverse[starts[k]:starts[k + 1]]]], pure=False)
        for k, f in enumerate(chosen_f)
    ])  # fmt: skip
    frames = [r[0] for r in rows]
    members = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    lab = np.concatenate([r[1] for r in rows]) if rows else np.empty(0, np.int64)
    member_xy = members[["_x", "_y"]].to_numpy() if len(members) else np.empty((0, 2))
    clusters = _hotspots_table(
        members.drop(columns=["_x", "_y"], errors="ignore"), member_xy, lab, n_total=n_total,
        areas=areas, params=params, min_samples=min_samples,
    )  # fmt: skip
    clusters.attrs.update(min_samples_chosen=params.min_samples is None)
    clusters = _view(clusters, season=season, financial_year=financial_year, area=area, ward=ward,
                     in_view=sum(i["in_view"] for i in infos))  # fmt: skip
    rejects = [i["rejects"] for i in infos if len(i["rejects"])]
    info = {
        "rows_read": sum(i["rows_read"] for i in infos),
        "selected": sum(i["selected"] for i in infos),
        "kept": sum(i["kept"] for i in infos),
        "rejected": sum(len(i["rejects"]) for i in infos),
        "outside": sum(i["outside"] for i in infos),
        "chosen": n_total,
        "points": len(xy),
        "forces": sorted(set(forces)),
        "rejects": pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame(),
        "notes": notes,
    }
    log.info("dask: %d rows on %d map points in %d force areas; %d clusters",
             n_total, len(xy), len(info["forces"]), len(clusters))  # fmt: skip
    return clusters, info


# --------------------------------------------------------------------------- the results layer on Dask


def prepare_dask(
    paths: Iterable[str | Path],
    wards: gpd.GeoDataFrame,
    *,
    client: Client,
    areas: gpd.GeoDataFrame | None = None,
    crime_types: Sequence[str] | None = (ASB,),
    tolerance_m: float = 100.0,
    council: dict | None = None,
    keep_addresses: bool = False,
) -> DaskPrepared:
    """Read and prepare files on Dask (one task per file); the rows in the study area come back.

    Each worker reads its file, joins it to the wards, adds the season and
    focus-area columns and cuts place text to street level (unless
    ``keep_addresses``), as :func:`_prepare_part` does for :func:`hotspots_dask`;
    the study area's rows of every period are gathered here, in file order, so
    that :func:`hotspots.results.analyse_period` can find the trend and run the
    chance test, with DBSCAN on Dask (:func:`dask_labeller`).

    Parameters are those of :func:`hotspots_dask`.
    """
    from hotspots.analysis.prepare import Prepared
    from hotspots.analysis.seasons import as_added

    sources = _sources(paths)
    used, skips, _notes = _used_once(client, sources, council)  # logged there
    wards_f, areas_f = client.scatter([wards, areas], broadcast=True, hash=False)
    parts = client.gather(client.map(
        _prepare_part, [sources[i] for i in used], [skips[i] for i in used], wards=wards_f,
        areas=areas_f, crime_types=crime_types, tolerance_m=tolerance_m,
        selection=Selection(keep_addresses=keep_addresses), council=council or {}, pure=False,
    ))  # fmt: skip
    frames = [rows for rows, _ in parts if len(rows)]
    infos = [info for _, info in parts]
    if frames:
        incidents = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=ANALYSIS_CRS)
        incidents = as_added(incidents)  # categories over every file, as one prepare makes them
    else:
        incidents = (
            parts[0][0].iloc[:0] if parts else gpd.GeoDataFrame(geometry=[], crs=ANALYSIS_CRS)
        )
    forces = np.repeat(np.array([i["force"] for i in infos], dtype=object),
                       [i["chosen"] for i in infos])  # fmt: skip
    rejects = [i["rejects"] for i in infos if len(i["rejects"])]
    rejects = pd.concat(rejects, ignore_index=True) if rejects else pd.DataFrame()
    load = IncidentLoad(
        incidents, rejects, sum(i["rows_read"] for i in infos),
        sum(i["selected"] for i in infos), tuple(s.name for s in sources),
    )  # fmt: skip
    prepared = Prepared(incidents, sum(i["outside"] for i in infos), load, wards, areas)
    info = {
        "rows_read": load.rows_read,
        "selected": load.selected,
        "kept": sum(i["kept"] for i in infos),
        "rejected": len(rejects),
        "outside": prepared.outside,
        "forces": sorted(set(forces.tolist())),
        "points": int(sum(len(i["points"]) for i in infos)),
        "rejects": rejects,
    }
    return DaskPrepared(prepared, forces, info)


# --------------------------------------------------------------------------- ingest into the store
