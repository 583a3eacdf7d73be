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
``incident_columns``  a columnar copy of each batch's prepared table (the
                   loader's fast path; see :mod:`hotspots._columns`)
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

import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import re
import sqlite3
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots._columns import decode_frames, encode_frame
from hotspots._errors import HotspotsError
from hotspots._validate import ANALYSIS_CRS
from hotspots.incidents import (
    ASB,
    INCIDENT_COLUMNS,
    REJECT_COLUMNS,
    IncidentLoad,
    Source,
    expand_sources,
    is_police_table,
    read_council_csv,
    read_police_csv,
)

log = logging.getLogger(__name__)

STORE_ENV = "HOTSPOTS_STORE"
DATABASE_ENV = "HOTSPOTS_DATABASE_URL"
ALL_TYPES = "all"
_EPSG = 27700
_POLICE_NAME_RE = re.compile(r"^(\d{4}-\d{2})-(.+)-street\.csv$", re.IGNORECASE)
_VINTAGE_RE = re.compile(r"^(?:WD|WARD)(\d{2})CD$", re.IGNORECASE)
#: Columns of the SQL ``incidents`` table besides fid, geom and batch_id (what QGIS and SQL see).
SQL_COLUMNS = {
    "incident_id": "TEXT", "source": "TEXT", "line": "INTEGER", "date": "DATETIME",
    "date_precision": "TEXT", "month": "TEXT", "financial_year": "TEXT", "season": "TEXT",
    "season_year": "INTEGER", "halloween": "BOOLEAN", "category": "TEXT", "location": "TEXT",
    "lsoa_code": "TEXT", "lsoa_name": "TEXT", "ward": "TEXT", "ward_code": "TEXT",
    "ward_match": "TEXT", "area": "TEXT", "x": "REAL", "y": "REAL",
}  # fmt: skip
_CATEGORY = "_crime_type"
#: The store's table layout; a store of another layout is refused with a clear message.
_SCHEMA = "2"
_INDEXED = ("batch_id", "month", "financial_year", "season", "ward", "area")


class StoreError(HotspotsError):
    """The store cannot be opened or used as asked."""


def default_store() -> str:
    """The store used when none is named.

    ``HOTSPOTS_STORE`` (a path or URL), else ``HOTSPOTS_DATABASE_URL`` (PostGIS),
    else ``store.gpkg`` in the user data folder (``~/.local/share/hotspots`` on Linux).

    Examples
    --------
    >>> import os
    >>> os.environ[STORE_ENV] = "/tmp/x.gpkg"; default_store()
    '/tmp/x.gpkg'
    >>> del os.environ[STORE_ENV]
    """
    for name in (STORE_ENV, DATABASE_ENV):
        if os.environ.get(name):
            return os.environ[name]
    from platformdirs import user_data_path

    return str(user_data_path("hotspots") / "store.gpkg")


def is_database_url(target: str | Path) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return str(target).startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def describe(target: str | Path) -> str:
    """The target for messages, with any password hidden.

    Examples
    --------
    >>> describe("postgresql://me:secret@localhost/db")
    'postgresql://me:***@localhost/db'
    """
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", str(target))


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class BatchResult:
    """What ``ingest`` did with one source file."""

    key: str
    file: str
    rows_read: int
    stored: int
    rejected: int
    status: str  # "added", "replaced" or "unchanged"

    def line(self) -> str:
        """``read N, stored N, rejected N`` with the batch and what happened."""
        return (
            f"{self.file} [{self.key}]: read {self.rows_read:,}, stored {self.stored:,}, "
            f"rejected {self.rejected:,} ({self.status})"
        )


