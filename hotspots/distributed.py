"""Hotspots on Dask: many monthly files read, joined and clustered across workers.

For a national, multi-year archive (all forces, about 10^7 ASB incidents a
year) :func:`hotspots_dask` runs the single-machine pipeline
(:func:`hotspots.analysis.prepare.prepare` then :func:`hotspots.analysis.hotspots.hotspots_for`)
on a Dask cluster and returns the same clusters:

1. **Read, ward join, selection** — one task per file (a police.uk monthly
   force file, say): read, join each distinct map point to its ward, keep the
   study area, add the season columns and keep the selection. Each worker keeps
   its rows; only its distinct map points (coordinates, count, first row) come
   back.
2. **Per-force-area clustering** — the distinct points are partitioned by
   police force area (the force named in each police.uk file name, e.g.
   ``2018-10-west-mercia-street.csv``). Each force's task also gets a halo: the
   other forces' points within ``2 * eps_m`` of its bounding box. With the halo,
   every point within ``eps_m`` of the force's own points knows its true core
   status, so each core-to-core link is found by the force that owns one end.
3. **Merge** — the links are joined on the client (connected components), so
   a cluster that crosses a force boundary is one cluster, counted once. Cluster
   numbers and border points follow scikit-learn's DBSCAN exactly (clusters in
   order of their first core point; a border point goes to the earliest cluster
   that reaches it), so the labels equal the single-machine ones.
4. **Summaries** — each worker sends back only its clustered rows; the
   summary table is built once with :func:`hotspots.analysis.cluster.summarise_clusters`.

:func:`ingest_dask` loads many monthly files into the store (``hotspots ingest
--engine dask``): one task per file reads, validates and tags it on a worker
(:func:`hotspots.store.ingest.plan_source`, the single-machine ingest's own step);
once every file has been read, this process writes the batches, one
transaction per batch, in file order, so the store equals a single ingest's.

The cluster is a :class:`distributed.LocalCluster` unless a scheduler address
is given (``--scheduler tcp://host:8786`` or the ``HOTSPOTS_DASK_SCHEDULER``
environment variable). The workers need ``hotspots`` installed and must be able
to read the input paths (a shared file system).
"""

from __future__ import annotations

import logging
import operator
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import HotspotsError
from hotspots._validate import ANALYSIS_CRS
from hotspots.analysis.cluster import (
    NOISE,
    ClusterParams,
    _summarise,
    check_min_samples,
    default_min_samples,
    distinct_points,
)
from hotspots.read._csv import Source, expand_sources
from hotspots.read._rows import ASB, IncidentLoad

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

log = logging.getLogger(__name__)

#: The environment variable naming a Dask scheduler to use instead of a local cluster.
SCHEDULER_ENV = "HOTSPOTS_DASK_SCHEDULER"

_FORCE_RE = re.compile(r"^\d{4}-\d{2}-(?P<force>.+?)-street\.csv$", re.IGNORECASE)


def force_of(source: str) -> str:
    """The police force area a police.uk file covers, from its name.

    Files that are not named like police.uk's monthly files form one area
    named after the file.

    Examples
    --------
    >>> force_of("data/2018-10-west-mercia-street.csv"), force_of("archive.zip:2019-01/2019-01-kent-street.csv")
    ('west-mercia', 'kent')
    >>> force_of("council_cases.csv")
    'council_cases.csv'
    """
    name = Path(source.split(":", 1)[-1] if ".zip:" in source else source).name
    found = _FORCE_RE.match(name)
    return found["force"].lower() if found else name


