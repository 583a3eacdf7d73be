"""The store, on both backends: GeoPackage (a file) and PostGIS (a private server on loopback)."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from boundaries import get_path
from hotspots._errors import HotspotsError, InputFileError
from hotspots.analysis.prepare import prepare
from hotspots.read._rows import ASB
from hotspots.read.incidents import read_incidents
from hotspots.store.address import StoreError
from hotspots.store.store import open_store
from tests import _postgis
from tests.conftest import POLICE, POLICE_HEADER, REDDITCH_WARDS, ROOT, police_row

DEMO_WARDS = get_path("demo-wards")
DEMO_AREAS = get_path("demo-focus-areas")
REDDITCH_AREAS = get_path("redditch-focus-areas")


@pytest.fixture(params=["gpkg", "postgis"])
def target(request, tmp_path) -> str:
    """A new, empty store on each backend."""
    if request.param == "gpkg":
        return str(tmp_path / "store.gpkg")
    return request.getfixturevalue("postgis_server").new_database()


def snapshot(target: str) -> dict:
    """Everything a change would show: version, batches, table counts, the column copies."""
    with open_store(target) as store:
        counts = {
            t: store._query(f"SELECT COUNT(*) FROM {t}")[0][0]
            for t in ("incidents", "rejects", "incident_columns", "wards", "focus_areas")
        }
        return {
            "version": store.version(),
            "batches": store.batches().to_dict("records"),
            "counts": counts,
            "tagged": store.tagged(),
            "check": store.check().problems,
        }


def assert_same_snapshot(a: dict, b: dict) -> None:
    assert a["version"] == b["version"]
    assert a["batches"] == b["batches"]
    assert a["counts"] == b["counts"]
    assert a["check"] == b["check"] == []
    assert_geodataframe_equal(a["tagged"], b["tagged"])


def police_file(path: Path, n: int, *, seed: int = 0, bad: int = 0) -> Path:
    """A police.uk-shaped CSV of ``n`` ASB rows around Redditch (``bad`` without a location)."""
    rng = np.random.default_rng(seed)
    lon = -1.99 + 0.09 * rng.random(n)
    lat = 52.27 + 0.07 * rng.random(n)
    lines = [police_row(f"{a:.6f}", f"{b:.6f}", month="2019-01") for a, b in zip(lon, lat)]
    lines += [police_row("", "", month="2019-01", location="No Location")] * bad
    path.write_text("\n".join([POLICE_HEADER, *lines]) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- ingest


def test_ingest_demo_then_again_changes_nothing(target):
    demo = get_path("demo-incidents")
    with open_store(target) as store:
        first = store.ingest([demo], wards_path=DEMO_WARDS, areas_path=DEMO_AREAS)
        assert [(r.status, r.rows_read, r.stored, r.rejected) for r in first] == [
            ("added", 6676, 6672, 4)
        ]
        assert "read 6,676, stored 6,672, rejected 4" in first[0].line()
    before = snapshot(target)
    assert before["version"] == 1
    assert before["counts"] == {"incidents": 6672, "rejects": 4, "incident_columns": 1,
                                "wards": 12, "focus_areas": len(DEMO_AREAS.read_text().split("[[area]]")) - 1}  # fmt: skip
    with open_store(target) as store:
        again = store.ingest([demo])
    assert [r.status for r in again] == ["unchanged"]
    assert_same_snapshot(before, snapshot(target))


def test_store_gives_the_same_prepared_as_the_files(target, demo):
    with open_store(target) as store:
        store.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS, areas_path=DEMO_AREAS)
        got = store.prepared()
    assert_geodataframe_equal(got.incidents, demo.incidents)
    assert got.outside == demo.outside
    assert got.summary() == demo.summary()
    assert_geodataframe_equal(got.wards, demo.wards)
    assert got.wards.attrs == demo.wards.attrs
    assert got.load.notes == demo.load.notes
    assert_geodataframe_equal(got.areas, demo.areas)
    pd.testing.assert_frame_equal(got.load.rejects, demo.load.rejects, check_dtype=False)


def test_replacing_a_batch_swaps_its_rows(target, tmp_path):
    name = tmp_path / "2019-01-test-street.csv"
    with open_store(target) as store:
        police_file(name, 50, bad=2)
        store.ingest([name], wards_path=DEMO_WARDS)
        police_file(name, 30, seed=1, bad=1)  # far fewer incidents: replaced only when asked
        (result,) = store.ingest([name], replace=True)
        assert (result.status, result.rows_read, result.stored, result.rejected) == (
            "replaced",
            31,
            30,
            1,
        )
        batches = store.batches()
        assert batches["batch_key"].tolist() == ["police.uk/test/2019-01"]
        assert store._query("SELECT COUNT(*) FROM incidents")[0][0] == 30
        assert store._query("SELECT COUNT(*) FROM rejects")[0][0] == 1
        assert store.version() == 2
        assert store.check().ok


def test_a_refused_file_leaves_the_store_unchanged(target, tmp_path):
    good = police_file(tmp_path / "2019-01-test-street.csv", 20)
    with open_store(target) as store:
        store.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS)
    before = snapshot(target)
    broken = tmp_path / "2019-02-test-street.csv"
    broken.write_bytes(b"\x00\x01binary")
    with open_store(target) as store, pytest.raises(InputFileError, match="binary"):
        store.ingest([good, broken])
    assert_same_snapshot(before, snapshot(target))


def test_check_finds_a_batch_that_does_not_add_up(target):
    with open_store(target) as store:
        store.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS)
        assert store.check().ok
        with store.backend.transaction() as cur:
            cur.execute("DELETE FROM incidents WHERE fid IN (SELECT MIN(fid) FROM incidents)")
        result = store.check()
    assert not result.ok
    assert (
        "read 6,676 but stored 6,672 + rejected 4 (tables hold 6,671 incidents"
        in result.problems[0]
    )


def test_check_finds_incidents_without_a_batch(tmp_path):
    target = str(tmp_path / "s.gpkg")
    with open_store(target) as store:
        store.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS)
        store.backend.con.execute("PRAGMA foreign_keys = OFF")
        store.backend.con.execute("UPDATE incidents SET batch_id = 99 WHERE fid < 4")
        problems = store.check().problems
    assert any("3 row(s) of incidents have no batch" in p for p in problems)


# --------------------------------------------------------------------------- errors that teach


def test_first_ingest_needs_wards(tmp_path):
    with open_store(tmp_path / "s.gpkg") as store, pytest.raises(StoreError, match="give --wards"):
        store.ingest([get_path("demo-incidents")])


def test_other_wards_are_refused(tmp_path):
    with open_store(tmp_path / "s.gpkg") as store:
        store.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS)
        with pytest.raises(StoreError, match="holds one set of boundaries"):
            store.ingest([get_path("demo-incidents")], wards_path=REDDITCH_WARDS)


def test_crime_types_not_stored_are_refused_when_loading(tmp_path):
    path = police_file(tmp_path / "2019-01-test-street.csv", 5)
    with open_store(tmp_path / "s.gpkg") as store:
        store.ingest([path], wards_path=DEMO_WARDS)
        assert len(store.prepared().incidents) + store.prepared().outside == 5
        with pytest.raises(StoreError, match="--crime-type all"):
            store.prepared(crime_types=None)


def test_not_a_store(tmp_path):
    folder = tmp_path / "dir.gpkg"
    folder.mkdir()
    with pytest.raises(StoreError, match="is a folder"):
        open_store(folder)
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="cannot be used as a hotspots store"):
        open_store(junk)
    with pytest.raises(HotspotsError, match="no incidents yet"):
        open_store(tmp_path / "empty.gpkg").prepared()


def test_unreachable_database_is_a_clear_error():
    port = _postgis._free_port()
    with pytest.raises(
        StoreError, match=r"cannot connect to the PostGIS store postgresql://u:\*\*\*@"
    ):
        open_store(f"postgresql://u:secret@127.0.0.1:{port}/nothing")


# --------------------------------------------------------------------------- GeoPackage


def test_geopackage_opens_as_layers_in_27700(tmp_path):
    import geopandas as gpd
    import pyogrio

    path = tmp_path / "s.gpkg"
    with open_store(path) as store:
        store.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS, areas_path=DEMO_AREAS)
    layers = dict(pyogrio.list_layers(path))
    assert {"incidents", "wards", "focus_areas", "batches", "rejects"} <= set(layers)
    incidents = gpd.read_file(path, layer="incidents")
    assert incidents.crs.to_epsg() == 27700 and len(incidents) == 6672
    assert np.allclose(incidents.geometry.x, incidents["x"])
    assert set(incidents["financial_year"]) == {"2017-18", "2018-19"}
    wards = gpd.read_file(path, layer="wards")
    assert len(wards) == 12 and wards.crs.to_epsg() == 27700


# --------------------------------------------------------------------------- SIGKILL


INGEST = """
import logging, sys
from hotspots.store.store import open_store
logging.basicConfig(level=logging.INFO)
with open_store(sys.argv[1]) as store:
    store.ingest([sys.argv[2]])
