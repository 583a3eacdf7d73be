"""Ingest on Dask: every file read, validated and tagged on a worker; the batches written here, one transaction each, in file order."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hotspots._errors import HotspotsError
from hotspots.distributed.engine import _sources
from hotspots.read._csv import Source
from hotspots.read._rows import ASB

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

log = logging.getLogger(__name__)


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
