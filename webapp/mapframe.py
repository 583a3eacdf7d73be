"""The map frame (the folium page inside ``/map``), drawn where the answer is: in a worker.

:func:`render_map` draws a view of a period's result with the app's map options;
:class:`webapp.data.DataStore` calls it in the request's thread only without
worker processes. With them, :func:`frame_html` runs in a worker on the
period's answer (:class:`hotspots.precompute.Answer`, decoded there), and
:func:`warm_period` makes a default period's answer and its viewers' map frame in
one task when the data is loaded, so that the first map of any period is a page
already drawn; a cold selection's frame is drawn in its answer's own task
(:func:`webapp.tasks.selection_answer`, with :func:`draw_frame`). Drawing a map is NumPy, shapely and folium work on every incident
of the period (the privacy layer's points most of all): seconds at a million
incidents, which the server's threads must not spend.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from hotspots import precompute
from hotspots.privacy import public_points, redact_places
from hotspots.results import Period, View, decode_result
from webapp import results
from webapp.selection import ALL_YEARS, BOROUGH, Selection

if TYPE_CHECKING:
    from hotspots.analysis.prepare import Prepared


def focus_of(view: View, sel: Selection):
    """The EPSG:27700 shape a map fits: the hotspot ``focus``, the ward, the area, or None."""
    if sel.focus is not None:
        return results.focus_hull(view.hotspots, sel)
    if sel.ward_name or sel.focus_area:
        return view.outline
    return None


def render_map(
    prepared: Prepared,
    view: View,
    sel: Selection,
    *,
    full_places: bool,
    options,
    streets: gpd.GeoDataFrame | None,
    population: pd.Series | None = None,
) -> str:
    """The folium page of a selection's view, its scripts served from ``/static/vendor``.

    Unless ``full_places`` (analysts), the hotspot popups' place text is at
    street level (:func:`hotspots.privacy.redact_places`) and the heat and
    incident points are :func:`hotspots.privacy.public_points`. ``options`` is
    the app's :class:`webapp.dataset.MapOptions`.
    """
    from hotspots.analysis.patterns import selection_periods
    from hotspots.draw.assets import localized_html
    from hotspots.draw.webmap import hotspot_map

    clusters = view.hotspots
    # The ward layer shows ward totals for the period, whatever area is viewed.
    whole = dataclasses.replace(sel, area=BOROUGH, ward=None)
    wards = results.ward_layer(prepared, whole, population=population,
                               incidents=view.result.incidents)  # fmt: skip
    incidents = view.incidents
    m = hotspot_map(
        wards,
        clusters if full_places else redact_places(clusters),
        incidents if full_places else public_points(incidents),
        areas=prepared.areas,
        focus=focus_of(view, sel),
        basemap=options.basemap,
        roads=streets,
        tiles_url=options.tiles_url,
        tiles_attribution=options.tiles_attribution,
        max_points=options.max_points,
        caption=f"{sel.label}. {view.result.parameters.text}",
        # How places changed: fetched from /api/patterns when switched on (costly).
        patterns_url=f"/api/patterns?{sel.base.query()}",
        pattern_periods=selection_periods(
            prepared.incidents, season=sel.season_filter, financial_year=sel.financial_year
        ),
    )
    return localized_html(m)


# --------------------------------------------------------------------------- in a worker

_STREETS: OrderedDict[tuple, gpd.GeoDataFrame | None] = OrderedDict()
_STREETS_LOCK = threading.Lock()


def worker_streets(ctx: precompute.Context, options) -> gpd.GeoDataFrame | None:
    """The streets every map draws (as :meth:`webapp.data.DataStore.streets`), once per process."""
    from hotspots.loader import load_streets

    if options.streets_off:
        return None
    path = options.roads
    stamp = None
    if path is not None:
        st = path.stat() if path.exists() else None
        stamp = f"{st.st_size}|{st.st_mtime_ns}" if st else "missing"
    elif not ctx.spec.store:
        return None
    key = (ctx.spec, ctx.version, str(path), stamp)
    with _STREETS_LOCK:
        if key not in _STREETS:
            _STREETS[key] = load_streets(ctx.spec, path) if path is not None else (
                load_streets(ctx.spec))  # fmt: skip
            while len(_STREETS) > 2:
                _STREETS.popitem(last=False)
        return _STREETS[key]


def frame_html(ctx: precompute.Context, answer: precompute.Answer, sel: Selection, *,
               full_places: bool, options, population: pd.Series | None) -> str:  # fmt: skip
    """In a worker: the map frame of ``sel``'s view of a period's answer."""
    return draw_frame(ctx, decode_result(answer.result, ctx.prepared), sel,
                      full_places=full_places, options=options, population=population)  # fmt: skip


def draw_frame(ctx: precompute.Context, result, sel: Selection, *, full_places: bool, options,
               population: pd.Series | None) -> str:  # fmt: skip
    """In a worker: the map frame of ``sel``'s view of a decoded period's result."""
    view = result.view(area=sel.focus_area, ward=sel.ward_name)
    return render_map(ctx.prepared, view, sel, full_places=full_places, options=options,
                      streets=worker_streets(ctx, options), population=population)  # fmt: skip


def frame_kind(options, population: pd.Series | None) -> str:
    """The kept map frame's kind: the map options and population it was drawn with, hashed.

    Examples
    --------
    >>> from webapp.dataset import MapOptions
    >>> frame_kind(MapOptions(), None) == frame_kind(MapOptions(), None)
    True
    >>> frame_kind(MapOptions(), None) == frame_kind(MapOptions(max_points=10), None)
    False
    """
    described = repr(options) + ("" if population is None else population.to_json())
    return "frame:" + hashlib.sha256(described.encode()).hexdigest()[:16]


def warm_period(ctx: precompute.Context, period: Period, settings: precompute.ResultSettings,
                *, options, population: pd.Series | None, keep: bool = True,
                ) -> tuple[precompute.Answer, str]:  # fmt: skip
    """In a worker: a default period's answer and its viewers' map of the whole study area.

    Each the store's when it keeps it, else made (and kept, with ``keep``): what
    ``hotspots ingest`` and the app's load do for every period.
    """
    answer = precompute.period_answer(ctx, period, settings, keep=keep)
    kind = frame_kind(options, population)
    if ctx.store_version is not None:
        rows = precompute.stored_rows(ctx.spec, ctx.store_version,
                                      precompute.settings_key(ctx.spec, settings))  # fmt: skip
        if (period.label, kind) in rows:
            return answer, rows[(period.label, kind)].decode()
    sel = Selection(period.financial_year or ALL_YEARS, period.season or "all")
    html = frame_html(ctx, answer, sel, full_places=False, options=options, population=population)
    if keep:
        precompute.keep_extra(ctx, settings, period, kind, html.encode())
    return answer, html