def connect(
    scheduler: str | None = None, *, n_workers: int | None = None, processes: bool = True
) -> Client:
    """Return a Dask client: to ``scheduler`` (or ``$HOTSPOTS_DASK_SCHEDULER``), else a local cluster.

    Parameters
    ----------
    scheduler : str, optional
        A scheduler address such as ``"tcp://10.0.0.5:8786"``.
    n_workers : int, optional
        Workers of the local cluster (default: one per core, at most 4).
    processes : bool, default True
        Local workers as processes (False: threads in this process, for tests).

    Raises
    ------
    HotspotsError
        If ``distributed`` is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise HotspotsError(
            "--engine dask needs the 'distributed' package; install it with "
            "pip install 'dask[distributed]'"
        ) from exc
    address = scheduler or os.environ.get(SCHEDULER_ENV) or None
    if address:
        try:
            return Client(address, timeout=os.environ.get("HOTSPOTS_DASK_TIMEOUT", "20s"))
        except (OSError, TimeoutError) as exc:
            raise HotspotsError(
                f"cannot reach the Dask scheduler at {address!r} ({exc}); check the address "
                f"(--scheduler or {SCHEDULER_ENV}) and that the scheduler is running"
            ) from exc
    workers = n_workers or max(1, min(4, os.cpu_count() or 1))
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    return Client(cluster)


@dataclass(frozen=True)
class Selection:
    """What to cluster, as :func:`hotspots.analysis.hotspots.hotspots_for` takes it."""

    season: str | None = None
    financial_year: str | None = None
    area: str | None = None
    ward: str | None = None
    #: Keep full addresses (``--keep-addresses``); by default place text is cut to street level.
    keep_addresses: bool = False


# --------------------------------------------------------------------------- worker tasks


def _read_source(src: Source, crime_types: Sequence[str] | None, council: dict,
                 skip: dict | None = None) -> IncidentLoad:  # fmt: skip
    """Read one file exactly as :func:`hotspots.read.incidents.read_incidents` would.

    The file's kind is told from its header by the readers' own reader, as
    ``read_incidents`` does; the source keeps the name it was given (the
    rejects' ``source``), whatever folder the worker runs in. ``skip`` leaves
    out what an earlier file gave already (:func:`_input_keys`,
    :class:`hotspots.read._once.InputLedger`): police.uk ``months`` (force,
    month) or council ``cases`` (references).
    """
    from dataclasses import replace

    from hotspots.read._csv import _read_table
    from hotspots.read._once import police_keys
    from hotspots.read._rows import combine_loads
    from hotspots.read.council import _council_load
    from hotspots.read.incidents import _police_load, is_police_table

    skip = skip or {}
    table = _read_table(src)
    if is_police_table(table.frame.columns):
        if skip.get("months"):
            force, month = police_keys(table.frame, src.name)
            use = ~pd.Series(list(zip(force, month)), dtype=object).isin(skip["months"]).to_numpy()
            table = replace(table, frame=table.frame.loc[use].reset_index(drop=True),
                            lines=table.lines[use])  # fmt: skip
        return combine_loads([_police_load(src, table, crime_types=crime_types)])
    load = _council_load(src, table, columns=council.get("columns"), geocoder=None,
                         address_geocoder=None, date_format=council.get("date_format"))  # fmt: skip
    if skip.get("cases"):
        use = ~load.incidents["incident_id"].isin(skip["cases"]).to_numpy()
        dropped = int((~use).sum())
        load = replace(load, incidents=load.incidents.loc[use].reset_index(drop=True),
                       rows_read=load.rows_read - dropped, selected=load.selected - dropped)  # fmt: skip
    return combine_loads([load])


def _input_keys(src: Source, council: dict) -> dict:
    """Worker task: what a file holds, for using every input once (see :func:`_skips`).

    A police.uk file with a police.uk name is its name's force-month (not read);
    another police.uk file its rows' force-months; a council export its bytes'
    checksum and case references (when it has a reference column).
    """
    import hashlib

    from hotspots.read._csv import _read_table, read_header
    from hotspots.read._once import name_force_month, police_keys
    from hotspots.read.council import CouncilColumns, detect_council_columns
    from hotspots.read.incidents import is_police_table

    data = src.read_bytes()
    if is_police_table(read_header(data)):
        named = name_force_month(src.member or src.name)
        if named:
            return {"kind": "police", "months": [named]}
        force, month = police_keys(_read_table(src).frame, src.name)
        return {"kind": "police", "months": sorted(set(zip(force, month)))}
    frame = _read_table(src).frame
    cols = detect_council_columns(list(frame.columns), council.get("columns") or CouncilColumns())
    refs = frame[cols.incident_id].astype(str).str.strip().tolist() if cols.incident_id else []
    return {"kind": "council", "checksum": hashlib.sha256(data).hexdigest(), "cases": refs}


def _skips(sources: list[Source], keys: list[dict]) -> tuple[list[dict | None], list[str]]:
    """Per file, what to leave out as given already (None: the whole file), and the notes.

    The same decisions, in file order, as :func:`hotspots.read.incidents.read_incidents`
    takes while it reads (:class:`hotspots.read._once.InputLedger`).
    """
    from hotspots.read._once import InputLedger

    ledger = InputLedger()
    skips: list[dict | None] = []
    for src, found in zip(sources, keys):
        if found["kind"] == "police":
            months = [tuple(m) for m in found["months"]]
            seen = ledger.police_pairs(src.name, months)
            skips.append(None if seen and seen == set(months) else {"months": seen})
            continue
        if not ledger.council_file(src.name, found["checksum"]):
            skips.append(None)
            continue
        use = ledger.council_cases(src.name, np.asarray(found["cases"], dtype=object))
        skips.append({"cases": set(np.asarray(found["cases"], dtype=object)[~use].tolist())})
    return skips, ledger.notes


def _sources(paths: Iterable[str | Path]) -> list[Source]:
    """The files behind ``paths`` (:func:`~hotspots.read._csv.expand_sources`), for the workers.

    Each keeps the name it was given (stored and reported as on one machine),
    but its path is made absolute from this process's folder, since workers
    run elsewhere: every worker must see the files at the same absolute path.

    Examples
    --------
    >>> from boundaries import get_path
    >>> src = _sources([get_path("demo-incidents")])[0]
    >>> src.path.is_absolute(), src.name == str(get_path("demo-incidents"))
    (True, True)
    """
    return [replace(s, path=s.path.absolute()) for s in expand_sources(paths)]


def _first_rows(inverse: np.ndarray, n_points: int) -> np.ndarray:
    first = np.empty(n_points, dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(inverse) - 1, -1, -1)
    return first


def _used_once(
    client: Client, sources: list[Source], council: dict | None
) -> tuple[list[int], list[dict | None], list[str]]:
    """Every input once: the files to read (their indices), what each leaves out, the notes.

    What each file holds is found on the workers (:func:`_input_keys`), then which files
    (or rows) gave it already (:func:`_skips`, as the single-machine reader decides); the
    notes naming both files of a repeat are logged.
    """
    keys = client.gather(client.map(_input_keys, sources, council=council or {}, pure=False))
    skips, notes = _skips(sources, keys)
    for note in notes:
        log.warning("%s", note)
    return [i for i, skip in enumerate(skips) if skip is not None], skips, notes


def _prepare_part(
    src: Source,
    skip: dict | None,
    wards: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None,
    crime_types: Sequence[str] | None,
    tolerance_m: float,
    selection: Selection,
    council: dict,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Read one file, prepare it (wards, seasons, focus areas), keep the period's rows.

    The view (focus area, ward) does not change which hotspots are found
    (:func:`hotspots.analysis.hotspots.find_hotspots`); only its incident count is kept.
    Place text is cut to street level here, on the worker, as the single-machine
    loader does (:func:`hotspots.privacy.redact_places` with nothing for a
    place with no street), unless ``selection.keep_addresses``: no full address
    leaves the worker. ``skip``: what earlier files gave already (:func:`_skips`).
    """
    from hotspots.analysis.prepare import prepare, select_incidents

    load = _read_source(src, crime_types, council, skip)
    prepared = prepare(load, wards, areas=areas, tolerance_m=tolerance_m)
    chosen = select_incidents(
        prepared.incidents, season=selection.season, financial_year=selection.financial_year
    ).reset_index(drop=True)
    if not selection.keep_addresses:
        from hotspots.privacy import redact_places

        chosen = redact_places(chosen, withheld="")
    in_view = len(select_incidents(chosen, area=selection.area, ward=selection.ward))
    xy = shapely.get_coordinates(chosen.geometry.to_numpy())
    inverse, uniq, counts = distinct_points(xy)
    info = {
        "source": src.name,
        "force": force_of(src.name),
        "rows_read": load.rows_read,
        "selected": load.selected,
        "kept": load.kept,
        "rejects": load.rejects,
        "outside": prepared.outside,
        "in_view": in_view,
        "chosen": len(chosen),
        "points": pd.DataFrame(
            {
                "x": uniq[:, 0],
                "y": uniq[:, 1],
                "count": counts,
                "first": _first_rows(inverse, len(uniq)),
            }
        ),
    }
    return chosen, info


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


# --------------------------------------------------------------------------- client side


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
        all_incidents=[int(c) for c in clusters["incidents"]], params_source=params.source,
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


@dataclass(frozen=True)
class DaskPrepared:
    """The study area's incidents read and prepared on Dask, and where each row came from.

    Attributes
    ----------
    prepared : hotspots.analysis.prepare.Prepared
        As :func:`hotspots.loader.load` gives it for the same files (place text at
        street level unless ``keep_addresses``), for :func:`hotspots.results.analyse_period`.
    forces : numpy.ndarray
        The police force area of each row's file (the DBSCAN partitions).
    info : dict
        ``rows_read``, ``selected``, ``kept``, ``rejected``, ``outside``,
        ``forces``, ``points`` (distinct map points) and ``rejects``.
    """

    prepared: Any
    forces: np.ndarray
    info: dict


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


# --------------------------------------------------------------------------- ingest into the store


@dataclass(frozen=True)
class _Refused:
    """A file a worker refused: the error, sent back as a value (no traceback in the worker's log)."""

    kind: type
    args: tuple
    state: dict

    @classmethod
    def of(cls, exc: HotspotsError) -> _Refused:
        return cls(type(exc), exc.args, dict(vars(exc)))

    def error(self) -> HotspotsError:
        exc = self.kind.__new__(self.kind)  # the same type and message as on one machine
        exc.args = self.args
        vars(exc).update(self.state)
        return exc


def _plan_file(src: Source, existing: dict, options: Any, boundaries: Any) -> Any:
    """Worker task: :func:`hotspots.store.ingest.plan_source` for one file (its batches); a refusal is returned."""
    from hotspots.store.ingest import plan_source

    try:
        return plan_source(src, existing=existing, options=options, boundaries=boundaries)
    except HotspotsError as exc:
        return _Refused.of(exc)


def _plan_summary(plans: Any) -> Any:
    """Worker task: the plans without their tables (they stay on the worker until written)."""
    return plans if isinstance(plans, _Refused) else [plan.summary() for plan in plans]


class _Completed:
    """Futures in the order they finish, with a length (for a progress bar)."""

    def __init__(self, futures: list) -> None:
        self.futures = futures

    def __len__(self) -> int:
        return len(self.futures)

    def __iter__(self):
        from distributed import as_completed

        return iter(as_completed(self.futures))


def ingest_dask(
    store: Any,
    paths: Iterable[str | Path],
    *,
    client: Client,
    wards_path: str | Path | None = None,
    areas_path: str | Path | None = None,
    crime_types: Sequence[str] | None = (ASB,),
    columns: Any = None,
    geocoder: Any = None,
    tolerance_m: float | None = None,
    wards_vintage: str | None = None,
    date_format: str | None = None,
    progress: Callable[[Any], Iterable] | None = None,
    replace: bool = False,
) -> list:
    """Ingest files into a store, reading and checking them on Dask; only this process writes.

    The same batches, incidents, rejects and column copies as
    :meth:`hotspots.store.store.Store.ingest` of the same files (the same function,
    :func:`hotspots.store.ingest.plan_source`, reads, checks and tags each file):

    1. **Read and check, in parallel** — one task per file: read, validate (rejects
       with file, line and reason), tag wards, seasons and focus areas. A file
       equal to its stored batch is not read. Each worker keeps its tables; only
       a summary comes back.
    2. **Nothing is written until every file is read**: a refused file raises its
       error here, as on one machine, and the store is not touched.
    3. **Write, one transaction per batch**, in file order (so batch ids are those
       of a single ingest): this process fetches one batch's tables from its
       worker, writes it, and raises the store version. A crash leaves whole
       batches only (``hotspots check`` adds up); running the ingest again
       writes the missing ones and leaves the rest ``unchanged``.

    The one difference from a single ingest is the store version, a change
    counter: it rises once per batch written instead of once per ingest (the
    web app notices each batch as it lands).

    Parameters
    ----------
    store : hotspots.store.store.Store
        An open store (GeoPackage or PostGIS).
    paths : iterable of str or Path
        Files, folders or police.uk zips, readable here and by every worker.
    client : distributed.Client
        From :func:`connect`.
    wards_path, areas_path, crime_types, columns, geocoder, tolerance_m, wards_vintage, date_format, replace
        As for :meth:`hotspots.store.store.Store.ingest` (the geocoder, a postcode
        directory, is sent to every worker).
    progress : callable, optional
        Wraps the files' tasks as they finish (the CLI passes a progress bar).

    Returns
    -------
    list of hotspots.store.store.BatchResult
        As :meth:`hotspots.store.store.Store.ingest` returns them.
    """
    from hotspots.store.ingest import IngestOptions

    bounds = store.ingest_boundaries(wards_path=wards_path, areas_path=areas_path,
                                     tolerance_m=tolerance_m, wards_vintage=wards_vintage)  # fmt: skip
    existing = store.existing_batches()
    options = IngestOptions(crime_types=crime_types, columns=columns, geocoder=geocoder,
                            date_format=date_format)  # fmt: skip
    sources = _sources(paths)
    shared = client.scatter([existing, options, bounds], broadcast=True, hash=False)
    parts = client.map(_plan_file, sources, existing=shared[0], options=shared[1],
                       boundaries=shared[2], pure=False)  # fmt: skip
    summaries = client.map(_plan_summary, parts, pure=False)
    for _ in progress(_Completed(summaries)) if progress else ():
        pass
    by_file = client.gather(summaries)
    refused = [p for p in by_file if isinstance(p, _Refused)]
    if refused:  # the first refused file, as one machine reports it; nothing written
        client.cancel(parts)
        raise refused[0].error()
    where = [(i, j) for i, plans in enumerate(by_file) for j in range(len(plans))]
    order, results = store.ingest_order([by_file[i][j] for i, j in where], existing,
                                        replace=replace)  # fmt: skip
    last_use = {where[k][0]: n for n, k in enumerate(order)}
    parts = [f if i in last_use else None for i, f in enumerate(parts)]  # free what is not written
    del summaries, shared
    written = 0
    for n, k in enumerate(order):
        i, j = where[k]
        plan = parts[i].result()[j]  # this batch's tables, from the worker that read them
        if last_use[i] == n:
            parts[i] = None
        store.write_batches([plan.planned], bounds.new if not written else [], existing)
        written += 1
    if not written and bounds.new:
        store.write_batches([], bounds.new, existing)
    log.info("dask ingest: %d file(s), %d batch(es) written", len(sources), written)
    return results
