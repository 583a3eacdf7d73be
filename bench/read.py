"""Benchmark: reading police.uk CSVs with validation, against a bare pandas read.

Run on demand: ``.venv/bin/python bench/read.py [--repeat 5] [--old FILE]``.
Reads the five real West Mercia months in ../shared/data (50,984 rows, all
crime types) with :func:`hotspots.read.incidents.read_incidents`, and as the
baseline with a bare ``pandas.read_csv(dtype=str)`` of the same files (no
checks, no coordinates, no line numbers: the floor). With ``--old`` it also
times an earlier ``hotspots/incidents.py`` (e.g. ``git show
fdea534:hotspots/incidents.py > /tmp/old.py``) on the same files.

``--times N`` reads one file holding the five months N times over instead
(``--times 4``: 203,936 rows), to see how the cost grows.

Prints the best of ``--repeat`` runs in seconds, peak traced memory, and the
ratio against the baseline.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import pandas as pd

from hotspots.read import _rows, incidents

POLICE = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "police-uk" / "west-mercia"
)


def _measure(func, repeat: int) -> tuple[float, float]:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    func()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak / 2**20


def _load_module(path: Path):
    spec = importlib.util.spec_from_file_location("old_incidents", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_incidents"] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--old", type=Path, help="an earlier hotspots/incidents.py to compare")
    parser.add_argument("--times", type=int, default=0, help="one file of the months N times over")
    args = parser.parse_args()
    files = sorted(POLICE.glob("*-west-mercia-street.csv"))
    if args.times:
        big = Path(tempfile.mkdtemp()) / "many-street.csv"
        with big.open("w", encoding="utf-8") as out:
            for i in range(args.times):
                for j, f in enumerate(files):
                    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
                    out.writelines(lines if i == j == 0 else lines[1:])
        files = [big]
    rows = sum(len(pd.read_csv(f, dtype=str)) for f in files)
    print(f"{len(files)} police.uk files, {rows:,} rows (best of {args.repeat})")

    def bare() -> None:
        for f in files:
            pd.read_csv(f, dtype=str, keep_default_na=False)

    base, base_mb = _measure(bare, args.repeat)
    print(f"{'baseline: pandas.read_csv(dtype=str)':44s} {base:6.2f} s {base_mb:7.1f} MB   1.00x")
    cases = [("hotspots read_incidents, all crime types", incidents, None),
             ("hotspots read_incidents, ASB", incidents, (_rows.ASB,))]  # fmt: skip
    if args.old:
        old = _load_module(args.old)
        cases += [("earlier read_incidents, all crime types", old, None),
                  ("earlier read_incidents, ASB", old, (_rows.ASB,))]  # fmt: skip
    for label, module, types in cases:
        took, mb = _measure(lambda m=module, t=types: m.read_incidents(files, crime_types=t),
                            args.repeat)  # fmt: skip
        print(f"{label:44s} {took:6.2f} s {mb:7.1f} MB {took / base:6.2f}x")


if __name__ == "__main__":
    main()
