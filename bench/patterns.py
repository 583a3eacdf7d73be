"""Benchmark: what the "How places changed" layer costs a cold map of the demo.

Run on demand: ``.venv/bin/python bench/patterns.py``. For each season of
2018-19 and the whole year, on the embedded demo, times (CPU and wall seconds):

* the place patterns alone (DBSCAN once per season up to the selection);
* a cold map frame without the layer (the baseline: what the map cost before);
* a cold map frame with it, as the web app draws it (patterns cached per period);

and prints the ratio with / without, the frame sizes and the load average.
"""

from __future__ import annotations

import os
import time

from hotspots.assets import localized_html
from hotspots.maps import hotspot_map
from hotspots.privacy import redact_places
from hotspots.tasking import patterns_for
from webapp import results
from webapp.data import DataStore, spec_from_config
from webapp.selection import BOROUGH, Selection


def _timed(func):
    cpu, wall = time.process_time(), time.perf_counter()
    out = func()
    return out, time.process_time() - cpu, time.perf_counter() - wall


def _frame(store: DataStore, sel: Selection, patterns) -> str:
    """The map frame as ``DataStore.map_html`` draws it, with or without the pattern layer."""
    data = store.loaded()
    clusters = store.clusters(sel)
    whole = Selection(sel.fy, sel.season, BOROUGH)
    m = hotspot_map(store.ward_layer(whole), redact_places(clusters),
                    results.selected_incidents(data.prepared, sel), areas=data.prepared.areas,
                    caption=sel.label, patterns=patterns)  # fmt: skip
    return localized_html(m)


def main() -> None:
    store = DataStore(spec_from_config({}))
    data = store.loaded()
    print(f"demo: {len(data.prepared.incidents):,} incidents; load average {os.getloadavg()}")
    print(f"{'selection':<18} {'patterns':>15} {'map without':>15} {'map with':>15} "
          f"{'ratio':>6} {'KB without':>10} {'KB with':>8}")  # fmt: skip
    for season in ("spring", "summer", "autumn", "winter", "all"):
        sel = Selection("2018-19", season)
        store.clusters(sel), store.ward_layer(Selection("2018-19", season, BOROUGH))  # warm
        cells, pc, pw = _timed(lambda: patterns_for(data.prepared, season=sel.season_filter,
                                                     financial_year="2018-19"))  # fmt: skip
        without, wc, ww = _timed(lambda: _frame(store, sel, None))
        # With: the patterns computed, then the map drawn (a cold web request does both).
        withl, mc, mw = _timed(lambda: _frame(store, sel, cells))
        mc, mw = mc + pc, mw + pw
        print(f"{sel.label[:18]:<18} {pc:6.2f} ({pw:5.2f}) {wc:6.2f} ({ww:5.2f}) "
              f"{mc:6.2f} ({mw:5.2f}) {mc / wc:5.1f}x {len(without) / 1024:10.0f} "
              f"{len(withl) / 1024:8.0f}")  # fmt: skip
    print("CPU s (wall s). 'map with' = patterns + drawing; later views of the same period "
          "(any area or ward, the tasking sheet) reuse the cached patterns.")


if __name__ == "__main__":
    main()