"""


def _in_transaction(target: str) -> bool:
    """True once the ingest has written inside its (uncommitted) transaction."""
    if target.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(target, autocommit=True) as con:
            row = con.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'hotspots' "
                "AND backend_xid IS NOT NULL AND datname = current_database()"
            ).fetchone()
            return row[0] > 0
    return Path(target + "-journal").exists()


def test_sigkill_mid_ingest_leaves_the_store_unchanged(target, tmp_path):
    name = tmp_path / "2019-01-test-street.csv"
    with open_store(target) as store:
        store.ingest([police_file(name, 40, bad=1)], wards_path=DEMO_WARDS)
    before = snapshot(target)
    police_file(name, 120_000, seed=2)  # the same batch, new contents: a replacement
    proc = subprocess.Popen(
        [sys.executable, "-c", INGEST, target, str(name)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 240
    killed_mid_batch = False
    while proc.poll() is None and time.monotonic() < deadline:
        # Kill once the new batch's rows are being written inside the open transaction.
        if any(b"writing batch police.uk/test/2019-01" in ln for ln in lines) and _in_transaction(
            target
        ):
            os.kill(proc.pid, signal.SIGKILL)
            killed_mid_batch = True
            break
        time.sleep(0.01)
    proc.wait(timeout=60)
    reader.join(timeout=10)
    output = b"".join(lines).decode()
    assert killed_mid_batch, f"the ingest ended before it could be killed:\n{output[-2000:]}"
    assert proc.returncode == -signal.SIGKILL
    assert_same_snapshot(before, snapshot(target))


# --------------------------------------------------------------------------- real data


def _asb_rows(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return sum(1 for row in csv.DictReader(f) if row["Crime type"].strip() == ASB)


@pytest.mark.shared
def test_real_month_twice_identical_counts(shared_data, target):
    month = POLICE / "2018-10-west-mercia-street.csv"
    with open_store(target) as store:
        (first,) = store.ingest([month], wards_path=REDDITCH_WARDS)
    before = snapshot(target)
    with open_store(target) as store:
        (again,) = store.ingest([month])
        result = store.check()
    assert again.status == "unchanged"
    assert (first.rows_read, first.stored, first.rejected) == (
        again.rows_read,
        again.stored,
        again.rejected,
    )
    assert_same_snapshot(before, snapshot(target))
    assert result.ok
    assert first.stored + first.rejected == _asb_rows(month) == first.rows_read
    assert before["batches"][0]["batch_key"] == "police.uk/west-mercia/2018-10"


@pytest.mark.shared
def test_real_five_months_same_prepared_as_files(shared_data, target):
    files = sorted(POLICE.glob("*-west-mercia-street.csv"))
    assert len(files) == 5
    from boundaries import load_wards
    from hotspots.read.places import read_focus_areas

    expected = prepare(read_incidents(files), load_wards(REDDITCH_WARDS),
                       areas=read_focus_areas(REDDITCH_AREAS))  # fmt: skip
    with open_store(target) as store:
        results = store.ingest(files, wards_path=REDDITCH_WARDS, areas_path=REDDITCH_AREAS)
        assert len(results) == 5
        got = store.prepared()
    assert_geodataframe_equal(got.incidents, expected.incidents)
    assert got.summary() == expected.summary()
    assert got.outside == expected.outside
    assert got.wards.attrs == expected.wards.attrs and got.wards.attrs["vintage"] == 2013
    assert got.load.notes == expected.load.notes


# --------------------------------------------------------------------------- the web app


def _app(**config):
    from webapp import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "x", "HOTSPOTS_REQUIRE_LOGIN": False,
                       "HOTSPOTS_RELOAD_CHECK_S": 0, **config})  # fmt: skip


def test_web_app_sees_a_new_batch_without_restart(target, tmp_path):
    jan = police_file(tmp_path / "2019-01-test-street.csv", 60, seed=3, bad=2)
    feb = police_file(tmp_path / "2019-02-test-street.csv", 40, seed=4)
    feb.write_text(feb.read_text().replace(",2019-01,", ",2019-02,"))
    with open_store(target) as store:
        store.ingest([jan], wards_path=DEMO_WARDS)
    client = _app(HOTSPOTS_STORE=target).test_client()
    first = client.get("/api/incidents/summary?fy=2018-19").get_json()
    assert first["dataset"]["kept"] == 60 and first["dataset"]["rejected"] == 2
    assert first["by_month"]["2019-01"] == first["incidents"] > 0
    about = client.get("/about").get_data(as_text=True)
    assert "police.uk/test/2019-01" in about and "police.uk/test/2019-02" not in about
    with open_store(target) as store:
        store.ingest([feb])
    second = client.get("/api/incidents/summary?fy=2018-19").get_json()
    assert second["dataset"]["kept"] == 100
    assert second["by_month"]["2019-02"] > 0
    about = client.get("/about").get_data(as_text=True)
    assert "police.uk/test/2019-02" in about and "version 2" in about


def test_about_page_with_files_lists_them():
    html = _app().test_client().get("/about").get_data(as_text=True)
    assert "Read from files" in html and "incidents.csv" in html


@pytest.mark.shared
def test_web_app_same_answers_from_store_and_files(shared_data, tmp_path):
    files = sorted(POLICE.glob("*-west-mercia-street.csv"))
    target = str(tmp_path / "s.gpkg")
    with open_store(target) as store:
        store.ingest(files, wards_path=REDDITCH_WARDS, areas_path=REDDITCH_AREAS)
    from_store = _app(HOTSPOTS_STORE=target).test_client()
    from_files = _app(HOTSPOTS_INPUTS=[str(f) for f in files], HOTSPOTS_WARDS=str(REDDITCH_WARDS),
                      HOTSPOTS_AREAS=str(REDDITCH_AREAS)).test_client()  # fmt: skip
    for url in ("/api/clusters?fy=2018-19&season=autumn", "/api/clusters?fy=2018-19&season=winter",
                "/api/wards?fy=2018-19", "/api/incidents/summary?fy=2018-19&season=autumn",
                "/wards.csv?fy=2018-19", "/clusters.csv?fy=2018-19&season=autumn"):  # fmt: skip
        a, b = from_store.get(url), from_files.get(url)
        assert a.status_code == b.status_code == 200, url
        assert a.get_data() == b.get_data(), url
    assert from_store.get("/api/clusters?fy=2018-19&season=autumn").get_json()["features"]


# --------------------------------------------------------------------------- the commands


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("hotspots")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=600)  # fmt: skip


@pytest.mark.shared
def test_cli_ingest_twice_check_and_same_answers(shared_data, tmp_path):
    month = POLICE / "2018-10-west-mercia-street.csv"
    env = {"HOTSPOTS_STORE": str(tmp_path / "default.gpkg")}
    first = _cli("ingest", str(month), "--wards", str(REDDITCH_WARDS), env=env)
    assert first.returncode == 0, first.stderr
    asb = _asb_rows(month)
    line = f"read {asb:,}, stored {asb:,}, rejected 0 (added)"
    assert line in first.stdout
    again = _cli("ingest", str(month), env=env)
    assert line.replace("added", "unchanged") in again.stdout
    checked = _cli("check", env=env)
    assert checked.returncode == 0 and "check passed: 1 batch(es) add up" in checked.stdout
    out = {}
    for how, args in (
        ("store", ["--store"]),
        ("files", [str(month), "--wards", str(REDDITCH_WARDS)]),
    ):
        done = _cli("wards", *args, "-o", str(tmp_path / f"{how}.csv"), env=env)
        assert done.returncode == 0, done.stderr
        out[how] = (tmp_path / f"{how}.csv").read_bytes()
    assert out["store"] == out["files"]


def test_cli_check_fails_and_errors_are_one_line(tmp_path):
    target = tmp_path / "s.gpkg"
    with open_store(target) as store:
        store.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS)
        with store.backend.transaction() as cur:
            cur.execute("DELETE FROM rejects WHERE fid IN (SELECT MIN(fid) FROM rejects)")
    done = _cli("check", "--store", str(target))
    assert done.returncode == 1
    assert "PROBLEM: batch council/incidents.csv" in done.stderr
    refused = _cli("ingest", str(get_path("demo-incidents")), "--store", str(tmp_path / "new.gpkg"))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "give --wards FILE the first time" in refused.stderr
    port = _postgis._free_port()
    offline = _cli("clusters", "--store", f"postgresql://me:pw@127.0.0.1:{port}/db")
    assert offline.returncode == 1 and "Traceback" not in offline.stderr
    assert "cannot connect to the PostGIS store postgresql://me:***@" in offline.stderr


def test_readers_do_not_make_a_store_from_a_typo(tmp_path):
    from hotspots.loader import DataSpec, load

    missing = tmp_path / "typo.gpkg"
    with pytest.raises(StoreError, match="there is no store at"):
        load(DataSpec(store=str(missing)))
    assert not missing.exists()
    done = _cli("check", "--store", str(missing))
    assert done.returncode == 1 and "there is no store at" in done.stderr and not missing.exists()


def test_web_app_with_a_missing_store_answers_503_naming_it(tmp_path):
    client = _app(HOTSPOTS_STORE=str(tmp_path / "typo.gpkg")).test_client()
    answer = client.get("/wards")
    assert answer.status_code == 503
    assert "there is no store at" in answer.get_data(as_text=True)
    assert "Traceback" not in answer.get_data(as_text=True)


def test_cli_tasking_map_and_export_read_the_store(tmp_path):
    target = str(tmp_path / "s.gpkg")
    with open_store(target) as store:
        store.ingest([get_path("demo-incidents")], wards_path=DEMO_WARDS, areas_path=DEMO_AREAS)
    sheets = {}
    for how, args in (("store", ["--store", target]), ("files", [])):
        out = tmp_path / f"{how}.csv"
        done = _cli("tasking", *args, "--season", "autumn", "--fy", "2018-19", "-o", str(out))
        assert done.returncode == 0, done.stderr
        sheets[how] = out.read_bytes()
    assert sheets["store"] == sheets["files"] and len(sheets["store"].splitlines()) > 2
    done = _cli("map", "--store", target, "--season", "autumn", "--fy", "2018-19",
                "-o", str(tmp_path / "m.html"))  # fmt: skip
    assert done.returncode == 0 and (tmp_path / "m.html").stat().st_size > 10_000, done.stderr
    export = ["export", "--store", target, "--by", "season", "--fy", "2018-19", "--season", "autumn",
              "--format", "png", "--no-pack", "-o", str(tmp_path / "maps")]  # fmt: skip
    assert ", 0 up to date" in _cli(*export).stdout
    assert ", 1 up to date" in _cli(*export).stdout  # the map is up to date
    with open_store(target) as store:
        store.ingest([police_file(tmp_path / "2018-10-test-street.csv", 20)])
    assert ", 0 up to date" in _cli(*export).stdout  # a new batch: the map is made again


def test_a_store_of_another_layout_is_refused_clearly(tmp_path):
    path = tmp_path / "old.gpkg"
    with open_store(path) as store:
        store.backend.con.execute("UPDATE store_info SET value = '1' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="has table layout 1, this hotspots needs"):
        open_store(path)


# --------------------------------------------------------------------------- the column copies


def _every_kind(n: int, *, shared: bool, seed: int = 7):
    """A frame with a column of every kind the store's column copy keeps."""
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    pts = rng.integers(0, 3 if shared else 10**6, size=(n, 2)).astype(float) + 400_000
    ward = pd.Categorical(rng.choice(["South", "North", ""], n), categories=["South", "North", ""])
    frame = gpd.GeoDataFrame(
        {
            "incident_id": [f"f.csv:{i}" if i % 3 else None for i in range(n)],
            "month": pd.Series(rng.choice(["2018-10", "2018-11"], n), dtype="str"),
            "line": np.arange(n, dtype="int64") + 2,
            "date": pd.to_datetime(rng.integers(1.5e9, 1.6e9, n), unit="s").as_unit("us"),
            "ward": ward,
            "ward_match": pd.Categorical(rng.choice(["inside", "outside"], n)),
            "hour": pd.array([None if i % 4 == 0 else i % 24 for i in range(n)], dtype="Int64"),
            "halloween": rng.random(n) < 0.5,
            "share": rng.random(n),
            "weekday": pd.Series([None if i % 2 else "Monday" for i in range(n)], dtype=object),
            "mixed": pd.Series([1, "1", True, None][i % 4] for i in range(n)),
        },
        geometry=gpd.points_from_xy(pts[:, 0], pts[:, 1]),
        crs=27700,
    )
    frame.loc[frame.index[::5], "month"] = None
    return frame