@dataclass(frozen=True)
class CheckResult:
    """What ``check`` found: one row per batch, and the problems."""

    batches: pd.DataFrame
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every batch adds up and every incident has a batch."""
        return not self.problems


@dataclass(frozen=True)
class _Planned:
    key: str
    source: str  # "police.uk" or "council"
    force: str | None
    month: str | None
    file: str
    checksum: str
    crime_types: str
    load: IncidentLoad
    tagged: gpd.GeoDataFrame


@dataclass(frozen=True)
class IngestOptions:
    """How an ingest reads its files (the options of :meth:`Store.ingest` past the boundaries)."""

    crime_types: Sequence[str] | None = (ASB,)
    columns: object = None
    geocoder: object = None
    address_geocoder: object = None
    date_format: str | None = None


@dataclass(frozen=True)
class IngestBoundaries:
    """What an ingest tags incidents with; ``new`` are boundaries to store with the first batch."""

    wards: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame | None
    tolerance_m: float
    new: list = field(default_factory=list)


@dataclass(frozen=True)
class SourcePlan:
    """One file, read and tagged, ready to write (:func:`plan_source`); nothing written yet.

    ``planned`` is None when the file equals its stored batch (``unchanged``),
    and may be dropped to send only the summary (the Dask ingest keeps the
    tables on the worker that read them until they are written).
    """

    key: str
    file: str
    unchanged: bool
    counts: tuple[int, int, int]  # rows read (of the crime types), stored, rejected
    planned: _Planned | None = None

    def summary(self) -> SourcePlan:
        """The plan without its tables."""
        return SourcePlan(self.key, self.file, self.unchanged, self.counts)


def plan_source(
    src: Source,
    *,
    existing: dict[str, tuple[int, str, str]],
    options: IngestOptions,
    boundaries: IngestBoundaries,
) -> SourcePlan:
    """Read, check and tag one file for the store, unless it equals its stored batch.

    What :meth:`Store.ingest` does for each file before it writes anything; a
    pure function of the file and its arguments, so the Dask ingest runs it on
    the workers (:func:`hotspots.distributed.ingest_dask`).

    Parameters
    ----------
    src : Source
        One file (or zip member), from :func:`hotspots.incidents.expand_sources`.
    existing : dict
        The store's batches (:meth:`Store.existing_batches`).
    options : IngestOptions
        Crime types and how council exports are read.
    boundaries : IngestBoundaries
        What to tag with (:meth:`Store.ingest_boundaries`).

    Returns
    -------
    SourcePlan

    Raises
    ------
    hotspots._errors.HotspotsError
        If the file is not what it claims to be (as the readers raise it).

    Examples
    --------
    >>> from boundaries import get_path, load_wards
    >>> bounds = IngestBoundaries(load_wards(get_path("demo-wards")), None, 100.0)
    >>> src = expand_sources([get_path("demo-incidents")])[0]
    >>> plan = plan_source(src, existing={}, options=IngestOptions(), boundaries=bounds)
    >>> plan.key, plan.unchanged, plan.counts
    ('council/incidents.csv', False, (6676, 6672, 4))
    """
    crime_types = options.crime_types
    data = src.read_bytes()
    checksum = file_checksum(data)
    head = data[:4096].decode("utf-8-sig", errors="replace").splitlines()
    header = [c.strip().strip('"') for c in head[0].split(",")] if head else []
    police = is_police_table(header)
    named = not police or _POLICE_NAME_RE.match(Path(src.member or src.name).name)
    load = None
    if not named:  # the batch is named by the file's contents: read them first
        load = read_police_csv(src, crime_types=crime_types)
    months = load.incidents["month"].unique().tolist() if load is not None else []
    falls = _falls_within(data) if not named else []
    key, kind, force, month = batch_identity(src, header, months, falls)
    old = existing.get(key)
    types_label = _types_label(crime_types)
    unchanged = bool(old) and old[1] == checksum and (old[2] == types_label or kind == "council")
    if unchanged:
        return SourcePlan(key, src.name, True, (0, 0, 0))
    if load is None:
        if police:
            load = read_police_csv(src, crime_types=crime_types)
        else:
            extra = {"date_format": options.date_format} if options.date_format else {}
            load = read_council_csv(
                src, columns=options.columns, geocoder=options.geocoder,
                address_geocoder=options.address_geocoder, **extra,
            )  # fmt: skip
    log.info("%s (%s): %s", src.name, key, load.summary())
    tagged = tag_incidents(load.incidents, boundaries.wards, areas=boundaries.areas,
                           tolerance_m=boundaries.tolerance_m)  # fmt: skip
    planned = _Planned(key, kind, force, month, src.name, checksum,
                       types_label if police else ALL_TYPES, load, tagged)  # fmt: skip
    return SourcePlan(key, src.name, False, (load.selected, load.kept, load.rejected), planned)


# --------------------------------------------------------------------------- helpers


def file_checksum(data: bytes) -> str:
    """SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(data).hexdigest()


