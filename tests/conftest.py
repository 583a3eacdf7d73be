"""Shared fixtures: tiny hand-checkable data, the demo, and the real data in ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
POLICE = SHARED / "police-uk" / "west-mercia"
REDDITCH_WARDS = SHARED / "wards" / "redditch.geojson"
CODEPOINT = SHARED / "postcodes" / "codepoint-open-2018.3-north-worcs.csv"
# Redditch town centre, as the issue gives it.
TOWN_CENTRE_LONLAT = (-1.940, 52.306)

POLICE_HEADER = (
    "Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,"
    "LSOA code,LSOA name,Crime type,Last outcome category,Context"
)


def police_row(lon: str = "-1.94", lat: str = "52.306", month: str = "2018-10",
               location: str = "On or near Unicorn Hill",
               crime: str = "Anti-social behaviour") -> str:  # fmt: skip
    """One police.uk CSV line, ASB by default."""
    return (
        f",{month},West Mercia Police,West Mercia Police,{lon},{lat},{location},"
        f"E01032224,Redditch 004A,{crime},,"
    )


@pytest.fixture
def write_police(tmp_path):
    """Write a police.uk CSV from row strings; return its path."""

    def write(rows: list[str], name: str = "2018-10-test-street.csv") -> Path:
        path = tmp_path / name
        path.write_text("\n".join([POLICE_HEADER, *rows]) + "\n", encoding="utf-8")
        return path

    return write


def _need_shared() -> None:
    if not SHARED.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs the real data at {SHARED} (shared/ beside the clone)")
        pytest.skip(f"real data not found at {SHARED}")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder; skips outside CI when absent, fails in CI."""
    _need_shared()
    return SHARED


@pytest.fixture(scope="session")
def redditch_autumn_2018(shared_data):
    """police.uk 2018-10..2018-12 for Redditch wards, prepared (real data)."""
    from boundaries import get_path, load_wards
    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents
    from hotspots.read.places import read_focus_areas

    load = read_incidents(sorted(POLICE.glob("2018-1*-west-mercia-street.csv")))
    return prepare(
        load, load_wards(REDDITCH_WARDS), areas=read_focus_areas(get_path("redditch-focus-areas"))
    )


@pytest.fixture(scope="session")
def postgis_server():
    """A private PostgreSQL + PostGIS server for the session (tests/_postgis.py).

    Fails (never skips) in CI or as root; skips only for an unprivileged developer
    without the packages.
    """
    from tests import _postgis

    try:
        server = _postgis.start()
    except _postgis.PostGISUnavailable as exc:
        if os.environ.get("CI") or os.geteuid() == 0:
            pytest.fail(f"PostGIS store tests cannot run: {exc}", pytrace=False)
        pytest.skip(f"PostGIS not available to an unprivileged user here: {exc}")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def demo():
    """The embedded demo borough, prepared with its wards and focus areas."""
    from boundaries import get_path, load_wards
    from hotspots.analysis.prepare import prepare
    from hotspots.read.incidents import read_incidents
    from hotspots.read.places import read_focus_areas

    return prepare(
        read_incidents([get_path("demo-incidents")]),
        load_wards(get_path("demo-wards")),
        areas=read_focus_areas(get_path("demo-focus-areas")),
    )


