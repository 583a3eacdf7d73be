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
5. Answers ready before anyone asks (``--ready-only`` runs only this, on ``--keep DIR``'s
   store): ``serve --store`` (worker processes; the periods' results kept by ``ingest``),
   then, once ``/healthz`` answers, the first map frame of three periods (seconds each;
   target 0.5 s); then 8 different cold analyst selections (their own ``eps``) asked at
   once, each followed through its "computing…" page, while ``/healthz`` is probed every
   20 ms: its p50 / p99 / max (target p99 < 50 ms), and when the selections were answered;
   then 8 more, each asked as a browser does (its page, then its map frame), the same way.
   Both bursts start once the worker processes are idle (the load's warm-up done).
   CPU seconds of the server process and of its worker processes during each burst.
   The baseline in the same run: ``serve --compute inline`` (every answer computed in the
   server's threads when first asked for, as before).

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


def timed(cmd: list[str], env: dict | None = None, *, say: str = "") -> float:
    """Seconds ``cmd`` took; its output lines starting with ``say`` are printed."""
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{done.stderr[-3000:]}")
    for line in (done.stdout + done.stderr).splitlines() if say else ():
        if line.startswith(say):
            print(f"  {line}", flush=True)
    return time.perf_counter() - start


BENCH_USER, BENCH_PASSWORD = "bench", "bench-password-1"
MAP_QUERY = "fy=2018-19&season=autumn&area=borough"


BENCH_ANALYST = "bench-analyst"


def add_bench_user(db: Path, name: str = BENCH_USER, role: str = "viewer") -> None:
    """A viewer (or analyst) for the start-up runs (the app needs a login off the demo)."""
    done = subprocess.run([HOTSPOTS, "users", "add", name, "--role", role, "--password-stdin",
                           "--db", str(db)], input=BENCH_PASSWORD + "\n", capture_output=True,
                          text=True)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"users add failed: {done.stderr[-2000:]}")


def _login(opener, base: str, name: str = BENCH_USER) -> None:
    import re
    import urllib.parse

    page = opener.open(f"{base}/login", timeout=60).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "username": name,
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
        _followed(opener, f"{base}/map/frame?{MAP_QUERY}")  # through any "computing…"
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


READY_PERIODS = ("fy=2018-19&season=all", "fy=2018-19&season=autumn", "fy=all&season=winter")
COLD_EPS = (60, 70, 80, 90, 110, 120, 130, 140)
#: The second burst: each selection's page, then its map frame, as a browser asks them.
COLD_PAGE_EPS = (65, 75, 85, 95, 105, 115, 125, 135)


def _tree_cpu(pid: int) -> float:
    """CPU seconds used so far by ``pid``'s descendants (the worker processes; Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, frontier = [], [pid]
    while frontier:
        frontier = [c for p in frontier for c in children.get(p, [])]
        found += frontier
    return float(np.nansum([_child_cpu(p) for p in found]))  # one that ended meanwhile: nan


def _serve(args: list[str], users_db: Path):
    """``hotspots serve`` on a free port, once /healthz answers: (process, base URL, seconds)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    proc = subprocess.Popen([HOTSPOTS, "serve", "--port", str(port), "--users-db", str(users_db),
                             *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1):
                return proc, base, time.perf_counter() - start
        except OSError:
            time.sleep(0.05)


def _opener(base: str, name: str):
    import http.cookiejar

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    _login(opener, base, name)
    return opener


def _followed(opener, url: str, limit_s: float = 900.0, *,
              expect: bytes = b"leaflet") -> tuple[float, int]:  # fmt: skip
    """GET ``url``, following "computing…" (202) every half second: (seconds, 202s seen)."""
    start, pending = time.perf_counter(), 0
    while True:
        with opener.open(url, timeout=limit_s) as response:
            body = response.read()
            status = response.status
        if status != 202:
            if status != 200 or expect not in body.lower():
                raise SystemExit(f"{url} answered {status}")
            return time.perf_counter() - start, pending
        pending += 1
        if time.perf_counter() - start > limit_s:
            raise SystemExit(f"{url} still computing after {limit_s:.0f} s")
        time.sleep(0.5)


def _settled(pid: int, limit_s: float = 120.0) -> float:
    """Wait until ``pid``'s worker processes are idle (the load's warm-up done): seconds waited."""
    start = time.perf_counter()
    used = _tree_cpu(pid)
    while time.perf_counter() - start < limit_s:
        time.sleep(1.0)
        now = _tree_cpu(pid)
        if now - used < 0.05:
            break
        used = now
    return time.perf_counter() - start


def ready_figures(target: str, users_db: Path, compute: str) -> dict:
    """First map frames after /healthz, then 8 cold analyst selections with /healthz probed."""
    import threading

    proc, base, up = _serve(["--store", target, "--compute", compute], users_db)
    out: dict = {"healthz_s": up, "frames": []}
    try:
        viewer = _opener(base, BENCH_USER)
        for query in READY_PERIODS:
            took, pending = _followed(viewer, f"{base}/map/frame?{query}&area=borough")
            out["frames"].append((query, took, pending))
        analyst = [_opener(base, BENCH_ANALYST) for _ in COLD_EPS]
        out["settled_s"] = _settled(proc.pid)
        probes: list[float] = []
        answered: list[float] = []
        stop = threading.Event()

        def probe() -> None:
            while not stop.is_set():
                t = time.perf_counter()
                with urllib.request.urlopen(f"{base}/healthz", timeout=60) as r:
                    r.read()
                probes.append(time.perf_counter() - t)
                stop.wait(0.02)

        def select(opener, eps: int) -> None:
            url = f"{base}/map/frame?fy=2018-19&season=autumn&area=borough&eps={eps}"
            answered.append(_followed(opener, url)[0])

        def browse(opener, eps: int) -> None:
            query = f"fy=2018-19&season=autumn&area=borough&eps={eps}"
            took = _followed(opener, f"{base}/map?{query}", expect=b'id="map-frame"')[0]
            answered.append(took + _followed(opener, f"{base}/map/frame?{query}")[0])

        for name, task, eps in (("cold", select, COLD_EPS), ("browsed", browse, COLD_PAGE_EPS)):
            probes, answered = [], []
            stop.clear()
            prober = threading.Thread(target=probe)
            prober.start()
            threads = [threading.Thread(target=task, args=(o, e)) for o, e in zip(analyst, eps)]
            w, cpu, workers = time.perf_counter(), _child_cpu(proc.pid), _tree_cpu(proc.pid)
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            stop.set()
            prober.join()
            out[f"{name}_wall_s"] = time.perf_counter() - w
            out[f"{name}_server_cpu_s"] = _child_cpu(proc.pid) - cpu
            out[f"{name}_workers_cpu_s"] = _tree_cpu(proc.pid) - workers
            out[f"{name}_answered"] = sorted(answered)
            out[f"{name}_probes"] = np.array(probes)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return out


def _ready_lines(name: str, got: dict) -> list[str]:
    frames = ", ".join(f"{q.split('&')[0][3:]} {q.split('season=')[1]} {s:.2f} s"
                       + (f" ({n} computing)" if n else "") for q, s, n in got["frames"])  # fmt: skip
    lines = [f"{name}: /healthz up {got['healthz_s']:.1f} s after launch; first map frames: "
             f"{frames}; workers idle {got['settled_s']:.0f} s later"]  # fmt: skip
    for burst, what in (("cold", "8 cold analyst selections at once (their map frames)"),
                        ("browsed", "8 more, each its page then its frame (as a browser)")):  # fmt: skip
        p = got[f"{burst}_probes"] * 1000
        a = got[f"{burst}_answered"]
        workers = got[f"{burst}_workers_cpu_s"]
        lines.append(
            f"{name}: {what}: all answered in {got[f'{burst}_wall_s']:.1f} s (first {a[0]:.1f} s, "
            f"median {np.median(a):.1f} s; CPU: server {got[f'{burst}_server_cpu_s']:.1f} s"
            + (f", workers {workers:.1f} s" if workers else "")
            + f"); /healthz meanwhile ({len(p)} probes): p50 {np.percentile(p, 50):.0f} ms, "
            f"p99 {np.percentile(p, 99):.0f} ms, max {p.max():.0f} ms"
        )
    return lines


def ready(target: str, users_db: Path) -> None:
    """Section 5: the worker path against the inline baseline, in one run."""
    for compute, name in (("workers", "ready (worker processes)"),
                          ("inline", "baseline (computed in the server's threads)")):  # fmt: skip
        for line in _ready_lines(name, ready_figures(target, users_db, compute)):
            print(line, flush=True)
        print(f"load average now: {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
              f"on {os.cpu_count()} cores", flush=True)  # fmt: skip


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgis", action="store_true", help="also PostGIS (private server)")
    parser.add_argument("--keep", type=Path, help="keep the files and store in this folder")
    parser.add_argument("--start-up-only", action="store_true",
                        help="with --keep of an earlier run: only the start-ups (no new files "
                             "or ingest)")  # fmt: skip
    parser.add_argument("--ready-only", action="store_true",
                        help="with --keep of an earlier run: only section 5 (answers ready "
                             "before anyone asks)")  # fmt: skip
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
    if args.ready_only:
        if not (args.keep and (work / "store.gpkg").exists()):
            raise SystemExit("--ready-only needs --keep DIR of an earlier run (its store.gpkg)")
        users_db = work / "users.sqlite"
        add_bench_user(users_db)
        add_bench_user(users_db, BENCH_ANALYST, "analyst")
        ready(targets["GeoPackage"], users_db)
        return
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
    add_bench_user(users_db, BENCH_ANALYST, "analyst")
    server = None
    if args.postgis and not args.start_up_only:
        from tests import _postgis

        server = _postgis.start()
        targets["PostGIS"] = server.new_database()
    try:
        for name, target in targets.items():
            if not args.start_up_only:
                ingest_s = timed([HOTSPOTS, "ingest", *map(str, files), "--wards", str(wards),
                                  "--store", target, "--no-results"])  # fmt: skip
                again_s = timed([HOTSPOTS, "ingest", *map(str, files), "--store", target,
                                 "--no-results"])  # fmt: skip
                # every period's results, computed in worker processes and kept in the store
                results_s = timed([HOTSPOTS, "ingest", *map(str, files), "--store", target],
                                  say="results")  # fmt: skip
                size = Path(target).stat().st_size / 2**20 if name == "GeoPackage" else float("nan")
                print(f"{name}: ingest {ingest_s:.1f} s = {args.rows / ingest_s:,.0f} rows/s "
                      f"({ingest_s / read_s:.2f}x the plain read); the same files again (unchanged) "
                      f"{again_s:.1f} s; again with every period's results made and kept "
                      f"{results_s:.1f} s" + (f"; store {size:,.0f} MiB" if size == size else ""))  # fmt: skip
            print(f"{name}: load the prepared incidents (a new process): {_load_cpu(target)}")
            store_up = start_up(["--store", target], users_db=users_db)
            print(_up(f"{name}: web start-up from the store", store_up))
        files_up = start_up(["--data", str(work), "--wards", str(wards)], users_db=users_db)
        print(_up("baseline: web start-up from the files", files_up)
              + f" (store {store_up['healthz'] / files_up['healthz']:.2f}x, "
              f"{store_up['map'] / files_up['map']:.2f}x of that)")  # fmt: skip
        demo_up = start_up([])
        print(_up("floor: the embedded demo (6,671 incidents; no login)", demo_up))
        ready(targets["GeoPackage"], users_db)
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
