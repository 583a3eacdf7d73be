"""Benchmark: the store at 10^6 incidents (ingest, web start-up) and at 10^7 (to clusters).

Run on demand: ``.venv/bin/python bench/store.py [--rows 1000000] [--postgis] [--keep DIR]``;
``--keep DIR --start-up-only`` runs the start-ups again on DIR's files and store;
``--big`` the 10^7 case instead.

1. Makes ``--rows`` police.uk-shaped ASB rows (monthly files of 25,000 rows,
   points snapped to a few thousand shared map points as police.uk does) over
   the Redditch wards (../shared/data, else the demo wards).
2. Ingest: ``hotspots ingest`` into a new GeoPackage (and PostGIS with
   ``--postgis``, on a private loopback server as in the tests): rows/s. The
   baseline in the same run is reading and preparing the same files without a
   store (what every command did before).
3. Loading the prepared incidents in a new process (imports included): wall and
   CPU seconds, peak MB.
4. Web start-up: ``hotspots serve`` from launch until ``/healthz`` answers (serve
   loads the data before listening) and until the first map frame is served
   (logging in as a bench user first), with the server's CPU seconds at each:
   from the store and, as the baseline, from the files, and on the demo.
   On a shared machine the CPU seconds are the figure to compare; wall seconds
   grow with the load average, which is printed.

``--big``: bench/scale.py's national data (about 750,000 map points, 48 months,
5 km wards), 10^7 rows in monthly files, filled into a GeoPackage store with
:func:`hotspots.store.store.bulk_ingest` (rows/s), then, in a child process, the
store loaded and one season's clusters found (every autumn, bench/scale.py's
``min_samples``; and autumn of one financial year with the app's own
``min_samples``), with wall and CPU seconds and peak memory. The files and the
store (about 6 GB) stay in ``--big-cache`` for another run: remove it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_WARDS = ROOT.parent / "shared" / "data" / "wards" / "redditch.geojson"
HEADER = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
          "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]  # fmt: skip
HOTSPOTS = str(Path(sys.executable).with_name("hotspots"))


def make_files(folder: Path, rows: int, wards_path: Path, per_file: int = 25_000) -> list[Path]:
    """police.uk-shaped monthly files over the wards' extent (a fixed seed)."""
    from boundaries import load_wards

    rng = np.random.default_rng(2024)
    x0, y0, x1, y1 = load_wards(wards_path).total_bounds
    n_points = 6000  # police.uk snaps incidents to anonymous map points
    px = rng.uniform(x0, x1, n_points)
    py = rng.uniform(y0, y1, n_points)
    weight = rng.pareto(1.5, n_points) + 1
    weight /= weight.sum()
    from hotspots.read.geocode import bng_to_lonlat

    lon, lat = bng_to_lonlat(px, py)
    streets = np.array([f"On or near Street {i % 2500}" for i in range(n_points)], dtype=object)
    files = []
    months = pd.period_range("2016-04", periods=-(-rows // per_file), freq="M")
    for i, month in enumerate(months):
        n = min(per_file, rows - i * per_file)
        pick = rng.choice(n_points, size=n, p=weight)
        frame = pd.DataFrame({
            "Crime ID": "", "Month": str(month), "Reported by": "West Mercia Police",
            "Falls within": "West Mercia Police", "Longitude": np.round(lon[pick], 6),
            "Latitude": np.round(lat[pick], 6), "Location": streets[pick],
            "LSOA code": "E01032224", "LSOA name": "Redditch 004A",
            "Crime type": "Anti-social behaviour", "Last outcome category": "", "Context": "",
        })[HEADER]  # fmt: skip
        path = folder / f"{month}-bench-street.csv"
        frame.to_csv(path, index=False)
        files.append(path)
    return files


def timed(cmd: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-1"
MAP_QUERY = "fy=2018-19&season=autumn&area=borough"


def add_bench_user(db: Path) -> None:
    """A viewer for the start-up runs (the app needs a login off the demo)."""
    done = subprocess.run([HOTSPOTS, "users", "add", BENCH_USER, "--password-stdin", "--db",
                           str(db)], input=BENCH_PASSWORD + "\n", capture_output=True, text=True)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"users add failed: {done.stderr[-2000:]}")


def _login(opener, base: str) -> None:
    import re
    import urllib.parse

    page = opener.open(f"{base}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": BENCH_USER,
                                   "password": BENCH_PASSWORD, "next": "/map"}).encode()  # fmt: skip
    opener.open(f"{base}/login", data=form, timeout=60).read()


def start_up(args: list[str], *, users_db: Path | None = None) -> dict[str, float]:
    """Seconds from launching ``hotspots serve`` until /healthz answers (data loaded first),
    and until the first map frame is served (logging in first where the app needs it)."""
    import http.cookiejar

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    extra = ["--users-db", str(users_db)] if users_db else []
    out: dict[str, float] = {}
    start = time.perf_counter()
    proc = subprocess.Popen([HOTSPOTS, "serve", "--port", str(port), *args, *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                    out["healthz"] = time.perf_counter() - start
                    out["cpu_healthz"] = _child_cpu(proc.pid)
                    break
            except OSError:
                time.sleep(0.05)
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        if users_db:
            _login(opener, base)
        with opener.open(f"{base}/map/frame?{MAP_QUERY}", timeout=600) as response:
            body = response.read()
            if response.status != 200 or b"leaflet" not in body.lower():
                raise SystemExit(f"the first map answered {response.status}")
        out["map"] = time.perf_counter() - start
        usage = _child_cpu(proc.pid)
        out["cpu"] = usage
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _child_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a running process (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _up(name: str, took: dict[str, float]) -> str:
    return (f"{name}: /healthz ok {took['healthz']:.1f} s ({took['cpu_healthz']:.1f} s CPU), "
            f"first map served {took['map']:.1f} s ({took['cpu']:.1f} s CPU)")  # fmt: skip


def _load_cpu(target: str) -> str:
    """Load the prepared incidents in a child process: wall and CPU seconds, peak MB."""
    code = (
        "import resource, sys, time\n"
        "w, c = time.perf_counter(), time.process_time()\n"
        "from hotspots.store.store import open_store\n"
        "with open_store(sys.argv[1], create=False) as store:\n"
        "    n = len(store.prepared().incidents)\n"
        "print(f'{time.perf_counter() - w:.2f} s ({time.process_time() - c:.2f} s CPU, imports "
        "included), {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB peak; "
        "{n:,} in the study area')\n"
    )
    done = subprocess.run([sys.executable, "-c", code, target], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"loading failed: {done.stderr[-2000:]}")
    return done.stdout.strip()


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgis", action="store_true", help="also PostGIS (private server)")
    parser.add_argument("--keep", type=Path, help="keep the files and store in this folder")
    parser.add_argument("--start-up-only", action="store_true",
                        help="with --keep of an earlier run: only the start-ups (no new files "
                             "or ingest)")  # fmt: skip
    parser.add_argument("--big", action="store_true",
                        help="10^7 instead: a national store (bulk_ingest) to one season's "
                             "clusters, with peak memory (see bench/store.py's notes)")  # fmt: skip
    parser.add_argument("--big-cache", type=Path, default=Path(tempfile.gettempdir()) / "hotspots-bench-big",
                        help="where --big keeps its files and store (remove it afterwards)")  # fmt: skip
    parser.add_argument("--big-rows", type=int, default=BIG_N, help=argparse.SUPPRESS)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure_big(Path(args.child))), flush=True)
        return
    if args.big:
        big(args.big_cache, args.big_rows)
        return
    wards = SHARED_WARDS if SHARED_WARDS.exists() else ROOT / "data" / "demo" / "wards.geojson"
    work = args.keep or Path(tempfile.mkdtemp(prefix="hotspots-bench-store-"))
    work.mkdir(parents=True, exist_ok=True)
    targets = {"GeoPackage": str(work / "store.gpkg")}
    if args.start_up_only:
        if not (args.keep and (work / "store.gpkg").exists()):
            raise SystemExit("--start-up-only needs --keep DIR of an earlier run (its store.gpkg)")
        files = sorted(work.glob("*-bench-street.csv"))
    else:
        t = time.perf_counter()
        files = make_files(work, args.rows, wards)
        print(f"made {args.rows:,} police.uk-shaped rows in {len(files)} monthly files "
              f"({time.perf_counter() - t:.1f} s); wards {wards.name}")  # fmt: skip

        # Baseline: read + prepare the files with no store (the loader, as every command did).
        from hotspots.loader import DataSpec, load

        t = time.perf_counter()
        prepared = load(DataSpec(inputs=tuple(files), wards=wards))
        read_s = time.perf_counter() - t
        print(f"baseline: read and prepare the files: {read_s:.1f} s "
              f"({args.rows / read_s:,.0f} rows/s); {len(prepared.incidents):,} in the study area")  # fmt: skip
        del prepared
    users_db = work / "users.sqlite"
    add_bench_user(users_db)
    server = None
    if args.postgis and not args.start_up_only:
        from tests import _postgis

        server = _postgis.start()
        targets["PostGIS"] = server.new_database()
    try:
        for name, target in targets.items():
            if not args.start_up_only:
                ingest_s = timed([HOTSPOTS, "ingest", *map(str, files), "--wards", str(wards),
                                  "--store", target])  # fmt: skip
                again_s = timed([HOTSPOTS, "ingest", *map(str, files), "--store", target])
                size = Path(target).stat().st_size / 2**20 if name == "GeoPackage" else float("nan")
                print(f"{name}: ingest {ingest_s:.1f} s = {args.rows / ingest_s:,.0f} rows/s "
                      f"({ingest_s / read_s:.2f}x the plain read); the same files again (unchanged) "
                      f"{again_s:.1f} s" + (f"; store {size:,.0f} MiB" if size == size else ""))  # fmt: skip
            print(f"{name}: load the prepared incidents (a new process): {_load_cpu(target)}")
            store_up = start_up(["--store", target], users_db=users_db)
            print(_up(f"{name}: web start-up from the store", store_up))
        files_up = start_up(["--data", str(work), "--wards", str(wards)], users_db=users_db)
        print(_up("baseline: web start-up from the files", files_up)
              + f" (store {store_up['healthz'] / files_up['healthz']:.2f}x, "
              f"{store_up['map'] / files_up['map']:.2f}x of that)")  # fmt: skip
        demo_up = start_up([])
        print(_up("floor: the embedded demo (6,671 incidents; no login)", demo_up))
        print(f"load average now: {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
              f"on {os.cpu_count()} cores")  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- 10^7 (--big)

BIG_N = 10_000_000


def _scale():
    """bench/scale.py as a module: its national police.uk-shaped data (map points, wards)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_scale", ROOT / "bench" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def big(cache: Path, n: int = BIG_N) -> None:
    """10^7: national monthly files -> a GeoPackage store (bulk_ingest) -> one season's clusters."""
    from hotspots.store.store import bulk_ingest

    scale = _scale()
    cache.mkdir(parents=True, exist_ok=True)
    csv_dir, wards, target = cache / "csv", cache / "wards.gpkg", cache / "store.gpkg"
    if not (cache / "files.done").exists():
        t = time.perf_counter()
        points = scale.make_points()
        scale.make_wards(points).to_file(wards, layer="wards", driver="GPKG")
        scale.write_police_csvs(csv_dir, n, points, scale.make_incidents(n, points))
        (cache / "files.done").write_text("ok")
        print(f"made {n:,} police.uk-shaped rows (bench/scale.py's national data) in "
              f"{time.perf_counter() - t:.0f} s", flush=True)  # fmt: skip
    files = sorted(csv_dir.glob("*.csv"))
    if not (cache / "store.done").exists():
        target.unlink(missing_ok=True)
        w, c = time.perf_counter(), time.process_time()
        results = bulk_ingest(target, files, wards_path=wards, files_per_write=12,
                              progress=lambda line: print(f"  bulk_ingest: {line} "
                                                          f"({time.perf_counter() - w:.0f} s)", flush=True))  # fmt: skip
        took = time.perf_counter() - w
        stored = sum(r.stored for r in results)
        (cache / "store.done").write_text(str(stored))
        print(f"bulk_ingest of {len(files)} files: {stored:,} incidents in {took:.0f} s "
              f"({stored / took:,.0f} rows/s; {time.process_time() - c:.0f} s CPU in this process); "
              f"store {target.stat().st_size / 2**30:.1f} GiB", flush=True)  # fmt: skip
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(target)], capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"the 10^7 run failed:\n{done.stderr[-3000:]}")
    r = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{n:,} from the store: import {r['import'][0]:.1f} s ({r['import'][1]:.1f} CPU); load "
          f"{r['load'][0]:.1f} s ({r['load'][1]:.1f} CPU), {r['rows']:,} incidents, peak "
          f"{r['load_peak_mb']:,.0f} MB")  # fmt: skip
    for run in r["runs"]:
        print(f"  {run['what']}: {run['rows']:,} incidents -> {run['clusters']:,} clusters "
              f"(min_samples {run['min_samples']}) in {run['wall']:.1f} s ({run['cpu']:.1f} CPU); "
              f"store to clusters {r['import'][0] + r['load'][0] + run['wall']:.1f} s "
              f"({r['import'][1] + r['load'][1] + run['cpu']:.1f} CPU); peak {run['peak_mb']:,.0f} MB")  # fmt: skip
    print(
        f"load average now: {' '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores"
    )