def batch_identity(source: Source, header: Sequence[str], table_months: Sequence[str],
                   falls_within: Sequence[str]) -> tuple[str, str, str | None, str | None]:  # fmt: skip
    """The batch key, source kind, force and month of one file.

    A police.uk file is named by its force and month (from the police.uk file
    name ``YYYY-MM-force-street.csv``, else from its ``Month`` and ``Falls
    within`` columns); anything else is a council export named by its file name.

    Examples
    --------
    >>> from pathlib import Path
    >>> batch_identity(Source("x/2018-10-west-mercia-street.csv", Path("x")),
    ...                ["Month", "Longitude", "Latitude", "Crime type"], [], [])
    ('police.uk/west-mercia/2018-10', 'police.uk', 'west-mercia', '2018-10')
    >>> batch_identity(Source("asb_cases.csv", Path("asb_cases.csv")), ["Date"], [], [])
    ('council/asb_cases.csv', 'council', None, None)
    """
    name = Path(source.member or source.name).name
    if not is_police_table(header):
        return f"council/{name}", "council", None, None
    match = _POLICE_NAME_RE.match(name)
    if match:
        month, force = match.group(1), match.group(2).lower()
    else:
        months = sorted({m for m in table_months if m})
        month = months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}" if months else "unknown"
        forces = pd.Series([f for f in falls_within if f]).value_counts()
        force = _slug(forces.index[0]) if len(forces) else "unknown-force"
    return f"police.uk/{force}/{month}", "police.uk", force, month


def _slug(text: str) -> str:
    text = re.sub(r"\s+police$", "", str(text).strip(), flags=re.IGNORECASE)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown-force"


def ward_vintage(path: str | Path) -> str | None:
    """The ONS vintage of a ward boundary file, from its ``WDyyCD`` column (e.g. "2013").

    Examples
    --------
    >>> from boundaries import get_path
    >>> ward_vintage(get_path("demo-wards")) is None or True
    True
    """
    import pyogrio

    try:
        fields = [str(f) for f in pyogrio.read_info(str(path))["fields"]]
    except Exception:  # unreadable files are reported by the boundary loader
        return None
    years = sorted(m.group(1) for f in fields if (m := _VINTAGE_RE.match(f)))
    return f"20{years[-1]}" if years else None


def tag_incidents(
    incidents: gpd.GeoDataFrame,
    wards: gpd.GeoDataFrame,
    *,
    areas: gpd.GeoDataFrame | None = None,
    tolerance_m: float = 100.0,
) -> gpd.GeoDataFrame:
    """Every incident with its ward, season columns and focus area (outside ones too).

    The same steps as :func:`hotspots.pipeline.prepare`, but incidents outside the
    study area are kept (``ward_match == "outside"``), so the store holds every
    usable row of a file and the study area can be taken later.
    """
    from hotspots.places import tag_focus_areas
    from hotspots.seasons import add_season_columns
    from hotspots.wards import assign_wards

    joined = assign_wards(incidents, wards, tolerance_m=tolerance_m)
    tagged = add_season_columns(joined.reset_index(drop=True))
    tagged["area"] = tag_focus_areas(tagged.geometry, areas)
    return tagged


def _types_label(crime_types: Sequence[str] | None) -> str:
    return ALL_TYPES if crime_types is None else "|".join(sorted(crime_types))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _gpkg_header() -> bytes:
    return b"GP\x00\x01" + struct.pack("<i", _EPSG)  # version 0, little-endian, no envelope


def gpkg_points(x: np.ndarray, y: np.ndarray) -> list[bytes]:
    """GeoPackage geometry blobs of points (EPSG:27700), built without a loop per point.

    Examples
    --------
    >>> import shapely
    >>> blob = gpkg_points(np.array([400000.0]), np.array([260000.0]))[0]
    >>> shapely.from_wkb(blob[8:]).coords[0]
    (400000.0, 260000.0)
    """
    rows = np.zeros(len(x), dtype=[("h", "S8"), ("bo", "u1"), ("t", "<u4"), ("x", "<f8"), ("y", "<f8")])
    rows["h"] = _gpkg_header()
    rows["bo"] = 1
    rows["t"] = 1
    rows["x"] = x
    rows["y"] = y
    return rows.view("V29").tolist()


def _gpkg_geometry(geom) -> bytes:
    import shapely

    return _gpkg_header() + shapely.to_wkb(geom, byte_order=1)


def _from_gpkg(blob: bytes):
    import shapely

    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0b111]
    return shapely.from_wkb(bytes(blob[8 + envelope :]))


