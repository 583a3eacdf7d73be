"""The persistent store: prepared incidents, the batches they came in, rejects and boundaries.

A GeoPackage file by default (SQLite with the GeoPackage tables: it opens in
QGIS and needs no server); PostGIS when the target is a ``postgresql://`` URL
(``HOTSPOTS_DATABASE_URL``). Both hold the same tables:

=================  ============================================================
``incidents``      one row per usable incident, prepared: EPSG:27700 point
                   (``geom``, ``x``, ``y``), date, month, financial year,
                   season, ward, focus area, location, category, ``batch_id``
``batches``        one row per source file: source (``police.uk`` or
                   ``council``), force, month, file name, SHA-256 checksum,
                   crime types kept, rows in the file, rows read (of those
                   types), stored and rejected, loaded at
``rejects``        rows that could not be used: file, line, reason, the row
``wards``          the ward boundaries used (EPSG:27700)
``focus_areas``    the focus areas used (EPSG:27700)
``boundaries``     which boundary files those were: file, checksum, vintage
``streets``        the streets every map draws (EPSG:27700 lines, name, kind,
                   licence text), made by ``ingest --roads`` or ``fetch streets
                   --store`` (:mod:`hotspots.store.streets`)
``incident_columns``  a columnar copy of each batch's prepared table (the
                   loader's fast path; see :mod:`hotspots.store.codec`)
``store_info``     the store version (a counter raised by every change)
=================  ============================================================

Identity is the batch: police.uk ASB rows have no Crime ID and two real
incidents can be identical rows, so a police.uk file is identified by its
force and month, a council export by its file name. Ingesting a batch again
replaces it; the same file twice changes nothing. Each ``ingest`` reads and
checks every file first, then writes everything in ONE transaction: a refused
file, an error or a killed process leaves the store exactly as it was. The Dask
ingest (:func:`hotspots.distributed.ingest_dask`) reads and checks the files on
workers with the same :func:`plan_source` and writes one transaction per batch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hotspots._validate import ANALYSIS_CRS
from hotspots.read._csv import Source, expand_sources
from hotspots.read._rows import ASB, INCIDENT_COLUMNS, REJECT_COLUMNS, IncidentLoad
from hotspots.store import writing
from hotspots.store.address import (
    StoreEmpty,
    StoreError,
    default_store,
    describe,
    is_database_url,
)
from hotspots.store.backends import (
    _CATEGORY,
    _INDEXED,
    _SCHEMA,
    _GeoPackage,
    _PostGIS,
)
from hotspots.store.codec import decode_frames
from hotspots.store.ingest import (
    ALL_TYPES,
    IngestBoundaries,
    IngestOptions,
    SourcePlan,
    _Planned,
    _types_label,
    file_checksum,
    ingest_boundaries,
    plan_source,
    tag_incidents,
)
from hotspots.store.writing import NOT_STORED, SHRINK_LIMIT, BatchResult

__all__ = ["NOT_STORED", "SHRINK_LIMIT", "BatchResult", "CheckResult", "Store", "bulk_ingest",
           "open_store"]  # fmt: skip

log = logging.getLogger(__name__)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: one row per batch, and the problems."""

    batches: pd.DataFrame
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every batch adds up and every incident has a batch."""
        return not self.problems


# --------------------------------------------------------------------------- the store


class Store:
    """A hotspots store (GeoPackage file or PostGIS database); use :func:`open_store`.

    Examples
    --------
    >>> import tempfile, os
    >>> from boundaries import get_path
    >>> path = os.path.join(tempfile.mkdtemp(), "s.gpkg")
    >>> with open_store(path) as store:
    ...     [r.status for r in store.ingest([get_path("demo-incidents")],
    ...                                     wards_path=get_path("demo-wards"))]
    ...     store.check().ok, len(store.prepared().incidents)
    ['added']
    (True, 6671)
    """

    def __init__(self, target: str | Path, *, create: bool = True) -> None:
        self.target = str(target)
        self.backend: _GeoPackage | _PostGIS = (
            _PostGIS(self.target)
            if is_database_url(target)
            else _GeoPackage(Path(target), create=create)
        )
        (schema,) = self._query("SELECT value FROM store_info WHERE key = 'schema'")[0]
        if schema != _SCHEMA:
            self.close()
            raise StoreError(
                f"the store {describe(self.target)} has table layout {schema}, this hotspots "
                f"needs {_SCHEMA}: ingest the files again into a new store"
            )

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        self.backend.close()

    def __repr__(self) -> str:
        return f"Store({describe(self.target)!r}, {self.backend.name})"

    # ------------------------------------------------------------------ reading

    def _query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        b = self.backend
        return list(b.con.execute(b.q(sql), tuple(params)).fetchall())

    def version(self) -> int:
        """A counter raised by every change (the web app reloads when it moves)."""
        return int(self._query("SELECT value FROM store_info WHERE key = 'version'")[0][0])

    def batches(self) -> pd.DataFrame:
        """One row per batch loaded, oldest first."""
        cols = ["batch_id", "batch_key", "source", "force", "month", "file_name", "checksum",
                "crime_types", "rows_in_file", "rows_read", "rows_stored", "rows_rejected",
                "rows_outside", "first_date", "last_date", "loaded_at"]  # fmt: skip
        rows = self._query(f"SELECT {', '.join(cols)} FROM batches ORDER BY batch_id")
        frame = pd.DataFrame(rows, columns=cols)
        for col in ("first_date", "last_date", "loaded_at"):
            frame[col] = pd.to_datetime(frame[col])
        return frame

    def boundaries(self) -> pd.DataFrame:
        """The boundary files used (wards, focus areas): file, checksum, vintage."""
        cols = ["kind", "file_name", "checksum", "vintage", "tolerance_m", "loaded_at"]
        return pd.DataFrame(self._query(f"SELECT {', '.join(cols)} FROM boundaries"), columns=cols)

    def wards(self) -> gpd.GeoDataFrame | None:
        """The stored ward boundaries (as :func:`boundaries.load_wards` gives them), or None."""
        b = self.backend
        rows = self._query(f"SELECT ward_code, ward_name, {b.geom_select} FROM wards ORDER BY fid")
        if not rows:
            return None
        frame = gpd.GeoDataFrame(
            {"ward_code": [r[0] for r in rows], "ward_name": [r[1] for r in rows]},
            geometry=[b.read_geom(r[2]) for r in rows],
            crs=ANALYSIS_CRS,
        )
        attrs = self._query("SELECT attrs FROM boundaries WHERE kind = 'wards'")
        frame.attrs.update(json.loads(attrs[0][0] or "{}") if attrs else {})
        return frame

    def focus_areas(self) -> gpd.GeoDataFrame | None:
        """The stored focus areas, or None."""
        b = self.backend
        rows = self._query(f"SELECT name, kind, {b.geom_select} FROM focus_areas ORDER BY fid")
        if not rows:
            return None
        return gpd.GeoDataFrame(
            {"name": [r[0] for r in rows], "kind": [r[1] for r in rows]},
            geometry=[b.read_geom(r[2]) for r in rows],
            crs=ANALYSIS_CRS,
        )

    def streets(self) -> gpd.GeoDataFrame | None:
        """The stored streets (``name``, ``kind``, ``attribution``; EPSG:27700), or None."""
        from hotspots.store.streets import read_streets

        return read_streets(self)

    def keep_streets(self, roads: gpd.GeoDataFrame, *, source: str) -> int:
        """Keep ``roads`` as the streets every map draws (replacing those kept before).

        See :func:`hotspots.store.streets.write_streets`; the store version rises by one.
        """
        from hotspots.store.streets import write_streets

        return write_streets(self, roads, source=source)

    def tagged(self, *, outside_geometry: bool = True) -> gpd.GeoDataFrame:
        """Every stored incident with its tags (outside the study area too), in file order.

        With ``outside_geometry=False`` incidents outside the study area get no
        point (building points is the slowest part of loading a million rows).
        """
        with self.backend.snapshot():
            return self._tagged(outside_geometry)

    def _tagged(self, outside_geometry: bool) -> gpd.GeoDataFrame:
        from hotspots.analysis.wards import OUTSIDE
        from hotspots.read._rows import empty_incidents

        # The batches' order first, then their column copies in table order: an ORDER BY over
        # the copies themselves would sort every blob through a temporary table (most of the
        # time of loading a million incidents).
        order = [batch for (batch,) in self._query(
            "SELECT b.batch_id FROM batches b JOIN incident_columns c ON c.batch_id = b.batch_id "
            "WHERE c.rows > 0 ORDER BY b.file_name, b.batch_id"
        )]  # fmt: skip
        if not order:
            return empty_incidents()
        with self.backend.reading_blobs():
            blobs = dict(self._query("SELECT batch_id, data FROM incident_columns WHERE rows > 0"))
        where = None if outside_geometry else ("ward_match", OUTSIDE)
        return decode_frames([bytes(blobs[batch]) for batch in order], geometry_where=where)

    def rejects(self) -> pd.DataFrame:
        """The rejected rows: source, line, reason, the crime type, then the row's own columns."""
        rows = self._query(
            "SELECT r.source, r.line, r.reason, r.category, r.row FROM rejects r "
            "JOIN batches b ON b.batch_id = r.batch_id ORDER BY b.file_name, b.batch_id, r.fid"
        )
        if not rows:
            return pd.DataFrame(columns=[*REJECT_COLUMNS, _CATEGORY])
        head = pd.DataFrame([r[:4] for r in rows], columns=[*REJECT_COLUMNS, _CATEGORY])
        body = pd.DataFrame.from_records([json.loads(r[4]) for r in rows])
        return pd.concat([head, body], axis=1)

    def prepared(
        self,
        *,
        crime_types: Sequence[str] | None = (ASB,),
        wards_path: str | Path | None = None,
        areas_path: str | Path | None = None,
        tolerance_m: float | None = None,
    ):
        """The stored incidents as :func:`hotspots.analysis.prepare.prepare` gives them from the files.

        Parameters
        ----------
        crime_types : sequence of str or None
            police.uk crime types wanted (None: all). Every police.uk batch must
            have been ingested with them.
        wards_path, areas_path : path, optional
            Other boundaries than the stored ones: incidents are tagged again in
            memory (the store is not changed).
        tolerance_m : float, optional
            Another ward tolerance than the stored one (tags again in memory).

        Returns
        -------
        hotspots.analysis.prepare.Prepared
            ``incidents``, ``outside``, ``wards``, ``areas`` and the counts and
            rejects of ``load`` as from the files. ``load.incidents`` holds every
            stored incident (outside the study area too, as from the files), but
            those outside the study area carry no point: they are counted, never
            mapped, and building a million points is the slowest part of loading.
        """
        with self.backend.snapshot():  # batches, copies and rejects of one moment
            return self._prepared(crime_types, wards_path, areas_path, tolerance_m)

    def _prepared(self, crime_types, wards_path, areas_path, tolerance_m):
        from boundaries import load_wards
        from hotspots.analysis.prepare import Prepared
        from hotspots.analysis.seasons import as_added
        from hotspots.analysis.wards import OUTSIDE, ward_columns_as_joined
        from hotspots.read.places import read_focus_areas

        batches = self.batches()
        if batches.empty:
            raise StoreEmpty(
                f"the store {describe(self.target)} holds no incidents yet; load some with "
                "'hotspots ingest FILE... --wards WARDS'"
            )
        info = self.boundaries().set_index("kind")
        police = batches["source"] == "police.uk"
        wanted = None if crime_types is None or ALL_TYPES in crime_types else set(crime_types)
        for _, batch in batches.loc[police].iterrows():  # batches, not incidents: a few dozen
            stored = batch["crime_types"]
            if stored != ALL_TYPES and (wanted is None or not wanted <= set(stored.split("|"))):
                raise StoreError(
                    f"batch {batch['batch_key']} ({batch['file_name']}) was stored with crime "
                    f"types {stored!r} only, not {_types_label(crime_types)!r}; ingest it again "
                    "with --crime-type (e.g. --crime-type all) or choose the stored types"
                )
        same_wards = wards_path is None or (
            "wards" in info.index and file_checksum(Path(wards_path).read_bytes())
            == info.loc["wards", "checksum"]
        )  # fmt: skip
        same_areas = areas_path is None or (
            "areas" in info.index and file_checksum(Path(areas_path).read_bytes())
            == info.loc["areas", "checksum"]
        )  # fmt: skip
        stored_tol = float(info.loc["wards", "tolerance_m"]) if "wards" in info.index else 100.0
        tol = stored_tol if tolerance_m is None else float(tolerance_m)
        retag = not (same_wards and same_areas and tol == stored_tol)
        tagged = self._tagged(outside_geometry=retag)
        rejects = self.rejects()
        if wanted is not None:
            police_rows = tagged["source"].isin(batches.loc[police, "file_name"])
            keep = (~police_rows | tagged["category"].isin(wanted)).to_numpy()
            if not keep.all():
                tagged = tagged.loc[keep].reset_index(drop=True)
            police_rej = rejects["source"].isin(batches.loc[police, "file_name"])
            rejects = rejects.loc[~police_rej | rejects[_CATEGORY].isin(wanted)]
        rejects = rejects.drop(columns=_CATEGORY).reset_index(drop=True)

        wards = self.wards() if wards_path is None else load_wards(wards_path)
        stored_areas = self.focus_areas()
        areas = stored_areas if areas_path is None else read_focus_areas(areas_path)
        base = tagged[[*INCIDENT_COLUMNS]]
        if retag:
            log.info("boundaries differ from the stored ones: tagging the incidents again")
            tagged = tag_incidents(base, wards, areas=areas, tolerance_m=tol)
        else:
            tagged = ward_columns_as_joined(tagged, wards)
        inside = (tagged["ward_match"] != OUTSIDE).to_numpy()
        kept = as_added(tagged.loc[inside].reset_index(drop=True))  # season columns as from files
        load = IncidentLoad(
            incidents=base,
            rejects=rejects,
            rows_read=int(batches["rows_in_file"].sum()),
            selected=len(base) + len(rejects),
            files=tuple(sorted(batches["file_name"])),
            geocoded=self._geocoded(),
            notes=tuple(
                note
                for (text,) in self._query("SELECT notes FROM batches ORDER BY file_name, batch_id")
                for note in json.loads(text or "[]")
            ),
        )
        return Prepared(kept, int((~inside).sum()), load, wards, areas)

    def _geocoded(self) -> dict[str, tuple[int, int]]:
        total: dict[str, tuple[int, int]] = {}
        for (text,) in self._query("SELECT geocoded FROM batches"):
            for what, (found, asked) in json.loads(text or "{}").items():
                old = total.get(what, (0, 0))
                total[what] = (old[0] + found, old[1] + asked)
        return total

    # ------------------------------------------------------------------ checking

    def check(self) -> CheckResult:
        """Per-batch counts and whether read = stored + rejected holds everywhere.

        Also checks that the incidents and rejects tables and the column copies hold
        what each batch says, and that no incident or reject is without a batch.
        """
        table = self.batches()[["batch_id", "batch_key", "file_name", "rows_read",
                                "rows_stored", "rows_rejected", "loaded_at"]].copy()  # fmt: skip
        counts = {
            "incidents": "SELECT batch_id, COUNT(*) FROM incidents GROUP BY batch_id",
            "rejects": "SELECT batch_id, COUNT(*) FROM rejects GROUP BY batch_id",
            "columns": "SELECT batch_id, rows FROM incident_columns",
        }
        for name, sql in counts.items():
            found = dict(self._query(sql))
            table[f"in_{name}"] = table["batch_id"].map(found).fillna(0).astype("int64")
        table["adds_up"] = (
            (table["rows_read"] == table["rows_stored"] + table["rows_rejected"])
            & (table["in_incidents"] == table["rows_stored"])
            & (table["in_columns"] == table["rows_stored"])
            & (table["in_rejects"] == table["rows_rejected"])
        )
        problems = [
            f"batch {r.batch_key} ({r.file_name}): read {r.rows_read:,} but stored "
            f"{r.rows_stored:,} + rejected {r.rows_rejected:,} (tables hold {r.in_incidents:,} "
            f"incidents, {r.in_rejects:,} rejects, {r.in_columns:,} in the column copy)"
            for r in table.loc[~table["adds_up"]].itertuples()
        ]
        for what in ("incidents", "rejects", "incident_columns"):
            (orphans,) = self._query(
                f"SELECT COUNT(*) FROM {what} WHERE batch_id NOT IN (SELECT batch_id FROM batches)"
            )[0]
            if orphans:
                problems.append(f"{orphans:,} row(s) of {what} have no batch")
        return CheckResult(table.drop(columns=["batch_id"]), problems)

    # ------------------------------------------------------------------ writing

    def ingest(
        self,
        paths: Iterable[str | Path],
        *,
        wards_path: str | Path | None = None,
        areas_path: str | Path | None = None,
        crime_types: Sequence[str] | None = (ASB,),
        columns=None,
        geocoder=None,
        address_geocoder=None,
        tolerance_m: float | None = None,
        wards_vintage: str | None = None,
        date_format: str | None = None,
        progress: Callable[[list[Source]], Iterable[Source]] | None = None,
        replace: bool = False,
    ) -> list[BatchResult]:
        """Load files into the store: one batch per file, all in one transaction.

        Every file is read, validated and tagged (ward, season, focus area) before
        anything is written. A file whose batch is stored with the same checksum
        (and crime types) is left alone; one whose batch is stored with other
        contents replaces it. If any file is refused, nothing is written.

        Parameters
        ----------
        paths : iterable of path
            police.uk street-level CSVs, folders, police.uk zips, council exports.
        wards_path : path, optional
            Ward boundaries. Needed the first time; after that the stored ones are
            used, and other boundaries are refused (a store holds one set).
        areas_path : path, optional
            Focus areas (stored with the wards the first time).
        crime_types : sequence of str or None
            police.uk crime types to keep (None: all).
        columns, geocoder, address_geocoder
            For council exports, as in :func:`hotspots.read.council.read_council_csv`.
        tolerance_m : float, optional
            Ward tolerance (100 m by default; fixed when the wards are stored).
        wards_vintage : str, optional
            The boundaries' vintage (default: from an ONS ``WDyyCD`` column).
        date_format : str, optional
            A strftime format forced on council date columns (detected when None).
        progress : callable, optional
            Wraps the list of files (the CLI passes a progress bar).
        replace : bool, default False
            Let a batch replace a stored one that holds more than
            ``1 / SHRINK_LIMIT`` times its incidents, or more incidents at all
            when its file ends inside a row (refused otherwise: a truncated copy
            of a month, most likely).

        Returns
        -------
        list of BatchResult
            One per batch; a file with no usable rows (a header only, no rows of
            the crime types) is reported ``not stored: no usable rows`` and adds
            no batch.

        Raises
        ------
        StoreError
            If a batch would shrink a stored one by more than a few per cent and
            ``replace`` is False; nothing is written.
        """
        bounds = self.ingest_boundaries(wards_path=wards_path, areas_path=areas_path,
                                        tolerance_m=tolerance_m, wards_vintage=wards_vintage)  # fmt: skip
        existing = self.existing_batches()
        options = IngestOptions(crime_types=crime_types, columns=columns, geocoder=geocoder,
                                address_geocoder=address_geocoder, date_format=date_format)  # fmt: skip
        sources = expand_sources(paths)
        plans = [
            plan
            for src in (progress(sources) if progress else sources)
            for plan in plan_source(src, existing=existing, options=options, boundaries=bounds)
        ]
        order, results = self.ingest_order(plans, existing, replace=replace)
        if order or bounds.new:
            self.write_batches([plans[i].planned for i in order], bounds.new, existing)
        return results

    def ingest_boundaries(
        self,
        *,
        wards_path: str | Path | None = None,
        areas_path: str | Path | None = None,
        tolerance_m: float | None = None,
        wards_vintage: str | None = None,
    ) -> IngestBoundaries:
        """The wards, focus areas and tolerance an ingest tags with (stored, else the given ones).

        See :func:`hotspots.store.ingest.ingest_boundaries`.
        """
        return ingest_boundaries(self, wards_path=wards_path, areas_path=areas_path,
                                 tolerance_m=tolerance_m, wards_vintage=wards_vintage)  # fmt: skip

    def existing_batches(self) -> dict[str, tuple[int, str, str]]:
        """The stored batches: batch key -> (batch id, checksum, crime types)."""
        return {
            key: (bid, checksum, types)
            for bid, key, checksum, types in self._query(
                "SELECT batch_id, batch_key, checksum, crime_types FROM batches"
            )
        }

    def ingest_order(
        self,
        plans: Sequence[SourcePlan],
        existing: dict[str, tuple[int, str, str]],
        *,
        replace: bool = False,
    ) -> tuple[list[int], list[BatchResult]]:
        """Which plans to write, in which order, and what ingest says about each batch.

        See :func:`hotspots.store.writing.ingest_order`.
        """
        return writing.ingest_order(self, plans, existing, replace=replace)

    def write_batches(self, planned: list[_Planned], new_boundaries: list, existing: dict) -> None:
        """Write planned batches (and boundaries stored for the first time) in ONE transaction.

        See :func:`hotspots.store.writing.write_batches`; the store version rises by one.
        """
        writing.write_batches(self, planned, new_boundaries, existing)

    def _write_batch(self, cur, plan: _Planned, now: str) -> None:
        writing._write_batch(self, cur, plan, now)