@pytest.mark.parametrize("shared", [True, False], ids=["shared-points", "distinct-points"])
def test_column_copy_gives_back_every_column_and_dtype(shared):
    from hotspots.store.codec import _unpack, decode_frame, encode_frame

    frame = _every_kind(400, shared=shared)
    data = encode_frame(frame)
    _, arrays = _unpack(data)
    assert ("geometry.codes" in arrays) is shared  # shared map points are kept once each
    assert arrays["c1"].dtype == np.int8  # two months and missing: one byte a row
    back = decode_frame(data)
    assert_geodataframe_equal(back, frame)
    assert back["mixed"].tolist()[:4] == [1, "1", True, None]  # 1, "1" and True stay apart
    assert list(back["ward"].cat.categories) == ["South", "North", ""]  # order kept


def test_column_copies_of_several_batches_make_one_frame():
    from hotspots.store.codec import decode_frames, encode_frame

    a = _every_kind(300, shared=True, seed=1)
    b = _every_kind(200, shared=False, seed=2)
    b["ward"] = pd.Categorical(b["ward"].astype(str).replace("North", "East"))
    whole = decode_frames(
        [encode_frame(a), encode_frame(b)], geometry_where=("ward_match", "outside")
    )
    expected = pd.concat([a, b], ignore_index=True)
    assert len(whole) == 500
    # one categorical over both batches: the first batch's categories in order, then new ones
    assert whole["ward"].tolist() == expected["ward"].astype(str).tolist()
    assert list(whole["ward"].cat.categories) == ["South", "North", "", "East"]
    inside = (expected["ward_match"] != "outside").to_numpy()
    assert whole.geometry.isna().to_numpy().tolist() == (~inside).tolist()
    assert whole.geometry[inside].equals(expected.geometry[inside])
    for column in ("incident_id", "month", "line", "date", "hour", "weekday", "mixed"):
        pd.testing.assert_series_equal(whole[column], expected[column], check_names=False)


