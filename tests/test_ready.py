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
    # nothing asked of the workers but the ward view's accuracy sentence (and the analysts' maps
    # of the latest periods, which warm each worker up): read back
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


def _accuracy(page) -> str | None:
    """The accuracy sentence of a map or tasking page (None: it shows none)."""
    import re

    found = re.search(r'<p id="accuracy"[^>]*>(.*?)</p>', page.get_data(True))
    return found.group(1) if found else None


@pytest.mark.parametrize("area", ["borough", "ward:Abbey"])
def test_a_cold_analyst_selection_is_one_worker_task_for_its_page_and_its_map(
    make_app, client, area
):
    """The page, its accuracy sentence and its map frame come from one task, not one each."""
    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    analyst = app.test_client()
    query = f"fy=2018-19&season=winter&area={area}&eps=85"
    page = _until(lambda: analyst.get(f"/map?{query}"), lambda r: r.status_code != 202)
    assert page.status_code == 200, page.get_data(True)[:300]
    frame = analyst.get(f"/map/frame?{query}")  # made with the page: no "computing…"
    assert frame.status_code == 200 and b"leaflet" in frame.data.lower()
    data = app.extensions["hotspots_store"]
    assert data.stats["submitted"] == data.stats["submitted:answer"] == 1, data.stats
    inline = client.get(f"/map?{query}")  # computed in the request's thread, as before
    assert _accuracy(page) is not None and _accuracy(page) == _accuracy(inline)


def test_a_cold_map_frame_alone_is_one_task_and_its_page_then_asks_for_the_sentence(
    make_app, client
):
    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    analyst = app.test_client()
    query = "fy=2018-19&season=winter&eps=95"
    frame = _until(lambda: analyst.get(f"/map/frame?{query}"), lambda r: r.status_code != 202)
    assert frame.status_code == 200 and b"leaflet" in frame.data.lower()
    data = app.extensions["hotspots_store"]
    assert data.stats["submitted"] == 1, data.stats
    # the frame's task left the borough's sentence out (the frame does not show it)
    page = _until(lambda: analyst.get(f"/map?{query}"), lambda r: r.status_code != 202)
    assert page.status_code == 200
    assert data.stats["submitted"] == 2 and data.stats["submitted:accuracy"] == 1, data.stats
    assert _accuracy(page) is not None and _accuracy(page) == _accuracy(client.get(f"/map?{query}"))


def test_a_cold_analyst_tasking_page_is_one_worker_task(make_app, client):
    """The answer, the ward's accuracy sentence, the place patterns and the sheet: one task."""
    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    analyst = app.test_client()
    query = "fy=2018-19&season=winter&area=ward:Abbey&eps=85"
    page = _until(lambda: analyst.get(f"/tasking?{query}"), lambda r: r.status_code != 202)
    assert page.status_code == 200, page.get_data(True)[:300]
    sheet = analyst.get(f"/tasking.csv?{query}")  # made with the page
    data = app.extensions["hotspots_store"]
    assert data.stats["submitted"] == data.stats["submitted:answer"] == 1, data.stats
    assert sheet.status_code == 200 and sheet.data == client.get(f"/tasking.csv?{query}").data
    assert _accuracy(page) is not None and _accuracy(page) == _accuracy(
        client.get(f"/tasking?{query}"))  # fmt: skip


def test_request_threads_never_run_the_analysis(make_app, monkeypatch):
    """With workers, no page makes the server process cluster, test or score anything, nor
    count the ward table, the monthly profile or the summary, nor make a chart, a tasking sheet
    or its PDF, or a deck."""
    from hotspots import precompute, results
    from hotspots.analysis import backtest, significance
    from hotspots.outputs import deck, tasking
    from webapp import results as web_results
    from webapp import tasks

    ran = []

    def guard(name):
        def refuse(*args, **kwargs):
            ran.append(name)
            raise AssertionError(f"{name} ran in the server process")

        return refuse

    for module, name in ((results, "analyse_period"), (precompute, "analyse_period"),
                         (results, "place_patterns_of"), (significance, "cluster_significance"),
                         (backtest, "previous_window_accuracy"),
                         (web_results, "ward_table_for"),
                         (web_results, "monthly_for"), (web_results, "summary_for"),
                         (tasks, "profile_charts"), (tasking, "write_sheet"),
                         (tasking, "sheet_from_clusters"),
                         (deck, "build_deck")):  # fmt: skip
        monkeypatch.setattr(module, name, guard(name))
    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    client = app.test_client()
    for path in ("/map?fy=2018-19&season=winter", "/map/frame?fy=2018-19&season=winter",
                 "/clusters?fy=2018-19&season=winter&area=ward:Abbey",
                 "/map?fy=2018-19&season=winter&area=ward:Abbey",
                 "/api/patterns?fy=2018-19&season=winter",
                 "/map?fy=2017-18&season=autumn&eps=90",
                 "/map/frame?fy=2017-18&season=autumn&eps=90",
                 "/map?fy=2017-18&season=summer&area=ward:Abbey&eps=90",
                 "/api/patterns?fy=2017-18&season=autumn&eps=90",
                 "/tasking?fy=2018-19&season=winter",
                 "/tasking?fy=2017-18&season=winter&eps=90",
                 "/wards?fy=2018-19&season=winter", "/wards.csv?fy=2018-19&season=autumn",
                 "/seasonal?fy=2018-19&area=ward:Abbey", "/api/wards?fy=2018-19&season=winter",
                 "/api/incidents/summary?fy=2018-19&season=winter&area=ward:Abbey",
                 "/tasking.pdf?fy=2018-19&season=winter", "/report.pptx?fy=2018-19"):  # fmt: skip
        page = _until(lambda p=path: client.get(p), lambda r: r.status_code != 202)
        assert page.status_code == 200, (path, page.get_data(True)[:300])
    assert ran == []