def bulk_ingest(
    target: str | Path,
    paths: Sequence[str | Path],
    *,
    wards_path: str | Path,
    areas_path: str | Path | None = None,
    crime_types: Sequence[str] | None = (ASB,),
    tolerance_m: float | None = None,
    files_per_write: int = 12,
    progress: Callable[[str], None] | None = None,
) -> list[BatchResult]:
    """Fill a new store with many files at once (a national archive), faster than ``ingest``.

    The files go in with :meth:`Store.ingest`, ``files_per_write`` at a time
    (each group one transaction, so a failure keeps the groups before it),
    while the ``incidents`` table's indexes are dropped; they are built once at
    the end, which is far quicker than keeping six indexes up to date row by
    row over millions of rows. A GeoPackage also gets a larger page cache.

    Parameters
    ----------
    target : str or Path
        A store that holds no batches yet (a new ``.gpkg`` path, or a database URL).
    paths : sequence of path
        The files, as for :meth:`Store.ingest`.
    wards_path, areas_path, crime_types, tolerance_m
        As for :meth:`Store.ingest`.
    files_per_write : int
        Files per transaction.
    progress : callable, optional
        Called with a line of text after each group.

    Returns
    -------
    list of BatchResult

    Raises
    ------
    StoreError
        If the store already holds batches (add to it with ``ingest``).

    Examples
    --------
    >>> import tempfile, os
    >>> from boundaries import get_path
    >>> path = os.path.join(tempfile.mkdtemp(), "bulk.gpkg")
    >>> [r.status for r in bulk_ingest(path, [get_path("demo-incidents")],
    ...                                wards_path=get_path("demo-wards"))]
    ['added']
    >>> with open_store(path) as store:
    ...     store.check().ok, len(store.prepared().incidents)
    (True, 6671)
    """
    with open_store(target) as store:
        if store._query("SELECT COUNT(*) FROM batches")[0][0]:
            raise StoreError(
                f"the store {describe(target)} already holds batches: bulk_ingest fills a new "
                "store; add files to this one with 'hotspots ingest'"
            )
        b = store.backend
        if b.name == "GeoPackage":
            b.con.execute("PRAGMA cache_size = -262144")  # 256 MiB
        for column in _INDEXED:
            b.con.execute(f"DROP INDEX IF EXISTS incidents_{column}")
        results: list[BatchResult] = []
        paths = list(paths)
        try:
            for start in range(0, len(paths), max(1, files_per_write)):
                group = paths[start : start + max(1, files_per_write)]
                results += store.ingest(
                    group, wards_path=wards_path, areas_path=areas_path,
                    crime_types=crime_types, tolerance_m=tolerance_m,
                )  # fmt: skip
                if progress:
                    stored = sum(r.stored for r in results)
                    progress(
                        f"{start + len(group)}/{len(paths)} files, {stored:,} incidents stored"
                    )
        finally:
            for column in _INDEXED:
                b.con.execute(
                    f"CREATE INDEX IF NOT EXISTS incidents_{column} ON incidents({column})"
                )
    return results


def open_store(target: str | Path | None = None, *, create: bool = True) -> Store:
    """Open a store: a ``.gpkg`` path or a ``postgresql://`` URL.

    Parameters
    ----------
    target : str or Path, optional
        Default: :func:`default_store`.
    create : bool, default True
        Make a new GeoPackage when the file does not exist (False for readers:
        a mistyped path is then an error, not a new empty store). A PostGIS
        database gets the tables when it has none.

    Raises
    ------
    StoreError
        If the file is not a store (or missing and ``create`` is False), or the
        database cannot be reached.
    """
    return Store(target if target else default_store(), create=create)
