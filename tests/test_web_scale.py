"""The map page stays small for a borough with 100,000 incidents (under 1.5 MB of HTML).

The incidents are synthetic: the demo borough scaled up fifteen-fold, made
here with a fixed seed in a temporary folder (never committed). They reuse the
demo's ward polygons, hotspot spots and month/hour weights from
``data/build_demo.py``, so the clusters land where the demo's do, only denser.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely

from boundaries import get_path

ROOT = Path(__file__).resolve().parents[1]
N_INCIDENTS = 100_000
LIMIT_BYTES = 1_500_000  # 1.5 MB, the acceptance limit
HULL_CLASS = "hotspot-hull"


def _build_demo():
    """``data/build_demo.py`` as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("build_demo", ROOT / "data" / "build_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _points_in(poly, n: int, rng: np.random.Generator, centre=None, spread=None) -> np.ndarray:
    """``n`` whole-metre points at least 15 m inside ``poly``: uniform, or normal about ``centre``."""
    inner = poly.buffer(-15)
    minx, miny, maxx, maxy = poly.bounds
    out = np.empty((0, 2))
    while len(out) < n:
        k = 2 * (n - len(out)) + 16
        if centre is None:
            xy = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        else:
            xy = rng.normal(centre, spread, size=(k, 2))
        xy = np.round(xy)
        out = np.vstack([out, xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]])
    return out[:n].astype(int)


def _dates(n: int, fy_start: int, demo, rng: np.random.Generator) -> pd.Series:
    """``dd/mm/yyyy HH:MM`` strings in the financial year starting April ``fy_start``."""
    months = np.array(list(demo.MONTH_WEIGHT))
    weights = np.array(list(demo.MONTH_WEIGHT.values()), dtype=float)
    month = rng.choice(months, size=n, p=weights / weights.sum())
    year = np.where(month >= 4, fy_start, fy_start + 1)
    first = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1}))
    days = first.dt.days_in_month.to_numpy()
    day = np.floor(rng.random(n) * days).astype(int)
    hour = rng.choice(24, size=n, p=demo.HOUR_WEIGHT / demo.HOUR_WEIGHT.sum())
    minute = rng.integers(0, 60, size=n)
    stamp = first + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour * 60 + minute, unit="min")
    return stamp.dt.strftime("%d/%m/%Y %H:%M")


def synthetic_incidents(n: int, *, seed: int = 2019) -> pd.DataFrame:
    """A council export of ``n`` incidents: the demo borough, scaled so its totals sum to ``n``.

    Each ward keeps its share of the demo's published totals per financial year,
    and each hotspot spot its share of its ward (as in ``data/build_demo.py``);
    the rest of a ward's incidents are spread uniformly over it.
    """
    demo = _build_demo()
    rng = np.random.default_rng(seed)
    polys = demo.ward_polygons()
    published = sum(spec[2] + spec[3] for spec in demo.WARDS.values())
    cats, cat_p = list(demo.CATEGORIES), np.array(list(demo.CATEGORIES.values()))
    frames = []
    for fy_start, col in ((2017, 2), (2018, 3)):
        for ward, spec in demo.WARDS.items():
            total = round(spec[col] * n / published)
            parts, places = [], []
            for name, spot_ward, x, y, share, spread in demo.SPOTS:
                if spot_ward == ward:
                    k = round(total * share)
                    parts.append(_points_in(polys[ward], k, rng, (x, y), spread))
                    places += [name] * k
            rest = total - sum(len(p) for p in parts)
            parts.append(_points_in(polys[ward], rest, rng))
            places += list(rng.choice(demo.STREETS, size=rest))
            xy = np.vstack(parts)
            frames.append(
                pd.DataFrame(
                    {
                        "reported_at": _dates(total, fy_start, demo, rng).to_numpy(),
                        "category": rng.choice(cats, size=total, p=cat_p),
                        "easting": xy[:, 0],
                        "northing": xy[:, 1],
                        "location": [f"On or near {p}" for p in places],
                        "financial_year": f"{fy_start}-{(fy_start + 1) % 100:02d}",
                    }
                )
            )
    table = pd.concat(frames, ignore_index=True)
    table = table.iloc[rng.permutation(len(table))].reset_index(drop=True)
    # Rounding per ward leaves the sum a few off n: trim or top up from the start.
    table = pd.concat([table, table.iloc[: max(0, n - len(table))]], ignore_index=True).iloc[:n]
    table.insert(0, "case_ref", [f"ASB-{i:06d}" for i in range(1, n + 1)])
    return table