@pytest.fixture
def two_clusters() -> gpd.GeoDataFrame:
    """Two obvious clusters (30 and 20 incidents, 2 km apart) plus 10 scattered ones.

    Cluster A stands at (404000, 267000) and B at (406000, 267000) on British
    National Grid; A's incidents share five map points, as police.uk's do.
    """
    rng = np.random.default_rng(7)
    a = np.repeat(rng.normal(0, 15, (5, 2)), 6, axis=0) + [404000, 267000]
    b = rng.normal(0, 20, (20, 2)) + [406000, 267000]
    noise = np.array([[401000 + 700 * i, 262000 + 900 * (i % 4)] for i in range(10)], dtype=float)
    xy = np.vstack([a, b, noise])
    n = len(xy)
    frame = pd.DataFrame(
        {
            "incident_id": [f"t{i}" for i in range(n)],
            "month": ["2018-10"] * 30 + ["2018-11"] * 20 + ["2018-10"] * 10,
            "category": ["Anti-social behaviour"] * n,
            "location": ["On or near A Street"] * 30 + ["On or near B Road"] * 20 + [""] * 10,
            "ward": ["West"] * 30 + ["East"] * 20 + [""] * 10,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)


@pytest.fixture
def square_wards() -> gpd.GeoDataFrame:
    """Two 2 km square wards side by side: West (x 403000-405000) and East (405000-407000)."""
    return gpd.GeoDataFrame(
        {"ward_code": ["W1", "W2"], "ward_name": ["East", "West"]},
        geometry=[box(405000, 266000, 407000, 268000), box(403000, 266000, 405000, 268000)],
        crs=27700,
    )


# --------------------------------------------------------------------------- app, client, runner
# As in Flask's tutorial (flaskr): one way to make the app, its test client and the CLI runner.

#: The test app's config: the embedded demo, no login, a fixed secret, answers computed in the
#: request's thread (tests/test_ready.py tests the worker processes, the app's default).
TEST_CONFIG = {"TESTING": True, "SECRET_KEY": "test-secret", "HOTSPOTS_REQUIRE_LOGIN": False,
               "HOTSPOTS_COMPUTE": "inline"}  # fmt: skip


@pytest.fixture(scope="session", autouse=True)
def _catchment_cache(tmp_path_factory):
    """The chance test keeps catchments in a folder of this test session, not the user's cache."""
    saved = os.environ.get("HOTSPOTS_CACHE")
    os.environ["HOTSPOTS_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if saved is None:
        os.environ.pop("HOTSPOTS_CACHE", None)
    else:
        os.environ["HOTSPOTS_CACHE"] = saved


@pytest.fixture(scope="session", autouse=True)
def _compute_inline():
    """Every test app computes in the request's thread, and ``ingest`` keeps no results,
    unless a test asks for worker processes (``HOTSPOTS_COMPUTE="workers"``, ``--results``):
    the worker path starts processes and computes every period, which most tests do not need.
    tests/test_ready.py tests that path."""
    import webapp

    saved, env = webapp.DEFAULTS["HOTSPOTS_COMPUTE"], os.environ.get("HOTSPOTS_INGEST_RESULTS")
    webapp.DEFAULTS["HOTSPOTS_COMPUTE"] = "inline"
    os.environ["HOTSPOTS_INGEST_RESULTS"] = "off"
    yield
    webapp.DEFAULTS["HOTSPOTS_COMPUTE"] = saved
    if env is None:
        os.environ.pop("HOTSPOTS_INGEST_RESULTS", None)
    else:
        os.environ["HOTSPOTS_INGEST_RESULTS"] = env


@pytest.fixture(scope="session")
def make_app():
    """``make_app(**config)``: :func:`webapp.create_app` with :data:`TEST_CONFIG` under ``config``."""
    from webapp import create_app

    def make(**config):
        return create_app({**TEST_CONFIG, **config})

    return make


@pytest.fixture(scope="session")
def app(make_app):
    """The demo app without login, shared by the session (its answers are cached once)."""
    return make_app()


@pytest.fixture
def client(app):
    """A test client of :func:`app`."""
    return app.test_client()


class Runner:
    """The ``hotspots`` command, run in-process: ``runner.run("clusters", "--help")``."""

    def __init__(self) -> None:
        from click.testing import CliRunner

        self._runner = CliRunner()

    def run(self, *args: str, input: str | None = None):
        """Invoke ``hotspots ARGS...``; the click Result (``exit_code``, ``output``)."""
        from hotspots.cli import main

        return self._runner.invoke(main, [str(a) for a in args], input=input)


@pytest.fixture
def runner() -> Runner:
    """The ``hotspots`` command line (see :class:`Runner`)."""
    return Runner()
