"""Benchmark: the chance test's CPU seconds per period at 2x10^5 and 10^6 incidents, new vs old.

Run on demand: ``.venv/bin/python bench/chance.py`` (``--sizes`` to choose,
``--old-sims`` to cap the old method's simulations; its time is then scaled to
999 and marked so). The data are ``bench/scale.py``'s police.uk-shaped
national archive (map points in towns of Zipf-distributed size, skewed use),
and its 5 km synthetic wards are the study area. One period = every row (as
``hotspots clusters`` selects by default), ``min_samples`` chosen by
:func:`hotspots.analysis.cluster.default_min_samples`.

Printed per size, CPU seconds (``time.process_time``) in the same run:

* clustering the period (``dbscan_labels``): the yardstick (target: the test
  costs at most about as much);
* the catchments (Voronoi cells clipped to the wards), once per dataset;
* the new test (:func:`hotspots.analysis.significance.cluster_significance`: even spread
  snapped to the map points as a multinomial over catchments, pruned, sequential);
* the old method: every incident placed one by one on a map point (each
  equally likely), 999 simulations clustered by the same
  :func:`~hotspots.analysis.simulations.largest_clusters`.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _cpu(func):
    start = time.process_time()
    out = func()
    return time.process_time() - start, out


def old_method(points, n, eps_m, min_samples, n_sim, seed=0):
    """The earlier null: n incidents drawn one by one, each map point equally likely."""
    from hotspots.analysis.cluster import radius_graph
    from hotspots.analysis.simulations import CHUNK_ENTRIES, largest_clusters

    adjacency = radius_graph(points, eps_m)
    rng = np.random.default_rng(seed)
    m = len(points)
    step = max(1, CHUNK_ENTRIES // max(m, n))
    out = []
    for a in range(0, n_sim, step):
        b = min(step, n_sim - a)
        draws = rng.integers(0, m, size=(b, n))
        keys = draws * b + np.arange(b)[:, None]
        counts = np.bincount(keys.ravel(), minlength=m * b).reshape(m, b).astype(np.int32)
        out.append(largest_clusters(adjacency, counts, min_samples))
    return np.concatenate(out)


def national(n: int):
    """``bench/scale.py``'s archive of ``n`` rows: coordinates and its 5 km wards."""
    import scale

    points = scale.make_points()
    inc = scale.make_incidents(n, points)
    xy = np.column_stack([points["x"][inc["pt"]], points["y"][inc["pt"]]])
    return xy, scale.make_wards(points)


def worcestershire(n: int):
    """``n`` rows on the real West Mercia map points inside Worcestershire's wards (shared data).

    Each map point is used with a long-tailed (lognormal) weight, as in
    ``bench/scale.py``; None when the shared data are absent.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    from hotspots.analysis.catchments import study_area_shape
    from hotspots.read.geocode import lonlat_to_bng

    shared = ROOT.parent / "shared" / "data"
    files = sorted((shared / "police-uk" / "west-mercia").glob("*.csv"))
    if not files:
        return None
    wards = pd.concat(
        [gpd.read_file(p).to_crs(27700) for p in sorted((shared / "wards").glob("*.geojson"))]
    )
    wards = gpd.GeoDataFrame(wards, geometry="geometry", crs=27700)
    lonlat = pd.concat([pd.read_csv(f, usecols=["Longitude", "Latitude"]) for f in files]).dropna()
    lonlat = np.unique(lonlat.to_numpy(), axis=0)
    x, y = lonlat_to_bng(lonlat[:, 0], lonlat[:, 1])
    inside = shapely.contains_xy(study_area_shape(wards), x, y)
    pts = np.column_stack([x, y])[inside]
    rng = np.random.default_rng(3)
    w = rng.lognormal(0.0, 1.6, len(pts))
    return pts[rng.choice(len(pts), n, p=w / w.sum())], wards


def run(name: str, n: int, xy: np.ndarray, wards, old_sims: int, min_samples: int | None) -> None:
    """Time clustering, catchments, the new test and the old method on one period."""
    import geopandas as gpd

    from hotspots.analysis.catchments import catchment_shares, study_area_shape
    from hotspots.analysis.cluster import (
        ClusterParams,
        dbscan_labels,
        default_min_samples,
    )
    from hotspots.analysis.null_model import chance_model, map_points
    from hotspots.analysis.significance import cluster_significance
    from hotspots.analysis.summaries import find_clusters

    eps = 100.0
    area_m2 = float(wards.area.sum())
    ms = min_samples or default_min_samples(n, area_m2, eps)
    frame = gpd.GeoDataFrame(geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=27700)
    t_cluster, _ = _cpu(lambda: dbscan_labels(xy, eps_m=eps, min_samples=ms))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params = ClusterParams(eps_m=eps, min_samples=ms)
        found = find_clusters(frame, params=params, study_area_m2=area_m2)
    found.attrs["selected"] = n
    uniq, _ = map_points(frame)
    shape = study_area_shape(wards)
    t_catch, _ = _cpu(lambda: catchment_shares(uniq, shape))  # once per dataset (then cached)
    model = chance_model(frame, study_area=wards, snapped=True)  # police.uk-shaped: map points
    cluster_significance(found.head(1), frame, model=model, n_sim=19)  # warm: lazy imports
    t_new, tested = _cpu(lambda: cluster_significance(found, frame, model=model))
    t_full, full = _cpu(lambda: cluster_significance(found, frame, model=model, sequential=False))
    t_old, _ = _cpu(lambda: old_method(uniq, n, eps, ms, old_sims))
    scaled = t_old * 999 / old_sims
    mark = "" if old_sims == 999 else f" (ran {old_sims}, scaled to 999)"
    how = "automatic" if min_samples is None else "given"
    biggest = int(found["incidents"].max()) if len(found) else 0
    print(f"\n{name}, n = {n:,}: {len(uniq):,} map points, study area {area_m2 / 1e6:,.0f} km2; "
          f"min_samples {ms:,} ({how}); {len(found):,} hotspots (largest {biggest:,})")  # fmt: skip
    print(f"  clustering the period          {t_cluster:7.2f} CPU s")
    print(f"  catchments (once per dataset)  {t_catch:7.2f} CPU s")
    print(f"  new chance test                {t_new:7.2f} CPU s  ({tested.attrs['simulations']} simulations; "
          f"{int(tested['significant'].sum()):,} more than chance)")  # fmt: skip
    print(f"  new, all 999 (no early stop)   {t_full:7.2f} CPU s  "
          f"({int(full['significant'].sum()):,} more than chance)")  # fmt: skip
    print(f"  old method                     {scaled:7.2f} CPU s{mark}")
    print(
        f"  new / clustering {t_new / max(t_cluster, 1e-9):.2f}x; old / new {scaled / max(t_new, 1e-3):.0f}x"
    )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--old-sims", type=int, default=999)
    parser.add_argument("--min-samples", type=int, nargs="+", default=[0, 15],
                        help="0: automatic (default_min_samples)")  # fmt: skip
    parser.add_argument("--data", nargs="+", choices=["national", "worcestershire"],
                        default=["national", "worcestershire"])  # fmt: skip
    args = parser.parse_args()
    named = {"national": ("national (bench/scale.py)", national),
             "worcestershire": ("Worcestershire", worcestershire)}  # fmt: skip
    for n in args.sizes:
        for name, make in (named[d] for d in args.data):
            data = make(n)
            if data is None:
                print(f"\n{name}: shared data absent, skipped")
                continue
            for ms in args.min_samples:
                run(name, n, *data, args.old_sims, ms or None)


if __name__ == "__main__":
    main()
