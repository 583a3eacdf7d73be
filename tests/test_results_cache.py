"""The store's kept results (hotspots/store/results_cache.py), on GeoPackage and on PostGIS.

A result is read only at the store version it was made from: an ingest makes every
kept result stale at once, and a result made before an ingest that commits while
it is being kept is not written. Each keep is one transaction: a failed or killed
one leaves the rows as they were. The bytes come back exactly (BLOB and BYTEA).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from boundaries import get_path
from hotspots.store.results_cache import keep_result, result_rows, stored_results
from hotspots.store.store import Store, open_store
from tests.conftest import ROOT
from tests.test_store import police_file

DEMO_WARDS = get_path("demo-wards")


@pytest.fixture(params=["gpkg", "postgis"])
def target(request, tmp_path) -> str:
    """A new store on each backend, one small batch in it (store version 1)."""
    if request.param == "gpkg":
        url = str(tmp_path / "store.gpkg")
    else:
        url = request.getfixturevalue("postgis_server").new_database()
    with open_store(url) as store:
        store.ingest([police_file(tmp_path / "2019-01-test-street.csv", 30)],
                     wards_path=DEMO_WARDS)  # fmt: skip
    return url


def _month(tmp_path, month: str):
    """A second month to ingest (a new batch: the store version rises)."""
    path = police_file(tmp_path / f"{month}-test-street.csv", 20, seed=5)
    path.write_text(path.read_text().replace("2019-01", month))
    return path


def _kept(target: str) -> list[tuple]:
    """Every kept row with its bytes: (settings, period, kind, data_version, data)."""
    with open_store(target, create=False) as store:
        return [(s, p, k, v, stored_results(store, data_version=v, settings=s)[(p, k)])
                for s, p, k, v, _ in result_rows(store)]  # fmt: skip


# --------------------------------------------------------------------------- bytes


def test_bytes_round_trip_exactly(target):
    rng = np.random.default_rng(3)
    answers = {
        ("autumn 2018-19", "result"): bytes(range(256)) * 64,  # every byte, NULs included
        ("autumn 2018-19", "accuracy"): b"",  # nothing to say: an empty answer, not a missing one
        ("winter all years", "result"): rng.bytes(3_000_000),  # a large drawn map
        ("winter all years", "frame:ward:Abbey – St Johns"): b"\x00\xff" * 7 + b"\x00",
    }
    with open_store(target) as store:
        version = store.version()
        for (period, kind), data in answers.items():
            assert keep_result(store, data_version=version, settings="s1", period=period,
                               data=data, kind=kind)  # fmt: skip
        back = stored_results(store, data_version=version, settings="s1")
        assert stored_results(store, data_version=version, settings="other") == {}
    assert back.keys() == answers.keys()
    for key, data in answers.items():
        assert type(back[key]) is bytes and back[key] == data, key
    assert len(_kept(target)) == len(answers)


def test_a_result_kept_again_replaces_the_first(target):
    with open_store(target) as store:
        version = store.version()
        keep_result(store, data_version=version, settings="s", period="p", data=b"first")
        keep_result(store, data_version=version, settings="s", period="p", data=b"second")
    assert _kept(target) == [("s", "p", "result", version, b"second")]


def test_the_rows_are_listed_with_their_version_and_time(target):
    with open_store(target) as store:
        version = store.version()
        keep_result(store, data_version=version, settings="s", period="p", data=b"x")
        ((settings, period, kind, data_version, made_at),) = result_rows(store)
    assert (settings, period, kind, data_version) == ("s", "p", "result", version)
    # the same text on both backends: ISO 8601, UTC (a TIMESTAMP in PostGIS, text in SQLite)
    assert dt.datetime.strptime(made_at, "%Y-%m-%dT%H:%M:%SZ"), made_at


# --------------------------------------------------------------------------- versions


def test_a_result_of_an_old_version_is_never_read_after_an_ingest(target, tmp_path):
    with open_store(target) as store:
        old = store.version()
        assert keep_result(store, data_version=old, settings="s", period="p", data=b"old")
        store.ingest([_month(tmp_path, "2019-02")])
        new = store.version()
        assert new == old + 1
        assert stored_results(store, data_version=new, settings="s") == {}
        # kept from the old data, after the ingest: refused, nothing written
        assert not keep_result(store, data_version=old, settings="s", period="q", data=b"late")
        # nor a version the store has not reached
        assert not keep_result(store, data_version=new + 1, settings="s", period="q", data=b"?")
    assert _kept(target) == [("s", "p", "result", old, b"old")]  # stale, still there, unread
    with open_store(target) as store:
        assert keep_result(store, data_version=new, settings="s", period="q", data=b"new")
    assert _kept(target) == [("s", "q", "result", new, b"new")]  # the stale row went with it


def test_a_keep_racing_an_ingest_writes_nothing(target, tmp_path, monkeypatch):
    """The ingest holds its transaction open; a result of the old data is kept meanwhile."""
    with open_store(target) as store:
        old = store.version()
    inside, go = threading.Event(), threading.Event()
    real = Store._write_batch

    def wait_inside(self, cur, plan, now):
        real(self, cur, plan, now)
        inside.set()  # the batch is written, the transaction (and its lock) still open
        assert go.wait(120)

    monkeypatch.setattr(Store, "_write_batch", wait_inside)
    done: dict[str, object] = {}

    def ingest():
        with open_store(target) as store:
            done["ingest"] = store.ingest([_month(tmp_path, "2019-02")])

    asking = threading.Event()

    def keep():
        with open_store(target) as store:
            asking.set()
            done["kept"] = keep_result(store, data_version=old, settings="s", period="p",
                                       data=b"made from the old data")  # fmt: skip

    writer = threading.Thread(target=ingest)
    writer.start()
    assert inside.wait(120)
    keeper = threading.Thread(target=keep)
    keeper.start()
    assert asking.wait(120)
    _until_waiting_for_the_lock(target)
    go.set()
    writer.join(120)
    keeper.join(120)
    assert [r.status for r in done["ingest"]] == ["added"]
    assert done["kept"] is False
    assert _kept(target) == []
    with open_store(target) as store:
        assert store.version() == old + 1


def _until_waiting_for_the_lock(target: str) -> None:
    """Until the keeping session waits for the ingest's lock (PostGIS shows it; SQLite does not)."""
    if not target.startswith("postgresql"):
        time.sleep(0.5)  # SQLite's busy wait cannot be seen; the test holds either way
        return
    import psycopg

    with psycopg.connect(target, autocommit=True) as con:
        for _ in range(1200):
            waiting = con.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            ).fetchone()[0]
            if waiting:
                return
            time.sleep(0.1)
    raise AssertionError("the keep never waited for the ingest's lock")