@pytest.fixture(scope="module")
def big_borough(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    """The 100,000-incident CSV, its busiest financial year and that year's incident count."""
    table = synthetic_incidents(N_INCIDENTS)
    path = tmp_path_factory.mktemp("scale") / "asb-100k.csv"
    table.drop(columns="financial_year").to_csv(path, index=False)
    per_year = table["financial_year"].value_counts()
    return path, per_year.idxmax(), int(per_year.max())


@pytest.fixture(scope="module")
def big_client(big_borough, make_app):
    path, _, _ = big_borough
    app = make_app(
        HOTSPOTS_INPUTS=[str(path)],
        HOTSPOTS_WARDS=str(get_path("demo-wards")),
        HOTSPOTS_AREAS=str(get_path("demo-focus-areas")),
    )
    return app.test_client()


def test_synthetic_borough_has_the_size_asked_for(big_borough):
    path, busiest, _ = big_borough
    table = pd.read_csv(path)
    assert len(table) == N_INCIDENTS
    assert table["case_ref"].is_unique
    assert busiest in {"2017-18", "2018-19"}


def test_app_serves_the_big_borough_not_the_demo(big_client, big_borough):
    _, busiest, count = big_borough
    response = big_client.get(f"/api/incidents/summary?fy={busiest}&season=all&area=borough")
    assert response.status_code == 200
    summary = response.get_json()
    assert summary["incidents"] == count
    assert summary["clusters"] >= 1


@pytest.mark.parametrize("route", ["/map/frame", "/map"])
def test_map_page_for_100k_incidents_is_under_1_5_mb(big_client, big_borough, route):
    _, busiest, _ = big_borough
    response = big_client.get(f"{route}?fy={busiest}&season=all&area=borough")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    body = response.get_data()
    assert len(body) < LIMIT_BYTES, f"{route}: {len(body):,} bytes, limit {LIMIT_BYTES:,}"
    if route == "/map/frame":
        # The page is small because it is right, not because it is empty.
        assert HULL_CLASS.encode() in body
        assert b"leaflet" in body.lower()
    else:
        assert b'id="map-frame"' in body


def test_app_start_up_imports_no_heavy_library():
    """Start-up (create_app, loading the data, /healthz) leaves scikit-learn, SciPy, matplotlib
    and folium to the first page that needs them (they took most of a start-up's seconds), and
    the first map needs neither scikit-learn nor matplotlib (the app's default: the results
    are computed in worker processes; the page waits for them here)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from webapp import create_app\n"
        "app = create_app({'TESTING': True, 'HOTSPOTS_REQUIRE_LOGIN': False,\n"
        "                  'HOTSPOTS_COMPUTE': 'workers', 'HOTSPOTS_RESULT_WAIT_S': 300})\n"
        "loaded = app.extensions['hotspots_store'].loaded()\n"
        "assert app.test_client().get('/healthz').status_code == 200\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & "
        "{'sklearn', 'scipy', 'matplotlib', 'folium', 'branca'})\n"
        "print('INCIDENTS', len(loaded.prepared.incidents), 'HEAVY', heavy)\n"
        "page = app.test_client().get('/map/frame?fy=2018-19&season=autumn&area=borough')\n"
        "assert page.status_code == 200 and b'hotspot-hull' in page.data\n"
        "print('MAP', sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'matplotlib'}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "INCIDENTS 6671 HEAVY []" in out.stdout, out.stdout[-400:] + out.stderr[-2000:]
    # the first map clusters with SciPy's k-d tree: scikit-learn took most of its import time
    assert "MAP []" in out.stdout, out.stdout[-400:]
