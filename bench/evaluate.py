"""Benchmark: the rolling-origin backtest and the significance test on the five real months.

Run on demand: ``.venv/bin/python bench/evaluate.py``. Reads the West Mercia
police.uk files in ../shared/data (Redditch wards as the study area, ASB) and
times:

* a rolling backtest by month (four train -> test pairs: DBSCAN, grid and KDE
  at 1%, 3%, 5% and the hotspots' own coverage), against the baseline of
  clustering the same four training months alone (what the map already does);
* the Monte Carlo significance test (999 simulations) of one season's
  clusters, against the same simulations run through scikit-learn's DBSCAN one
  by one (the plain way).

Prints seconds, the ratios, and the mean PAI per method and coverage.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from boundaries import load_wards
from hotspots.analysis.backtest import period_labels, rolling_backtest, summarise_backtest
from hotspots.analysis.cluster import ClusterParams, radius_graph
from hotspots.analysis.hotspots import hotspots_for
from hotspots.analysis.null_model import chance_model
from hotspots.analysis.prepare import prepare
from hotspots.analysis.significance import significance_for
from hotspots.analysis.simulations import largest_clusters
from hotspots.analysis.summaries import find_clusters
from hotspots.read.incidents import read_incidents

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
POLICE = SHARED / "police-uk" / "west-mercia"
WARDS = SHARED / "wards" / "redditch.geojson"


def _best(func, repeat: int):
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def _null_counts(weights, n, n_sim, seed=0):
    """Chance counts on the map points (multinomial by ``weights``), one row per simulation."""
    from hotspots.analysis.simulations import chance_counts

    return chance_counts(
        len(weights), n, n_sim=n_sim, rng=np.random.default_rng(seed), weights=weights
    ).T


def _sklearn_null(points, counts, eps_m, min_samples):
    from sklearn.cluster import DBSCAN

    out = []
    for w in counts:
        idx = np.flatnonzero(w)
        labels = (
            DBSCAN(eps=eps_m, min_samples=min_samples)
            .fit(points[idx], sample_weight=w[idx])
            .labels_
        )
        inside = labels >= 0
        out.append(np.bincount(labels[inside], weights=w[idx][inside]).max() if inside.any() else 0)
    return np.array(out)


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n-sim", type=int, default=999)
    args = parser.parse_args()
    files = sorted(POLICE.glob("*-west-mercia-street.csv"))
    if not files:
        raise SystemExit(f"no police.uk files at {POLICE}")
    warnings.simplefilter("ignore")
    prepared = prepare(read_incidents(files), load_wards(WARDS))
    incidents = prepared.incidents
    print(f"Redditch ASB incidents {len(incidents):,} over {incidents['month'].nunique()} months; "
          f"study area {prepared.study_area_m2 / 1e6:.1f} km2")  # fmt: skip

    labels = period_labels(incidents, by="month")
    months = list(labels.cat.categories)

    def baseline():
        for month in months[:-1]:
            find_clusters(incidents.loc[(labels == month).to_numpy()], params=ClusterParams(),
                          study_area_m2=prepared.study_area_m2)  # fmt: skip

    t_base, _ = _best(baseline, args.repeat)
    t_roll, records = _best(
        lambda: rolling_backtest(incidents, prepared.wards, by="month"), args.repeat
    )
    pairs = len(records[["train", "test"]].drop_duplicates())
    print(f"\nrolling backtest by month: {pairs} pairs, {len(records)} records")
    print(f"  backtest {t_roll:.2f} s ({t_roll / pairs:.2f} s a pair); clustering alone {t_base:.2f} s; "
          f"ratio {t_roll / t_base:.1f}x")  # fmt: skip
    with pd.option_context("display.width", 120, "display.float_format", "{:.2f}".format):
        summary = summarise_backtest(records)
        summary["coverage"] = 100 * summary["coverage"]
        print(summary.rename(columns={"coverage": "area %"}).to_string(index=False))

    found = hotspots_for(prepared, season="autumn")
    t_sig, tested = _best(lambda: significance_for(prepared, found, n_sim=args.n_sim), args.repeat)
    model = chance_model(incidents, study_area=prepared.wards)
    points = model.points
    n, eps, ms = found.attrs["selected"], found.attrs["eps_m"], found.attrs["min_samples"]
    # the same chance counts (even spread, snapped) clustered both ways: the sizes must agree
    counts = _null_counts(model.shares, n, args.n_sim)
    t_plain, plain = _best(lambda: _sklearn_null(points, counts, eps, ms), 1)
    same = np.array_equal(plain, largest_clusters(radius_graph(points, eps), counts.T, ms))
    print(f"\nsignificance, autumn 2018 ({n} incidents, {len(found)} clusters, {len(points)} map points, "
          f"{args.n_sim} simulations): {t_sig:.2f} s; scikit-learn one by one {t_plain:.2f} s; "
          f"ratio {t_plain / t_sig:.1f}x faster; same null sizes: {same}")  # fmt: skip
    print(f"  significant at FDR 5%: {int(tested['significant'].sum())} of {len(tested)}")


if __name__ == "__main__":
    main()