def test_column_copy_of_the_earlier_format_is_still_read():
    """Stores written before the compact layout (format 2: x and y per row, int32 codes)."""
    import json

    from hotspots.store.codec import _pack, _unpack, decode_frame, encode_frame

    frame = _every_kind(50, shared=False)
    meta, arrays = _unpack(encode_frame(frame))
    assert "geometry.x" in arrays
    text = {f"c{i}" for i, c in enumerate(meta["columns"]) if c["kind"] == "text"}
    old = {k: v.astype("int32") if k in text else v for k, v in arrays.items()}
    columns = [{k: v for k, v in c.items() if "categor" not in k and k != "ordered"}
               for c in meta["columns"]]  # fmt: skip
    back = decode_frame(_pack(old, {**meta, "columns": columns, "format": 2}))
    expected = frame.copy()  # format 2 kept no category order: pandas sorts them
    expected["ward"] = expected["ward"].cat.reorder_categories(["", "North", "South"])
    assert_geodataframe_equal(back, expected)
    with pytest.raises(ValueError, match="unknown column copy format 9"):
        decode_frame(_pack(old, json.loads(json.dumps({**meta, "format": 9}))))


def test_bulk_ingest_fills_a_new_store_with_its_indexes(tmp_path):
    from hotspots.store.store import bulk_ingest

    files = []
    for month in ("2018-10", "2018-11", "2018-12"):
        path = tmp_path / f"{month}-demo-street.csv"
        rows = [police_row(month=month, lon=f"{-1.94 + i * 1e-4:.4f}") for i in range(5)]
        path.write_text(POLICE_HEADER + "\n" + "\n".join(rows) + "\n")
        files.append(path)
    target = tmp_path / "bulk.gpkg"
    said = []
    results = bulk_ingest(target, files, wards_path=REDDITCH_WARDS, files_per_write=2,
                          progress=said.append)  # fmt: skip
    assert [r.status for r in results] == ["added"] * 3
    assert said == ["2/3 files, 10 incidents stored", "3/3 files, 15 incidents stored"]
    with open_store(target) as store:
        assert store.check().ok
        indexes = {name for (name,) in store._query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'incidents'")}  # fmt: skip
        assert {f"incidents_{c}" for c in ("batch_id", "month", "season", "ward")} <= indexes
    with pytest.raises(StoreError, match="already holds batches"):
        bulk_ingest(target, files[:1], wards_path=REDDITCH_WARDS)
