"""The Dask engine gives the single-machine clusters, also across a force boundary."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from geopandas.testing import assert_geodataframe_equal

from hotspots.analysis.cluster import ClusterParams, dbscan_labels, distinct_points
from hotspots.distributed import force_of, partitioned_labels
from hotspots.read.geocode import bng_to_lonlat
from tests.conftest import police_row


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_area_by_area_labels_equal_plain_dbscan(seed):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 3000, (12, 2))
    xy = np.vstack([rng.normal(c, 40, (60, 2)).round(-1) for c in centres] +
                   [rng.uniform(0, 3000, (300, 2)).round(-1)])  # fmt: skip
    xy = xy[rng.permutation(len(xy))]
    inverse, uniq, counts = distinct_points(xy)
    area = np.where(uniq[:, 0] < 1000, "a", np.where(uniq[:, 1] < 1500, "b", "c"))
    for eps, ms in ((60, 4), (100, 8), (150, 20)):
        want = dbscan_labels(xy, eps_m=eps, min_samples=ms)
        got = partitioned_labels(uniq, counts, area, eps_m=eps, min_samples=ms)[inverse]
        assert want.max() >= 3
        np.testing.assert_array_equal(got, want)


def _rows(xy, month, location):
    lon, lat = bng_to_lonlat(xy[:, 0], xy[:, 1])
    return [police_row(f"{a:.6f}", f"{b:.6f}", month, location) for a, b in zip(lon, lat)]


@pytest.fixture
def two_forces(write_police):
    """Two forces (west of x=405000 and east of it), two months, a cluster on the boundary."""
    rng = np.random.default_rng(4)
    files = []
    for month in ("2018-10", "2018-11"):
        west = np.vstack([
            rng.normal([403800, 267000], 25, (25, 2)),           # a cluster in the west
            rng.normal([404960, 267300], 20, (12, 2)),           # the west half of the straddler
            rng.uniform([403100, 266100], [404900, 267900], (15, 2)),  # noise
        ]).round(-1)  # fmt: skip
        east = np.vstack([
            rng.normal([406200, 266800], 25, (20, 2)),
            rng.normal([405040, 267300], 20, (12, 2)),
            rng.uniform([405100, 266100], [406900, 267900], (15, 2)),
        ]).round(-1)  # fmt: skip
        west = west[west[:, 0] < 405000]
        east = east[east[:, 0] >= 405000]
        files.append(write_police(_rows(west, month, "On or near West Street"),
                                  f"{month}-west-force-street.csv"))  # fmt: skip
        files.append(write_police(_rows(east, month, "On or near East Road"),
                                  f"{month}-east-force-street.csv"))  # fmt: skip
    return files


def test_dask_engine_equals_the_single_machine_path(two_forces, square_wards):
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import prepare
    from hotspots.distributed import connect, hotspots_dask
    from hotspots.read.incidents import read_incidents

    params = ClusterParams(eps_m=60, min_samples=6)
    single = hotspots_for(prepare(read_incidents(two_forces), square_wards), params=params,
                          season="autumn")  # fmt: skip
    with connect(n_workers=1, processes=False) as client:
        out, info = hotspots_dask(two_forces, square_wards, client=client, params=params,
                                  season="autumn")  # fmt: skip
    assert info["forces"] == ["east-force", "west-force"]
    assert info["chosen"] == single.attrs["selected"]
    assert len(single) >= 3
    # the straddling cluster is one cluster, with incidents from both forces' files
    both = single[
        single["top_locations"].str.contains("West") & single["top_locations"].str.contains("East")
    ]
    assert len(both) == 1 and both["incidents"].iloc[0] >= 40
    assert_geodataframe_equal(out, single, check_less_precise=False)
    for key in ("min_samples", "selected", "clustered", "parameters", "period"):
        assert out.attrs[key] == single.attrs[key], key


def test_dask_engine_uses_a_month_given_twice_once(two_forces, square_wards, tmp_path, threads):
    """The same month twice (a copy under another name too): the single-copy clusters, as on one
    machine; and a semicolon copy is read as the other commands read it."""
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import prepare
    from hotspots.distributed import hotspots_dask
    from hotspots.read.incidents import read_incidents

    params = ClusterParams(eps_m=60, min_samples=6)
    single = hotspots_for(prepare(read_incidents(two_forces), square_wards), params=params,
                          season="autumn")  # fmt: skip
    copy = tmp_path / "copy" / "west-october.csv"  # no police.uk name: known by its contents
    copy.parent.mkdir()
    copy.write_text(
        two_forces[0].read_text().replace(",", ";").replace("West Mercia", "West Force")
    )
    out, info = hotspots_dask([*two_forces, two_forces[0], copy], square_wards, client=threads,
                              params=params, season="autumn")  # fmt: skip
    assert info["chosen"] == single.attrs["selected"]
    assert_geodataframe_equal(out, single, check_less_precise=False)


def test_dask_engine_views_a_ward_as_the_single_machine_does(two_forces, square_wards):
    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import prepare
    from hotspots.distributed import connect, hotspots_dask
    from hotspots.read.incidents import read_incidents

    params = ClusterParams(eps_m=60, min_samples=6)
    prepared = prepare(read_incidents(two_forces), square_wards)
    with connect(n_workers=1, processes=False) as client:
        for ward in ("West", "East"):
            single = hotspots_for(prepared, params=params, ward=ward)
            out, _ = hotspots_dask(two_forces, square_wards, client=client, params=params,
                                   ward=ward)  # fmt: skip
            assert len(single) >= 1 and set(single["ward"]) == {ward}
            assert_geodataframe_equal(out, single)
            assert out.attrs["selected"] == single.attrs["selected"] < prepared.incidents.shape[0]


def test_force_names_come_from_police_uk_file_names():
    assert force_of("/data/2019-02-west-mercia-street.csv") == "west-mercia"
    assert force_of("x.zip:2019-02/2019-02-dyfed-powys-street.csv") == "dyfed-powys"


def test_cli_engine_dask_writes_the_same_clusters(two_forces, square_wards, tmp_path, monkeypatch):
    import geopandas as gpd
    from click.testing import CliRunner

    import hotspots.distributed as dist
    from hotspots.cli import main

    real_connect = dist.connect

    def small_local(scheduler=None, **_):
        assert scheduler is None
        return real_connect(None, n_workers=1, processes=False)

    monkeypatch.setattr(dist, "connect", small_local)
    monkeypatch.delenv(dist.SCHEDULER_ENV, raising=False)
    wards = tmp_path / "wards.geojson"
    square_wards.rename(columns={"ward_name": "name", "ward_code": "code"}).to_file(wards)
    files = [str(p) for p in two_forces]
    common = [
        *files,
        "--wards",
        str(wards),
        "--eps-m",
        "60",
        "--min-samples",
        "6",
        "--simulations",
        "0",
    ]
    runner = CliRunner()
    one = runner.invoke(main, ["clusters", *common, "-o", str(tmp_path / "one.gpkg")])
    two = runner.invoke(
        main, ["clusters", *common, "--engine", "dask", "-o", str(tmp_path / "two.gpkg")]
    )
    assert one.exit_code == 0, one.output
    assert two.exit_code == 0, two.output
    assert "2 force area(s)" in two.output
    assert one.output.splitlines()[-1] == two.output.splitlines()[-1]  # the same table
    a, b = gpd.read_file(tmp_path / "one.gpkg"), gpd.read_file(tmp_path / "two.gpkg")
    assert len(a) >= 3
    assert_geodataframe_equal(a, b)


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    from hotspots._errors import HotspotsError
    from hotspots.distributed import connect

    monkeypatch.setenv("HOTSPOTS_DASK_TIMEOUT", "2s")
    with pytest.raises(
        HotspotsError, match=r"cannot reach the Dask scheduler at 'tcp://127\.0\.0\.1:9'"
    ):
        connect("tcp://127.0.0.1:9")


def test_dask_engine_reads_police_uk_zips_like_the_single_machine(
    two_forces, square_wards, tmp_path
):
    import zipfile

    from hotspots.analysis.hotspots import hotspots_for
    from hotspots.analysis.prepare import prepare
    from hotspots.distributed import connect, hotspots_dask
    from hotspots.read.incidents import read_incidents

    archive = tmp_path / "police.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in two_forces:
            zf.write(path, f"{path.name[:7]}/{path.name}")
    params = ClusterParams(eps_m=60, min_samples=6)
    single = hotspots_for(prepare(read_incidents([archive]), square_wards), params=params)
    with connect(n_workers=1, processes=False) as client:
        out, info = hotspots_dask([archive], square_wards, client=client, params=params)
    assert info["forces"] == ["east-force", "west-force"] and len(single) >= 3
    assert_geodataframe_equal(out, single)


# --------------------------------------------------------------------------- ingest on Dask


def _new_store(backend: str, request, tmp_path, name: str) -> str:
    if backend == "gpkg":
        return str(tmp_path / f"{name}.gpkg")
    return request.getfixturevalue("postgis_server").new_database()


def store_dump(target: str) -> dict:
    """Every row of every store table (ids included; load times and the version left out)."""
    from hotspots.store.store import open_store

    tables = {"batches": "batch_id", "incidents": "fid", "rejects": "fid",
              "incident_columns": "batch_id", "wards": "fid", "focus_areas": "fid",
              "boundaries": "kind"}  # fmt: skip
    out = {}
    with open_store(target, create=False) as store:
        con = store.backend.con
        for table, key in tables.items():
            cur = con.execute(f"SELECT * FROM {table} ORDER BY {key}")
            names = [d[0] for d in cur.description]
            rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in cur.fetchall()]  # fmt: skip
            keep = [i for i, n in enumerate(names) if n != "loaded_at"]
            out[table] = [tuple(r[i] for i in keep) for r in rows]
        out["version"] = store.version()
        out["problems"] = store.check().problems
    return out


def assert_same_store(a: dict, b: dict) -> None:
    assert a["problems"] == b["problems"] == []
    for table in a:
        if table not in ("version", "problems"):
            assert a[table] == b[table], table


def _council_file(path, rows: list[str]):
    path.write_text("date,category,longitude,latitude\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def archive(two_forces, write_police, tmp_path, square_wards):
    """Four force-month files, one with rejects, a council export with rejects, a zip
    holding a second copy of one month (the same batch twice), and the wards as a file."""
    import zipfile

    west = two_forces[0]
    bad = [police_row("", "", "2018-12", "No Location"), police_row("-1.93", "x", "2018-12")]
    lines = west.read_text().splitlines()[1:]
    dec = write_police(lines[:20] + bad + lines[20:], "2018-12-west-force-street.csv")
    council = _council_file(tmp_path / "council_cases.csv", [
        "2018-11-03,Rowdy behaviour,-1.94,52.306", "not a date,Noise,-1.94,52.306",
        "2018-11-04,Noise,,", "2018-11-05,Nuisance,-1.95,52.31",
    ])  # fmt: skip
    zipped = tmp_path / "again.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(two_forces[1], f"2018-10/{two_forces[1].name}")
    wards = tmp_path / "wards.geojson"
    square_wards.rename(columns={"ward_name": "name", "ward_code": "code"}).to_file(wards)
    return {"files": [*two_forces, dec, council, zipped], "wards": wards}


@pytest.fixture(scope="module")
def threads():
    """A Dask cluster of two worker threads in this process (fast to start)."""
    from hotspots.distributed import connect

    with connect(n_workers=2, processes=False) as client:
        yield client


@pytest.mark.parametrize("backend", ["gpkg", "postgis"])
def test_dask_ingest_gives_the_single_machine_store(backend, archive, threads, request, tmp_path):
    from hotspots.distributed import ingest_dask
    from hotspots.store.store import open_store

    one, two = (_new_store(backend, request, tmp_path, n) for n in ("one", "two"))
    files, wards = archive["files"], archive["wards"]
    with open_store(one) as store:
        want = store.ingest(files, wards_path=wards)
    with open_store(two) as store:
        got = ingest_dask(store, files, client=threads, wards_path=wards)
    assert got == want
    assert [r.status for r in got] == ["added"] * 6  # the zip's copy is the same batch
    assert sum(r.rejected for r in got) == 4
    a, b = store_dump(one), store_dump(two)
    assert len(a["batches"]) == 6 and len(a["incidents"]) > 200
    assert_same_store(a, b)
    # rejects with file, line and reason, as on one machine
    assert [(r[2], r[3], r[4][:20]) for r in b["rejects"]] == [
        (str(files[4]), 22, "missing coordinates "), (str(files[4]), 23, "unparseable coordina"),
        (str(files[5]), 3, "date 'not a date' do"), (str(files[5]), 4, "missing place: no co"),
    ]  # fmt: skip
    assert (a["version"], b["version"]) == (1, 6)  # one transaction per batch on Dask

    # a second month replaces one batch, adds one, leaves the rest: the same again
    west_jan = archive["files"][0].with_name("2019-01-west-force-street.csv")
    west_jan.write_text(archive["files"][0].read_text().replace("2018-10", "2019-01"))
    changed = archive["files"][5]
    _council_file(changed, ["2018-11-06,Noise,-1.94,52.307"])
    more = [changed, west_jan, *archive["files"][:2]]
    with open_store(one) as store:  # the council file shrinks from 2 cases to 1: asked for
        want = store.ingest(more, replace=True)
    with open_store(two) as store:
        got = ingest_dask(store, more, client=threads, replace=True)
    assert got == want
    assert [r.status for r in got] == ["replaced", "added", "unchanged", "unchanged"]
    assert_same_store(store_dump(one), store_dump(two))


def test_dask_ingest_of_a_year_file_gives_the_single_machine_month_batches(archive, threads,
                                                                          tmp_path):  # fmt: skip
    """A file of several months without a police.uk name: one batch per month, on Dask too."""
    from hotspots.distributed import ingest_dask
    from hotspots.store.store import open_store

    west = [f for f in archive["files"] if "west" in str(f) and str(f).endswith(".csv")]
    lines = [west[0].read_text().splitlines()[0]]
    for path in west:
        lines += path.read_text().splitlines()[1:]
    year = tmp_path / "west-year.csv"
    year.write_text("\n".join(lines) + "\n")
    one, two = str(tmp_path / "one.gpkg"), str(tmp_path / "two.gpkg")
    with open_store(one) as store:
        want = store.ingest([year, *archive["files"][:1]], wards_path=archive["wards"])
    with open_store(two) as store:
        got = ingest_dask(store, [year, *archive["files"][:1]], client=threads,
                          wards_path=archive["wards"])  # fmt: skip
    assert got == want
    # a batch per month (the month file's among them), none of a range of months
    assert len({r.key for r in got}) == len(got) >= 2
    assert not [r.key for r in got if ".." in r.key]
    assert_same_store(store_dump(one), store_dump(two))


def test_dask_ingest_twice_changes_nothing(archive, threads, tmp_path):
    from hotspots.distributed import ingest_dask
    from hotspots.store.store import open_store

    target = str(tmp_path / "s.gpkg")
    with open_store(target) as store:
        ingest_dask(store, archive["files"], client=threads, wards_path=archive["wards"])
    before = store_dump(target)
    with open_store(target) as store:
        again = ingest_dask(store, archive["files"], client=threads)
    assert [r.status for r in again] == ["unchanged"] * 6
    after = store_dump(target)
    assert after["version"] == before["version"] == 6
    assert_same_store(before, after)


def test_dask_ingest_refused_file_writes_nothing(archive, threads, tmp_path):
    from hotspots._errors import InputFileError
    from hotspots.distributed import ingest_dask
    from hotspots.store.store import open_store

    broken = tmp_path / "2019-02-west-force-street.csv"
    broken.write_bytes(b"\x00\x01binary")
    target = str(tmp_path / "s.gpkg")
    with open_store(target) as store:
        with pytest.raises(InputFileError, match="binary") as single:
            store.ingest([*archive["files"], broken], wards_path=archive["wards"])
        with pytest.raises(InputFileError, match="binary") as dask:
            ingest_dask(store, [*archive["files"], broken], client=threads,
                        wards_path=archive["wards"])  # fmt: skip
        assert str(dask.value) == str(single.value)
        assert store.batches().empty and store.wards() is None and store.version() == 0


def test_dask_ingest_crash_leaves_whole_batches_and_a_rerun_finishes(archive, threads, tmp_path,
                                                                     monkeypatch):  # fmt: skip
    from hotspots.distributed import ingest_dask
    from hotspots.store.store import Store, open_store

    real = Store._write_batch
    calls = []

    def crash_on_third(self, cur, plan, now):
        calls.append(plan.key)
        real(self, cur, plan, now)  # the batch's rows are written inside its transaction...
        if len(calls) == 3:
            raise KeyboardInterrupt  # ...then the process is interrupted before the commit

    target, single = str(tmp_path / "dask.gpkg"), str(tmp_path / "one.gpkg")
    with open_store(single) as store:
        store.ingest(archive["files"], wards_path=archive["wards"])
    monkeypatch.setattr(Store, "_write_batch", crash_on_third)
    with open_store(target) as store, pytest.raises(KeyboardInterrupt):
        ingest_dask(store, archive["files"], client=threads, wards_path=archive["wards"])
    monkeypatch.setattr(Store, "_write_batch", real)
    half = store_dump(target)
    assert half["problems"] == [] and half["version"] == 2
    assert [b[1] for b in half["batches"]] == calls[:2]  # two whole batches, not the third
    assert len(half["incidents"]) == sum(b[10] for b in half["batches"]) > 0
    with open_store(target) as store:
        rerun = ingest_dask(store, archive["files"], client=threads)
    assert [r.status for r in rerun] == ["unchanged"] * 2 + ["added"] * 4
    assert_same_store(store_dump(single), store_dump(target))


def test_cli_ingest_engine_dask_gives_the_same_store(archive, tmp_path, monkeypatch):
    from click.testing import CliRunner

    import hotspots.distributed as dist
    from hotspots.cli import main

    real_connect = dist.connect
    monkeypatch.setattr(dist, "connect", lambda scheduler=None, **_: real_connect(
        None, n_workers=1, processes=False))  # fmt: skip
    monkeypatch.delenv(dist.SCHEDULER_ENV, raising=False)
    files = [str(p) for p in archive["files"]]
    runner = CliRunner()
    out = {}
    for engine in ("local", "dask"):
        store = str(tmp_path / f"{engine}.gpkg")
        result = runner.invoke(main, ["ingest", *files, "--wards", str(archive["wards"]),
                                      "--store", store, "--engine", engine])  # fmt: skip
        assert result.exit_code == 0, result.output
        out[engine] = result.stdout.splitlines()
    assert out["dask"][:-1] == out["local"][:-1]  # one line per batch, the same
    assert "rejected 2 (added)" in "\n".join(out["dask"])
    assert out["dask"][-1].endswith("(version 6)") and out["local"][-1].endswith("(version 1)")
    assert_same_store(
        store_dump(str(tmp_path / "local.gpkg")), store_dump(str(tmp_path / "dask.gpkg"))
    )


# --------------------------------------------------------------------------- a real scheduler


def _start(args: list[str], log_path) -> subprocess.Popen:
    with open(log_path, "wb") as log:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                                stderr=subprocess.STDOUT, cwd=log_path.parent)  # fmt: skip


def _logs(folder) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-1500:]}"
                     for p in sorted(folder.glob("*.log")))  # fmt: skip


def test_separate_scheduler_and_worker_processes_give_the_single_machine_answers(
    archive, tmp_path, monkeypatch
):
    """``dask scheduler`` and two ``dask worker`` OS processes on 127.0.0.1: clusters and ingest.

    The nearest this sandbox comes to a multi-machine deployment: the client,
    the scheduler and the workers are separate processes talking TCP, but on
    one host with one file system.
    """
    import json
    import time

    import geopandas as gpd
    from click.testing import CliRunner
    from distributed import Client, get_task_stream

    from hotspots.cli import main
    from hotspots.distributed import SCHEDULER_ENV

    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    folder = tmp_path / "dask"
    folder.mkdir()
    address_file = folder / "scheduler.json"
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(address_file)], folder / "scheduler.log")]  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not address_file.exists() and procs[0].poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert address_file.exists(), f"the scheduler did not start:\n{_logs(folder)}"
        address = json.loads(address_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for name in ("w1", "w2"):
            procs.append(_start(["worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--no-dashboard", "--name", name, "--local-directory",
                                 str(folder)], folder / f"{name}.log"))  # fmt: skip
        with Client(address, timeout="60s") as watcher:
            watcher.wait_for_workers(2, timeout=180)
            pids = watcher.run(os.getpid)
            assert len(pids) == 2 and os.getpid() not in pids.values()

            # relative names, as typed in a shell: the workers run in another folder
            monkeypatch.chdir(tmp_path)
            every = [p.name for p in archive["files"]]
            files = every[:5]  # police.uk files (then a council export and a zip)
            wards = archive["wards"].name
            runner = CliRunner()
            common = [*files, "--wards", wards, "--eps-m", "60", "--min-samples", "6",
                      "--simulations", "0"]  # fmt: skip
            one = runner.invoke(main, ["clusters", *common, "-o", str(tmp_path / "one.gpkg")])
            with get_task_stream(client=watcher) as stream:
                two = runner.invoke(main, ["clusters", *common, "--engine", "dask", "--scheduler",
                                           address, "-o", str(tmp_path / "two.gpkg")])  # fmt: skip
                assert one.exit_code == 0, one.output
                assert two.exit_code == 0, f"{two.output}\n{_logs(folder)}"
                found = gpd.read_file(tmp_path / "one.gpkg")
                assert len(found) >= 3
                assert_geodataframe_equal(found, gpd.read_file(tmp_path / "two.gpkg"))

                stores = {e: str(tmp_path / f"{e}.gpkg") for e in ("local", "dask")}
                for engine, store in stores.items():
                    done = runner.invoke(main, ["ingest", *every, "--wards",
                                                wards, "--store", store, "--engine", engine,
                                                "--scheduler", address])  # fmt: skip
                    assert done.exit_code == 0, f"{done.output}\n{_logs(folder)}"
                assert_same_store(store_dump(stores["local"]), store_dump(stores["dask"]))
            ran = {t["worker"] for t in stream.data}
            names = {t["key"][0] if isinstance(t["key"], tuple) else t["key"] for t in stream.data}
            assert ran and ran <= set(pids)  # the work ran in the worker processes
            assert any("_prepare_part" in k for k in names) and any(
                "_plan_file" in k for k in names
            )
            watcher.shutdown()  # the scheduler closes the workers, then itself
        codes = [p.wait(timeout=120) for p in procs]
        assert codes == [0, 0, 0], f"exit codes {codes}:\n{_logs(folder)}"
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)


@pytest.mark.shared
def test_dask_ingest_real_months_and_postcodes_give_the_same_store(shared_data, threads, tmp_path):
    """Two real West Mercia months and a council export geocoded by postcode (sent to workers)."""
    from hotspots.distributed import ingest_dask
    from hotspots.read.geocode import PostcodeDirectory
    from hotspots.store.store import open_store
    from tests.conftest import CODEPOINT, POLICE, REDDITCH_WARDS

    council = tmp_path / "cases.csv"
    council.write_text("Date,Type,Postcode\n02/10/2018,Youths,b974ab\n03/10/2018,Noise,B97  4AD\n"
                       "04/10/2018,Noise,ZZ1 1ZZ\n05/10/2018,Youths,B97 4AE\n")  # fmt: skip
    files = [POLICE / "2018-10-west-mercia-street.csv", POLICE / "2018-11-west-mercia-street.csv",
             council]  # fmt: skip
    postcodes = PostcodeDirectory.from_csv(CODEPOINT)
    stores = {e: str(tmp_path / f"{e}.gpkg") for e in ("one", "dask")}
    with open_store(stores["one"]) as store:
        want = store.ingest(files, wards_path=REDDITCH_WARDS, geocoder=postcodes)
    with open_store(stores["dask"]) as store:
        got = ingest_dask(store, files, client=threads, wards_path=REDDITCH_WARDS,
                          geocoder=postcodes)  # fmt: skip
    assert got == want
    assert [(r.rows_read, r.stored, r.rejected) for r in got] == [
        (3539, 3539, 0),
        (3128, 3128, 0),
        (4, 3, 1),
    ]
    a, b = store_dump(stores["one"]), store_dump(stores["dask"])
    assert "postcode" in b["rejects"][0][4]
    assert_same_store(a, b)


def test_cli_engines_write_the_same_bytes_at_street_level_for_a_council_export(
    square_wards, tmp_path, monkeypatch
):
    """Issue 16 point 5: the Dask engine cuts addresses to street level as the local one does."""
    from click.testing import CliRunner
    from pyproj import Transformer

    import hotspots.distributed as dist
    from hotspots.cli import main

    real_connect = dist.connect
    monkeypatch.setattr(dist, "connect",
                        lambda scheduler=None, **_: real_connect(None, n_workers=1, processes=False))  # fmt: skip
    monkeypatch.delenv(dist.SCHEDULER_ENV, raising=False)
    to_lonlat = Transformer.from_crs(27700, 4326, always_xy=True)
    rng = np.random.default_rng(16)
    rows = []
    for (x, y), places in (
        ((403800, 267000), ["Flat 2, 14 Market Place", "16 Market Place, Redditch B97 4HJ",
                            "The Red Lion, Market Place"]),
        ((406200, 266800), ["6 Unicorn Hill, Redditch", "outside 8a Unicorn Hill (Mrs J Smith)"]),
    ):  # fmt: skip
        for k, (dx, dy) in enumerate(rng.normal(0, 15, (18, 2))):
            lon, lat = to_lonlat.transform(x + dx, y + dy)
            rows.append(
                f'2018-10-{1 + k % 28:02d},Noise,{lon:.6f},{lat:.6f},"{places[k % len(places)]}"'
            )
    for k in range(6):  # alone
        lon, lat = to_lonlat.transform(403200 + 600 * k, 266300)
        rows.append(f'2018-11-0{1 + k},Noise,{lon:.6f},{lat:.6f},"{k + 1} Acacia Avenue"')
    export = tmp_path / "council_cases.csv"
    export.write_text("date,category,longitude,latitude,address\n" + "\n".join(rows) + "\n",
                      encoding="utf-8")  # fmt: skip
    wards = tmp_path / "wards.geojson"
    square_wards.rename(columns={"ward_name": "name", "ward_code": "code"}).to_file(wards)
    # the chance test included (99 simulations: the same seed on both engines)
    common = [str(export), "--wards", str(wards), "--eps-m", "60", "--min-samples", "6",
              "--simulations", "99"]  # fmt: skip
    runner = CliRunner()
    for suffix in ("csv", "geojson"):
        local, dask = tmp_path / f"local.{suffix}", tmp_path / f"dask.{suffix}"
        one = runner.invoke(main, ["clusters", *common, "-o", str(local)])
        two = runner.invoke(main, ["clusters", *common, "--engine", "dask", "-o", str(dask)])
        assert one.exit_code == 0, one.output
        assert two.exit_code == 0, two.output
        text = dask.read_text(encoding="utf-8")
        assert "Market Place" in text and "Unicorn Hill" in text
        for personal in ("Flat 2", "14 Market", "Red Lion", "B97", "Smith", "8a"):
            assert personal not in text, personal
        assert "p_value" in text and "label" in text
        assert local.read_bytes() == dask.read_bytes()
    # With --keep-addresses the analyst gets the full text from both engines.
    full = tmp_path / "full.csv"
    out = runner.invoke(main, ["clusters", *common, "--engine", "dask", "--keep-addresses",
                               "-o", str(full)])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "14 Market Place" in full.read_text(encoding="utf-8")


def test_results_layer_on_dask_equals_one_machine(two_forces, square_wards):
    """analyse_period with DBSCAN on Dask (prepare_dask + dask_labeller): the same PeriodResult."""
    from hotspots.analysis import cluster
    from hotspots.analysis.prepare import prepare
    from hotspots.distributed import connect, dask_labeller, prepare_dask
    from hotspots.privacy import redact_places
    from hotspots.read.incidents import read_incidents
    from hotspots.results import Period, analyse_period

    params = ClusterParams(eps_m=60, min_samples=6)
    single = prepare(read_incidents(two_forces), square_wards)
    single = replace(single, incidents=redact_places(single.incidents, withheld=""))
    want = analyse_period(single, Period("autumn"), params=params, n_sim=99)
    calls = []
    real = cluster.dbscan_labels
    with connect(n_workers=1, processes=False) as client:
        rows = prepare_dask(two_forces, square_wards, client=client)
        try:
            cluster.dbscan_labels = lambda *a, **k: calls.append(1) or real(*a, **k)
            got = analyse_period(rows.prepared, Period("autumn"), params=params, n_sim=99,
                                 labeller=dask_labeller(client, rows))  # fmt: skip
        finally:
            cluster.dbscan_labels = real
    assert calls == []  # DBSCAN ran on Dask, area by area
    assert rows.info["forces"] == ["east-force", "west-force"]
    assert len(want.hotspots) >= 3
    assert_geodataframe_equal(got.hotspots, want.hotspots)
    assert got.members.equals(want.members)
    assert got.parameters == want.parameters and got.chance == want.chance
