"""Benchmark: DBSCAN on police.uk map points, deduplicated vs plain.

Run on demand: ``.venv/bin/python bench/cluster.py``. Reads the real West
Mercia police.uk files in ../shared/data (whole force, all five months of ASB)
and times plain DBSCAN on every incident (the baseline) against clustering each
distinct map point once with its count as ``sample_weight``. Prints seconds,
peak memory of the neighbour search, the speed-up, and whether the labels are
identical.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.cluster import DBSCAN

from hotspots.analysis.cluster import dbscan_labels
from hotspots.read.incidents import read_incidents

POLICE = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "police-uk" / "west-mercia"
)


def _measure(func, repeat: int) -> tuple[float, float, np.ndarray]:
    best = float("inf")
    for _ in range(repeat):
        tracemalloc.start()
        start = time.perf_counter()
        labels = func()
        best = min(best, time.perf_counter() - start)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return best, peak / 2**20, labels


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--crime-type", default="Anti-social behaviour",
                        help="police.uk crime type, or 'all'")  # fmt: skip
    args = parser.parse_args()
    files = sorted(POLICE.glob("*-west-mercia-street.csv"))
    if not files:
        raise SystemExit(f"no police.uk files at {POLICE}")
    types = None if args.crime_type == "all" else [args.crime_type]
    load = read_incidents(files, crime_types=types)
    xy = np.column_stack([load.incidents.geometry.x, load.incidents.geometry.y])
    print(f"incidents {len(xy):,}; distinct map points {len(np.unique(xy, axis=0)):,}")
    print(f"{'eps_m':>6} {'min_s':>6} {'plain s':>9} {'dedupe s':>9} {'speed-up':>9} "
          f"{'plain MiB':>10} {'dedupe MiB':>11} {'same labels':>12}")  # fmt: skip
    for eps, ms in ((100, 10), (200, 25), (400, 60)):
        t0, m0, plain = _measure(lambda e=eps, m=ms: DBSCAN(eps=e, min_samples=m).fit(xy).labels_,
                                 args.repeat)  # fmt: skip
        t1, m1, fast = _measure(lambda e=eps, m=ms: dbscan_labels(xy, eps_m=e, min_samples=m),
                                args.repeat)  # fmt: skip
        same = bool(np.array_equal(plain, fast))
        print(f"{eps:>6} {ms:>6} {t0:>9.3f} {t1:>9.3f} {t0 / t1:>8.1f}x {m0:>10.1f} {m1:>11.1f} "
              f"{same!s:>12}")  # fmt: skip


if __name__ == "__main__":
    main()