def test_tables_charts_and_documents_made_in_the_workers_are_those_of_the_threads(make_app, client):
    """The ward table, the monthly chart and the summary: as computed inline."""
    import re

    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    worker = app.test_client()
    for path in ("/wards.csv?fy=2018-19&season=winter&area=ward:Abbey",
                 "/api/incidents/summary?fy=2018-19&season=winter&area=ward:Abbey",
                 "/seasonal?fy=2018-19&area=ward:Abbey"):  # fmt: skip
        first = worker.get(path)
        assert first.status_code == 202, path  # asked of the workers: "computing…" at first
        made = _until(lambda p=path: worker.get(p), lambda r: r.status_code != 202)
        inline = client.get(path)
        assert made.status_code == inline.status_code == 200, path
        if path.startswith("/seasonal"):
            svg = [
                re.search(r"<svg.*</svg>", r.get_data(True), re.S).group(0) for r in (made, inline)
            ]
            assert svg[0] == svg[1]
        else:
            assert made.data == inline.data, path
    data = app.extensions["hotspots_store"]
    asked = {k for k in data.stats if k.startswith("submitted:")}
    assert asked >= {"submitted:ward_table", "submitted:summary", "submitted:seasonal"}, asked
    for path, starts in (("/tasking.pdf?fy=2018-19&season=winter", b"%PDF"),
                         ("/report.pptx?fy=2018-19", b"PK")):  # fmt: skip
        made = _until(lambda p=path: worker.get(p), lambda r: r.status_code != 202)
        assert made.status_code == 200 and made.data.startswith(starts), path


def test_a_killed_worker_gives_an_error_page_and_the_next_request_computes(make_app, monkeypatch):
    from webapp import tasks

    app = make_app(**ON_DEMAND, HOTSPOTS_RESULT_WAIT_S=0)
    client = app.test_client()
    client.get("/healthz")
    app.extensions["hotspots_store"].loaded()
    monkeypatch.setattr(tasks, "selection_answer", _kill_this_worker)
    query = "fy=2018-19&season=summer&eps=95"
    failed = _until(lambda: client.get(f"/map?{query}"), lambda r: r.status_code != 202)
    assert failed.status_code == 500
    body = failed.get_data(True)
    assert "could not be computed" in body and "stopped" in body and "Traceback" not in body
    monkeypatch.undo()
    again = _until(lambda: client.get(f"/map?{query}"), lambda r: r.status_code != 202)
    assert again.status_code == 200, again.get_data(True)[:300]


def test_a_failure_in_a_worker_is_said_once_on_the_page_and_in_the_api(make_app, monkeypatch):
    from webapp import tasks

    monkeypatch.setattr(tasks, "selection_answer", _fail_in_the_worker)
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


def test_asking_for_background_work_does_not_wait_for_the_workers_to_start(monkeypatch):
    """The first task starts the processes (the forkserver's imports first): a web app's load
    that asks for every period's answer must not wait for that, nor for each other."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from hotspots import precompute
    from hotspots.loader import DataSpec

    started = threading.Event()

    class Starting(ThreadPoolExecutor):  # a pool whose processes are still starting
        def submit(self, *args, **kwargs):
            started.wait()
            return super().submit(*args, **kwargs)

    workers = precompute.Workers(2)
    monkeypatch.setattr(workers, "_new", lambda: Starting(2))
    spec = DataSpec()
    asked = []
    load = threading.Thread(target=lambda: asked.extend(
        workers.submit(spec, spec.version(), precompute.periods_of, background=True)
        for _ in range(3)))  # fmt: skip
    load.start()
    load.join(timeout=60)  # bounded: without the change it waits for ever
    try:
        assert not load.is_alive() and len(asked) == 3
    finally:
        started.set()
    assert [len(job.result(timeout=120)) for job in asked] == [15, 15, 15]
    workers.shutdown()
