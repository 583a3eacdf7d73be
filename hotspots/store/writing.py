"""Writing an ingest: which planned batches to write, then ONE transaction for them.

The second half of an ingest (the first, reading, validating and tagging each
file, is :mod:`hotspots.store.ingest`): :func:`ingest_order` decides which
batches are written and in which order, and refuses a batch that would shrink a
stored one a lot; :func:`write_batches` writes them, with boundaries stored for
the first time, in one transaction that raises the store version by one.
:class:`hotspots.store.store.Store` calls these through methods of the same
names (``Store.ingest_order``, ``Store.write_batches``), which the Dask ingest
uses too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hotspots.read._rows import REJECT_COLUMNS
from hotspots.store.address import StoreError, describe
from hotspots.store.backends import SQL_COLUMNS, _now
from hotspots.store.codec import encode_frame
from hotspots.store.ingest import SourcePlan, _Planned, file_checksum

log = logging.getLogger(__name__)
#: A batch replacing a stored one with fewer incidents than this share of them is refused
#: unless ``replace=True`` (``--replace``): a truncated or partial copy of a month, most likely.
#: From a file that ends inside a row (evidently truncated), any fewer incidents are refused.
SHRINK_LIMIT = 0.95
#: What a file with no usable rows gets instead of a batch.
NOT_STORED = "not stored: no usable rows"


@dataclass(frozen=True)
class BatchResult:
    """What ``ingest`` did with one source file."""

    key: str
    file: str
    rows_read: int
    stored: int
    rejected: int
    status: str  # "added", "replaced", "unchanged" or "not stored: ..."

    def line(self) -> str:
        """``read N, stored N, rejected N`` with the batch and what happened."""
        batch = f" [{self.key}]" if self.key else ""
        return (
            f"{self.file}{batch}: read {self.rows_read:,}, stored {self.stored:,}, "
            f"rejected {self.rejected:,} ({self.status})"
        )


def ingest_order(
    store,
    plans: Sequence[SourcePlan],
    existing: dict[str, tuple[int, str, str]],
    *,
    replace: bool = False,
) -> tuple[list[int], list[BatchResult]]:
    """Which plans to write, in which order, and what ingest says about each batch.

    ``plans`` are in file order (one per batch, from :func:`plan_source`). A
    batch key met twice is written once, at its first place, with the last
    file's contents (a warning names both files); a file equal to its stored
    batch is not written, nor one with no usable rows.

    Parameters
    ----------
    store : hotspots.store.store.Store
        The open store (an unchanged batch's counts are read from it).
    plans : sequence of SourcePlan
        One per batch, in file order.
    existing : dict
        The stored batches when planning (:meth:`Store.existing_batches`).
    replace : bool, default False
        Let a batch replace a much larger stored one.

    Returns
    -------
    order : list of int
        Indexes into ``plans`` of the batches to write, in the order to write them
        (the order of their batch ids).
    results : list of BatchResult
        One per batch key, in the same order as a single ingest reports them.

    Raises
    ------
    StoreError
        A batch would replace a stored one of more than ``1 / SHRINK_LIMIT``
        times its incidents, or of more incidents at all from a file that ends
        inside a row (a truncated copy), and ``replace`` is False (the message
        gives both counts for each such batch).
    """
    planned: dict[str, int] = {}
    results: dict[str, BatchResult] = {}
    given_by: dict[str, str] = {}
    for i, plan in enumerate(plans):
        if plan.empty:
            results[plan.key or f"\x00{i}"] = BatchResult(plan.key, plan.file, *plan.counts,
                                                           NOT_STORED)  # fmt: skip
            continue
        if plan.key in given_by:
            log.warning("%s: batch %s was given already by %s; used once (from %s)",
                        plan.file, plan.key, given_by[plan.key], plan.file)  # fmt: skip
        given_by[plan.key] = plan.file
        if plan.unchanged:  # the same file: nothing to read or write
            # By its key, not the id seen when planning: an ingest running alongside may
            # have stored the same batch again since (a new id; the old row is gone).
            rows = store._query(
                "SELECT rows_read, rows_stored, rows_rejected FROM batches WHERE batch_key = ?",
                (plan.key,),
            )
            if not rows:
                raise StoreError(f"{plan.file}: batch {plan.key} left the store while this "
                                 "ingest ran; run it again")  # fmt: skip
            results[plan.key] = BatchResult(plan.key, plan.file, *map(int, rows[0]),
                                            "unchanged")  # fmt: skip
            planned.pop(plan.key, None)
            continue
        planned[plan.key] = i
        results[plan.key] = BatchResult(plan.key, plan.file, *plan.counts,
                                        "replaced" if plan.key in existing else "added")  # fmt: skip
    if not replace:
        _refuse_shrinking(store, [plans[i] for i in planned.values()], existing)
    return list(planned.values()), list(results.values())


def _refuse_shrinking(store, plans: Sequence[SourcePlan], existing: dict) -> None:
    """Raise StoreError for batches that would replace many more stored incidents.

    Or any more, from a file that ends inside a row (a truncated copy).
    """
    replacing = [p for p in plans if p.key in existing]
    if not replacing:
        return
    stored = dict(store._query("SELECT batch_key, rows_stored FROM batches"))
    lines = []
    for plan in replacing:
        old, new = int(stored.get(plan.key, 0)), plan.counts[1]
        if new < SHRINK_LIMIT * old:
            lines.append(
                f"{plan.file} would replace batch {plan.key} of {old:,} stored incidents "
                f"with {new:,} ({100 * (old - new) / old:.0f}% fewer)"
            )
        elif plan.cut_short and new < old:  # fewer by a little, but evidently truncated
            lines.append(
                f"{plan.file} ends inside a row (its last row is cut short) and would replace "
                f"batch {plan.key} of {old:,} stored incidents with {new:,}"
            )
    if lines:
        raise StoreError(
            "; ".join(lines) + ". A truncated or partial copy? Nothing was written; give "
            "--replace (replace=True) to replace the stored batch anyway"
        )


def write_batches(store, planned: list[_Planned], new_boundaries: list, existing: dict) -> None:
    """Write planned batches (and boundaries stored for the first time) in ONE transaction.

    What :meth:`Store.ingest` does once for all its files, and the Dask ingest
    once per batch (:func:`hotspots.distributed.ingest_dask`). The store
    version rises by one.

    Parameters
    ----------
    store : hotspots.store.store.Store
        The open store.
    planned : list of _Planned
        The batches to write (:attr:`SourcePlan.planned`), in the order of
        :func:`ingest_order`. A batch whose key is stored (now, not only when
        planning: an ingest may have written alongside) replaces the stored one.
    new_boundaries : list
        Boundaries to store for the first time (:attr:`IngestBoundaries.new`).
    existing : dict
        The stored batches when planning (:meth:`Store.existing_batches`); the
        transaction reads them again (an ingest may have written since).

    Raises
    ------
    StoreError
        If an ingest running alongside stored other boundaries; nothing is written.
    """
    b = store.backend
    now = _now()
    with b.transaction() as cur:  # writers wait for each other here (a lock on batches)
        # What the store holds now: another ingest may have written since this one planned.
        cur.execute("SELECT batch_key, batch_id FROM batches")
        current = {str(k): int(v) for k, v in cur.fetchall()}
        cur.execute("SELECT kind, checksum FROM boundaries")
        stored_bounds = dict(cur.fetchall())
        for kind, path, vintage, tol, frame in new_boundaries:
            if kind in stored_bounds:  # stored by an ingest running alongside this one
                if stored_bounds[kind] != file_checksum(Path(path).read_bytes()):
                    raise StoreError(
                        f"another ingest stored other {kind} in {describe(store.target)} "
                        "while this one ran; run it again without --wards/--areas"
                    )
                continue
            cur.execute(
                b.q("INSERT INTO boundaries (kind, file_name, checksum, vintage, tolerance_m, "
                    "attrs, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                (kind, str(path), file_checksum(Path(path).read_bytes()), vintage, tol,
                 json.dumps(dict(frame.attrs), default=str), now),
            )  # fmt: skip
            if kind == "wards":
                for code, name, geom in zip(frame["ward_code"], frame["ward_name"], frame.geometry):
                    cur.execute(
                        b.q(
                            f"INSERT INTO wards (geom, ward_code, ward_name) VALUES ({b.geom_sql}, ?, ?)"
                        ),
                        (b.geom_param(geom), str(code), str(name)),
                    )
            else:
                for name, akind, geom in zip(frame["name"], frame["kind"], frame.geometry):
                    cur.execute(
                        b.q(
                            f"INSERT INTO focus_areas (geom, name, kind) VALUES ({b.geom_sql}, ?, ?)"
                        ),
                        (b.geom_param(geom), str(name), str(akind)),
                    )
        for plan in planned:
            old = current.get(plan.key)
            if old is not None:
                for table in ("incidents", "rejects", "incident_columns", "batches"):
                    cur.execute(b.q(f"DELETE FROM {table} WHERE batch_id = ?"), (old,))
            store._write_batch(cur, plan, now)  # the method: tests interrupt a write there
        cur.execute(
            b.q("UPDATE store_info SET value = ? WHERE key = 'version'"),
            (str(_version_in(cur) + 1),),
        )
        tables = {"wards": "wards", "areas": "focus_areas"}
        b.after_write(cur, {tables[k]: f.total_bounds for k, _, _, _, f in new_boundaries
                            if k not in stored_bounds})  # fmt: skip


def _version_in(cur) -> int:
    cur.execute("SELECT value FROM store_info WHERE key = 'version'")
    return int(cur.fetchone()[0])


def _write_batch(store, cur, plan: _Planned, now: str) -> None:
    """One batch's row, incidents, rejects and column copy, inside the open transaction ``cur``."""
    from hotspots.analysis.wards import OUTSIDE

    b = store.backend
    tagged, load = plan.tagged, plan.load
    dates = tagged["date"]
    first = dates.min().isoformat() if len(tagged) else None
    last = dates.max().isoformat() if len(tagged) else None
    cur.execute(
        b.q(
            "INSERT INTO batches (batch_key, source, force, month, file_name, checksum, "
            "crime_types, rows_in_file, rows_read, rows_stored, rows_rejected, rows_outside, "
            "first_date, last_date, geocoded, notes, loaded_at) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING batch_id"
        ),
        (plan.key, plan.source, plan.force, plan.month, plan.file, plan.checksum,
         plan.crime_types, load.rows_read, load.selected, load.kept, load.rejected,
         int((tagged["ward_match"] == OUTSIDE).sum()), first, last,
         json.dumps(load.geocoded), json.dumps(list(load.notes)), now),
    )  # fmt: skip
    batch_id = int(cur.fetchone()[0])
    log.info("writing batch %s: %d incidents, %d rejects", plan.key, len(tagged), load.rejected)
    values = []
    for name in SQL_COLUMNS:
        col = tagged[name] if name not in ("x", "y") else getattr(tagged.geometry, name)
        if name == "date":
            col = col.dt.strftime("%Y-%m-%dT%H:%M:%S")
        values.append(col.astype(object).where(col.notna(), None).tolist())
    b.insert_incidents(cur, batch_id, list(zip(*values)), tagged.geometry.x.to_numpy(),
                       tagged.geometry.y.to_numpy())  # fmt: skip
    rejects = load.rejects
    if len(rejects):
        own = rejects.drop(columns=[c for c in REJECT_COLUMNS if c in rejects.columns])
        category = (
            own["Crime type"] if "Crime type" in own.columns else pd.Series("", index=own.index)
        )
        rows = [
            (batch_id, s, int(n), r, c, json.dumps(row, ensure_ascii=False))
            for s, n, r, c, row in zip(
                rejects["source"], rejects["line"], rejects["reason"],
                category.astype(str).str.strip(), own.astype(object).to_dict("records"),
            )
        ]  # fmt: skip
        cur.executemany(
            b.q("INSERT INTO rejects (batch_id, source, line, reason, category, row) "
                "VALUES (?, ?, ?, ?, ?, ?)"),
            rows,
        )  # fmt: skip
    cur.execute(
        b.q("INSERT INTO incident_columns (batch_id, rows, data) VALUES (?, ?, ?)"),
        (batch_id, len(tagged), encode_frame(tagged)),
    )
