"""Answers ready before anyone asks: results kept at ingest, worker processes, "computing…".

These tests use the app's default path, worker processes (``HOTSPOTS_COMPUTE="workers"``;
the other web tests compute in the request's thread). Nothing is timed: a test waits,
boundedly, for the workers and checks what was computed where.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from boundaries import get_path

DEMO = {"incidents": get_path("demo-incidents"), "wards": get_path("demo-wards"),
        "areas": get_path("demo-focus-areas")}  # fmt: skip
WORKERS = {"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
           "HOTSPOTS_COMPUTE": "workers", "HOTSPOTS_COMPUTE_WORKERS": 2}  # fmt: skip
#: Workers without the load's warm-up (every period and map): for tests of asking.
ON_DEMAND = {**WORKERS, "HOTSPOTS_WARM": False}


def _kill_this_worker(ctx, *args, **kwargs):
    """Stands in for a computation: the worker process dies (killed, out of memory)."""
    os.kill(os.getpid(), signal.SIGKILL)


def _fail_in_the_worker(ctx, *args, **kwargs):
    raise RuntimeError("the clustering ran out of patience")


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def kept_store(request, tmp_path_factory):
    """A store of the demo whose results were computed and kept by ``ingest --results``.

    On each backend: a GeoPackage file, and a PostGIS database (its URL).
    """
    from click.testing import CliRunner

    from hotspots.cli import main

    if request.param == "gpkg":
        target = tmp_path_factory.mktemp("ready") / "store.gpkg"
    else:
        target = request.getfixturevalue("postgis_server").new_database()
    out = CliRunner().invoke(main, ["ingest", str(DEMO["incidents"]), "--wards",
                                    str(DEMO["wards"]), "--areas", str(DEMO["areas"]),
                                    "--store", str(target), "--results"])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "results: 15 period(s) ready in the store, with their maps (15 computed" in out.output
    return target


def _copy_store(target, tmp_path, request):
    """A copy of the store ``target`` (a file copied; a database made from it as a template)."""
    import shutil
    import uuid

    if not str(target).startswith("postgresql"):
        copy = tmp_path / "store.gpkg"
        shutil.copy(target, copy)
        return copy
    import psycopg

    server = request.getfixturevalue("postgis_server")
    source, name = str(target).rsplit("/", 1)[1], "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.url("postgres"), autocommit=True) as con:
        # a template must have no sessions: an idle worker of an earlier test may still hold one
        con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()", (source,))  # fmt: skip
        con.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
    return server.url(name)


def _rows(target):
    from hotspots.store.results_cache import result_rows
    from hotspots.store.store import open_store

    with open_store(target, create=False) as store:
        return result_rows(store), store.version()


def _until(get, done, tries: int = 1200):
    """``get()`` again (bounded) until ``done(answer)``; the last answer."""
    for _ in range(tries):
        answer = get()
        if done(answer):
            return answer
        time.sleep(0.1)
    raise AssertionError(f"still not done: {answer!r}")


def test_results_kept_at_ingest_carry_the_store_version_and_a_new_app_serves_them(kept_store):
    from webapp import create_app

    rows, version = _rows(kept_store)
    assert len(rows) == 45  # 15 periods: the result, the accuracy sentence and the viewers' map
    assert {r[2].split(":")[0] for r in rows} == {"result", "accuracy", "frame"}
    assert {r[3] for r in rows} == {version}
    assert {r[1] for r in rows} >= {"all seasons 2018-19", "autumn 2018-19", "winter all years"}

    app = create_app({**WORKERS, "HOTSPOTS_STORE": str(kept_store), "HOTSPOTS_RESULT_WAIT_S": 0})
    client = app.test_client()
    for query in ("fy=2018-19&season=autumn", "fy=all&season=winter"):
        page = client.get(f"/map?{query}")
        assert page.status_code == 200, page.get_data(True)[:300]  # no "computing…"
        assert client.get(f"/map/frame?{query}").status_code == 200
    # a ward's view filters the kept result; only its accuracy sentence is worked out (a worker)
    ward = _until(lambda: client.get("/map?fy=all&season=winter&area=ward:Abbey"),
                  lambda r: r.status_code != 202)  # fmt: skip
    assert ward.status_code == 200
    data = app.extensions["hotspots_store"]
    assert data.stats["stored"] == 15 and data.stats["stored_frames"] == 15
    # nothing asked of the workers but the ward view's accuracy sentence: read back
    assert data.stats["submitted:answer"] == data.stats["submitted:map_html"] == 0
    assert _rows(kept_store) == (rows, version)  # and nothing written again


def test_a_new_data_version_makes_the_kept_results_stale_and_the_app_makes_them_again(
    kept_store, tmp_path, write_police, request
):
    from hotspots.store.results_cache import stored_results
    from hotspots.store.store import open_store
    from tests.conftest import police_row
    from webapp import create_app

    target = _copy_store(kept_store, tmp_path, request)
    with open_store(target) as store:
        before = store.version()
        store.ingest([write_police([police_row(month="2019-01")], "2019-01-x-street.csv")])
        after = store.version()
        assert after == before + 1
        assert stored_results(store, data_version=after, settings="any") == {}
    stale = _rows(target)[0]
    assert {r[3] for r in stale} == {before}  # still there, never read at the new version

    app = create_app({**WORKERS, "HOTSPOTS_STORE": str(target), "HOTSPOTS_RESULT_WAIT_S": 0})
    data = app.extensions["hotspots_store"]
    data.loaded()  # the app's load: every period asked of the workers
    assert data.stats["stored"] == 0 and data.stats["submitted:map_html"] == 15
    _until(data.computing, lambda n: n == 0)
    rows, version = _rows(target)
    assert version == after and len(rows) == 45 and {r[3] for r in rows} == {after}
    assert app.test_client().get("/map?fy=2018-19&season=summer").status_code == 200


def test_a_cold_analyst_selection_says_computing_then_shows_the_map(make_app):
    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    client = app.test_client()
    query = "fy=2017-18&season=spring&eps=85&min_samples=6"
    # Each first ask of a cold selection answers at once (HOTSPOTS_RESULT_WAIT_S=0): the page,
    # the frame and the API each ask for a selection of their own, so a worker that has
    # already finished one (a quiet machine) cannot make the next ask ready.
    page = client.get(f"/map?{query}")
    assert page.status_code == 202
    body = page.get_data(True)
    assert 'id="computing"' in body and 'role="status"' in body
    assert '<meta http-equiv="refresh" content="2">' in body and "Traceback" not in body
    assert "spring, 2017-18, whole borough" in body and page.headers["Retry-After"] == "2"
    assert "<script" not in body  # no script needed: it refreshes itself, offline too
    frame = client.get(f"/map/frame?{query.replace('eps=85', 'eps=86')}")
    assert frame.status_code == 202 and 'id="computing"' in frame.get_data(True)
    assert 'id="nav"' not in frame.get_data(True)  # inside the map's frame: the note only
    api = client.get(f"/api/clusters?{query.replace('eps=85', 'eps=87')}")
    assert api.status_code == 202 and api.get_json()["status"] == "computing"

    done = _until(lambda: client.get(f"/map?{query}"), lambda r: r.status_code != 202)
    assert done.status_code == 200 and 'id="map-frame"' in done.get_data(True)
    frame = _until(lambda: client.get(f"/map/frame?{query}"), lambda r: r.status_code != 202)
    assert frame.status_code == 200 and b"leaflet" in frame.data.lower()
    doc = client.get(f"/api/clusters?{query}").get_json()
    assert doc["eps_m"] == 85 and doc["min_samples"] == 6 and doc["simulations"]


def test_request_threads_never_run_the_analysis(make_app, monkeypatch):
    """With workers, no page makes the server process cluster, test or score anything."""
    from hotspots import precompute, results
    from hotspots.analysis import backtest, significance

    ran = []

    def guard(name):
        def refuse(*args, **kwargs):
            ran.append(name)
            raise AssertionError(f"{name} ran in the server process")

        return refuse

    for module, name in ((results, "analyse_period"), (precompute, "analyse_period"),
                         (results, "place_patterns_of"), (significance, "cluster_significance"),
                         (backtest, "previous_window_accuracy")):  # fmt: skip
        monkeypatch.setattr(module, name, guard(name))
    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    client = app.test_client()
    for path in ("/map?fy=2018-19&season=winter", "/map/frame?fy=2018-19&season=winter",
                 "/clusters?fy=2018-19&season=winter&area=ward:Abbey",
                 "/map?fy=2018-19&season=winter&area=ward:Abbey",
                 "/api/patterns?fy=2018-19&season=winter",
                 "/map?fy=2017-18&season=autumn&eps=90",
                 "/api/patterns?fy=2017-18&season=autumn&eps=90",
                 "/tasking?fy=2018-19&season=winter"):  # fmt: skip
        page = _until(lambda p=path: client.get(p), lambda r: r.status_code != 202)
        assert page.status_code == 200, (path, page.get_data(True)[:300])
    assert ran == []


def test_a_killed_worker_gives_an_error_page_and_the_next_request_computes(make_app, monkeypatch):
    from hotspots import precompute

    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    client = app.test_client()
    client.get("/healthz")
    app.extensions["hotspots_store"].loaded()
    monkeypatch.setattr(precompute, "compute_period", _kill_this_worker)
    query = "fy=2018-19&season=summer&eps=95"
    failed = _until(lambda: client.get(f"/map?{query}"), lambda r: r.status_code != 202)
    assert failed.status_code == 500
    body = failed.get_data(True)
    assert "could not be computed" in body and "stopped" in body and "Traceback" not in body
    monkeypatch.undo()
    again = _until(lambda: client.get(f"/map?{query}"), lambda r: r.status_code != 202)
    assert again.status_code == 200, again.get_data(True)[:300]


def test_a_failure_in_a_worker_is_said_once_on_the_page_and_in_the_api(make_app, monkeypatch):
    from hotspots import precompute

    monkeypatch.setattr(precompute, "compute_period", _fail_in_the_worker)
    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    client = app.test_client()
    query = "fy=2017-18&season=winter&eps=75"
    failed = _until(lambda: client.get(f"/api/clusters?{query}"), lambda r: r.status_code != 202)
    assert failed.status_code == 500
    assert "ran out of patience" in failed.get_json()["error"]
    assert client.get(f"/api/clusters?{query}").status_code == 202  # asked again, not kept


def test_ingest_no_results_keeps_none_and_says_nothing_of_them(tmp_path, runner):
    target = tmp_path / "store.gpkg"
    out = runner.run("ingest", DEMO["incidents"], "--wards", DEMO["wards"], "--store", target,
                     "--no-results")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "results:" not in out.output
    assert _rows(target) == ([], 1)


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    from pathlib import Path

    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc (Linux)")
def test_a_killed_server_leaves_no_worker_process_behind():
    """``serve`` stopped with SIGKILL (no clean-up): its workers and forkserver end by themselves."""
    import socket
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", "from hotspots.cli import main; main()",
                             "serve", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _until(lambda: _ok(f"http://127.0.0.1:{port}/healthz"), bool)
        # the load's warm-up has started the workers (each loads the data)
        workers = _until(lambda: _descendants(proc.pid), lambda found: len(found) >= 3)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert _until(lambda: [p for p in workers if _alive(p)], lambda left: not left) == []


def _ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False
