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

QUERY = "fy=2018-19&season=autumn&area=borough"
ENDPOINTS = [
    ("baseline /healthz", "/healthz"),
    ("map page /map", f"/map?{QUERY}"),
    ("map frame /map/frame", f"/map/frame?{QUERY}"),
    ("API /api/clusters", f"/api/clusters?{QUERY}"),
]
HOST = "127.0.0.1"


def serve(threads: int) -> None:
    """Run the demo app under waitress on a free loopback port; print the port first."""
    from waitress.server import create_server

    from webapp import create_app

    # waitress warns on every queued request; under a load test that is the point, not news.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    app = create_app({"HOTSPOTS_REQUIRE_LOGIN": False, "SECRET_KEY": secrets.token_hex(16)})
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


def start_server(threads: int) -> tuple[subprocess.Popen, int]:
    """The server child process and its port."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), root])),
    }
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--serve", "--threads", str(threads)],
        stdout=subprocess.PIPE, text=True, env=env, cwd=root,
    )  # fmt: skip
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="per endpoint (30)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (20)")
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads (4)")
    parser.add_argument("--rounds", type=int, default=3, help="turns per endpoint (3)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per client")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.threads)
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