# --------------------------------------------------------------------------- backends


class _Backend:
    """What differs between SQLite/GeoPackage and PostGIS."""

    name = ""
    param = "?"

    def q(self, sql: str) -> str:
        return sql if self.param == "?" else sql.replace("?", "%s")


class _GeoPackage(_Backend):
    name = "GeoPackage"

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if path.exists() and path.is_dir():
            raise StoreError(f"store {str(path)!r} is a folder; give a .gpkg file name")
        new = not path.exists()
        if new and not create:
            raise StoreError(
                f"there is no store at {str(path)!r}; make one with 'hotspots ingest FILE... "
                f"--wards WARDS --store {path}' (or check --store / HOTSPOTS_STORE)"
            )
        if new:
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.con = sqlite3.connect(str(path), timeout=60, isolation_level=None)
            self.con.execute("PRAGMA foreign_keys = ON")
            if new or not self._has("store_info"):
                self._create()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{path}: cannot be used as a hotspots store ({exc}); give a new .gpkg file name "
                "or a store made by 'hotspots ingest'"
            ) from None

    def _has(self, table: str) -> bool:
        row = self.con.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
        ).fetchone()
        return row is not None

    def _create(self) -> None:
        from pyproj import CRS

        if self._has("batches") or (self._has("gpkg_contents") and not self._has("gpkg_spatial_ref_sys")):
            raise StoreError(f"{self.path}: holds tables but is not a hotspots store")
        wkt = CRS.from_epsg(_EPSG).to_wkt("WKT1_GDAL")
        wgs = CRS.from_epsg(4326).to_wkt("WKT1_GDAL")
        cols = ", ".join(f"{name} {kind}" for name, kind in SQL_COLUMNS.items())
        ddl = f"""
        BEGIN IMMEDIATE;
        PRAGMA application_id = 1196444487;
        PRAGMA user_version = 10400;
        CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
            organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
        INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES
            ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian'),
            ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic'),
            ('WGS 84 geodetic', 4326, 'EPSG', 4326, '{wgs}', 'longitude/latitude WGS 84'),
            ('OSGB36 / British National Grid', 27700, 'EPSG', 27700, '{wkt}', 'metres');
        CREATE TABLE IF NOT EXISTS gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
            description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT
            (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE,
            max_y DOUBLE, srs_id INTEGER REFERENCES gpkg_spatial_ref_sys(srs_id));
        CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
            srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
        CREATE TABLE store_info (key TEXT PRIMARY KEY, value TEXT);
        INSERT INTO store_info VALUES ('version', '0'), ('schema', '{_SCHEMA}');
        CREATE TABLE batches (
            batch_id INTEGER PRIMARY KEY AUTOINCREMENT, batch_key TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL, force TEXT, month TEXT, file_name TEXT NOT NULL,
            checksum TEXT NOT NULL, crime_types TEXT NOT NULL, rows_in_file INTEGER NOT NULL,
            rows_read INTEGER NOT NULL, rows_stored INTEGER NOT NULL,
            rows_rejected INTEGER NOT NULL, rows_outside INTEGER NOT NULL,
            first_date DATETIME, last_date DATETIME, geocoded TEXT, notes TEXT,
            loaded_at DATETIME NOT NULL);
        CREATE TABLE incidents (
            fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT,
            batch_id INTEGER NOT NULL REFERENCES batches(batch_id), {cols});
        CREATE TABLE rejects (
            fid INTEGER PRIMARY KEY AUTOINCREMENT,
            batch_id INTEGER NOT NULL REFERENCES batches(batch_id), source TEXT, line INTEGER,
            reason TEXT, category TEXT, row TEXT);
        CREATE TABLE incident_columns (
            batch_id INTEGER PRIMARY KEY REFERENCES batches(batch_id), rows INTEGER NOT NULL,
            data BLOB NOT NULL);
        CREATE TABLE boundaries (
            kind TEXT PRIMARY KEY, file_name TEXT, checksum TEXT, vintage TEXT,
            tolerance_m REAL, attrs TEXT, loaded_at DATETIME NOT NULL);
        CREATE TABLE wards (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY,
            ward_code TEXT, ward_name TEXT);
        CREATE TABLE focus_areas (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom GEOMETRY,
            name TEXT, kind TEXT);
        INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
            ('incidents', 'features', 'incidents', 'ASB incidents, prepared (hotspots)', 27700),
            ('wards', 'features', 'wards', 'ward boundaries used', 27700),
            ('focus_areas', 'features', 'focus_areas', 'focus areas used', 27700),
            ('batches', 'attributes', 'batches', 'files loaded', NULL),
            ('rejects', 'attributes', 'rejects', 'rows that could not be used', NULL);
        INSERT INTO gpkg_geometry_columns VALUES
            ('incidents', 'geom', 'POINT', 27700, 0, 0),
            ('wards', 'geom', 'GEOMETRY', 27700, 0, 0),
            ('focus_areas', 'geom', 'GEOMETRY', 27700, 0, 0);
        """
        ddl += "".join(
            f"CREATE INDEX incidents_{c} ON incidents({c});\n" for c in _INDEXED
        ) + "CREATE INDEX rejects_batch_id ON rejects(batch_id);\nCOMMIT;"
        self.con.executescript(ddl)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        cur = self.con.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def insert_incidents(self, cur, batch_id: int, rows: list[tuple], x, y) -> None:
        names = ", ".join(SQL_COLUMNS)
        marks = ", ".join("?" * (len(SQL_COLUMNS) + 2))
        geoms = gpkg_points(x, y)
        cur.executemany(
            f"INSERT INTO incidents (geom, batch_id, {names}) VALUES ({marks})",
            ((g, batch_id, *r) for g, r in zip(geoms, rows)),
        )

    def geom_param(self, geom) -> object:
        return _gpkg_geometry(geom)

    geom_sql = "?"
    geom_select = "geom"

    def read_geom(self, value):
        return _from_gpkg(value)

    def after_write(self, cur, bounds: dict[str, tuple] | None = None) -> None:
        """Keep the GeoPackage's layer extents and change times right (QGIS zooms to them)."""
        cur.execute(
            "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
            "min_x = (SELECT MIN(x) FROM incidents), min_y = (SELECT MIN(y) FROM incidents), "
            "max_x = (SELECT MAX(x) FROM incidents), max_y = (SELECT MAX(y) FROM incidents) "
            "WHERE table_name = 'incidents'"
        )
        for table, box in (bounds or {}).items():
            cur.execute(
                "UPDATE gpkg_contents SET last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now'), "
                "min_x = ?, min_y = ?, max_x = ?, max_y = ? WHERE table_name = ?",
                (*map(float, box), table),
            )

    def close(self) -> None:
        self.con.close()


