"""Benchmark the web app: concurrent clients against a local server on the demo borough.

Starts the demo app (login off, as in demo mode) under waitress in a child
process on a free loopback port, warms its cache, then runs ``--clients``
concurrent client threads for ``--seconds`` against each endpoint (the
endpoints take turns, ``--rounds`` slices each, so drift in the machine's other
load falls on all of them alike):

* ``/healthz``, the cheapest route: the baseline (the ratio's denominator);
* ``/map``, the map page (the selection form and the iframe);
* ``/map/frame``, the cached folium map;
* ``/api/clusters``, the clusters as JSON.

Each client keeps one HTTP/1.1 connection open (reconnecting after an
error). Printed per endpoint: requests, requests/s, p50 and p95 latency,
errors (any status but 200, or a failed connection), response size, and
requests/s as a share of the baseline's. Traffic goes to 127.0.0.1 only; each
loop stops at its deadline or after ``--max-requests`` per client. The server
and the clients share this machine's cores, so the figures are a floor.

Run: ``.venv/bin/python bench/web.py [--seconds 30] [--clients 20]``.

``--cold N`` (e.g. ``--cold 1000000``) runs the concurrency case instead: a
police.uk-shaped file of N incidents over two financial years (made here by
:func:`police_rows`, in the demo borough, on shared anonymous map points with
hotspots) is served under waitress (``--threads``, 16 by default here); then

* 8 clients each ask for a different cold selection (``/map/frame``, season x
  financial year) at once, while two probes keep asking for ``/healthz`` and
  a cached map frame: cold p50/p95/max, and the probes' p95 against their p95
  on the idle server (the ratio: 1.0 means a slow selection holds nobody up);
* 6 clients ask for the same cold selection at once (one computation shared);
* the 8 selections again, now cached: p95.
"""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

QUERY = "fy=2018-19&season=autumn&area=borough"
ENDPOINTS = [
    ("baseline /healthz", "/healthz"),
    ("map page /map", f"/map?{QUERY}"),
    ("map frame /map/frame", f"/map/frame?{QUERY}"),
    ("API /api/clusters", f"/api/clusters?{QUERY}"),
]
HOST = "127.0.0.1"


def serve(threads: int, data: str | None = None) -> None:
    """Run the app (the demo, or ``data`` on the demo wards) under waitress; print the port first."""
    from waitress.server import create_server

    from boundaries import get_path
    from webapp import create_app

    # waitress warns on every queued request; under a load test that is the point, not news.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # Answers computed in the server's threads, as this bench has always measured them (its
    # clients count a "computing…" 202 as an error); bench/store.py measures the app's default,
    # worker processes, against this.
    config = {"HOTSPOTS_REQUIRE_LOGIN": False, "SECRET_KEY": secrets.token_hex(16),
              "HOTSPOTS_COMPUTE": "inline"}  # fmt: skip
    if data:
        config |= {"HOTSPOTS_INPUTS": [data], "HOTSPOTS_WARDS": str(get_path("demo-wards")),
                   "HOTSPOTS_AREAS": str(get_path("demo-focus-areas"))}  # fmt: skip
    app = create_app(config)
    if data:
        start = time.perf_counter()
        loaded = app.extensions["hotspots_store"].loaded()
        print(
            f"LOADED {len(loaded.prepared.incidents)} {time.perf_counter() - start:.1f}", flush=True
        )
    server = create_server(app, host=HOST, port=0, threads=threads)
    print(f"PORT {server.effective_port}", flush=True)
    server.run()


@dataclass
class Result:
    """One endpoint's run."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    sizes: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _get(conn: http.client.HTTPConnection, path: str) -> tuple[int, int]:
    conn.request("GET", path, headers={"Accept-Encoding": "identity"})
    response = conn.getresponse()
    body = response.read()
    return response.status, len(body)


def client(port: int, path: str, deadline: float, max_requests: int, result: Result) -> None:
    """One client: GET ``path`` on a kept-alive connection until the deadline."""
    latencies, sizes, errors = [], [], 0
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    for _ in range(max_requests):
        if time.perf_counter() >= deadline:
            break
        start = time.perf_counter()
        try:
            status, size = _get(conn, path)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(HOST, port, timeout=30)
            continue
        latencies.append(time.perf_counter() - start)
        if status == 200:
            sizes.append(size)
        else:
            errors += 1
    conn.close()
    with result.lock:
        result.latencies += latencies
        result.sizes += sizes
        result.errors += errors


def run_endpoint(
    port: int, path: str, *, clients: int, seconds: float, max_requests: int, result: Result
) -> float:
    """``clients`` threads against ``path`` for ``seconds``, adding to ``result``; the time taken."""
    start = time.perf_counter()
    deadline = start + seconds
    threads = [
        threading.Thread(target=client, args=(port, path, deadline, max_requests, result))
        for _ in range(clients)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def _percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def start_server(threads: int, data: str | None = None) -> tuple[subprocess.Popen, int]:
    """The server child process and its port."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), root])),
    }
    extra = ["--data", data] if data else []
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", "--threads", str(threads), *extra],
        stdout=subprocess.PIPE, text=True, env=env, cwd=root,
    )  # fmt: skip
    line = proc.stdout.readline()
    if line.startswith("LOADED "):
        _, n, took = line.split()
        print(f"server loaded {int(n):,} incidents in the study area in {float(took):.1f} s")
        line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"the server did not start (said {line!r})")
    return proc, int(line.split()[1])