def measure_big(target: Path) -> dict:
    """In a child process (its own peak memory): load the store, then one season's clusters."""
    import resource

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    w, c = time.perf_counter(), time.process_time()
    from hotspots.analysis.cluster import ClusterParams
    from hotspots.analysis.hotspots import find_hotspots
    from hotspots.loader import DataSpec, load

    out: dict = {"import": (time.perf_counter() - w, time.process_time() - c)}
    w, c = time.perf_counter(), time.process_time()
    prepared = load(DataSpec(store=str(target)))
    out["load"] = (time.perf_counter() - w, time.process_time() - c)
    out["rows"] = len(prepared.incidents)
    out["load_peak_mb"] = peak()
    scale = _scale()
    out["runs"] = []
    for what, fy, min_samples in (
        ("autumn 2018-19, min_samples chosen by the app", "2018-19", None),
        ("every autumn (as bench/scale.py --big)", None, "scale"),
    ):
        w, c = time.perf_counter(), time.process_time()
        rows = int(((prepared.incidents["season"] == "autumn")
                    & ((prepared.incidents["financial_year"] == fy) if fy else True)).sum())  # fmt: skip
        ms = scale.min_samples_for(rows) if min_samples == "scale" else None
        found = find_hotspots(prepared, season="autumn", financial_year=fy,
                              params=ClusterParams(eps_m=scale.EPS_M, min_samples=ms))  # fmt: skip
        out["runs"].append({"what": what, "rows": rows, "clusters": len(found.clusters),
                            "min_samples": found.clusters.attrs.get("min_samples", ms),
                            "wall": time.perf_counter() - w, "cpu": time.process_time() - c,
                            "peak_mb": peak()})  # fmt: skip
    return out


if __name__ == "__main__":
    main()