class _PostGIS(_Backend):
    name = "PostGIS"
    param = "%s"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:  # pragma: no cover - a dependency
            raise StoreError("PostGIS stores need psycopg: pip install 'psycopg[binary]'") from None
        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        try:
            self.con = psycopg.connect(self.url, application_name="hotspots", autocommit=True,
                                       connect_timeout=10)  # fmt: skip
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"cannot connect to the PostGIS store {describe(url)} ({first}); check "
                f"{DATABASE_ENV} / --store and that the server is running"
            ) from None
        has = self.con.execute("SELECT to_regclass('store_info') IS NOT NULL").fetchone()[0]
        if not has:
            self._create()

    def _create(self) -> None:
        import psycopg

        types = {"TEXT": "TEXT", "INTEGER": "BIGINT", "DATETIME": "TIMESTAMP",
                 "BOOLEAN": "BOOLEAN", "REAL": "DOUBLE PRECISION"}  # fmt: skip
        cols = ", ".join(f"{name} {types[kind]}" for name, kind in SQL_COLUMNS.items())
        try:
            with self.con.transaction():
                self.con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                self.con.execute("SELECT pg_advisory_xact_lock(27700)")
                if self.con.execute("SELECT to_regclass('store_info') IS NOT NULL").fetchone()[0]:
                    return
                for sql in (
                    "CREATE TABLE store_info (key TEXT PRIMARY KEY, value TEXT)",
                    f"INSERT INTO store_info VALUES ('version', '0'), ('schema', '{_SCHEMA}')",
                    """CREATE TABLE batches (
                        batch_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        batch_key TEXT NOT NULL UNIQUE, source TEXT NOT NULL, force TEXT,
                        month TEXT, file_name TEXT NOT NULL, checksum TEXT NOT NULL,
                        crime_types TEXT NOT NULL, rows_in_file BIGINT NOT NULL,
                        rows_read BIGINT NOT NULL, rows_stored BIGINT NOT NULL,
                        rows_rejected BIGINT NOT NULL, rows_outside BIGINT NOT NULL,
                        first_date TIMESTAMP, last_date TIMESTAMP, geocoded TEXT,
                        notes TEXT, loaded_at TIMESTAMP NOT NULL)""",
                    f"""CREATE TABLE incidents (
                        fid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        batch_id BIGINT NOT NULL REFERENCES batches(batch_id), {cols},
                        geom geometry(Point, 27700) GENERATED ALWAYS AS
                            (ST_SetSRID(ST_MakePoint(x, y), 27700)) STORED)""",
                    """CREATE TABLE rejects (
                        fid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        batch_id BIGINT NOT NULL REFERENCES batches(batch_id), source TEXT,
                        line BIGINT, reason TEXT, category TEXT, row TEXT)""",
                    """CREATE TABLE incident_columns (
                        batch_id BIGINT PRIMARY KEY REFERENCES batches(batch_id),
                        rows BIGINT NOT NULL, data BYTEA NOT NULL)""",
                    """CREATE TABLE boundaries (kind TEXT PRIMARY KEY, file_name TEXT,
                        checksum TEXT, vintage TEXT, tolerance_m DOUBLE PRECISION, attrs TEXT,
                        loaded_at TIMESTAMP NOT NULL)""",
                    """CREATE TABLE wards (fid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        geom geometry(Geometry, 27700), ward_code TEXT, ward_name TEXT)""",
                    """CREATE TABLE focus_areas (
                        fid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        geom geometry(Geometry, 27700), name TEXT, kind TEXT)""",
                    *(f"CREATE INDEX incidents_{c} ON incidents({c})" for c in _INDEXED),
                    "CREATE INDEX incidents_geom ON incidents USING GIST (geom)",
                    "CREATE INDEX rejects_batch_id ON rejects(batch_id)",
                ):
                    self.con.execute(sql)
        except psycopg.Error as exc:
            raise StoreError(
                f"cannot set up the PostGIS store {describe(self.url)}: {exc}".strip()
                + " (the database needs the postgis extension: CREATE EXTENSION postgis)"
            ) from None

    @contextlib.contextmanager
    def transaction(self):
        with self.con.transaction(), self.con.cursor() as cur:
            cur.execute("LOCK TABLE batches IN EXCLUSIVE MODE")
            yield cur

    def insert_incidents(self, cur, batch_id: int, rows: list[tuple], x, y) -> None:
        names = ", ".join(SQL_COLUMNS)
        with cur.copy(f"COPY incidents (batch_id, {names}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((batch_id, *r))

    def geom_param(self, geom) -> object:
        import shapely

        return shapely.to_wkb(geom)

    geom_sql = "ST_GeomFromWKB(%s, 27700)"
    geom_select = "ST_AsBinary(geom)"

    def read_geom(self, value):
        import shapely

        return shapely.from_wkb(bytes(value))

    def after_write(self, cur, bounds: dict[str, tuple] | None = None) -> None:
        pass

    def close(self) -> None:
        self.con.close()


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

    def tagged(self, *, outside_geometry: bool = True) -> gpd.GeoDataFrame:
        """Every stored incident with its tags (outside the study area too), in file order.

        With ``outside_geometry=False`` incidents outside the study area get no
        point (building points is the slowest part of loading a million rows).
        """
        from hotspots.incidents import empty_incidents
        from hotspots.wards import OUTSIDE

        rows = self._query(
            "SELECT c.data FROM incident_columns c JOIN batches b ON b.batch_id = c.batch_id "
            "WHERE c.rows > 0 ORDER BY b.file_name, b.batch_id"
        )
        if not rows:
            return empty_incidents()
        where = None if outside_geometry else ("ward_match", OUTSIDE)
        return decode_frames([bytes(r[0]) for r in rows], geometry_where=where)

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
        """The stored incidents as :func:`hotspots.pipeline.prepare` gives them from the files.

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
        hotspots.pipeline.Prepared
            ``incidents``, ``outside``, ``wards``, ``areas`` and the counts and
            rejects of ``load`` as from the files. ``load.incidents`` holds every
            stored incident (outside the study area too, as from the files), but
            those outside the study area carry no point: they are counted, never
            mapped, and building a million points is the slowest part of loading.
        """
        from boundaries import load_wards
        from hotspots.pipeline import Prepared
        from hotspots.places import read_focus_areas
        from hotspots.wards import OUTSIDE, ward_columns_as_joined

        batches = self.batches()
        if batches.empty:
            raise StoreError(
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
        tagged = self.tagged(outside_geometry=retag)
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
        kept = tagged.loc[inside].reset_index(drop=True)
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
            For council exports, as in :func:`hotspots.incidents.read_council_csv`.
        tolerance_m : float, optional
            Ward tolerance (100 m by default; fixed when the wards are stored).
        wards_vintage : str, optional
            The boundaries' vintage (default: from an ONS ``WDyyCD`` column).
        date_format : str, optional
            A strftime format forced on council date columns (detected when None).
        progress : callable, optional
            Wraps the list of files (the CLI passes a progress bar).

        Returns
        -------
        list of BatchResult
        """
        bounds = self.ingest_boundaries(wards_path=wards_path, areas_path=areas_path,
                                        tolerance_m=tolerance_m, wards_vintage=wards_vintage)  # fmt: skip
        existing = self.existing_batches()
        options = IngestOptions(crime_types=crime_types, columns=columns, geocoder=geocoder,
                                address_geocoder=address_geocoder, date_format=date_format)  # fmt: skip
        sources = expand_sources(paths)
        plans = [
            plan_source(src, existing=existing, options=options, boundaries=bounds)
            for src in (progress(sources) if progress else sources)
        ]
        order, results = self.ingest_order(plans, existing)
        if order or bounds.new:
            self._write([plans[i].planned for i in order], bounds.new, existing)
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

        The first step of :meth:`ingest` (and of the Dask ingest,
        :func:`hotspots.distributed.ingest_dask`): given boundaries that differ
        from the stored ones are refused; boundaries given for the first time are
        returned in ``new``, to be written with the first batch.

        Raises
        ------
        StoreError
            If the boundaries differ from the stored ones, or none are stored or given.
        """
        from boundaries import load_wards
        from hotspots.places import read_focus_areas

        info = self.boundaries().set_index("kind")
        new_boundaries = []
        if "wards" in info.index:
            if wards_path is not None and file_checksum(Path(wards_path).read_bytes()) != info.loc["wards", "checksum"]:
                raise StoreError(
                    f"the store {describe(self.target)} was built with the wards of "
                    f"{info.loc['wards', 'file_name']!r}; {str(wards_path)!r} differs. A store "
                    "holds one set of boundaries: leave out --wards, or use a new --store"
                )
            if tolerance_m is not None and float(tolerance_m) != float(info.loc["wards", "tolerance_m"]):
                raise StoreError(
                    f"the store tags wards with --tolerance-m {info.loc['wards', 'tolerance_m']:g}; "
                    "leave out --tolerance-m or use a new --store"
                )
            wards = self.wards()
            tol = float(info.loc["wards", "tolerance_m"])
        else:
            if wards_path is None:
                raise StoreError(
                    f"the store {describe(self.target)} has no ward boundaries yet: give --wards "
                    "FILE the first time (for example ../shared/data/wards/redditch.geojson)"
                )
            wards = load_wards(wards_path)
            tol = 100.0 if tolerance_m is None else float(tolerance_m)
            found = wards.attrs.get("vintage")
            vintage = wards_vintage or (str(found) if found else ward_vintage(wards_path))
            new_boundaries.append(("wards", wards_path, vintage, tol, wards))
        if "areas" in info.index:
            if areas_path is not None and file_checksum(Path(areas_path).read_bytes()) != info.loc["areas", "checksum"]:
                raise StoreError(
                    f"the store was built with the focus areas of {info.loc['areas', 'file_name']!r}"
                    f"; {str(areas_path)!r} differs. Leave out --areas, or use a new --store"
                )
            areas = self.focus_areas()
        elif areas_path is not None and "wards" in info.index and len(self.batches()):
            raise StoreError(
                "the store already holds incidents tagged without focus areas; use a new --store "
                "to add --areas"
            )
        else:
            areas = read_focus_areas(areas_path) if areas_path is not None else None
            if areas is not None:
                new_boundaries.append(("areas", areas_path, None, None, areas))
        return IngestBoundaries(wards, areas, tol, new_boundaries)

    def existing_batches(self) -> dict[str, tuple[int, str, str]]:
        """The stored batches: batch key -> (batch id, checksum, crime types)."""
        return {
            key: (bid, checksum, types)
            for bid, key, checksum, types in self._query(
                "SELECT batch_id, batch_key, checksum, crime_types FROM batches"
            )
        }

    def ingest_order(
        self, plans: Sequence[SourcePlan], existing: dict[str, tuple[int, str, str]]
    ) -> tuple[list[int], list[BatchResult]]:
        """Which plans to write, in which order, and what ingest says about each batch.

        ``plans`` are in file order (one per file, from :func:`plan_source`). A
        batch key met twice is written once, at its first place, with the last
        file's contents; a file equal to its stored batch is not written.

        Returns
        -------
        order : list of int
            Indexes into ``plans`` of the batches to write, in the order to write them
            (the order of their batch ids).
        results : list of BatchResult
            One per batch key, in the same order as a single ingest reports them.
        """
        planned: dict[str, int] = {}
        results: dict[str, BatchResult] = {}
        for i, plan in enumerate(plans):
            if plan.unchanged:  # the same file: nothing to read or write
                row = self._query(
                    "SELECT rows_read, rows_stored, rows_rejected FROM batches WHERE batch_id = ?",
                    (existing[plan.key][0],),
                )[0]
                results[plan.key] = BatchResult(plan.key, plan.file, *map(int, row), "unchanged")
                planned.pop(plan.key, None)
                continue
            planned[plan.key] = i
            results[plan.key] = BatchResult(plan.key, plan.file, *plan.counts,
                                            "replaced" if plan.key in existing else "added")  # fmt: skip
        return list(planned.values()), list(results.values())

    def write_batches(self, planned: list[_Planned], new_boundaries: list, existing: dict) -> None:
        """Write planned batches (and boundaries stored for the first time) in ONE transaction.

        What :meth:`ingest` does once for all its files, and the Dask ingest once
        per batch (:func:`hotspots.distributed.ingest_dask`). A batch whose key is in
        ``existing`` replaces the stored one. The store version rises by one.
        """
        self._write(planned, new_boundaries, existing)

    def _write(self, planned: list[_Planned], new_boundaries: list, existing: dict) -> None:
        b = self.backend
        now = _now()
        with b.transaction() as cur:
            for kind, path, vintage, tol, frame in new_boundaries:
                cur.execute(
                    b.q("INSERT INTO boundaries (kind, file_name, checksum, vintage, tolerance_m, "
                        "attrs, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?)"),
                    (kind, str(path), file_checksum(Path(path).read_bytes()), vintage, tol,
                     json.dumps(dict(frame.attrs), default=str), now),
                )  # fmt: skip
                if kind == "wards":
                    for code, name, geom in zip(frame["ward_code"], frame["ward_name"], frame.geometry):
                        cur.execute(
                            b.q(f"INSERT INTO wards (geom, ward_code, ward_name) VALUES ({b.geom_sql}, ?, ?)"),
                            (b.geom_param(geom), str(code), str(name)),
                        )
                else:
                    for name, akind, geom in zip(frame["name"], frame["kind"], frame.geometry):
                        cur.execute(
                            b.q(f"INSERT INTO focus_areas (geom, name, kind) VALUES ({b.geom_sql}, ?, ?)"),
                            (b.geom_param(geom), str(name), str(akind)),
                        )
            for plan in planned:
                if plan.key in existing:
                    old = existing[plan.key][0]
                    for table in ("incidents", "rejects", "incident_columns", "batches"):
                        cur.execute(b.q(f"DELETE FROM {table} WHERE batch_id = ?"), (old,))
                self._write_batch(cur, plan, now)
            cur.execute(
                b.q("UPDATE store_info SET value = ? WHERE key = 'version'"),
                (str(self._version_in(cur) + 1),),
            )
            tables = {"wards": "wards", "areas": "focus_areas"}
            b.after_write(cur, {tables[k]: f.total_bounds for k, _, _, _, f in new_boundaries})

    def _version_in(self, cur) -> int:
        cur.execute("SELECT value FROM store_info WHERE key = 'version'")
        return int(cur.fetchone()[0])

    def _write_batch(self, cur, plan: _Planned, now: str) -> None:
        from hotspots.wards import OUTSIDE

        b = self.backend
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
            category = own["Crime type"] if "Crime type" in own.columns else pd.Series("", index=own.index)
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


def _falls_within(data: bytes) -> list[str]:
    import io

    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, usecols=["Falls within"], keep_default_na=False)
    except (ValueError, pd.errors.ParserError):
        return []
    return frame["Falls within"].tolist()


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