def warm(port: int) -> None:
    """One request to each endpoint (filling the app's cache); fail loudly if one is not 200."""
    conn = http.client.HTTPConnection(HOST, port, timeout=300)
    for name, path in ENDPOINTS:
        start = time.perf_counter()
        status, size = _get(conn, path)
        took = time.perf_counter() - start
        if status != 200:
            raise SystemExit(f"warm-up: {path} answered {status}")
        print(f"warm-up  {name:<22} {took * 1000:8.1f} ms  {size:>9,} bytes")
    conn.close()


# --------------------------------------------------------------------------- the cold case


def police_rows(n: int, *, seed: int = 10) -> pd.DataFrame:
    """``n`` police.uk street-level rows (ASB) in the demo borough, April 2017 to March 2019.

    Like police.uk, incidents sit on shared anonymous map points ("On or near
    <street>"): 20,000 points spread over the wards, 40% of incidents on the
    points near 40 hotspot centres, more in summer and October.
    """
    import numpy as np
    import pandas as pd
    import shapely

    from boundaries import get_path, load_wards
    from hotspots.read.geocode import bng_to_lonlat

    rng = np.random.default_rng(seed)
    wards = load_wards(get_path("demo-wards")).to_crs(27700)
    borough = wards.union_all()
    x0, y0, x1, y1 = borough.bounds
    pool = np.empty((0, 2))
    while len(pool) < 20_000:
        xy = rng.uniform((x0, y0), (x1, y1), size=(40_000, 2))
        pool = np.vstack([pool, xy[shapely.contains_xy(borough, xy[:, 0], xy[:, 1])]])
    pool = pool[:20_000]
    centres = pool[rng.choice(len(pool), 40, replace=False)]
    near = np.flatnonzero(((pool[:, None, :] - centres[None]) ** 2).sum(-1).min(1) < 150**2)
    pick = np.where(rng.random(n) < 0.4, rng.choice(near, n), rng.integers(0, len(pool), n))
    lon, lat = bng_to_lonlat(pool[:, 0], pool[:, 1])
    streets = np.array([f"On or near Street {i % 2_500}" for i in range(len(pool))])
    months = pd.period_range("2017-04", "2019-03", freq="M").strftime("%Y-%m").to_numpy()
    weight = np.array([1.0, 1.1, 1.2, 1.4, 1.3, 1.0, 1.4, 1.0, 0.9, 0.8, 0.8, 0.9] * 2)
    return pd.DataFrame({
        "Crime ID": "", "Month": months[rng.choice(len(months), n, p=weight / weight.sum())],
        "Reported by": "Demo Police", "Falls within": "Demo Police",
        "Longitude": np.round(lon[pick], 6), "Latitude": np.round(lat[pick], 6),
        "Location": streets[pick], "LSOA code": "E01000000", "LSOA name": "Demo 001A",
        "Crime type": "Anti-social behaviour", "Last outcome category": "", "Context": "",
    })  # fmt: skip


def _timed(port: int, path: str) -> tuple[float, int]:
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    start = time.perf_counter()
    try:
        status, _ = _get(conn, path)
    except (OSError, http.client.HTTPException):
        status = 0
    conn.close()
    return time.perf_counter() - start, status


