"""The store's results: each period's default answer, kept with the data version it was made from.

A ``results`` table (made the first time a result is kept, so stores made
before it need no new layout): one row per (``settings``, ``period``, ``kind``)
holding the bytes of an answer (:func:`hotspots.results.encode_result`), the
store version it was computed from (``data_version``) and when. ``settings``
names everything else the answer depends on (crime types, DBSCAN settings,
chance test, the code's result format; see
:func:`hotspots.precompute.settings_key`).

A row is only ever read for the store's current version: an ingest (which
raises the version) makes every kept result stale at once, and the next write
removes the stale rows. Each write is one transaction that first checks the
store version is still the one the answer was computed from (an ingest may
have committed meanwhile; then nothing is written): a killed process leaves
the rows written before it, each whole, and never a part of one. Keeping a
result does not raise the store version (it is not data).
"""

from __future__ import annotations

import datetime as dt
import logging

log = logging.getLogger(__name__)
#: How ``made_at`` is written, and given back by :func:`result_rows` from either backend.
_MADE_AT = "%Y-%m-%dT%H:%M:%SZ"

_GPKG_DDL = (
    "CREATE TABLE IF NOT EXISTS results (settings TEXT NOT NULL, period TEXT NOT NULL, "
    "kind TEXT NOT NULL, data_version INTEGER NOT NULL, data BLOB NOT NULL, "
    "made_at DATETIME NOT NULL, PRIMARY KEY (settings, period, kind))",
    "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description) "
    "VALUES ('results', 'attributes', 'results', 'answers computed in advance (hotspots)')",
)
_POSTGIS_DDL = (
    "CREATE TABLE IF NOT EXISTS results (settings TEXT NOT NULL, period TEXT NOT NULL, "
    "kind TEXT NOT NULL, data_version BIGINT NOT NULL, data BYTEA NOT NULL, "
    "made_at TIMESTAMP NOT NULL, PRIMARY KEY (settings, period, kind))",
)


def _has_table(store) -> bool:
    if store.backend.name == "PostGIS":
        return bool(store._query("SELECT to_regclass('results') IS NOT NULL")[0][0])
    return bool(
        store._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'results'")
    )


def keep_result(
    store, *, data_version: int, settings: str, period: str, data: bytes, kind: str = "result"
) -> bool:
    """Keep one answer made from the store at ``data_version``; False when the store moved on.

    One transaction: the store version is checked first (an ingest since the
    answer was computed: nothing is written), rows of other versions are
    removed, and the row is written (replacing one of the same settings,
    period and kind).

    Examples
    --------
    >>> import tempfile, os
    >>> from hotspots.store.store import open_store
    >>> with open_store(os.path.join(tempfile.mkdtemp(), "s.gpkg")) as store:
    ...     keep_result(store, data_version=0, settings="s", period="autumn 2018-19", data=b"x")
    ...     stored_results(store, data_version=0, settings="s")
    ...     stored_results(store, data_version=1, settings="s")
    True
    {('autumn 2018-19', 'result'): b'x'}
    {}
    """
    b = store.backend
    now = dt.datetime.now(dt.UTC).strftime(_MADE_AT)
    with b.transaction() as cur:
        for sql in _POSTGIS_DDL if b.name == "PostGIS" else _GPKG_DDL:
            cur.execute(sql)
        cur.execute("SELECT value FROM store_info WHERE key = 'version'")
        current = int(cur.fetchone()[0])
        if current != int(data_version):
            log.info("result of %s not kept: made from store version %s, the store is at %s",
                     period, data_version, current)  # fmt: skip
            return False
        cur.execute(b.q("DELETE FROM results WHERE data_version <> ?"), (current,))
        cur.execute(
            b.q("DELETE FROM results WHERE settings = ? AND period = ? AND kind = ?"),
            (settings, period, kind),
        )
        cur.execute(
            b.q("INSERT INTO results (settings, period, kind, data_version, data, made_at) "
                "VALUES (?, ?, ?, ?, ?, ?)"),
            (settings, period, kind, current, data, now),
        )  # fmt: skip
    return True


def stored_results(store, *, data_version: int, settings: str) -> dict[tuple[str, str], bytes]:
    """The kept answers of ``settings`` made from ``data_version``: (period, kind) -> bytes.

    Empty when none are kept, or only answers of another version (stale).
    """
    if not _has_table(store):
        return {}
    rows = store._query(
        "SELECT period, kind, data FROM results WHERE settings = ? AND data_version = ?",
        (settings, int(data_version)),
    )
    return {(period, kind): bytes(data) for period, kind, data in rows}


def result_rows(store) -> list[tuple[str, str, str, int, str]]:
    """Every kept row without its bytes: (settings, period, kind, data_version, made_at).

    ``made_at`` is ISO 8601 text in UTC (``2019-01-31T18:00:00Z``) on both backends.
    """
    if not _has_table(store):
        return []
    return [
        (s, p, k, int(v), _made_at(m))
        for s, p, k, v, m in store._query(
            "SELECT settings, period, kind, data_version, made_at FROM results "
            "ORDER BY settings, period, kind"
        )
    ]


def _made_at(value) -> str:
    """When a row was kept, as written: PostGIS gives a datetime (TIMESTAMP), SQLite the text."""
    return value.strftime(_MADE_AT) if isinstance(value, dt.datetime) else str(value)
