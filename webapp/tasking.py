"""The tasking page of the web app (issue 4): registered by webapp.create_app.

``/tasking`` shows one selection's hotspots ranked for patrol planning (the
sheet of :func:`hotspots.outputs.tasking.tasking_sheet`), each row linking to the map
centred on that hotspot (``/map?...&focus=<id>``); ``/tasking.pdf`` is the
printable sheet (:func:`hotspots.outputs.tasking.write_sheet`), and ``/tasking.csv`` and
``/tasking.geojson`` download it (one point per hotspot, for patrol devices).
Ranks are the hotspots' ids: their rank in the whole study area for the season
and year, the same on the map, the hotspot table and every download; a focus
area's or ward's sheet lists the study area's hotspots lying in it.
The selection is the app's usual one (``fy``, ``season``, ``area``), checked by
:func:`webapp.params.selection`; a tasking sheet needs one financial year, so
``fy=all`` is a 400 naming ``fy``.

Each hotspot's **Pattern** is that of the place (grid cell) holding its
busiest map point over the seasons up to the selected one: the same cached
patterns as the map's "How places changed" layer (:meth:`DataStore.patterns`),
so the sheet and the map cannot disagree (see :mod:`hotspots.outputs.tasking`).

Place text is at street level for viewers (:func:`webapp.auth.shown_places`:
house numbers, flats and business names removed, "On or near ..." kept);
analysts see it in full. The sheet's list of top locations is never sent.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from flask import Blueprint, Response, current_app, render_template

from hotspots.analysis.notes import data_note
from hotspots.io import csv_safe, geojson_text, percent_shares
from webapp import tasks
from webapp.auth import may_see_addresses, shown_places
from webapp.params import ParamError, selection, store
from webapp.tasks import Along
from webapp.tiles import static_style

bp = Blueprint("tasking", __name__)


def _tasking(sel) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The public sheet and the hotspot outlines of a selection (cached per selection)."""
    if sel.financial_year is None:
        raise ParamError("fy", sel.fy, [f for f in store().choices().fy_values if f != sel.fy])
    data_store = store()
    # a cold selection: its answer, accuracy sentence, place patterns and sheet as one task
    data_store.ask(sel, Along(accuracy=True, patterns=True, sheet=True))

    # The period's one answer, with its chance test (as on the map and the hotspot table) and
    # the map layer's place patterns: nothing recomputed; the sheet made in a worker.
    patterns = data_store.patterns(sel)
    if data_store.workers is not None:
        period = data_store.answer_raw(sel)
        if sel.eps is None and sel.min_samples is None:
            patterns = None  # the answer holds them: not sent along
    else:
        period = data_store.view(sel, tested=True).result
    sheet, clusters = data_store.worked("tasking", sel, tasks.tasking_sheet, period, sel,
                                        patterns=patterns, called="the tasking sheet")  # fmt: skip
    return shown_places(sheet), shown_places(clusters)


def _sheet(sel) -> gpd.GeoDataFrame:
    return _tasking(sel)[0]


def _stem(sel) -> str:
    parts = [sel.fy, sel.season, sel.ward_name or sel.focus_area or "borough"]
    return "tasking_" + "_".join("".join(c if c.isalnum() else "-" for c in p) for p in parts)


@bp.route("/tasking")
def tasking_page():
    """The ranked hotspot list of a selection, with CSV and GeoJSON downloads."""
    sel = selection()
    sheet = _sheet(sel)
    table = pd.DataFrame(sheet.drop(columns="geometry")).astype(object)
    table = table.where(table.notna(), None)
    return render_template("tasking.html", sel=sel, choices=store().choices(),
                           rows=table.to_dict("records"), attrs=sheet.attrs,
                           accuracy=store().accuracy(sel))  # fmt: skip


@bp.route("/tasking.csv")
def tasking_csv():
    """The tasking sheet as CSV (lon/lat columns, no geometry)."""
    sel = selection()
    table = csv_safe(percent_shares(pd.DataFrame(_sheet(sel).drop(columns="geometry"))))
    return Response(table.to_csv(index=False), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{_stem(sel)}.csv"'})  # fmt: skip


@bp.route("/tasking.geojson")
def tasking_geojson():
    """The tasking sheet as GeoJSON: one point per hotspot (EPSG:4326), for patrol devices."""
    sel = selection()
    return Response(geojson_text(_sheet(sel)), mimetype="application/geo+json",
                    headers={"Content-Disposition":
                             f'attachment; filename="{_stem(sel)}.geojson"'})  # fmt: skip


@bp.route("/tasking.pdf")
def tasking_pdf():
    """The printable tasking sheet (A4, one page per focus area, map beside the list).

    Drawn in a worker process (about 0.7 s of CPU at 10^6 incidents): "computing…" until then.
    """
    sel = selection()
    sheet, clusters = _tasking(sel)
    data_store = store()
    demo = data_store.spec.is_demo

    def note(data) -> str:
        view = data_store.view(sel)
        accuracy = data_store.accuracy(sel)  # the previous window's hotspots, as on the map
        text = f"{data_note(view.incidents, demo=demo)} {view.result.parameters.text}."
        return text + (f" {accuracy['sentence']}." if accuracy else "")

    # Viewers and analysts see different place text: one cached PDF for each.
    style = static_style(current_app) if data_store.workers is None else None  # else the worker's
    pdf = data_store.worked("tasking_pdf_full" if may_see_addresses() else "tasking_pdf", sel,
                            tasks.tasking_pdf, sheet, clusters, title=data_store.view(sel).title,
                            note=data_store.cached("tasking_note", sel, note), area=sel.focus_area,
                            demo=demo, style=style, options=data_store.map_options,
                            called="the printable tasking sheet")  # fmt: skip
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{_stem(sel)}.pdf"'})  # fmt: skip