def _together(port: int, paths: list[str]) -> list[tuple[float, int]]:
    """GET every path at once (one thread each); their (seconds, status)."""
    out: list = [None] * len(paths)
    start = threading.Barrier(len(paths))

    def one(i: int) -> None:
        start.wait()
        out[i] = _timed(port, paths[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(paths))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _probe(port: int, path: str, stop: threading.Event, into: list[float]) -> None:
    conn = http.client.HTTPConnection(HOST, port, timeout=600)
    while not stop.is_set():
        start = time.perf_counter()
        _get(conn, path)
        into.append(time.perf_counter() - start)
        time.sleep(0.02)
    conn.close()


def _ms(values: list[float], q: int) -> str:
    return f"{_percentile(sorted(values), q) * 1000:9.1f}" if values else "        -"


def cold_case(n: int, threads: int) -> None:
    """The concurrency case: 8 concurrent cold selections on ``n`` incidents (module notes)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hotspots-bench-") as tmp:
        path = os.path.join(tmp, f"{n}-demo-street.csv")
        start = time.perf_counter()
        police_rows(n).to_csv(path, index=False)
        print(f"wrote {n:,} police.uk rows ({os.path.getsize(path) / 1e6:.0f} MB) "
              f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
        proc, port = start_server(threads, path)
        try:
            _cold_runs(port, threads)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _cold_runs(port: int, threads: int) -> None:
    cached_page = "/map/frame?fy=2018-19&season=all&area=borough"
    took, status = _timed(port, cached_page)
    print(
        f"server: waitress threads={threads}; first map frame (cold, alone) {took:.2f} s ({status})"
    )
    idle = {"/healthz": [], cached_page: []}
    for _ in range(40):
        for probe, into in idle.items():
            into.append(_timed(port, probe)[0])
    selections = [f"/map/frame?fy={fy}&season={season}&area=borough"
                  for fy in ("2017-18", "2018-19")
                  for season in ("winter", "spring", "summer", "autumn")]  # fmt: skip
    busy: dict[str, list[float]] = {"/healthz": [], cached_page: []}
    stop = threading.Event()
    probes = [threading.Thread(target=_probe, args=(port, p, stop, busy[p])) for p in busy]
    for t in probes:
        t.start()
    cold = _together(port, selections)
    same = _together(port, ["/map/frame?fy=2017-18&season=all&area=borough"] * 6)
    stop.set()
    for t in probes:
        t.join()
    cached = [r for _ in range(5) for r in _together(port, selections)]
    errors = sum(status != 200 for _, status in cold + same + cached)

    def secs(rows):
        return [t for t, _ in rows]

    print()
    header = f"{'requests':<44} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}"
    print(header)
    print("-" * len(header))
    for name, values in (
        ("8 different cold selections at once", secs(cold)),
        ("6 identical cold selections at once", secs(same)),
        ("the 8 selections again, cached (x5)", secs(cached)),
        ("/healthz, idle server", idle["/healthz"]),
        ("/healthz during the cold requests", busy["/healthz"]),
        ("cached map frame, idle server", idle[cached_page]),
        ("cached map frame during the cold requests", busy[cached_page]),
    ):
        print(f"{name:<44} {len(values):>4} {_ms(values, 50)} {_ms(values, 95)} "
              f"{max(values) * 1000 if values else float('nan'):9.1f}")  # fmt: skip
    for probe in busy:
        ratio = _percentile(sorted(busy[probe]), 95) / _percentile(sorted(idle[probe]), 95)
        print(f"p95 of {probe} during cold requests / idle: {ratio:.2f}x")
    print(f"errors (status not 200): {errors}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per endpoint (30)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads (4)")
    parser.add_argument("--rounds", type=int, default=3, help="turns per endpoint (3)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per client")
    parser.add_argument("--cold", type=int, default=0, metavar="N",
                        help="the concurrency case on N incidents instead (e.g. 1000000)")  # fmt: skip
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.threads, args.data)
        return
    if args.cold:
        cold_case(args.cold, args.threads if "--threads" in (argv or sys.argv) else 16)
        return

    proc, port = start_server(args.threads)
    try:
        print(f"server: demo borough, waitress threads={args.threads}, http://{HOST}:{port}")
        print(
            f"clients: {args.clients} for {args.seconds:g} s per endpoint, in {args.rounds} turns; "
            f"{os.cpu_count()} cores shared by server and clients"
        )
        warm(port)
        # The endpoints take turns (``--rounds`` slices of ``--seconds`` each), so a change in
        # the machine's other load during the run falls on all of them, not on one.
        results = {path: Result() for _, path in ENDPOINTS}
        elapsed = dict.fromkeys(results, 0.0)
        per_max = max(1, args.max_requests // args.rounds)
        for _ in range(args.rounds):
            for _, path in ENDPOINTS:
                elapsed[path] += run_endpoint(
                    port, path, clients=args.clients, seconds=args.seconds / args.rounds,
                    max_requests=per_max, result=results[path],
                )  # fmt: skip
        rows = []
        for name, path in ENDPOINTS:
            done = len(results[path].latencies)
            rows.append((name, done, done / elapsed[path], results[path]))
        base_rps = rows[0][2]
        print()
        header = f"{'endpoint':<22} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7} {'bytes':>9} {'vs base':>8}"
        print(header)
        print("-" * len(header))
        for name, done, rps, result in rows:
            p50 = _percentile(result.latencies, 50) * 1000
            p95 = _percentile(result.latencies, 95) * 1000
            size = int(statistics.median(result.sizes)) if result.sizes else 0
            ratio = rps / base_rps if base_rps else float("nan")
            print(
                f"{name:<22} {done:>9,} {rps:>8.1f} {p50:>8.1f} {p95:>8.1f} {result.errors:>7,} {size:>9,} {ratio:>8.2f}"
            )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