# --------------------------------------------------------------------------- failures


class _FailAfterInsert(Exception):
    pass


def test_a_failed_keep_leaves_the_rows_as_they_were(target, tmp_path):
    with open_store(target) as store:
        old = store.version()
        keep_result(store, data_version=old, settings="s", period="p", data=b"kept")
        store.ingest([_month(tmp_path, "2019-02")])
        before = _kept(target)
        real = store.backend.transaction

        @contextlib.contextmanager
        def failing():
            with real() as cur:
                yield _Cursor(cur, lambda: (_ for _ in ()).throw(_FailAfterInsert()))

        store.backend.transaction = failing
        with pytest.raises(_FailAfterInsert):
            keep_result(store, data_version=old + 1, settings="s", period="p", data=b"new")
        store.backend.transaction = real
        assert stored_results(store, data_version=old + 1, settings="s") == {}
    assert _kept(target) == before  # the stale row not removed, the new one not written


class _Cursor:
    """A cursor that calls ``then`` once a row is written into ``results``."""

    def __init__(self, cur, then) -> None:
        self.cur, self.then = cur, then

    def execute(self, sql, *args):
        out = self.cur.execute(sql, *args)
        if sql.lstrip().upper().startswith("INSERT INTO RESULTS"):
            self.then()
        return out

    def __getattr__(self, name):
        return getattr(self.cur, name)


KILLED_KEEP = r"""
import contextlib, os, signal, sys
from hotspots.store.results_cache import keep_result
from hotspots.store.store import open_store
from tests.test_results_cache import _Cursor

store = open_store(sys.argv[1], create=False)
real = store.backend.transaction

@contextlib.contextmanager
def dying():  # the row is written inside the transaction, then the process is killed
    with real() as cur:
        yield _Cursor(cur, lambda: os.kill(os.getpid(), signal.SIGKILL))

store.backend.transaction = dying
keep_result(store, data_version=int(sys.argv[2]), settings="s", period="p", data=b"new" * 1000)
print("not killed")
"""


def test_a_killed_keep_leaves_no_part_of_its_row(target):
    with open_store(target) as store:
        version = store.version()
        keep_result(store, data_version=version, settings="s", period="p", data=b"kept")
    before = _kept(target)
    proc = subprocess.run([sys.executable, "-c", KILLED_KEEP, target, str(version)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == -9, proc.stdout + proc.stderr
    assert _kept(target) == before
    with open_store(target) as store:  # the store is usable: the next keep goes in
        assert keep_result(store, data_version=version, settings="s", period="p", data=b"next")
    assert _kept(target) == [("s", "p", "result", version, b"next")]


# --------------------------------------------------------------------------- at once


PARALLEL_KEEP = r"""
import sys
from hotspots.store.results_cache import keep_result, stored_results
from hotspots.store.store import open_store

with open_store(sys.argv[1], create=False) as store:
    version = store.version()
    for i in range(5):
        assert keep_result(store, data_version=version, settings="s", period=sys.argv[2],
                           data=f"{sys.argv[2]} {i}".encode(), kind=f"k{i}")
        stored_results(store, data_version=version, settings="s")
print("done")
"""


def test_workers_keeping_results_at_once_on_a_new_table_all_succeed(target):
    """Four processes keep their first results together (the results table made once)."""
    with open_store(target) as store:
        version = store.version()
    procs = [
        subprocess.Popen([sys.executable, "-c", PARALLEL_KEEP, target, f"period {n}"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for n in range(4)
    ]  # fmt: skip
    for proc in procs:
        output = proc.communicate(timeout=300)[0]
        assert proc.returncode == 0 and output.strip() == "done", output
    kept = _kept(target)
    assert len(kept) == 20 and {row[3] for row in kept} == {version}
    assert {(p, k, d) for _, p, k, _, d in kept} == {
        (f"period {n}", f"k{i}", f"period {n} {i}".encode()) for n in range(4) for i in range(5)
    }
