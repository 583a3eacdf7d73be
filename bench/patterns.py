"""Benchmark: what the "How places changed" layer costs the demo's map.

Run on demand: ``.venv/bin/python bench/patterns.py``. For each season of
2018-19 and the whole year, on the embedded demo (CPU and wall seconds):

* baseline: a cold map frame without the layer (the selection's hotspots with
  their trend, the ward layer, the drawing), as before the layer existed;
* lazy (what the web app does): the same frame with the layer listed, off, and
  its legend (periods found without clustering);
* first switch-on: ``/api/patterns``'s work, the place patterns (DBSCAN once per
  season up to the selection) and their GeoJSON; cached per period afterwards;
* eager: the frame with the squares inside it (the one-file map's way).

Prints the ratios against the baseline, the frame sizes and the load average.
"""

from __future__ import annotations

import json
import os
import time

from hotspots.analysis.patterns import selection_periods
from hotspots.draw.assets import localized_html
from hotspots.draw.webmap import hotspot_map, pattern_features
from hotspots.outputs.tasking import patterns_for
from hotspots.privacy import redact_places
from webapp import results
from webapp.data import DataStore
from webapp.dataset import spec_from_config
from webapp.selection import BOROUGH, Selection


def _timed(func):
    cpu, wall = time.process_time(), time.perf_counter()
    out = func()
    return out, time.process_time() - cpu, time.perf_counter() - wall


def _frame(sel: Selection, **layer) -> str:
    """A cold map frame of ``sel`` (a new store: nothing cached but the loaded data)."""
    store = DataStore(spec_from_config({}))
    data = store.loaded()
    clusters = store.clusters(sel)
    m = hotspot_map(store.ward_layer(Selection(sel.fy, sel.season, BOROUGH)),
                    redact_places(clusters), results.selected_incidents(data.prepared, sel),
                    areas=data.prepared.areas, caption=sel.label, **layer)  # fmt: skip
    return localized_html(m)


def main() -> None:
    data = DataStore(spec_from_config({})).loaded()
    inc = data.prepared.incidents
    print(f"demo: {len(inc):,} incidents; load average {os.getloadavg()}")
    print(f"{'selection':<20} {'baseline':>13} {'lazy':>13} {'switch-on':>13} {'eager':>13} "
          f"{'KB base/lazy/eager':>19}")  # fmt: skip
    for season in ("spring", "summer", "autumn", "winter", "all"):
        sel = Selection("2018-19", season)
        base, bc, bw = _timed(lambda sel=sel: _frame(sel))
        lazy, lc, lw = _timed(lambda sel=sel: _frame(
            sel, patterns_url="/api/patterns?x",
            pattern_periods=selection_periods(inc, season=sel.season_filter,
                                              financial_year="2018-19")))  # fmt: skip

        def switch_on(sel=sel):
            cells = patterns_for(data.prepared, season=sel.season_filter, financial_year="2018-19")
            return cells, json.dumps(pattern_features(cells))

        (cells, _), sc, sw = _timed(switch_on)
        eager, ec, ew = _timed(lambda sel=sel, cells=cells: _frame(sel, patterns=cells))
        ec, ew = ec + sc, ew + sw
        print(f"{sel.label[:20]:<20} {bc:5.2f} ({bw:5.2f}) {lc:5.2f} ({lw:5.2f}) "
              f"{sc:5.2f} ({sw:5.2f}) {ec:5.2f} ({ew:5.2f}) "
              f"{len(base) / 1024:5.0f}/{len(lazy) / 1024:.0f}/{len(eager) / 1024:.0f}   "
              f"lazy {lc / bc:.2f}x, eager {ec / bc:.1f}x")  # fmt: skip
    print("CPU s (wall s) per cold request.")


if __name__ == "__main__":
    main()
