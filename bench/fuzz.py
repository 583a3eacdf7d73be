"""Benchmark: huge numbers in every route, and ``/healthz`` while they arrive (issue 18, point 4).

Serves the demo (login off, as on loopback) with a small local tile file as
the basemap under waitress in this process, on a free loopback port. Then:

* ``/healthz`` alone, ``--probes`` times: the baseline latency;
* every fuzzed URL once (a route given no query answers its default
  selection: computed now, cached for the run);
* ``--clients`` threads send every GET route with huge numbers
  (``99999999999999999999``, ``2**64``, ``-1``, 5,000 digits, ...) in each path
  argument and query parameter, round after round, for ``--seconds``; one
  probe keeps asking for ``/healthz`` meanwhile.

Printed: the fuzzed requests' count, statuses and p50/p95/max latency, the
tile requests' own p95/max (``/tiles/99999999999999999999/0/0.png`` and kin),
and ``/healthz`` p50/p95/max idle and under the fuzz with the ratio. Before
issue 18, one ``/tiles/99999999999999999999/0/0.png`` kept ``/healthz`` from
answering for about 74 s.

Run: ``.venv/bin/python bench/fuzz.py [--seconds 10] [--clients 4]``.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HUGE = ["99999999999999999999", str(2**64), "-1", "64", "9" * 5000, "1e999", "nan"]
PARAMS = ("fy", "season", "area", "ward", "eps", "min_samples", "focus")


def fuzzed_urls(app) -> list[str]:
    """Every GET route with each huge value in each path argument, with and without a query."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        for value in HUGE:
            path = re.sub(r"<(?:[^>:]+:)?([^>]+)>",
                          lambda m, v=value: "png" if m.group(1) == "ext" else v, rule.rule)  # fmt: skip
            urls.add(path)
            urls.add(path + "?" + "&".join(f"{p}={value}" for p in PARAMS))
    return sorted(urls)


def _get(conn: http.client.HTTPConnection, url: str) -> tuple[int, float]:
    start = time.perf_counter()
    conn.request("GET", url)
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - start


def _ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (f"p50 {1000 * statistics.median(ordered):.1f} ms, p95 {1000 * p95:.1f} ms, "
            f"max {1000 * ordered[-1]:.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--probes", type=int, default=200)
    args = parser.parse_args()

    import waitress

    from tests._tiles import make_mbtiles
    from webapp import create_app

    tiles = make_mbtiles(Path(tempfile.mkdtemp(prefix="bench-fuzz-")) / "t.mbtiles")
    app = create_app({"SECRET_KEY": "bench", "HOTSPOTS_REQUIRE_LOGIN": False,
                      "HOTSPOTS_BASEMAP": str(tiles)})  # fmt: skip
    app.extensions["hotspots_store"].loaded()
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=8, ident="bench")
    port = server.socket.getsockname()[1]
    threading.Thread(target=server.run, daemon=True).start()
    urls = fuzzed_urls(app)

    def probe(stop: threading.Event | None, out: list[float], limit: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while (stop is None and len(out) < limit) or (stop is not None and not stop.is_set()):
            status, seconds = _get(conn, "/healthz")
            assert status == 200, status
            out.append(seconds)
            if stop is not None:
                time.sleep(0.01)

    warm = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    for url in urls:  # the default selections answered once (pages, decks): now cached
        _get(warm, url)
    idle: list[float] = []
    probe(None, idle, args.probes)

    stop = threading.Event()
    busy: list[float] = []
    statuses: Counter = Counter()
    timings: list[float] = []
    tile_timings: list[float] = []
    lock = threading.Lock()

    def client(offset: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        i = offset
        while not stop.is_set():
            url = urls[i % len(urls)]
            i += 1
            try:
                status, seconds = _get(conn, url)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                status, seconds = -1, 0.0
            with lock:
                statuses[status] += 1
                timings.append(seconds)
                if url.startswith("/tiles/"):
                    tile_timings.append(seconds)

    threads = [threading.Thread(target=client, args=(k * 97,)) for k in range(args.clients)]
    prober = threading.Thread(target=probe, args=(stop, busy, 0))
    for t in (*threads, prober):
        t.start()
    time.sleep(args.seconds)
    stop.set()
    for t in (*threads, prober):
        t.join()
    server.close()

    print(f"{len(urls)} fuzzed URLs (every GET route x {len(HUGE)} huge values, with and "
          f"without a query); {args.clients} clients for {args.seconds:g} s")  # fmt: skip
    print(f"fuzzed requests: {sum(statuses.values()):,}; statuses "
          f"{dict(sorted(statuses.items()))}; {_ms(timings)}")  # fmt: skip
    print(f"  of which /tiles/...: {len(tile_timings):,}; {_ms(tile_timings)}")
    print(f"/healthz idle ({len(idle)}): {_ms(idle)}")
    print(f"/healthz under the fuzz ({len(busy)}): {_ms(busy)}")
    if idle and busy:
        ratio = statistics.median(busy) / statistics.median(idle)
        print(f"/healthz p50 under the fuzz / idle: {ratio:.2f}x")


if __name__ == "__main__":
    main()
