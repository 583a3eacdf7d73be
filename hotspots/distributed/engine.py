"""The Dask engine's client and what a worker does with one file: connect, the force a file belongs to, reading and preparing one file, and using every input once."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots._errors import HotspotsError
from hotspots.analysis.cluster import (
    distinct_points,
)
from hotspots.read._csv import Source, expand_sources
from hotspots.read._rows import IncidentLoad

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
