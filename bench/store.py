"""Benchmark: the store at 10^6 incidents: ingest rows/s and web start-up time.

Run on demand: ``.venv/bin/python bench/store.py [--rows 1000000] [--postgis]``.

1. Makes ``--rows`` police.uk-shaped ASB rows (monthly files of 25,000 rows,
   points snapped to a few thousand shared map points as police.uk does) over
   the Redditch wards (../shared/data, else the demo wards).
2. Ingest: ``hotspots ingest`` into a new GeoPackage (and PostGIS with
   ``--postgis``, on a private loopback server as in the tests): rows/s. The
   baseline in the same run is reading and preparing the same files without a
   store (what every command did before).
3. Web start-up: ``hotspots serve`` from launch until ``/healthz`` answers and
   the data is loaded (serve loads it before listening), from the store and,
   as the baseline, from the files, and on the demo (the floor: Python imports).
"""

from __future__ import annotations

import argparse
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
    from hotspots.geocode import bng_to_lonlat

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


def start_up(args: list[str]) -> float:
    """Seconds from launching ``hotspots serve`` until /healthz answers (data loaded first)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    proc = subprocess.Popen([HOTSPOTS, "serve", "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    try:
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"serve exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                    return time.perf_counter() - start
            except OSError:
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgis", action="store_true", help="also PostGIS (private server)")
    parser.add_argument("--keep", type=Path, help="keep the files and store in this folder")
    args = parser.parse_args()
    wards = SHARED_WARDS if SHARED_WARDS.exists() else ROOT / "data" / "demo" / "wards.geojson"
    work = args.keep or Path(tempfile.mkdtemp(prefix="hotspots-bench-store-"))
    work.mkdir(parents=True, exist_ok=True)
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

    targets = {"GeoPackage": str(work / "store.gpkg")}
    server = None
    if args.postgis:
        from tests import _postgis

        server = _postgis.start()
        targets["PostGIS"] = server.new_database()
    try:
        for name, target in targets.items():
            ingest_s = timed([HOTSPOTS, "ingest", *map(str, files), "--wards", str(wards),
                              "--store", target])  # fmt: skip
            again_s = timed([HOTSPOTS, "ingest", *map(str, files), "--store", target])
            size = Path(target).stat().st_size / 2**20 if name == "GeoPackage" else float("nan")
            print(f"{name}: ingest {ingest_s:.1f} s = {args.rows / ingest_s:,.0f} rows/s "
                  f"({ingest_s / read_s:.2f}x the plain read); the same files again (unchanged) "
                  f"{again_s:.1f} s" + (f"; store {size:,.0f} MiB" if size == size else ""))  # fmt: skip
            t = time.perf_counter()
            from hotspots.store import open_store

            with open_store(target) as store:
                loaded = store.prepared()
            print(f"{name}: load the prepared incidents: {time.perf_counter() - t:.2f} s "
                  f"({len(loaded.incidents):,} in the study area)")  # fmt: skip
            del loaded
            store_up = start_up(["--store", target])
            print(f"{name}: web start-up (serve until /healthz answers, data loaded): {store_up:.1f} s")
        files_up = start_up(["--data", str(work), "--wards", str(wards)])
        print(f"baseline: web start-up from the files: {files_up:.1f} s "
              f"(store {store_up / files_up:.2f}x of that)")  # fmt: skip
        demo_up = start_up([])
        print(f"floor: web start-up on the embedded demo (6,671 incidents; Python imports): "
              f"{demo_up:.1f} s")  # fmt: skip
        print(f"load average now: {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
              f"on {os.cpu_count()} cores")  # fmt: skip
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
