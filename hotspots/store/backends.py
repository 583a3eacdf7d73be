"""The store's two backends: GeoPackage (SQLite) and PostGIS."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from hotspots._secrets import connection_url, redact_text
from hotspots.store.address import DATABASE_ENV, StoreError, describe

log = logging.getLogger(__name__)


_EPSG = 27700


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


#: How much of a GeoPackage is memory-mapped while the column copies are read.
_MMAP_BYTES = 1 << 34


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
    rows = np.zeros(
        len(x), dtype=[("h", "S8"), ("bo", "u1"), ("t", "<u4"), ("x", "<f8"), ("y", "<f8")]
    )
    rows["h"] = _gpkg_header()
    rows["bo"] = 1
    rows["t"] = 1
    rows["x"] = x
    rows["y"] = y
    return rows.view("V29").tolist()


def _gpkg_geometry(geom) -> bytes:
    import shapely

    return _gpkg_header() + shapely.to_wkb(geom, byte_order=1)


def _statements(script: str) -> Iterator[str]:
    """The SQL statements of a script, one at a time (split where SQLite sees one end)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement.strip()
            statement = ""
    if statement.strip():
        yield statement.strip()


def _from_gpkg(blob: bytes):
    import shapely

    flags = blob[3]
    envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(flags >> 1) & 0b111]
    return shapely.from_wkb(bytes(blob[8 + envelope :]))


class _Backend:
    """What differs between SQLite/GeoPackage and PostGIS."""

    name = ""
    param = "?"

    def q(self, sql: str) -> str:
        return sql if self.param == "?" else sql.replace("?", "%s")

    @contextlib.contextmanager
    def reading_blobs(self) -> Iterator[None]:
        """Around reading many large values (the column copies)."""
        yield

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Every read inside sees the store as of one moment (an ingest may commit meanwhile)."""
        yield


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

        wkt = CRS.from_epsg(_EPSG).to_wkt("WKT1_GDAL")
        wgs = CRS.from_epsg(4326).to_wkt("WKT1_GDAL")
        cols = ", ".join(f"{name} {kind}" for name, kind in SQL_COLUMNS.items())
        ddl = f"""
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
        ddl += (
            "".join(f"CREATE INDEX incidents_{c} ON incidents({c});\n" for c in _INDEXED)
            + "CREATE INDEX rejects_batch_id ON rejects(batch_id);\n"
        )
        # First the lock, then the look: processes opening a new file together (the same
        # ingest started twice) set it up once; the others find the store made meanwhile.
        self.con.execute("BEGIN IMMEDIATE")
        try:
            if self._has("store_info"):
                self.con.execute("COMMIT")
                return
            if self._has("batches") or (
                self._has("gpkg_contents") and not self._has("gpkg_spatial_ref_sys")
            ):
                raise StoreError(f"{self.path}: holds tables but is not a hotspots store")
            for statement in _statements(ddl):  # one by one: executescript would commit first
                self.con.execute(statement)
        except BaseException:
            if self.con.in_transaction:
                self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

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

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: an ingest's commit waits for it (a second or two)."""
        if self.con.in_transaction:
            yield
            return
        self.con.execute("BEGIN")
        try:
            yield
        finally:
            self.con.execute("COMMIT")

    @contextlib.contextmanager
    def reading_blobs(self) -> Iterator[None]:
        """Read through a memory map: SQLite then copies each page once, not twice."""
        self.con.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
        try:
            yield
        finally:
            self.con.execute("PRAGMA mmap_size = 0")

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
        # a password written with a bare '@' is encoded, so libpq reads the host a person means
        self.url = connection_url(url.replace("postgresql+psycopg://", "postgresql://"))
        try:
            self.con = psycopg.connect(self.url, application_name="hotspots", autocommit=True,
                                       connect_timeout=10)  # fmt: skip
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            first = redact_text(first, url, self.url)  # libpq may quote the address
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
                # First the lock: ingests starting together on a new database set it up once.
                # (pg_tables, not to_regclass: its catalog cache may not yet show a table
                # another session made while this one waited for the lock.)
                self.con.execute("SELECT pg_advisory_xact_lock(27700)")
                if self.con.execute(
                    "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename = 'store_info')"
                ).fetchone()[0]:
                    return
                self.con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
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
                f"cannot set up the PostGIS store {describe(self.url)}: "
                f"{redact_text(str(exc), self.url)}".strip()
                + " (the database needs the postgis extension: CREATE EXTENSION postgis)"
            ) from None

    @contextlib.contextmanager
    def transaction(self):
        with self.con.transaction(), self.con.cursor() as cur:
            cur.execute("LOCK TABLE batches IN EXCLUSIVE MODE")
            yield cur

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One REPEATABLE READ transaction (readers never wait for writers in PostgreSQL)."""
        if self.con.info.transaction_status != 0:  # already in a transaction
            yield
            return
        with self.con.transaction():
            self.con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

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
