"""Benchmark: seconds per static map for a batch of 12 wards x 4 seasons x 2 years (the demo).

Run:  .venv/bin/python bench/export.py [--dpi 300] [--format png] [--no-pack]

Prints the batch's seconds per map (clustering, tasking sheet, drawing and
writing every format, plus the report pack), and two baselines measured in the
same run: the bare ward-outline figure written at the same DPI (the cost of
drawing and encoding any map) and the clustering alone. Target: under 1 s per
map on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd

from boundaries import get_path, load_wards
from hotspots.analysis.hotspots import hotspots_for
from hotspots.analysis.prepare import prepare
from hotspots.draw.static import MapStyle, WardLayer, map_figure, save_figure
from hotspots.outputs.export import plan_batch, run_batch
from hotspots.read.incidents import read_incidents
from hotspots.read.places import read_focus_areas


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--format", default="png")
    parser.add_argument("--no-pack", action="store_true")
    args = parser.parse_args()
    formats = args.format.split(",")
    prepared = prepare(
        read_incidents([get_path("demo-incidents")]),
        load_wards(get_path("demo-wards")),
        areas=read_focus_areas(get_path("demo-focus-areas")),
    )
    style = MapStyle(dpi=args.dpi)
    by = ("season", "fy", "ward")
    combos = plan_batch(prepared, by=by)
    n = len(combos)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "batch"
        t0 = time.perf_counter()
        result = run_batch(prepared, out, by=by, formats=formats, style=style,
                           pack=not args.no_pack, force=True)  # fmt: skip
        batch = (time.perf_counter() - t0) / n

        layer = WardLayer.of(prepared.wards)
        empty = gpd.GeoDataFrame({"incidents": []}, geometry=[], crs=27700)
        t0 = time.perf_counter()
        reps = 12
        for i in range(reps):
            fig = map_figure(empty, layer, title="baseline", note="baseline", style=style)
            for fmt in formats:
                save_figure(fig, Path(tmp) / f"bare{i}.{fmt}")
        bare = (time.perf_counter() - t0) / reps

    t0 = time.perf_counter()
    for c in combos:
        hotspots_for(prepared, season=c.season, financial_year=c.financial_year, ward=c.ward)
    cluster = (time.perf_counter() - t0) / n

    print(f"batch: {n} maps (12 wards x 4 seasons x 2 years), format {args.format}, "
          f"{args.dpi} dpi, report pack {'off' if args.no_pack else 'on'}; "
          f"{len(result.written)} files written")  # fmt: skip
    print(f"seconds per map (batch):                {batch:.3f}  (target < 1.0)")
    print(f"baseline, bare ward-outline map:        {bare:.3f}  ratio {batch / bare:.2f}x")
    print(f"baseline, clustering alone:             {cluster:.3f}  ratio {batch / cluster:.1f}x")


if __name__ == "__main__":
    main()
